"""A trained regression endpoint (solubility, hydration free energy, logD): LightGBM on the
feature blocks chosen on validation, a conformal prediction interval per applicability-domain
band, and the training set for the domain check.

A bare number from a regressor says nothing about how far off it may be. The interval here is
conformal: its width per band (close, moderate, distant to the training data, because errors
grow away from it) is a quantile of residuals on molecules the trees had not seen, cross-fitted
over scaffold folds of the training data, scaled so that the validation split, the held-out
scaffolds, is covered at the nominal share. The test split checks it; the card keeps both.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from tools.chem.mol import ChemLimits, parse_smiles
from tools.predict.domain import Band, Neighbourhood, TrainingSet
from tools.predict.features import BlockTable
from tools.predict.model import (
    CARD,
    ModelNotFound,
    find_model,
    load_training_set,
    read_booster,
    save_training_set,
    write_booster,
    write_model_dir,
)

if TYPE_CHECKING:
    import lightgbm

log = logging.getLogger(__name__)

BOOSTER = "value.txt.gz"


class IntervalBand(BaseModel):
    """The conformal half-width for molecules of one domain band ('all': every band pooled)."""

    model_config = ConfigDict(extra="forbid")

    band: Literal["close", "moderate", "distant", "all"]
    n_calibration: int = Field(description="Cross-fitted residuals the quantile was taken over.")
    scale: float = Field(description="That quantile: the band's width before validation scaling.")
    half_width: float
    pooled: bool = Field(
        False, description="Too few residuals in this band: the pooled half-width is used."
    )


class RegressionCard(BaseModel):
    """What was trained, on what, its held-out errors and interval coverage: what answers quote."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["regression"] = "regression"
    endpoint: str
    title: str
    quantity: str
    symbol: str
    units: str
    features: list[str]
    descriptors: list[str] = Field(description="RDKit descriptor names of the 'desc' block.")
    params: dict[str, Any]
    rounds: int
    seed: int
    dataset_sha256: str
    split: str = "deterministic Bemis-Murcko scaffold split 80/10/10 (OGB)"
    trained_on: Literal["train"] = "train"
    n_train: int
    coverage: float = Field(description="Nominal share of molecules inside the interval.")
    intervals: list[IntervalBand]
    interval_factor: float = Field(
        description="Conformal factor from the validation residuals over their band's scale."
    )
    n_valid: int
    interval_method: str = (
        "normalised split-conformal: per applicability-domain band, the quantile of cross-fitted "
        "residuals (5 scaffold folds of the training split), times the factor that covers the "
        "nominal share of the validation split"
    )
    test_rmse: float
    test_mae: float
    valid_rmse: float
    valid_mae: float
    valid_coverage: float = Field(description="Share of validation molecules inside the interval.")
    test_coverage: float
    rdkit_version: str
    lightgbm_version: str

    def half_width(self, band: Band) -> float:
        for b in self.intervals:
            if b.band == band:
                return b.half_width
        return next(b.half_width for b in self.intervals if b.band == "all")


class RegressionPrediction(BaseModel):
    """A molecule's predicted value, its interval, the model's test error and the domain check."""

    model_config = ConfigDict(extra="forbid")

    smiles: str
    endpoint: str
    title: str
    quantity: str
    symbol: str
    units: str
    value: float
    low: float
    high: float
    coverage: float
    test_rmse: float
    test_mae: float
    domain: Neighbourhood | None = None


class RegressionModel:
    """Predicts one measured quantity for molecules."""

    def __init__(
        self, card: RegressionCard, booster: lightgbm.Booster, training: TrainingSet
    ) -> None:
        self.card = card
        self.booster = booster
        self.training = training

    def featurize(self, mols: Sequence[Chem.Mol]) -> BlockTable:
        return BlockTable.from_mols(mols, self.card.features, self.card.descriptors)

    def values(self, table: BlockTable) -> np.ndarray:
        if not len(table):
            return np.zeros(0)
        return np.asarray(self.booster.predict(table.columns(self.card.features)), dtype=float)

    def predict_mols(
        self, mols: Sequence[Chem.Mol], domain: bool = True
    ) -> list[RegressionPrediction]:
        """Values with intervals; without the domain check the interval is the pooled one."""
        c = self.card
        out = []
        for mol, value in zip(mols, self.values(self.featurize(mols)), strict=True):
            hood = self.training.neighbourhood(mol) if domain else None
            half = c.half_width(hood.band) if hood is not None else c.half_width("all")  # type: ignore[arg-type]
            out.append(
                RegressionPrediction(
                    smiles=Chem.MolToSmiles(mol),
                    endpoint=c.endpoint,
                    title=c.title,
                    quantity=c.quantity,
                    symbol=c.symbol,
                    units=c.units,
                    value=round(float(value), 3),
                    low=round(float(value - half), 3),
                    high=round(float(value + half), 3),
                    coverage=c.coverage,
                    test_rmse=c.test_rmse,
                    test_mae=c.test_mae,
                    domain=hood,
                )
            )
        return out

    def predict(
        self, smiles: str, limits: ChemLimits | None = None, domain: bool = True
    ) -> RegressionPrediction:
        """One molecule; an invalid SMILES raises `InvalidSmiles` saying what is wrong."""
        return self.predict_mols([parse_smiles(smiles, limits)], domain)[0]

    def save(self, directory: Path) -> None:
        """Written atomically, like the classifiers: the old model or the new one, never half."""

        def write(tmp: Path) -> None:
            (tmp / CARD).write_text(self.card.model_dump_json(indent=2) + "\n", "utf-8")
            write_booster(tmp / BOOSTER, self.booster)
            save_training_set(tmp, self.training)

        write_model_dir(Path(directory), write)

    @classmethod
    def load(cls, directory: Path) -> RegressionModel:
        directory = Path(directory)
        if not (directory / CARD).is_file():
            raise ModelNotFound(f"no trained model in {directory}")
        card = RegressionCard.model_validate_json((directory / CARD).read_text("utf-8"))
        return cls(card, read_booster(directory / BOOSTER), load_training_set(directory))


@cache
def _load_cached(directory: str, mtime: float) -> RegressionModel:
    return RegressionModel.load(Path(directory))


def load_regression(name: str, user_dir: Path | None = None) -> RegressionModel:
    """The endpoint's model (loaded once per process), a retrained copy preferred."""
    return _load_cached(*find_model(name, user_dir))
