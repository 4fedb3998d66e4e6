"""One settings object for the whole assistant.

Precedence, lowest first: field defaults < a TOML file < `CHEMAGENT_*` environment variables
(nested with `__`, e.g. `CHEMAGENT_AGENT__MAX_STEPS=3`) < values passed in code or CLI flags.
This module is the only place that reads the environment.
"""

from __future__ import annotations

import hashlib
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from models.settings import ModelSettings
from tools.chem.mol import ChemLimits
from tools.literature.settings import LiteratureSettings
from tools.names.settings import NameSettings
from tools.predict.settings import PredictSettings
from tools.pubchem.settings import PubChemSettings
from tools.vision.settings import VisionSettings

_toml_file: ContextVar[Path | None] = ContextVar("chemagent_toml_file", default=None)


def default_home() -> Path:
    """`CHEMAGENT_HOME`, else ~/.chemagent: where threads, images and caches live."""
    env = os.environ.get("CHEMAGENT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".chemagent"


def default_config_file() -> Path:
    """`CHEMAGENT_CONFIG`, else config.toml in the home folder (used only if it exists)."""
    env = os.environ.get("CHEMAGENT_CONFIG")
    return Path(env).expanduser() if env else default_home() / "config.toml"


class AgentSettings(BaseModel):
    """How the graph runs a question."""

    model_config = ConfigDict(extra="forbid")

    planner: Literal["auto", "llm", "rules"] = Field(
        "auto",
        description="Which planner proposes tool calls: llm (the hybrid: the rules' plan where "
        "they understand the whole question, the model's plan held to their analysis elsewhere; "
        "llm.url or llm.path must be set), rules, or auto (llm when a model is configured).",
    )
    writer: Literal["auto", "llm", "template"] = Field(
        "auto",
        description="Who writes the answer from the tool results: llm (every answer), template, "
        "or auto (the LLM for answers it helped plan, templates for questions the rules "
        "understood whole). An LLM answer is checked statement by statement against the "
        "results it cites and replaced by the template answer if it fails twice.",
    )
    plan_repairs: int = Field(
        1, ge=0, le=3, description="Retries of an invalid LLM plan, told the error."
    )
    max_steps: int = Field(6, ge=1, le=50, description="Most plan -> act rounds per question.")
    model_tools: bool = Field(
        True,
        description="With an LLM configured, offer its own knowledge as tools (ask_chemistry_model, "
        "predict_reaction, retrosynthesis, describe_molecule, design_molecule), every answer "
        "marked as not verified by a tool.",
    )
    model_samples: int = Field(
        3,
        ge=1,
        le=16,
        description="Replies drawn and voted on per structure a model tool proposes.",
    )
    max_model_calls: int = Field(
        8,
        ge=0,
        le=100,
        description="Most requests to the LLM per question (plans, repairs, the writer, model "
        "tools' samples); past it the rules and templates finish the question.",
    )
    time_budget_s: float = Field(
        120.0,
        gt=0,
        le=86400,
        description="Wall-clock budget for one question; then answer with what is known.",
    )
    planner_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of the time left that one planning step may use (an LLM planner "
        "that hangs leaves the rest to the tools the rules then choose).",
    )
    tool_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="Limit for one tool call, in seconds."
    )
    max_parallel_tools: int = Field(4, ge=1, le=64, description="Tool calls run at the same time.")
    thread_wait_s: float = Field(
        600.0,
        gt=0,
        le=86400,
        description="How long a question waits for an earlier question on the same thread "
        "(from any process) to finish; turns of one thread never interleave.",
    )


