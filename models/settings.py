"""Where the chemistry cores run. Part of `agent.settings.Settings` (sections `llm` and `vlm`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ModelSettings(BaseModel):
    """One chat model: a server to call, or a checkpoint to load in-process."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible server (vLLM, SGLang, Ollama...), e.g. "
        "http://127.0.0.1:8000/v1. Env: CHEMAGENT_LLM_URL / CHEMAGENT_VLM_URL.",
    )
    model: str | None = Field(
        None,
        description="Model name on that server; empty: the first one its /models lists. "
        "Env: CHEMAGENT_LLM_MODEL.",
    )
    path: Path | None = Field(
        None,
        description="A local Hugging Face checkpoint to run in-process with transformers "
        "(used when no url is set). Env: CHEMAGENT_LLM_PATH.",
    )
    preset: str | None = Field(
        None,
        description="Model preset (chemdfm-v1.5-8b, chemvlm-26b, tiny-test...): dialogue format "
        "and SMILES canonicalisation. Empty: chemdfm-v1.5-8b for llm, chemvlm-8b for vlm.",
    )
    api_key: str | None = Field(None, description="Bearer token, if the server wants one.")
    timeout_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Limit for one request, the whole answer included, in seconds (also cut "
        "to the question's time budget).",
    )
    connect_timeout_s: float = Field(
        5.0, gt=0, le=300, description="Limit for opening a connection."
    )
    max_response_mb: float = Field(
        10.0, gt=0, le=1000, description="Larger answers from the model server are refused."
    )
    retries: int = Field(2, ge=0, le=10, description="Retries on 5xx, 429 and dropped connections.")
    backoff_s: float = Field(0.5, ge=0, le=60, description="First retry delay; doubles each retry.")
    max_tokens: int = Field(512, ge=1, le=32768, description="Most tokens in one reply.")
    temperature: float = Field(0.0, ge=0, le=2, description="0 = greedy, reproducible.")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="In-process backend: where the model runs."
    )

    @property
    def configured(self) -> bool:
        """Whether a server or a checkpoint was given at all."""
        return bool(self.url or self.path)
