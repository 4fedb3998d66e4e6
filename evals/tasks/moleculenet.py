"""MoleculeNet ROC-AUC on the deterministic scaffold split's test set (the split that reproduces
OGB's BACE and BBBP indices): per task, missing labels skipped, then averaged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals.tasks.base import Example, Output, shared_data


@dataclass(frozen=True)
class MoleculeNetTask:
    endpoint: str
    output: Output = "text"

    @property
    def name(self) -> str:
        return f"moleculenet-{self.endpoint}"

    @property
    def description(self) -> str:
        return f"MoleculeNet {self.endpoint.upper()} scaffold test split: ROC-AUC (tool:predict)"

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        from tools.predict.endpoints import catalogue
        from tools.predict.train import load_dataset

        folder = Path(data_dir) if data_dir else shared_data() / "moleculenet" / "chemprop_2019"
        ep = catalogue().get(self.endpoint)
        data = load_dataset(ep, folder)
        return [
            Example(
                id=f"{self.name}-{i}",
                messages=[{"role": "user", "content": data.smiles[i]}],
                input=data.smiles[i],
                reference=[None if np.isnan(v) else float(v) for v in data.labels[i]],
            )
            for i in data.split.test
        ]

    def score(self, prediction: str, example: Example) -> dict[str, float]:
        return {}  # ROC-AUC needs the whole test set: see summarize

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]:
        from tools.predict.metrics import mean_auc

        ok = [r for r in records if r.get("ok")]
        if not ok:
            return {}
        Y = np.array([[np.nan if v is None else v for v in r["reference"]] for r in ok])
        P = np.array([json.loads(r["prediction"]) for r in ok])
        return {"roc_auc": mean_auc(Y, P), "scored": float(len(ok))}
