"""Ask the planner for the next calls, within the step and time budget."""

from __future__ import annotations

import time
from typing import Any

from agent.deps import Deps
from agent.nodes.budget import question_deadline, time_left
from agent.planners.base import PlanContext
from agent.state import AgentState, Evidence, MoleculeRef, add_usage, tool_model_calls
from models.deadline import DeadlineExceeded, deadline_at


def over_budget(state: AgentState, deps: Deps) -> str | None:
    cfg = deps.settings.agent
    if state.get("step", 0) >= cfg.max_steps:
        return f"stopped after {cfg.max_steps} planning steps (setting agent.max_steps)"
    if time_left(state, deps) < 0:
        return f"stopped at the {cfg.time_budget_s:g} s time budget (setting agent.time_budget_s)"
    return None


def plan(state: AgentState, *, deps: Deps) -> dict[str, Any]:
    with question_deadline(state, deps):
        return _plan(state, deps)


def _plan(state: AgentState, deps: Deps) -> dict[str, Any]:
    evidence = [Evidence.model_validate(e) for e in state.get("evidence", [])]
    reason = over_budget(state, deps)
    if reason is not None:
        return {"pending": [], "stop_reason": reason}
    ctx = PlanContext(
        question=state["question"],
        images=state.get("images", []),
        step=state.get("step", 0),
        evidence=evidence,
        memory=[MoleculeRef.model_validate(m) for m in state.get("memory", [])],
        earlier=[
            [MoleculeRef.model_validate(m) for m in turn]
            for turn in reversed(state.get("turns", []))
        ],
        tools=deps.tool_specs,
        llm_failed=bool(state.get("llm_failed")),
        model_calls_left=model_calls_left(state, deps),
        previous_questions=[h["question"] for h in reversed(state.get("history", [])[-5:])],
    )
    # A planner (an LLM that hangs) may use only a share of the time left, so the tools it
    # falls back to still run within the budget.
    share = max(0.0, time_left(state, deps)) * deps.settings.agent.planner_share
    try:
        with deadline_at(time.time() + share):
            result = deps.planner.plan(ctx)
    except DeadlineExceeded as exc:  # a planner with no fallback left (the rule planner)
        return {"pending": [], "stop_reason": str(exc)}
    start = len(evidence)
    calls = [c.model_copy(update={"id": f"c{start + i + 1}"}) for i, c in enumerate(result.calls)]
    unknown = [c.tool for c in calls if c.tool not in deps.registry]
    warnings = list(dict.fromkeys([*state.get("warnings", []), *result.warnings]))
    if unknown:
        warnings.append(f"the planner asked for unknown tools: {', '.join(unknown)}")
        calls = [c for c in calls if c.tool in deps.registry]
    return {
        "pending": [c.model_dump() for c in calls],
        "subjects": [s.model_dump() for s in result.subjects],
        "warnings": warnings,
        "unavailable": list(dict.fromkeys([*state.get("unavailable", []), *result.unavailable])),
        "comparisons": result.comparisons or state.get("comparisons", []),
        "llm_failed": bool(state.get("llm_failed")) or result.llm_failed,
        "usage": add_usage(state.get("usage"), result.usage),
    }


def model_calls_left(state: AgentState, deps: Deps) -> int:
    """Requests to the LLM this question may still make (agent.max_model_calls)."""
    used = (state.get("usage") or {}).get("model_calls", 0)
    used += tool_model_calls(state.get("evidence", []))
    return max(0, deps.settings.agent.max_model_calls - used)
