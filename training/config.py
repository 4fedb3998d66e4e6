"""Recipe configs: one YAML file per run, validated by pydantic before any weight is loaded.

Paths in a config may use `{shared}` (the shared public data beside the checkout, or
`$CHEMAGENT_SHARED_DATA`), `{config_dir}` and environment variables; a relative path is relative
to the working directory, as with `torchrun` and `accelerate launch`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Recipe = Literal["pretrain", "sft", "align"]
Precision = Literal["auto", "bf16", "fp32"]


# The linear layers of a LLaMA block: where LoRA adapters go by default.
LLAMA_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class ConfigError(ValueError):
    """A config that cannot run; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSpec(_Strict):
    """Where the starting weights come from. `tiny` builds the project's tiny model into the
    output folder (nothing can be downloaded on a test machine); otherwise `path` is a local
    Hugging Face checkpoint folder (or a hub id on a machine that can download)."""

    path: str | None = None
    tiny: Literal["llama", "vlm"] | None = None
    tiny_size: dict[str, Any] = Field(default_factory=dict)
    gradient_checkpointing: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> ModelSpec:
        if (self.path is None) == (self.tiny is None):
            raise ValueError("give exactly one of model.path and model.tiny")
        return self


class Source(_Strict):
    """A corpus file or folder. Text fields of JSONL/CSV/TSV rows are joined by a newline into
    one document; a .txt file is one document; a folder is every .txt/.jsonl file in it."""

    path: str
    fields: list[str] = Field(default_factory=lambda: ["text"])
    limit: int | None = Field(None, ge=1, description="At most this many documents.")


class LoRASpec(_Strict):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | str = Field(default_factory=lambda: list(LLAMA_LINEAR))
    merge: bool = Field(True, description="Merge the adapters into the exported checkpoint.")


class TrainSpec(_Strict):
    seed: int = 0
    max_steps: int = Field(ge=1, description="Optimizer steps (each = grad_accum micro-batches).")
    micro_batch_size: int = Field(ge=1)
    grad_accum: int = Field(1, ge=1)
    seq_len: int = Field(2048, ge=8)
    lr: float = Field(gt=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    warmup_steps: int = Field(0, ge=0)
    weight_decay: float = Field(0.0, ge=0)
    adam_betas: tuple[float, float] = (0.9, 0.95)
    max_grad_norm: float | None = Field(1.0, gt=0)
    precision: Precision = "auto"
    save_every: int = Field(100, ge=1)
    keep_checkpoints: int = Field(2, ge=1)
    log_every: int = Field(1, ge=1)
    device: str = "auto"


class PretrainData(_Strict):
    sources: list[Source] = Field(min_length=1)


class SFTData(_Strict):
    """Dialogue JSONL files ({"messages": [...]}); `general` is mixed in at `ratio` (chem:general)."""

    chemistry: list[str] = Field(min_length=1)
    general: list[str] = Field(default_factory=list)
    ratio: tuple[int, int] = (1, 2)
    format: Literal["chemdfm", "model"] = "chemdfm"


class AlignData(_Strict):
    """An image-SMILES manifest (training.data.images) turned into dialogues."""

    manifest: str
    max_tiles: int | None = Field(None, ge=1)


class StageSpec(_Strict):
    """Which parts of the ViT-MLP-LLM learn: the projector is always trained."""

    name: Literal["stage1", "stage2"]
    vision_lora: LoRASpec | None = None
    llm_lora: LoRASpec | None = None
    vision_targets: list[str] = Field(default_factory=lambda: ["qkv", "proj", "fc1", "fc2"])
    llm_targets: list[str] = Field(default_factory=lambda: list(LLAMA_LINEAR))


class RunConfig(_Strict):
    recipe: Recipe
    model: ModelSpec
    train: TrainSpec
    out: str | None = Field(None, description="Run folder; default runs/<config file name>.")
    pretrain: PretrainData | None = None
    sft: SFTData | None = None
    align: AlignData | None = None
    stage: StageSpec | None = None
    lora: LoRASpec | None = None
    launch: str | None = Field(None, description="How the real-size run is started (docs).")
    source_file: str | None = None

    @model_validator(mode="after")
    def _sections(self) -> RunConfig:
        if getattr(self, self.recipe) is None:
            raise ValueError(f"recipe {self.recipe!r} needs a `{self.recipe}:` data section")
        if self.recipe == "align" and self.stage is None:
            raise ValueError("recipe 'align' needs a `stage:` section (stage1 or stage2)")
        return self

    def out_dir(self) -> Path:
        if self.out:
            return self.resolve(self.out)
        name = Path(self.source_file).stem if self.source_file else self.recipe
        return self.resolve(f"runs/{name}")

    def resolve(self, path: str) -> Path:
        """A config path with `{shared}`, `{config_dir}`, `~` and env vars expanded."""
        cfg_dir = Path(self.source_file).parent if self.source_file else Path.cwd()
        text = path.replace("{shared}", str(shared_data())).replace("{config_dir}", str(cfg_dir))
        return Path(os.path.expandvars(text)).expanduser().resolve()


def shared_data() -> Path:
    """../shared/data beside the checkout unless `$CHEMAGENT_SHARED_DATA` says otherwise."""
    env = os.environ.get("CHEMAGENT_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def load_config(path: str | Path, **overrides: Any) -> RunConfig:
    """Read and validate a YAML config; `overrides` replace top-level keys (e.g. out=...)."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no config file at {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping (recipe:, model:, train:, ...)")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    raw["source_file"] = str(path.resolve())
    try:
        return RunConfig.model_validate(raw)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
