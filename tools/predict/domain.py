"""How far a molecule is from what a model was trained on: nearest training neighbours.

Similarity is Tanimoto on 2048-bit Morgan (ECFP4) fingerprints, the usual yardstick in
applicability-domain work; the bands are checked against test ROC-AUC in the predictor report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

Band = Literal["close", "moderate", "distant"]
CLOSE, MODERATE = 0.5, 0.3
BITS = 2048


class Neighbourhood(BaseModel):
    """The nearest training molecules of one query."""

    model_config = ConfigDict(extra="forbid")

    nearest_similarity: float
    mean_top5_similarity: float
    nearest_smiles: str
    band: Band

    def describe(self, output: str = "probability") -> str:
        """The band in words; `output` names what the model gives ("probability", "value")."""
        what = {
            "close": "close analogues are in the training data",
            "moderate": "only moderately similar molecules are in the training data; "
            f"treat the {output} as indicative",
            "distant": "outside the model's applicability domain: nothing similar is in the "
            f"training data, so the {output} is unreliable",
        }[self.band]
        return (
            f"nearest training molecule Tanimoto {self.nearest_similarity:.2f} "
            f"(mean of 5 nearest {self.mean_top5_similarity:.2f}); {what}"
        )


def band(similarity: float) -> Band:
    return "close" if similarity >= CLOSE else "moderate" if similarity >= MODERATE else "distant"


def _generator() -> rdFingerprintGenerator.FingerprintGenerator64:
    return rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=BITS)


def fingerprint(mol: Chem.Mol) -> DataStructs.ExplicitBitVect:
    return _generator().GetFingerprint(mol)


class TrainingSet:
    """The training molecules of one model, as packed fingerprints (saved with the model)."""

    def __init__(self, smiles: Sequence[str], packed: np.ndarray) -> None:
        self.smiles = list(smiles)
        self.packed = packed
        self._fps: list[DataStructs.ExplicitBitVect] | None = None

    @classmethod
    def from_smiles(cls, smiles: Sequence[str]) -> TrainingSet:
        gen = _generator()
        rows = [gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles]
        packed = np.packbits(np.asarray(rows, dtype=np.uint8), axis=1)
        return cls(smiles, packed)

    def fingerprints(self) -> list[DataStructs.ExplicitBitVect]:
        if self._fps is None:
            fps = []
            for row in self.packed:
                fp = DataStructs.ExplicitBitVect(BITS)
                fp.SetBitsFromList(np.flatnonzero(np.unpackbits(row)).tolist())
                fps.append(fp)
            self._fps = fps
        return self._fps

    def neighbourhood(self, mol: Chem.Mol, k: int = 5) -> Neighbourhood:
        sims = np.asarray(DataStructs.BulkTanimotoSimilarity(fingerprint(mol), self.fingerprints()))
        top = np.argsort(-sims)[:k]
        best = float(sims[top[0]])
        return Neighbourhood(
            nearest_similarity=round(best, 3),
            mean_top5_similarity=round(float(sims[top].mean()), 3),
            nearest_smiles=self.smiles[int(top[0])],
            band=band(best),
        )
