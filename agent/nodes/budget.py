"""The question's deadline, as every node sees it: `started_at` + `agent.time_budget_s`, or an
earlier deadline its caller set (the server's one deadline for a whole HTTP request), whichever
comes first. Nodes measure what is left against both, so a question run under a tighter outer
deadline stops planning with its reason instead of raising from the first call that meets it."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

from agent.deps import Deps
from agent.state import AgentState
from models.deadline import deadline_at, remaining


def question_deadline(state: AgentState, deps: Deps) -> AbstractContextManager[None]:
    """Within the block every LLM, VLM, PubChem, OSRA, OPSIN and RDKit call ends by the
    question's deadline."""
    started = state.get("started_at") or time.time()
    return deadline_at(started + deps.settings.agent.time_budget_s)


def time_left(state: AgentState, deps: Deps) -> float:
    """Seconds of the question's budget still left (negative once it is spent), counting a
    deadline set around the question if it is earlier."""
    started = state.get("started_at") or time.time()
    own = deps.settings.agent.time_budget_s - (time.time() - started)
    outer = remaining()
    return own if outer is None else min(own, outer)
