"""SciEval's chemistry questions (validation set, which has answers), scored as its eval.py does:
multiple choice by the first character of the reply, fill-in by the answer being a substring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from evals.tasks.base import Example, Output, shared_data


class SciEvalTask:
    name: str = "scieval-chemistry"
    description: str = "SciEval chemistry (798 validation questions): first-letter / substring"
    output: Output = "choice"

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        folder = Path(data_dir) if data_dir else shared_data() / "eval" / "scieval"
        path = folder / "scieval-valid.chemistry.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: give --data the SciEval folder")
        items = json.loads(path.read_text("utf-8"))
        return [
            Example(
                id=str(it["id"]),
                messages=[
                    {"role": "system", "content": it["prompt"]},
                    {"role": "user", "content": it["question"]},
                ],
                reference=it["answer"],
                group=f"{it['type']}/{it['ability']}",
            )
            for it in items
        ]

    def score(self, prediction: str, example: Example) -> dict[str, float]:
        answer = str(example.reference[0])
        pred = prediction.strip()
        if str(example.group).startswith("multiple-choice"):
            ok = bool(pred) and pred[0].lower() == answer.lower()
        else:
            ok = answer.lower() in pred.lower()
        return {"accuracy": float(ok)}

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]:
        out = {
            "accuracy": float(np.mean([r.get("scores", {}).get("accuracy", 0.0) for r in records]))
        }
        for group in sorted({str(r.get("group")) for r in records}):
            rows = [r for r in records if str(r.get("group")) == group]
            out[f"accuracy[{group}]"] = float(
                np.mean([r.get("scores", {}).get("accuracy", 0.0) for r in rows])
            )
        return out
