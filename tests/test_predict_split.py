"""The scaffold split reproduces OGB's published split and never leaks a scaffold."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import shared_data
from tools.predict.split import scaffold_folds, scaffold_of, scaffold_split


def _rows(name: str) -> list[dict[str, str]]:
    path = shared_data() / "moleculenet" / "ogb_scaffold_split" / f"ogbg_mol{name}"
    with (path / "mapping" / "mol.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def _indices(name: str, part: str) -> list[int]:
    path = shared_data() / "moleculenet" / "ogb_scaffold_split" / f"ogbg_mol{name}"
    text = (path / "split" / "scaffold" / f"{part}.csv").read_text()
    return [int(line) for line in text.split()]


@pytest.mark.parametrize("name", ["bace", "bbbp"])
def test_split_matches_ogb_indices(name):
    split = scaffold_split([r["smiles"] for r in _rows(name)])
    for part in ("train", "valid", "test"):
        assert sorted(getattr(split, part)) == sorted(_indices(name, part)), part


def test_split_is_deterministic_and_disjoint_by_scaffold():
    smiles = [r["smiles"] for r in _rows("bbbp")]
    a, b = scaffold_split(smiles), scaffold_split(list(smiles))
    assert a == b
    train_scaffolds = {scaffold_of(smiles[i]) for i in a.train}
    assert not train_scaffolds & {scaffold_of(smiles[i]) for i in a.test}
    assert not set(a.train) & set(a.test)


def test_invalid_smiles_are_set_aside():
    split = scaffold_split(["c1ccccc1O", "C1CC(C", "CCO", "c1ccncc1"])
    assert split.invalid == [1]
    assert sorted(split.train + split.valid + split.test) == [0, 2, 3]


def test_calibration_folds_keep_scaffolds_together_and_are_balanced():
    rows = _rows("bace")
    smiles = [r["smiles"] for r in rows]
    folds = scaffold_folds(smiles, 5)
    assert sorted(i for f in folds for i in f) == list(range(len(smiles)))
    owner = {}
    for k, fold in enumerate(folds):
        for i in fold:
            assert owner.setdefault(scaffold_of(smiles[i]), k) == k  # one fold per scaffold
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= max(len(g) for g in _groups(smiles))
    assert folds == scaffold_folds(smiles, 5)  # deterministic
    with pytest.raises(ValueError, match="at least 2"):
        scaffold_folds(smiles, 1)


def _groups(smiles: list[str]) -> list[list[int]]:
    groups: dict[str | None, list[int]] = {}
    for i, s in enumerate(smiles):
        groups.setdefault(scaffold_of(s), []).append(i)
    return list(groups.values())
