"""Fingerprints and Tanimoto similarity."""

from __future__ import annotations

from typing import Literal

from rdkit import Chem, DataStructs

Fingerprint = Literal["morgan", "maccs"]


def fingerprint(
    mol: Chem.Mol, kind: Fingerprint = "morgan", radius: int = 2, n_bits: int = 2048
) -> DataStructs.ExplicitBitVect:
    """Morgan (ECFP-like, bit vector) or the 166 MACCS keys."""
    # imported here: both import numpy (0.05 s), which a question without similarity never needs
    from rdkit.Chem import MACCSkeys, rdFingerprintGenerator

    if kind == "maccs":
        return MACCSkeys.GenMACCSKeys(mol)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    return gen.GetFingerprint(mol)


def tanimoto(
    a: Chem.Mol, b: Chem.Mol, kind: Fingerprint = "morgan", radius: int = 2, n_bits: int = 2048
) -> float:
    """Tanimoto similarity of the two molecules' fingerprints."""
    return float(
        DataStructs.TanimotoSimilarity(
            fingerprint(a, kind, radius, n_bits), fingerprint(b, kind, radius, n_bits)
        )
    )


def bulk_tanimoto(
    query: Chem.Mol,
    targets: list[Chem.Mol],
    kind: Fingerprint = "morgan",
    radius: int = 2,
    n_bits: int = 2048,
) -> list[float]:
    """Tanimoto of `query` against each target, in order."""
    fq = fingerprint(query, kind, radius, n_bits)
    fps = [fingerprint(t, kind, radius, n_bits) for t in targets]
    return [float(x) for x in DataStructs.BulkTanimotoSimilarity(fq, fps)]
