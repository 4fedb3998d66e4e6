"""The question's deadline, as every node sees it: `started_at` + `agent.time_budget_s`."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

from agent.deps import Deps
from agent.state import AgentState
from models.deadline import deadline_at


def question_deadline(state: AgentState, deps: Deps) -> AbstractContextManager[None]:
    """Within the block every LLM, VLM, PubChem, OSRA, OPSIN and RDKit call ends by the
    question's deadline."""
    started = state.get("started_at") or time.time()
    return deadline_at(started + deps.settings.agent.time_budget_s)


def time_left(state: AgentState, deps: Deps) -> float:
    """Seconds of the question's budget still left (negative once it is spent)."""
    started = state.get("started_at") or time.time()
    return deps.settings.agent.time_budget_s - (time.time() - started)
