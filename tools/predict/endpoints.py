"""The prediction endpoints and their recipes, read from `data/endpoints.toml`.

Adding an endpoint (another MoleculeNet-style CSV) is a data change: its CSV, label columns,
the meaning of a positive label, and the features chosen on its validation split.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools.predict.kernel import SVMSpec
from tools.predict.mlp import MLPSpec

FEATURE_BLOCKS = ("morgan", "fmorgan", "maccs", "desc", "minimol")


class Task(BaseModel):
    """One binary label column; `label` says what a positive means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    label: str


class PaperScores(BaseModel):
    """The ChemDFM paper's figures for this column (test ROC-AUC x100, scaffold split)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chemdfm_13b: float
    best: float
    best_model: str


class Endpoint(BaseModel):
    """A dataset, its tasks and the recipe trained on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    dataset: str = Field(description="CSV file name under the MoleculeNet folder.")
    smiles_column: str
    tasks: tuple[Task, ...]
    features: tuple[str, ...]
    params: dict[str, Any]
    rounds: int = Field(ge=1)
    mlp: MLPSpec | None = Field(None, description="Average a multitask perceptron in.")
    svm: SVMSpec | None = Field(None, description="Average a Tanimoto-kernel SVM in.")
    refit: bool = Field(
        False,
        description="After calibrating on the validation split, fit the members again on "
        "training + validation molecules (same settings) and ship that model.",
    )
    paper: PaperScores


class Published(BaseModel):
    """A published test RMSE on a scaffold split, with where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    rmse: float
    protocol: str
    source: str


class RegressionEndpoint(BaseModel):
    """A measured quantity, its units and the recipe trained on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    dataset: str = Field(description="CSV file name under the MoleculeNet regression folder.")
    smiles_column: str
    column: str = Field(description="The measured value's column.")
    quantity: str = Field(description="What the value is, in words (for answers).")
    symbol: str
    units: str
    features: tuple[str, ...]
    params: dict[str, Any]
    rounds: int = Field(ge=1)
    refit: bool = False
    coverage: float = Field(0.9, gt=0.5, lt=1.0, description="Nominal share inside intervals.")
    published: tuple[Published, ...] = ()

    @property
    def tasks(self) -> tuple[Task, ...]:
        """The value column as the one task, so the classifiers' CSV reader serves both."""
        return (Task(column=self.column, label=self.quantity),)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: dict[str, Endpoint]
    candidates: tuple[tuple[str, ...], ...]
    regression: dict[str, RegressionEndpoint] = {}
    regression_candidates: tuple[tuple[str, ...], ...] = ()

    def get(self, name: str) -> Endpoint:
        key = name.strip().lower()
        if key not in self.endpoints:
            raise KeyError(f"unknown classification endpoint {name!r}; known: {self._known()}")
        return self.endpoints[key]

    def get_regression(self, name: str) -> RegressionEndpoint:
        key = name.strip().lower()
        if key not in self.regression:
            raise KeyError(f"unknown regression endpoint {name!r}; known: {self._known()}")
        return self.regression[key]

    def find(self, name: str) -> Endpoint | RegressionEndpoint:
        """Any endpoint by name; a KeyError lists every known one."""
        key = name.strip().lower()
        found = self.endpoints.get(key) or self.regression.get(key)
        if found is None:
            raise KeyError(f"unknown endpoint {name!r}; known endpoints: {self._known()}")
        return found

    @property
    def names(self) -> list[str]:
        return [*self.endpoints, *self.regression]

    def _known(self) -> str:
        return ", ".join(self.names)


@cache
def catalogue() -> Catalogue:
    """The bundled endpoint table."""
    raw = tomllib.loads(
        (resources.files("tools.predict") / "data" / "endpoints.toml").read_text("utf-8")
    )
    defaults = raw["defaults"]
    endpoints = {}
    for name, item in raw["endpoint"].items():
        merged = {
            "params": defaults["params"],
            "rounds": defaults["rounds"],
            "refit": defaults.get("refit", False),
            **item,
            "name": name,
        }
        endpoints[name] = Endpoint.model_validate(merged)
        _check_blocks(name, endpoints[name].features)
    regression = {}
    reg_defaults = raw.get("regression_defaults", {})
    for name, item in raw.get("regression", {}).items():
        merged = {
            "rounds": reg_defaults.get("rounds", defaults["rounds"]),
            **item,
            # an endpoint's params change the defaults' rather than replace them
            "params": {**reg_defaults.get("params", defaults["params"]), **item.get("params", {})},
            "name": name,
        }
        regression[name] = RegressionEndpoint.model_validate(merged)
        _check_blocks(name, regression[name].features)
    return Catalogue(
        endpoints=endpoints,
        candidates=tuple(tuple(c) for c in defaults["candidates"]),
        regression=regression,
        regression_candidates=tuple(tuple(c) for c in reg_defaults.get("candidates", ())),
    )


def _check_blocks(name: str, features: tuple[str, ...]) -> None:
    unknown = set(features) - set(FEATURE_BLOCKS)
    if unknown:
        raise ValueError(f"endpoint {name}: unknown feature blocks {sorted(unknown)}")
