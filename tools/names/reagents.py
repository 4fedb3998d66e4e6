"""Builds the structures of `data/reagents.csv` from the systematic names, with OPSIN.

The reagent and solvent names (abbreviations a lab uses: NaBH4, DIPEA, TBAF ...) were written
for this project; each row carries its systematic name, and its structure is what OPSIN (MIT)
makes of that name, so every structure has a checkable source. Run after editing the file:
`python -m tools.names.reagents`; a test checks that every row still matches OPSIN.
"""

from __future__ import annotations

import csv
import logging
from importlib import resources
from pathlib import Path

from tools.chem.mol import canonical_smiles
from tools.names.opsin import Opsin

log = logging.getLogger(__name__)
FIELDS = ["name", "synonyms", "cas", "systematic", "smiles"]


def reagents_path() -> Path:
    return Path(str(resources.files("tools.names") / "data" / "reagents.csv"))


def opsin_structures(rows: list[dict[str, str]], opsin: Opsin | None = None) -> list[str]:
    """Canonical SMILES OPSIN gives for each row's systematic name ('' where it gives none)."""
    results = (opsin or Opsin()).parse([r["systematic"] for r in rows])
    return [canonical_smiles(r.smiles) if r.smiles else "" for r in results]


def rebuild(path: Path | None = None) -> int:
    """Fill the smiles column from OPSIN; returns how many rows have a structure."""
    path = path or reagents_path()
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row, smiles in zip(rows, opsin_structures(rows), strict=True):
        if not smiles:
            log.warning("OPSIN cannot parse %r (row %s)", row["systematic"], row["name"])
        row["smiles"] = smiles
    kept = [r for r in rows if r["smiles"]]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    return len(kept)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    log.info("%d reagents with structures", rebuild())
