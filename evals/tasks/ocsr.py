"""Optical chemical structure recognition on UOB (or any folder laid out the same way)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from evals import metrics
from evals.tasks.base import Example, Output, mean_scores, shared_data

PROMPT = "What is the SMILES of the molecule drawn in this image? Reply with the SMILES only."


class OCSRTask:
    """Images with reference SMILES: `labels.csv` (image_path, SMILES) with the images beside
    it. Scored by Standard InChI equality, as the OCSR review does, and Morgan Tanimoto."""

    name: str = "ocsr-uob"
    description: str = "image -> SMILES on the 500 UOB images; Standard InChI equality"
    output: Output = "smiles"

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        folder = Path(data_dir) if data_dir else shared_data() / "ocsr" / "UOB"
        labels = folder / "labels.csv"
        if not labels.is_file():
            raise FileNotFoundError(
                f"{labels} not found: give --data a folder with labels.csv "
                "(image_path and SMILES columns) and the images beside it"
            )
        with labels.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if rows and not {"image_path", "SMILES"} <= set(rows[0]):
            raise ValueError(f"{labels} needs the columns image_path and SMILES")
        return [
            Example(
                id=r.get("image_id") or Path(r["image_path"]).stem,
                messages=[{"role": "user", "content": PROMPT}],
                images=[str(folder / r["image_path"])],
                input=str(folder / r["image_path"]),
                reference=r["SMILES"],
            )
            for r in rows
        ]

    def score(self, prediction: str, example: Example) -> dict[str, float]:
        ref = str(example.reference)
        return {
            "inchi_accuracy": float(metrics.inchi_match(prediction, ref)),
            "tanimoto": metrics.tanimoto(prediction, ref),
            "valid": float(metrics.valid(prediction)),
        }

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]:
        return mean_scores(records)
