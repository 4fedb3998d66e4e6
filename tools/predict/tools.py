"""The agent's `predict_property` tool: a calibrated probability (classifiers) or a value with
its conformal interval in the units asked for (regressors), the model's test score, and how
close the molecule is to the training data, so an answer never overstates a prediction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from tools.base import Tool, ToolError, ToolResult, tool
from tools.chem.mol import ChemLimits, parse_smiles
from tools.predict.endpoints import catalogue
from tools.predict.minimol import MissingExtra
from tools.predict.model import ModelCard, ModelNotFound, Prediction, load_model
from tools.predict.regression import RegressionCard, RegressionPrediction, load_regression
from tools.predict.units import UNITS, Converted, convert, significant

M = TypeVar("M")
ENDPOINTS = ["bace", "bbbp", "clintox", "hiv", "tox21", "esol", "freesolv", "lipo"]


class PredictArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smiles: str = Field(description="The molecule as SMILES.")
    endpoint: str = Field(
        description="bace (BACE-1 inhibition), bbbp (blood-brain barrier penetration), "
        "clintox (clinical-trial toxicity, FDA approval), hiv (HIV replication inhibition), "
        "tox21 (12 Tox21 toxicity assays), esol (aqueous solubility), freesolv (hydration free "
        "energy) or lipo (lipophilicity, logD at pH 7.4).",
        # The choices also go into the JSON schema, so an LLM planner can only pick a real one.
        json_schema_extra={"enum": list[JsonValue](ENDPOINTS)},
    )
    units: str | None = Field(
        None,
        description="Units for the answer: esol in mol/L, mmol/L, µmol/L, g/L, mg/mL, mg/L or "
        "µg/mL; freesolv in kcal/mol or kJ/mol. Default: the model's own units.",
        json_schema_extra={
            "enum": list[JsonValue](sorted({u for us in UNITS.values() for u in us}))
        },
    )

    @field_validator("endpoint")
    @classmethod
    def _known(cls, v: str) -> str:
        try:
            return catalogue().find(v).name
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None

    @model_validator(mode="after")
    def _units_apply(self) -> PredictArgs:
        if self.units is not None and self.units not in UNITS.get(self.endpoint, ()):
            allowed = ", ".join(UNITS.get(self.endpoint, ())) or "none besides its own"
            raise ValueError(
                f"{self.endpoint} predictions cannot be given in {self.units!r} (units: {allowed})"
            )
        return self


def describe_model(p: Prediction, card: ModelCard) -> str:
    kind = f"LightGBM on {'+'.join(card.features)}"
    if card.members:
        names = {"trees": kind, "mlp": "a multitask perceptron", "svm": "a Tanimoto-kernel SVM"}
        parts = [names[m.kind] for m in card.members]
        kind = "average of " + ", ".join(parts[:-1]) + " and " + parts[-1] + ","
    data = "training + validation" if card.trained_on == "train+valid" else "training"
    return (
        f"{kind} trained on the {data} scaffolds of MoleculeNet {p.endpoint.upper()}; "
        f"test ROC-AUC {p.test_roc_auc:.2f} on held-out scaffolds (scaffold split), "
        "probabilities calibrated on cross-fitted scaffold folds of its training data"
    )


def prediction_result(p: Prediction, card: ModelCard) -> ToolResult:
    lines = [f"{p.title}: P({t.label}) = {t.probability:.2f}" for t in p.tasks]
    data: dict[str, object] = {
        "smiles": p.smiles,
        "endpoint": p.endpoint,
        "prediction": lines,
        "probabilities": {t.column: t.probability for t in p.tasks},
        "model_quality": describe_model(p, card),
        "test_roc_auc": p.test_roc_auc,
    }
    if p.domain is not None:
        data["applicability_domain"] = p.domain.describe()
        data["nearest_training_smiles"] = p.domain.nearest_smiles
        data["nearest_similarity"] = p.domain.nearest_similarity
        data["domain_band"] = p.domain.band
    head = "; ".join(lines[:3]) + (f"; and {len(lines) - 3} more assays" if len(lines) > 3 else "")
    summary = f"{head} (model test ROC-AUC {p.test_roc_auc:.2f}"
    summary += f"; {p.domain.band} to training data)" if p.domain else ")"
    return ToolResult(summary=summary, data=data)


def describe_regression(card: RegressionCard) -> str:
    return (
        f"LightGBM on {'+'.join(card.features)} trained on the {card.n_train} training-scaffold "
        f"molecules of MoleculeNet {card.endpoint.upper()}; on held-out scaffolds (scaffold "
        f"split) test RMSE {card.test_rmse:.2f} {card.units}, MAE {card.test_mae:.2f}; "
        f"its {card.coverage:.0%} intervals covered {card.test_coverage:.0%} of the test molecules"
    )


def _span(c: Converted | RegressionPrediction, units: str, pct: str) -> str:
    digits = significant if isinstance(c, Converted) else (lambda x: f"{x:.2f}")
    return f"{digits(c.value)} {units} ({pct} interval {digits(c.low)} to {digits(c.high)})"


def regression_result(
    p: RegressionPrediction, card: RegressionCard, units: str | None, molecular_weight: float
) -> ToolResult:
    """The value in the model's units, then in the units asked for (and, for solubility, in
    mol/L and mg/mL, the units a bench chemist weighs out in)."""
    pct = f"{p.coverage:.0%}"
    lines = [f"{p.title}: {p.symbol} = {_span(p, p.units, pct)}"]
    wanted = [units] if units else []
    if p.endpoint == "esol":
        wanted += ["mol/L", "mg/mL"]
    converted: dict[str, dict[str, float]] = {}
    for u in dict.fromkeys(wanted):
        c = convert(p.endpoint, p.value, p.low, p.high, u, molecular_weight)
        converted[u] = {"value": c.value, "low": c.low, "high": c.high}
        mw = (
            f" (from MW {molecular_weight:.2f} g/mol)"
            if u in ("g/L", "mg/mL", "mg/L", "µg/mL")
            else ""
        )
        lines.append(f"= {_span(c, u, pct)}{mw}")
    data: dict[str, object] = {
        "smiles": p.smiles,
        "endpoint": p.endpoint,
        "prediction": lines,
        "value": p.value,
        "interval": [p.low, p.high],
        "units": p.units,
        "coverage": p.coverage,
        "converted": converted,
        "molecular_weight": round(molecular_weight, 2),
        "model_quality": describe_regression(card),
        "test_rmse": p.test_rmse,
        "test_mae": p.test_mae,
    }
    if p.domain is not None:
        data["applicability_domain"] = p.domain.describe("value")
        data["nearest_training_smiles"] = p.domain.nearest_smiles
        data["nearest_similarity"] = p.domain.nearest_similarity
        data["domain_band"] = p.domain.band
    shown = lines[1] if units else lines[0]
    summary = f"{shown.removeprefix('= ')} (model test RMSE {p.test_rmse:.2f} {p.units}"
    summary += f"; {p.domain.band} to training data)" if p.domain else ")"
    return ToolResult(summary=summary, data=data)


def predict_tools(
    models_dir: Path | None, limits: ChemLimits | None = None, domain: bool = True
) -> list[Tool]:
    """`predict_property` over the shipped models, or retrained ones under `models_dir`."""

    def _load(loader: Callable[[str, Path | None], M], endpoint: str) -> M:
        """The endpoint's model; a missing or unreadable one is a ToolError saying what to do."""
        try:
            return loader(endpoint, models_dir)
        except ModelNotFound as exc:
            raise ToolError(str(exc)) from None
        except (OSError, ValueError) as exc:
            raise ToolError(
                f"the {endpoint} model could not be read ({exc}); "
                "retrain it with `chemagent train predictors`"
            ) from None

    @tool("predict_property", PredictArgs)
    def predict_property(a: PredictArgs) -> ToolResult:
        """Predict a molecule's BACE-1 inhibition, blood-brain barrier penetration, clinical
        toxicity / FDA approval, HIV activity or Tox21 assay outcomes (a calibrated probability
        and the model's test ROC-AUC), or its aqueous solubility, hydration free energy or logD
        (a value with its interval and the model's test RMSE), with the similarity to its
        training molecules."""
        if a.endpoint in catalogue().regression:
            return _regression(a)
        model = _load(load_model, a.endpoint)
        try:
            p = model.predict(a.smiles, limits, domain=domain)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        return prediction_result(p, model.card)

    def _regression(a: PredictArgs) -> ToolResult:
        model = _load(load_regression, a.endpoint)
        try:
            mol = parse_smiles(a.smiles, limits)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        try:
            p = model.predict_mols([mol], domain=domain)[0]
        except MissingExtra as exc:
            raise ToolError(str(exc)) from None
        from rdkit.Chem import Descriptors  # imports numpy: only when a prediction runs

        return regression_result(p, model.card, a.units, Descriptors.MolWt(mol))

    return [predict_property]
