"""Markdown and JSON reports, with the numbers the papers report beside ours."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

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
    props = _roc_rows(results)
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


def _roc_rows(results: Sequence[RunResult]) -> list[RunResult]:
    return [
        r
        for r in results
        if r.task.split("-")[0] in ("property", "moleculenet") and "roc_auc" in r.metrics
    ]


def plot(results: Sequence[RunResult], path: Path) -> Path | None:
    """ROC-AUC per endpoint, ours beside the paper's models, as a grouped bar chart (PNG);
    None when no result has an ROC-AUC to show."""
    rows = _roc_rows(results)
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    eps = [r.task.split("-", 1)[1] for r in rows]
    series = {f"ours ({rows[0].system})": [r.metrics["roc_auc"] * 100 for r in rows]}
    series.update(
        {name: [row.get(e, float("nan")) for e in eps] for name, row in PAPER_PROPERTY.items()}
    )
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(eps), 4))
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(eps))], values, width, label=name)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(eps))], eps)
    ax.set_ylabel("test ROC-AUC x100")
    ax.set_ylim(40, 100)
    ax.legend(fontsize=8, ncol=2)
    ax.set_title("Property prediction, scaffold test sets")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def as_json(results: Sequence[RunResult]) -> str:
    return json.dumps([r.model_dump() for r in results], indent=2)
