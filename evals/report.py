"""Markdown and JSON reports, with the numbers the papers report beside ours."""

from __future__ import annotations

import json
from collections.abc import Sequence

from evals.runner import RunResult

# ROC-AUC x100 on the scaffold test sets, ChemDFM paper (Table: molecular property prediction).
PAPER_PROPERTY = {
    "Uni-Mol": {"bace": 85.7, "bbbp": 72.9, "clintox": 91.9, "hiv": 80.8, "tox21": 79.6},
    "MolXPT": {"bace": 88.4, "bbbp": 80.0, "clintox": 95.3, "hiv": 78.1, "tox21": 77.1},
    "GPT-4": {"bace": 62.5, "bbbp": 61.5, "clintox": 51.6, "hiv": 65.9, "tox21": 55.2},
    "ChemDFM-13B": {"bace": 78.4, "bbbp": 66.7, "clintox": 89.9, "hiv": 73.6, "tox21": 79.8},
}


def markdown(results: Sequence[RunResult]) -> str:
    lines = ["| task | system | n | failed | metrics |", "|---|---|---|---|---|"]
    for r in results:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in sorted(r.metrics.items()))
        lines.append(f"| {r.task} | {r.system} | {r.n} | {r.failed} | {shown} |")
    props = [
        r
        for r in results
        if r.task.split("-")[0] in ("property", "moleculenet") and "roc_auc" in r.metrics
    ]
    if props:
        eps = [r.task.split("-", 1)[1] for r in props]
        lines += ["", "ROC-AUC x100 beside the ChemDFM paper's table:", ""]
        lines.append("| model | " + " | ".join(eps) + " |")
        lines.append("|---" * (len(eps) + 1) + "|")
        for r in props[:1]:
            ours = " | ".join(f"{p.metrics['roc_auc'] * 100:.1f}" for p in props)
            lines.append(f"| ours ({r.system}) | {ours} |")
        for name, row in PAPER_PROPERTY.items():
            lines.append(f"| {name} | " + " | ".join(f"{row[e]:.1f}" for e in eps) + " |")
    return "\n".join(lines) + "\n"


def as_json(results: Sequence[RunResult]) -> str:
    return json.dumps([r.model_dump() for r in results], indent=2)
