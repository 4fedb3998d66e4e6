"""The agent's `predict_property` tool: a calibrated probability, the model's test ROC-AUC and
how close the molecule is to the training data, so an answer never overstates a prediction."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.base import Tool, ToolError, ToolResult, tool
from tools.chem.mol import ChemLimits
from tools.predict.endpoints import catalogue
from tools.predict.model import ModelCard, ModelNotFound, Prediction, load_model


class PredictArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smiles: str = Field(description="The molecule as SMILES.")
    endpoint: str = Field(
        description="bace (BACE-1 inhibition), bbbp (blood-brain barrier penetration), "
        "clintox (clinical-trial toxicity, FDA approval), hiv (HIV replication inhibition) or "
        "tox21 (12 Tox21 toxicity assays).",
        # The choices also go into the JSON schema, so an LLM planner can only pick a real one.
        json_schema_extra={"enum": ["bace", "bbbp", "clintox", "hiv", "tox21"]},
    )

    @field_validator("endpoint")
    @classmethod
    def _known(cls, v: str) -> str:
        try:
            return catalogue().get(v).name
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None


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
        "probabilities calibrated on the validation split"
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


def predict_tools(
    models_dir: Path | None, limits: ChemLimits | None = None, domain: bool = True
) -> list[Tool]:
    """`predict_property` over the shipped models, or retrained ones under `models_dir`."""

    @tool("predict_property", PredictArgs)
    def predict_property(a: PredictArgs) -> ToolResult:
        """Predict a molecule's BACE-1 inhibition, blood-brain barrier penetration, clinical
        toxicity / FDA approval, HIV activity or Tox21 assay outcomes: a calibrated probability,
        the model's test ROC-AUC and the similarity to its training molecules."""
        try:
            model = load_model(a.endpoint, models_dir)
        except ModelNotFound as exc:
            raise ToolError(str(exc)) from None
        except (OSError, ValueError) as exc:
            raise ToolError(
                f"the {a.endpoint} model could not be read ({exc}); "
                "retrain it with `chemagent train predictors`"
            ) from None
        try:
            p = model.predict(a.smiles, limits, domain=domain)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        return prediction_result(p, model.card)

    return [predict_property]
