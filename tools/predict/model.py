"""A trained endpoint: LightGBM boosters per task, optionally averaged with a multitask
perceptron and a Tanimoto-kernel SVM, their calibration, and the training set.

Saved as plain files (a JSON card, gzipped LightGBM text models, `.npz` arrays for the
perceptron, the kernel machine and the training fingerprints) so that loading never unpickles
anything and predicting never imports torch.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from tools.chem.mol import ChemLimits, parse_smiles
from tools.predict.calibration import Platt
from tools.predict.domain import Neighbourhood, TrainingSet
from tools.predict.endpoints import Endpoint
from tools.predict.features import BlockTable
from tools.predict.kernel import KernelMachine, SVMSpec, kernel_bits
from tools.predict.mlp import MLP_BLOCKS, MLPSpec, Perceptron

if TYPE_CHECKING:
    import lightgbm

log = logging.getLogger(__name__)

CARD = "model.json"
DOMAIN = "training_set.npz"
MLP_FILE = "mlp.npz"
SVM_FILE = "svm.npz"
MemberKind = Literal["trees", "mlp", "svm"]


class MemberCard(BaseModel):
    """One model of an ensemble: its per-task map from score to probability (Platt, fitted on
    cross-fitted scaffold folds) and how it scored alone."""

    model_config = ConfigDict(extra="forbid")

    kind: MemberKind
    calibration: list[Platt]
    valid_roc_auc: float
    test_roc_auc: float | None = None


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
    trained_on: Literal["train", "train+valid"] = Field(
        "train",
        description="train+valid: refitted on both after the validation split chose the recipe.",
    )
    mlp: MLPSpec | None = None
    svm: SVMSpec | None = None
    members: list[MemberCard] = Field(
        default_factory=list,
        description="Empty for trees alone; otherwise the models whose calibrated "
        "probabilities are averaged.",
    )
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


@dataclass(frozen=True)
class Inputs:
    """What every member of a model needs for a batch of molecules."""

    table: BlockTable
    bits: list[np.ndarray] | None = None

    def rows(self, index: np.ndarray) -> Inputs:
        return Inputs(
            self.table.rows(index), None if self.bits is None else [b[index] for b in self.bits]
        )


def input_blocks(features: Sequence[str], mlp: MLPSpec | None) -> list[str]:
    """The feature blocks a model reads: the trees' and, with a perceptron, all of its."""
    return list(dict.fromkeys([*features, *(MLP_BLOCKS if mlp is not None else ())]))


class ModelNotFound(FileNotFoundError):
    """No trained model for an endpoint where it was looked for."""


@dataclass(frozen=True)
class Fitted:
    """An endpoint's fitted models: one booster per task, and the perceptron and the kernel
    machine where the recipe has them. Training scores these before any card exists."""

    boosters: list[lightgbm.Booster]
    perceptron: Perceptron | None = None
    machine: KernelMachine | None = None

    def scores(self, features: Sequence[str], X: Inputs) -> dict[MemberKind, np.ndarray]:
        """Each member's own score in [0, 1], one column per task (the kernel machine's signed
        margin through a sigmoid, so Platt's logit gives the margin back)."""
        out: dict[MemberKind, np.ndarray] = {}
        trees = X.table.columns(features)
        out["trees"] = (
            np.column_stack([b.predict(trees) for b in self.boosters])
            if len(X.table)
            else np.zeros((0, len(self.boosters)))
        )
        if self.perceptron is not None:
            out["mlp"] = self.perceptron.forward(X.table.columns(MLP_BLOCKS))
        if self.machine is not None:
            if X.bits is None:
                raise ValueError("the kernel machine needs the molecules' fingerprints")
            out["svm"] = 1 / (1 + np.exp(-self.machine.decision(X.bits)))
        return out


