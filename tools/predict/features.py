"""Molecule featurisation for the tree models: fingerprint counts, MACCS keys, RDKit 2D and
MiniMol (its own module, `tools.predict.minimol`).

The descriptor block is defined by the names stored with a model, not by whatever the installed
RDKit offers, so a newer RDKit that adds descriptors does not shift the columns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, MACCSkeys, rdFingerprintGenerator

from tools.predict.minimol import MINIMOL_WIDTH, minimol_rows

log = logging.getLogger(__name__)

CLIP = 1e6  # a few descriptors (Ipc) overflow float32 on large molecules
CHUNK = 512


def descriptor_names() -> list[str]:
    """The installed RDKit's 2D descriptor names, in its order."""
    return [name for name, _ in Descriptors._descList]


@cache
def _descriptor_functions() -> dict[str, Any]:
    return dict(Descriptors._descList)


@cache
def _generators() -> dict[str, Any]:
    return {
        "morgan": rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048),
        "fmorgan": rdFingerprintGenerator.GetMorganGenerator(
            radius=2,
            fpSize=1024,
            atomInvariantsGenerator=rdFingerprintGenerator.GetMorganFeatureAtomInvGen(),
        ),
    }


def block_width(block: str, descriptors: Sequence[str]) -> int:
    return {
        "morgan": 2048,
        "fmorgan": 1024,
        "maccs": 167,
        "desc": len(descriptors),
        "minimol": MINIMOL_WIDTH,
    }[block]


def _descriptors(mol: Chem.Mol, names: Sequence[str]) -> np.ndarray:
    funcs = _descriptor_functions()
    out = np.empty(len(names), dtype=np.float64)
    for i, name in enumerate(names):
        try:
            out[i] = float(funcs[name](mol))
        except Exception:  # RDKit raises assorted errors on exotic valences; the cell becomes 0
            out[i] = math.nan
    return out


def featurize_mols(
    mols: Sequence[Chem.Mol], blocks: Sequence[str], descriptors: Sequence[str]
) -> np.ndarray:
    """One float32 row per molecule, the blocks side by side in the order given."""
    missing = set(descriptors) - set(_descriptor_functions()) if "desc" in blocks else set()
    if missing:
        raise ValueError(
            f"this RDKit lacks descriptors the model was trained with ({sorted(missing)[:5]}); "
            "retrain with `chemagent train predictors`"
        )
    gens = _generators()
    width = sum(block_width(b, descriptors) for b in blocks)
    X = np.zeros((len(mols), width), dtype=np.float64)
    pretrained = minimol_rows(mols) if "minimol" in blocks and len(mols) else None
    for row, mol in enumerate(mols):
        col = 0
        for b in blocks:
            w = block_width(b, descriptors)
            if b == "minimol":
                assert pretrained is not None
                X[row, col : col + w] = pretrained[row]
            elif b in gens:
                X[row, col : col + w] = gens[b].GetCountFingerprintAsNumPy(mol)
            elif b == "maccs":
                X[row, col : col + w] = np.frombuffer(
                    MACCSkeys.GenMACCSKeys(mol).ToBitString().encode(), dtype=np.uint8
                ) - ord("0")
            else:
                X[row, col : col + w] = _descriptors(mol, descriptors)
            col += w
    return np.nan_to_num(np.clip(X, -CLIP, CLIP)).astype(np.float32)


class BlockTable:
    """Several feature blocks of the same molecules side by side, sliced per model: the trees,
    the perceptron and a report each take their own blocks from one featurisation."""

    def __init__(self, X: np.ndarray, blocks: Sequence[str], descriptors: Sequence[str]) -> None:
        self.X = X
        self.blocks = list(blocks)
        self.descriptors = list(descriptors)
        self.offsets: dict[str, tuple[int, int]] = {}
        col = 0
        for b in self.blocks:
            w = block_width(b, self.descriptors)
            self.offsets[b] = (col, col + w)
            col += w
        if col != X.shape[1]:
            raise ValueError(f"{X.shape[1]} columns for blocks {'+'.join(blocks)} of width {col}")

    @classmethod
    def from_mols(
        cls, mols: Sequence[Chem.Mol], blocks: Sequence[str], descriptors: Sequence[str]
    ) -> BlockTable:
        return cls(featurize_mols(mols, blocks, descriptors), blocks, descriptors)

    def __len__(self) -> int:
        return len(self.X)

    def rows(self, index: np.ndarray) -> BlockTable:
        return BlockTable(self.X[index], self.blocks, self.descriptors)

    def columns(self, blocks: Sequence[str]) -> np.ndarray:
        if list(blocks) == self.blocks:
            return self.X
        return np.hstack([self.X[:, slice(*self.offsets[b])] for b in blocks])


def _featurize_chunk(args: tuple[list[str], tuple[str, ...], tuple[str, ...]]) -> np.ndarray:
    smiles, blocks, descriptors = args
    RDLogger.DisableLog("rdApp.*")
    return featurize_mols([Chem.MolFromSmiles(s) for s in smiles], blocks, descriptors)


def featurize_smiles(
    smiles: Sequence[str],
    blocks: Sequence[str],
    descriptors: Sequence[str],
    workers: int = 1,
) -> np.ndarray:
    """Featurise valid SMILES, in worker processes when there are many (descriptors cost ~5 ms
    a molecule, so 40k molecules take minutes on one core). MiniMol runs here, never in a
    worker: its OpenMP runtime deadlocks in a process forked from one that already ran
    LightGBM, and its ONNX session uses every core anyway."""
    if workers <= 1 or len(smiles) <= 2 * CHUNK:
        return featurize_mols([Chem.MolFromSmiles(s) for s in smiles], blocks, descriptors)
    rdkit_blocks = tuple(b for b in blocks if b != "minimol")
    jobs = [
        (list(smiles[i : i + CHUNK]), rdkit_blocks, tuple(descriptors))
        for i in range(0, len(smiles), CHUNK)
    ]
    with ProcessPoolExecutor(workers) as pool:
        X = np.vstack(list(pool.map(_featurize_chunk, jobs)))
    if "minimol" not in blocks:
        return X
    pretrained = minimol_rows([Chem.MolFromSmiles(s) for s in smiles])
    pretrained = np.nan_to_num(np.clip(pretrained, -CLIP, CLIP)).astype(np.float32)
    parts, col = [], 0
    for b in blocks:
        if b == "minimol":
            parts.append(pretrained)
        else:
            w = block_width(b, descriptors)
            parts.append(X[:, col : col + w])
            col += w
    return np.hstack(parts)
