"""What a benchmark task is: examples with references, per-example scores, a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Output = Literal["smiles", "formula", "name", "yesno", "choice", "reactants", "text"]


class Example(BaseModel):
    """One item: the dialogue to send, what a tool would take, and the reference answer."""

    model_config = ConfigDict(extra="forbid")

    id: str
    messages: list[dict[str, str]] = Field(description="role/content turns, the last one user.")
    images: list[str] = Field(default_factory=list)
    input: str | None = Field(None, description="The molecule/reaction/name a tool works on.")
    reference: Any
    group: str | None = Field(None, description="Sub-task (e.g. clintox-FDA), for AUC per task.")


class Task(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def output(self) -> Output: ...

    def examples(self, data_dir: Path | None = None) -> list[Example]: ...

    def score(self, prediction: str, example: Example) -> dict[str, float]: ...

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]: ...


def shared_data() -> Path:
    """The shared public data beside a source checkout (../shared/data); `--data` overrides.
    Evaluation-only sets are read from there at run time, never copied into the repo."""
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def mean_scores(
    records: list[dict[str, Any]], over_present: tuple[str, ...] = ()
) -> dict[str, float]:
    """The mean of every per-example metric. Failed predictions count as 0, except for the
    keys in `over_present`, averaged only where they were computed (e.g. similarity of valid
    molecules) or dropped when none was."""
    keys = sorted({k for r in records for k in r.get("scores", {})})
    out = {}
    for k in keys:
        if k in over_present:
            vals = [r["scores"][k] for r in records if k in r.get("scores", {})]
            if vals:
                out[k] = float(np.mean(vals))
        else:
            out[k] = float(np.mean([r.get("scores", {}).get(k, 0.0) for r in records]))
    return out
