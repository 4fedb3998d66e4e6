"""The graph's state and the records that travel through it.

State values are plain JSON-able dicts and lists (models are dumped), so the SQLite checkpointer
stores them without custom serialisers and a thread can be read back by any version.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolCall(_Model):
    """One call the planner wants made."""

    id: str = Field(description="Unique within the question, e.g. c3.")
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    label: str | None = Field(
        None, description="The molecule this call is about, as the user named it."
    )
    focus: list[str] = Field(default_factory=list, description="Result fields the user asked for.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical SMILES -> user's name, for multi-molecule tools.",
    )

    def key(self) -> tuple[str, str]:
        """Identity of the work, so the same call is never made twice."""
        return self.tool, json.dumps(self.args, sort_keys=True)


class Evidence(_Model):
    """What one tool call produced (or why it failed)."""

    id: str
    call: ToolCall
    ok: bool
    summary: str
    data: dict[str, Any] = Field(default_factory=dict)
    files: list[str] = Field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    timed_out: bool = Field(False, description="Stopped by its time limit or the budget.")


class MoleculeRef(_Model):
    """A molecule the conversation is about."""

    smiles: str
    name: str | None = None
    source: str | None = Field(None, description="Where the structure came from.")


class Plan(_Model):
    """A planner's decision: calls to make now, or done."""

    calls: list[ToolCall] = Field(default_factory=list)
    done: bool = False
    subjects: list[MoleculeRef] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    unavailable: list[str] = Field(
        default_factory=list,
        description="What was asked that no tool provides, each with what can be done instead.",
    )
    comparisons: list[dict[str, Any]] = Field(
        default_factory=list, description="Verdicts to state (field, direction, wording)."
    )
    llm_failed: bool = Field(False, description="The LLM failed; later steps use the rules.")
    usage: dict[str, int] = Field(
        default_factory=dict,
        description="Counts for this step (model calls, repairs, fallbacks...); summed per question.",
    )


def add_usage(old: dict[str, int] | None, new: dict[str, int]) -> dict[str, int]:
    """Per-question counters summed key by key."""
    out = dict(old or {})
    for k, v in new.items():
        out[k] = out.get(k, 0) + v
    return out


def tool_model_calls(evidence: list[dict[str, Any]]) -> int:
    """Requests the model tools made (each result records how many samples it drew)."""
    return sum(int(e.get("data", {}).get("model_calls", 0)) for e in evidence)


class AgentState(TypedDict, total=False):
    """Per-thread state. Per-question keys are reset by `screen`; `memory`, `history` and
    `agents` persist."""

    question: str
    images: list[str]
    started_at: float
    step: int
    pending: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    subjects: list[dict[str, Any]]
    warnings: list[str]
    unavailable: list[str]
    comparisons: list[dict[str, Any]]
    refusal: str | None
    stop_reason: str | None
    llm_failed: bool
    usage: dict[str, int]  # per question: model calls, plans by rules/model, repairs, writer...
    answer: dict[str, Any] | None
    memory: list[dict[str, Any]]
    turns: list[list[dict[str, Any]]]  # the molecules of each recent turn, oldest first
    history: list[dict[str, str]]
    agents: list[str]  # Schedule 1 agents named in recent turns (the safety screen's memory)
