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

FEATURE_BLOCKS = ("morgan", "fmorgan", "maccs", "desc")


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


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: dict[str, Endpoint]
    candidates: tuple[tuple[str, ...], ...]

    def get(self, name: str) -> Endpoint:
        key = name.strip().lower()
        if key not in self.endpoints:
            known = ", ".join(self.endpoints)
            raise KeyError(f"unknown endpoint {name!r}; known endpoints: {known}")
        return self.endpoints[key]


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
        unknown = set(endpoints[name].features) - set(FEATURE_BLOCKS)
        if unknown:
            raise ValueError(f"endpoint {name}: unknown feature blocks {sorted(unknown)}")
    return Catalogue(
        endpoints=endpoints, candidates=tuple(tuple(c) for c in defaults["candidates"])
    )