class ApiSettings(BaseModel):
    """`chemagent api`: the HTTP server (OpenAI-compatible and REST routes, the web chat, MCP)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(
        "127.0.0.1", description="Address to bind; any other than loopback needs a token."
    )
    port: int = Field(8000, ge=0, le=65535, description="Port to bind (0: any free port).")
    token: SecretStr | None = Field(
        None,
        description="Bearer token every route but /healthz and the web page's files requires "
        "(CHEMAGENT_API__TOKEN); required off loopback.",
    )
    workers: int = Field(4, ge=1, le=64, description="Questions answered at the same time.")
    queue: int = Field(
        32, ge=0, le=10_000, description="Questions that may wait for a worker; more get 429."
    )
    max_body_mb: float = Field(
        8.0, gt=0, le=512, description="Larger request bodies get 413 (images ride in bodies)."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call from a browser; none when empty."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (without port) the server answers to besides 127.0.0.1, localhost "
        "and [::1]; any other Host header gets 421, so a rebound DNS name cannot reach it.",
    )
    timeout_keep_alive_s: float = Field(
        5.0, gt=0, le=300, description="An idle keep-alive connection is closed after this long."
    )
    timeout_headers_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="A connection that has not sent a whole request head within this long is "
        "closed (slow or idle clients hold no socket for ever).",
    )
    timeout_body_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="A request whose body has not fully arrived this long after its head is "
        "closed (a client that trickles or stops sending its body holds no socket for ever).",
    )
    batch_concurrency: int = Field(
        2, ge=1, le=64, description="Questions of background batch jobs answered at the same time."
    )
    max_batch_items: int = Field(10_000, ge=1, le=1_000_000, description="Questions per batch job.")


class SafetySettings(BaseModel):
    """The chemical-weapons screen that runs before any planning."""

    model_config = ConfigDict(extra="forbid")

    list_file: Path | None = Field(
        None,
        description="CSV of scheduled chemicals (cas, source, smiles); the bundled "
        "CWC/Australia Group list when empty.",
    )


class _FlatModelEnv(PydanticBaseSettingsSource):
    """`CHEMAGENT_LLM_URL`-style names for the model sections (the documented short form);
    `CHEMAGENT_LLM__URL` works too and wins, being the regular nested form."""

    SECTIONS = ("llm", "vlm")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for section in self.SECTIONS:
            prefix = f"CHEMAGENT_{section.upper()}_"
            for key, value in os.environ.items():
                if key.startswith(prefix) and not key.startswith(prefix + "_"):
                    found.setdefault(section, {})[key[len(prefix) :].lower()] = value
        return found


class Settings(BaseSettings):
    """Everything configurable about the assistant."""

    model_config = SettingsConfigDict(
        env_prefix="CHEMAGENT_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(default_factory=default_home, description="Data folder (threads, images).")
    agent: AgentSettings = Field(default_factory=AgentSettings, description="Graph behaviour.")
    chem: ChemLimits = Field(default_factory=ChemLimits, description="Bounds on RDKit work.")
    safety: SafetySettings = Field(default_factory=SafetySettings, description="Safety screen.")
    pubchem: PubChemSettings = Field(
        default_factory=PubChemSettings, description="PubChem access, cache and rate limits."
    )
    names: NameSettings = Field(default_factory=NameSettings, description="Name resolution.")
    predict: PredictSettings = Field(
        default_factory=PredictSettings, description="Property-prediction models."
    )
    literature: LiteratureSettings = Field(
        default_factory=LiteratureSettings, description="Literature index and retrieval."
    )
    llm: ModelSettings = Field(
        default_factory=ModelSettings,
        description="The chemistry LLM (ChemDFM) that plans and writes answers.",
    )
    vlm: ModelSettings = Field(
        default_factory=ModelSettings,
        description="The vision-language model (ChemVLM) that reads images of structures.",
    )
    vision: VisionSettings = Field(
        default_factory=VisionSettings, description="Image -> structure recognition."
    )
    api: ApiSettings = Field(default_factory=ApiSettings, description="The HTTP server.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            _FlatModelEnv(settings_cls),
        ]
        toml = _toml_file.get()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    @property
    def checkpoint_db(self) -> Path:
        """SQLite file of the conversation threads."""
        return self.home / "threads.sqlite"

    def thread_lock(self, thread_id: str) -> Path:
        """Lock file that serialises the turns of one thread across processes."""
        digest = hashlib.sha256(thread_id.encode("utf-8")).hexdigest()[:32]
        return self.home / "locks" / f"thread-{digest}.lock"

    @property
    def server_db(self) -> Path:
        """SQLite file of the HTTP server's batch jobs and chat threads."""
        return self.home / "server.sqlite"

    @property
    def depiction_dir(self) -> Path:
        """Folder where drawn structures are written."""
        return self.home / "depictions"

    @property
    def pubchem_cache(self) -> Path:
        """SQLite file of PubChem answers (hits and not-found)."""
        return self.home / "pubchem.sqlite"

    @property
    def predictors_dir(self) -> Path:
        """Folder of retrained predictor models (preferred over the shipped ones)."""
        return self.predict.models_dir or self.home / "predictors"

    @property
    def literature_dir(self) -> Path:
        """Folder of the literature index (`chemagent index add`)."""
        return self.literature.index_dir or self.home / "literature"

    @property
    def names_cache(self) -> Path:
        """SQLite file of resolved names (OPSIN and PubChem answers)."""
        return self.home / "names.sqlite"


class ConfigFileError(ValueError):
    """The TOML settings file is missing or unreadable."""


def get_settings(
    settings: Settings | dict[str, Any] | None = None, *, config_file: Path | None = None
) -> Settings:
    """Normalise what a caller has into `Settings`.

    Args:
        settings: a ready `Settings` (returned as is), a dict of overrides (nested dicts for
            sections, highest precedence), or None for defaults + file + environment.
        config_file: TOML file to read; defaults to `default_config_file()` when that exists.
    """
    if isinstance(settings, Settings):
        return settings
    explicit = config_file is not None or "CHEMAGENT_CONFIG" in os.environ
    path = config_file or default_config_file()
    if explicit and not path.is_file():
        raise ConfigFileError(f"settings file {path} does not exist")
    token = _toml_file.set(path if path.is_file() else None)
    try:
        return Settings(**(settings or {}))
    except ValueError as exc:
        if path.is_file():
            raise ConfigFileError(
                f"invalid settings (file {path} or CHEMAGENT_* variables): {exc}"
            ) from exc
        raise
    finally:
        _toml_file.reset(token)
