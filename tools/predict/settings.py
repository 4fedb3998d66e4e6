"""Where retrained predictor models live and how predictions are bounded."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class PredictSettings(BaseModel):
    """Property predictors (`predict_property`)."""

    model_config = ConfigDict(extra="forbid")

    models_dir: Path | None = Field(
        None,
        description="Retrained models (`chemagent train predictors`); default <home>/predictors. "
        "Endpoints without a model there use the ones shipped in the package.",
    )
    applicability_domain: bool = Field(
        True, description="Report each prediction's nearest training molecules."
    )
