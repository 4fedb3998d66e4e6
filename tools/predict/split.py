"""The deterministic Bemis-Murcko scaffold split used by OGB and the ChemDFM paper's table.

Scaffolds keep stereochemistry (`includeChirality=True`, as OGB); scaffold sets are taken
largest first, ties broken by their first row, and filled greedily into train (80%), valid
(10%) and test (10%), so the test set holds the rarest scaffolds. With these rules the split
reproduces OGB's published test indices for BACE and BBBP exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold


class Split(BaseModel):
    """Row indices of the input, per part; rows whose SMILES RDKit rejects are in `invalid`."""

    model_config = ConfigDict(extra="forbid")

    train: list[int]
    valid: list[int]
    test: list[int]
    invalid: list[int]


def scaffold_of(smiles: str) -> str | None:
    """Murcko scaffold SMILES with stereochemistry; '' for acyclic molecules, None if invalid."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    return str(MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True))


def scaffold_split(
    smiles: Sequence[str], frac_train: float = 0.8, frac_valid: float = 0.1
) -> Split:
    """Split rows by scaffold; the same input always gives the same split."""
    if not 0 < frac_train < 1 or not 0 <= frac_valid < 1 - frac_train + 1e-12:
        raise ValueError("fractions must satisfy 0 < train < 1 and train + valid <= 1")
    groups: dict[str, list[int]] = defaultdict(list)
    invalid = []
    for i, s in enumerate(smiles):
        scaffold = scaffold_of(s)
        if scaffold is None:
            invalid.append(i)
        else:
            groups[scaffold].append(i)
    n = sum(len(g) for g in groups.values())
    train_cut, valid_cut = frac_train * n, (frac_train + frac_valid) * n
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for group in sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True):
        if len(train) + len(group) > train_cut:
            if len(train) + len(valid) + len(group) > valid_cut:
                test.extend(group)
            else:
                valid.extend(group)
        else:
            train.extend(group)
    return Split(train=train, valid=valid, test=test, invalid=invalid)


def scaffold_folds(smiles: Sequence[str], k: int = 5) -> list[list[int]]:
    """`k` folds of row positions with no scaffold in two folds, for cross-fitting calibration
    on the training split: scaffold sets largest first, each into the fold holding the fewest
    molecules so far (ties: the lowest fold), so the folds are about equal and deterministic."""
    if k < 2:
        raise ValueError("cross-fitting needs at least 2 folds")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(smiles):
        groups[scaffold_of(s) or ""].append(i)
    if len(groups) < k:
        raise ValueError(f"{len(groups)} scaffolds cannot fill {k} folds")
    folds: list[list[int]] = [[] for _ in range(k)]
    for group in sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True):
        min(folds, key=len).extend(group)
    return [sorted(f) for f in folds]
