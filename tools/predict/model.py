"""A trained endpoint: LightGBM boosters per task, their calibration, and the training set.

Saved as plain files (a JSON card, gzipped LightGBM text models, an `.npz` of fingerprints) so
that loading never unpickles anything and a model can be read by LightGBM alone.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from tools.chem.mol import ChemLimits, parse_smiles
from tools.predict.calibration import Platt
from tools.predict.domain import Neighbourhood, TrainingSet
from tools.predict.endpoints import Endpoint
from tools.predict.features import featurize_mols

if TYPE_CHECKING:
    import lightgbm

log = logging.getLogger(__name__)

CARD = "model.json"
DOMAIN = "training_set.npz"


class TaskCard(BaseModel):
    """One task's model: its calibration and how well it did on held-out scaffolds."""

    model_config = ConfigDict(extra="forbid")

    column: str
    label: str
    calibration: Platt
    n_train: int
    n_train_positive: int
    valid_roc_auc: float | None
    test_roc_auc: float | None


class ModelCard(BaseModel):
    """What was trained, on what, how, and its scores; the facts each answer quotes."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str
    title: str
    features: list[str]
    descriptors: list[str] = Field(description="RDKit descriptor names of the 'desc' block.")
    params: dict[str, Any]
    rounds: int
    seed: int
    dataset_sha256: str
    split: str = "deterministic Bemis-Murcko scaffold split 80/10/10 (OGB)"
    tasks: list[TaskCard]
    test_roc_auc: float = Field(description="Mean over tasks, test split.")
    valid_roc_auc: float
    rdkit_version: str
    lightgbm_version: str


class TaskPrediction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    label: str
    probability: float = Field(description="Calibrated probability that the label is positive.")
    test_roc_auc: float | None


class Prediction(BaseModel):
    """A molecule's calibrated probabilities and its distance from the training data."""

    model_config = ConfigDict(extra="forbid")

    smiles: str
    endpoint: str
    title: str
    tasks: list[TaskPrediction]
    test_roc_auc: float
    domain: Neighbourhood | None = None


class ModelNotFound(FileNotFoundError):
    """No trained model for an endpoint where it was looked for."""


class EndpointModel:
    """Predicts one endpoint's tasks for molecules."""

    def __init__(
        self, card: ModelCard, boosters: list[lightgbm.Booster], training: TrainingSet
    ) -> None:
        if len(boosters) != len(card.tasks):
            raise ValueError("one booster per task is needed")
        self.card = card
        self.boosters = boosters
        self.training = training

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        """Uncalibrated probabilities, one column per task."""
        if len(X) == 0:
            return np.zeros((0, len(self.boosters)))
        return np.column_stack([b.predict(X) for b in self.boosters])

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        raw = self.raw_scores(X)
        return np.column_stack([t.calibration(raw[:, j]) for j, t in enumerate(self.card.tasks)])

    def featurize(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        return featurize_mols(mols, self.card.features, self.card.descriptors)

    def predict_mols(self, mols: Sequence[Chem.Mol], domain: bool = True) -> list[Prediction]:
        probs = self.probabilities(self.featurize(mols))
        out = []
        for mol, row in zip(mols, probs, strict=True):
            out.append(
                Prediction(
                    smiles=Chem.MolToSmiles(mol),
                    endpoint=self.card.endpoint,
                    title=self.card.title,
                    tasks=[
                        TaskPrediction(
                            column=t.column,
                            label=t.label,
                            probability=round(float(p), 4),
                            test_roc_auc=t.test_roc_auc,
                        )
                        for t, p in zip(self.card.tasks, row, strict=True)
                    ],
                    test_roc_auc=self.card.test_roc_auc,
                    domain=self.training.neighbourhood(mol) if domain else None,
                )
            )
        return out

    def predict(
        self, smiles: str, limits: ChemLimits | None = None, domain: bool = True
    ) -> Prediction:
        """One molecule; an invalid SMILES raises `InvalidSmiles` saying what is wrong."""
        return self.predict_mols([parse_smiles(smiles, limits)], domain)[0]

    def save(self, directory: Path) -> None:
        """Write the model atomically: a reader sees the old model or the new one, never half."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        try:
            (tmp / CARD).write_text(self.card.model_dump_json(indent=2) + "\n", "utf-8")
            for task, booster in zip(self.card.tasks, self.boosters, strict=True):
                text = booster.model_to_string().encode()
                # mtime=0: the same model gives the same bytes, so retraining shows no diff
                with gzip.GzipFile(_task_file(tmp, task.column), "wb", mtime=0) as fh:
                    fh.write(text)
            np.savez_compressed(
                tmp / DOMAIN, smiles=np.array(self.training.smiles), packed=self.training.packed
            )
            old = directory.with_name(f".{directory.name}.old")
            if directory.exists():
                os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: Path) -> EndpointModel:
        import lightgbm

        directory = Path(directory)
        if not (directory / CARD).is_file():
            raise ModelNotFound(f"no trained model in {directory}")
        card = ModelCard.model_validate_json((directory / CARD).read_text("utf-8"))
        boosters = []
        for task in card.tasks:
            with gzip.open(_task_file(directory, task.column), "rt", encoding="utf-8") as fh:
                boosters.append(lightgbm.Booster(model_str=fh.read()))
        with np.load(directory / DOMAIN, allow_pickle=False) as z:
            training = TrainingSet([str(s) for s in z["smiles"]], z["packed"])
        return cls(card, boosters, training)


def _task_file(directory: Path, column: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in column)
    return directory / f"task-{safe}.txt.gz"


def packaged_models() -> Path:
    """The models shipped inside the package."""
    return Path(str(resources.files("tools.predict") / "models"))


def model_dirs(endpoint: Endpoint | str, user_dir: Path | None) -> list[Path]:
    """Where a model is looked for: the user's retrained models first, then the shipped ones."""
    name = endpoint if isinstance(endpoint, str) else endpoint.name
    dirs = [user_dir / name] if user_dir is not None else []
    return [*dirs, packaged_models() / name]


@cache
def _load_cached(directory: str, mtime: float) -> EndpointModel:
    return EndpointModel.load(Path(directory))


def load_model(endpoint: Endpoint | str, user_dir: Path | None = None) -> EndpointModel:
    """The endpoint's model (loaded once per process), retrained copy preferred."""
    dirs = model_dirs(endpoint, user_dir)
    for d in dirs:
        card = d / CARD
        if card.is_file():
            log.debug("loading %s", d)
            return _load_cached(str(d), card.stat().st_mtime)
    raise ModelNotFound(
        f"no trained model for {dirs[-1].name!r} (looked in {', '.join(map(str, dirs))}); "
        "run `chemagent train predictors`"
    )
