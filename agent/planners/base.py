"""The planner contract. The rule planner implements it today; an LLM planner drops in later."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agent.state import Evidence, MoleculeRef, Plan


class ToolSpec(BaseModel):
    """What a planner may know about a tool: enough to build a JSON schema for an LLM."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    parameters: dict[str, object] = Field(default_factory=dict)


class PlanContext(BaseModel):
    """Everything a planner sees when choosing the next step."""

    model_config = ConfigDict(extra="forbid")

    question: str
    images: list[str] = Field(default_factory=list)
    step: int = Field(0, description="How many plan -> act rounds have run for this question.")
    evidence: list[Evidence] = Field(default_factory=list)
    memory: list[MoleculeRef] = Field(
        default_factory=list, description="Molecules of the previous turn, for 'its' and 'their'."
    )
    earlier: list[list[MoleculeRef]] = Field(
        default_factory=list,
        description="The molecules of each earlier turn, newest first, for 'the second one'.",
    )
    tools: list[ToolSpec] = Field(default_factory=list)
    llm_failed: bool = Field(
        False, description="The LLM failed earlier in this question: plan without it."
    )
    model_calls_left: int = Field(
        8, description="Model calls this question may still make (agent.max_model_calls)."
    )
    previous_questions: list[str] = Field(
        default_factory=list,
        description="The thread's earlier questions, newest first, for follow-ups ('what about X?').",
    )


@runtime_checkable
class Planner(Protocol):
    """Returns the calls to make next, or a plan with `done=True`."""

    def plan(self, ctx: PlanContext) -> Plan: ...
