"""How the assistant talks to PubChem."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PUBCHEM_API_BASE = "https://pubchem.ncbi.nlm.nih.gov/rest"


class PubChemSettings(BaseModel):
    """PubChem access. The rate limits cannot be raised above PubChem's published policy."""

    model_config = ConfigDict(extra="forbid")

    api_base: str = Field(
        PUBCHEM_API_BASE,
        description="Root of PUG-REST (`<base>/pug`) and PUG-View (`<base>/pug_view`); point it "
        "at a mirror or the replay server.",
    )
    offline: bool = Field(
        False, description="Answer from the cache only; never open a connection to PubChem."
    )
    cache_ttl_days: float = Field(
        30.0,
        ge=0,
        description="How long a cached answer counts as fresh; 0 keeps answers forever. "
        "Stale answers are still used when PubChem cannot be reached.",
    )
    timeout_s: float = Field(
        15.0, gt=0, le=600, description="Limit for one HTTP request, the whole answer included."
    )
    max_response_mb: float = Field(
        20.0, gt=0, le=1000, description="Larger answers from PubChem are refused."
    )
    max_retries: int = Field(
        4, ge=0, le=10, description="Retries after HTTP 503/504, timeouts and dropped connections."
    )
    backoff_s: float = Field(
        0.5, gt=0, description="First retry delay; doubled each time, with full jitter."
    )
    backoff_max_s: float = Field(16.0, gt=0, description="Longest single retry delay.")
    max_per_second: float = Field(
        5.0, gt=0, le=5.0, description="Requests per second (PubChem allows at most 5)."
    )
    max_per_minute: int = Field(
        400, ge=1, le=400, description="Requests per minute (PubChem allows at most 400)."
    )
    workers: int = Field(4, ge=1, le=8, description="Parallel look-ups in a batch.")
