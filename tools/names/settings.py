"""How names become structures."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class NameSettings(BaseModel):
    """Name resolution: built-in table, offline name index and cache, then OPSIN, then PubChem."""

    model_config = ConfigDict(extra="forbid")

    opsin: bool = Field(True, description="Try OPSIN (offline, systematic names) before PubChem.")
    java: str = Field("java", description="The Java executable OPSIN runs on.")
    opsin_jar: Path | None = Field(None, description="OPSIN jar; the one in py2opsin when empty.")
    opsin_timeout_s: float = Field(60.0, gt=0, le=3600, description="Limit for one OPSIN run.")
    index_file: Path | None = Field(
        None,
        description="The offline name index (built on first use from the chemicals package, "
        "DrugCentral and the drug dictionary); default names-v1.sqlite in the user cache folder "
        "($XDG_CACHE_HOME/chemdfm-agent, else ~/.cache/chemdfm-agent), shared by every data folder.",
    )
    orthonym: bool = Field(
        True,
        description="Name structures offline with Orthonym (verified IUPAC names) before PubChem.",
    )
