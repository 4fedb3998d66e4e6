"""Named model presets: the real ChemDFM/ChemVLM checkpoints and the tiny test model (data)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.formats import FormatName


class Preset(BaseModel):
    """How one checkpoint is prompted and served."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    checkpoint: str = Field(description="Hugging Face id or local path; empty: --model required.")
    architecture: Literal["llama", "internvl"]
    format: FormatName = Field(description="Dialogue format: chemdfm, or the model's own template.")
    context_length: int = Field(gt=0)
    canonicalize_smiles: bool = Field(description="Rewrite SMILES as RDKit canonical in prompts.")
    vision: bool = Field(description="Takes images as image_url content.")
    gpus: int = Field(ge=0, description="Tensor-parallel size the checkpoint is meant for.")
    min_gpu_memory_gb: int = Field(ge=0)
    vllm_args: list[str] = Field(default_factory=list)


class UnknownPreset(ValueError):
    """A preset name that is not in models/data/presets.toml."""


@cache
def presets() -> dict[str, Preset]:
    """Every preset, by name, in file order."""
    text = resources.files("models").joinpath("data/presets.toml").read_text(encoding="utf-8")
    return {name: Preset(name=name, **body) for name, body in tomllib.loads(text).items()}


def get_preset(name: str) -> Preset:
    """The preset called `name`, or an error listing the known ones."""
    try:
        return presets()[name]
    except KeyError:
        raise UnknownPreset(
            f"unknown model preset {name!r}; known presets: {', '.join(presets())}"
        ) from None
