"""PubMedQA (reasoning-required): a question and its abstract, answered yes / no / maybe.
The 500 test ids of the official split; accuracy and macro-F1 as its authors report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from evals.tasks.base import Example, Output, shared_data

PROMPT = (
    "Answer the question from the abstract with one word: yes, no or maybe.\n\n"
    "Abstract:\n{context}\n\nQuestion: {question}\nAnswer:"
)
LABELS = ("yes", "no", "maybe")


def decision(text: str) -> str | None:
    m = re.match(r"\W*(yes|no|maybe)\b", text.strip(), re.IGNORECASE)
    return m.group(1).lower() if m else None


class PubMedQATask:
    name: str = "pubmedqa"
    description: str = (
        "PubMedQA test split (500): yes/no/maybe from the abstract; accuracy, macro-F1"
    )
    output: Output = "choice"

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        folder = Path(data_dir) if data_dir else shared_data() / "eval" / "pubmedqa"
        items = json.loads((folder / "ori_pqal.json").read_text("utf-8"))
        test = json.loads((folder / "test_ground_truth.json").read_text("utf-8"))
        return [
            Example(
                id=pmid,
                messages=[
                    {
                        "role": "user",
                        "content": PROMPT.format(
                            context="\n".join(items[pmid]["CONTEXTS"]),
                            question=items[pmid]["QUESTION"],
                        ),
                    }
                ],
                input=items[pmid]["QUESTION"],
                reference=label,
            )
            for pmid, label in test.items()
        ]

    def score(self, prediction: str, example: Example) -> dict[str, float]:
        return {"accuracy": float(decision(prediction) == example.reference)}

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]:
        said = [decision(r.get("prediction", "")) for r in records]
        truth = [r["reference"] for r in records]
        f1s = []
        for label in LABELS:
            tp = sum(s == label and t == label for s, t in zip(said, truth, strict=True))
            fp = sum(s == label and t != label for s, t in zip(said, truth, strict=True))
            fn = sum(s != label and t == label for s, t in zip(said, truth, strict=True))
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
        acc = sum(s == t for s, t in zip(said, truth, strict=True)) / max(len(records), 1)
        return {"accuracy": acc, "macro_f1": sum(f1s) / len(f1s)}