class EndpointModel:
    """Predicts one endpoint's tasks for molecules."""

    def __init__(self, card: ModelCard, fitted: Fitted, training: TrainingSet) -> None:
        if len(fitted.boosters) != len(card.tasks):
            raise ValueError("one booster per task is needed")
        if (fitted.perceptron is None) != (card.mlp is None) or (fitted.machine is None) != (
            card.svm is None
        ):
            raise ValueError("the card and the members given disagree")
        self.card = card
        self.fitted = fitted
        self.training = training

    def featurize(self, mols: Sequence[Chem.Mol]) -> Inputs:
        c = self.card
        table = BlockTable.from_mols(mols, input_blocks(c.features, c.mlp), c.descriptors)
        bits = kernel_bits(mols, c.svm) if c.svm is not None else None
        return Inputs(table, bits)

    def member_scores(self, X: Inputs) -> dict[MemberKind, np.ndarray]:
        return self.fitted.scores(self.card.features, X)

    def raw_scores(self, X: Inputs) -> np.ndarray:
        """Uncalibrated scores, one column per task: the trees' probabilities, or the mean of
        the members' calibrated probabilities."""
        scores = self.member_scores(X)
        if not self.card.members:
            return scores["trees"]
        return combine(self.card.members, scores)

    def probabilities(self, X: Inputs) -> np.ndarray:
        raw = self.raw_scores(X)
        return np.column_stack([t.calibration(raw[:, j]) for j, t in enumerate(self.card.tasks)])

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

        def write(tmp: Path) -> None:
            (tmp / CARD).write_text(self.card.model_dump_json(indent=2) + "\n", "utf-8")
            for task, booster in zip(self.card.tasks, self.fitted.boosters, strict=True):
                write_booster(_task_file(tmp, task.column), booster)
            if self.fitted.perceptron is not None:
                np.savez_compressed(tmp / MLP_FILE, **self.fitted.perceptron.arrays())
            if self.fitted.machine is not None:
                np.savez_compressed(tmp / SVM_FILE, **self.fitted.machine.arrays())
            save_training_set(tmp, self.training)

        write_model_dir(Path(directory), write)

    @classmethod
    def load(cls, directory: Path) -> EndpointModel:
        directory = Path(directory)
        if not (directory / CARD).is_file():
            raise ModelNotFound(f"no trained model in {directory}")
        card = ModelCard.model_validate_json((directory / CARD).read_text("utf-8"))
        boosters = [read_booster(_task_file(directory, t.column)) for t in card.tasks]
        training = load_training_set(directory)
        perceptron = machine = None
        if card.mlp is not None:
            with np.load(directory / MLP_FILE, allow_pickle=False) as z:
                perceptron = Perceptron.from_arrays(z)
        if card.svm is not None:
            with np.load(directory / SVM_FILE, allow_pickle=False) as z:
                machine = KernelMachine.from_arrays(card.svm, z, len(card.tasks))
        return cls(card, Fitted(boosters, perceptron, machine), training)


def combine(members: Sequence[MemberCard], scores: dict[MemberKind, np.ndarray]) -> np.ndarray:
    """Mean over members of each member's Platt-calibrated probability, task by task."""
    total = np.zeros_like(scores[members[0].kind], dtype=np.float64)
    for m in members:
        S = scores[m.kind]
        total += np.column_stack([p(S[:, j]) for j, p in enumerate(m.calibration)])
    return total / len(members)


def write_model_dir(directory: Path, write: Callable[[Path], None]) -> None:
    """Write a model folder atomically: `write` fills a temporary sibling, which then replaces
    the folder, so a reader sees the old model or the new one, never half of either."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        write(tmp)
        old = directory.with_name(f".{directory.name}.old")
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_booster(path: Path, booster: lightgbm.Booster) -> None:
    # mtime=0: the same model gives the same bytes, so retraining shows no diff
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write(booster.model_to_string().encode())


def read_booster(path: Path) -> lightgbm.Booster:
    import lightgbm

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return lightgbm.Booster(model_str=fh.read())


def save_training_set(directory: Path, training: TrainingSet) -> None:
    np.savez_compressed(
        directory / DOMAIN, smiles=np.array(training.smiles), packed=training.packed
    )


def load_training_set(directory: Path) -> TrainingSet:
    with np.load(directory / DOMAIN, allow_pickle=False) as z:
        return TrainingSet([str(s) for s in z["smiles"]], z["packed"])


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


def find_model(endpoint: Endpoint | str, user_dir: Path | None = None) -> tuple[str, float]:
    """The folder holding the endpoint's model card, a retrained copy preferred, and the card's
    mtime (the key of the per-process caches, so a retrained model is picked up)."""
    dirs = model_dirs(endpoint, user_dir)
    for d in dirs:
        card = d / CARD
        if card.is_file():
            log.debug("loading %s", d)
            return str(d), card.stat().st_mtime
    raise ModelNotFound(
        f"no trained model for {dirs[-1].name!r} (looked in {', '.join(map(str, dirs))}); "
        "run `chemagent train predictors`"
    )


def load_model(endpoint: Endpoint | str, user_dir: Path | None = None) -> EndpointModel:
    """The endpoint's model (loaded once per process), retrained copy preferred."""
    return _load_cached(*find_model(endpoint, user_dir))
