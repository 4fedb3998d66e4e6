"""Settings of image recognition (section `vision`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VisionSettings(BaseModel):
    """How images of structures are read."""

    model_config = ConfigDict(extra="forbid")

    osra: str = Field("osra", description="OSRA executable (Debian/Ubuntu: apt-get install osra).")
    timeout_s: float = Field(60.0, gt=0, le=3600, description="Limit for one OSRA run, in seconds.")
    max_image_mb: float = Field(20.0, gt=0, le=500, description="Larger image files are refused.")
    max_megapixels: float = Field(
        25.0,
        gt=0,
        le=400,
        description="Images with more pixels are refused before any reader decodes them (a "
        "small PNG can declare gigapixels: a decompression bomb).",
    )
