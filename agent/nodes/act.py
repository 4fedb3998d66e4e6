"""Run the planned calls concurrently, each with a timeout; failures become evidence."""

from __future__ import annotations

import contextvars
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from agent.deps import Deps
from agent.nodes.budget import question_deadline, time_left
from agent.nodes.screen import screen_resolved
from agent.state import AgentState, Evidence, ToolCall
from models.deadline import deadline_at
from tools.base import ToolError, ToolResult, ToolTimeout

logger = logging.getLogger(__name__)


Outcome = tuple[ToolResult | None, str | None, float, bool]


def _run(call: ToolCall, deps: Deps, timeout: float) -> Outcome:
    """One call, which itself stops at its timeout or the question's deadline (whichever is
    first), so timed-out work does not keep running after the answer."""
    start = time.perf_counter()
    try:
        with deadline_at(time.time() + timeout):
            result = deps.registry.get(call.tool).run(call.args)
        return result, None, time.perf_counter() - start, False
    except ToolTimeout as exc:
        return None, str(exc), time.perf_counter() - start, True
    except ToolError as exc:
        return None, str(exc), time.perf_counter() - start, False
    except Exception as exc:  # a bug in a tool must not take the conversation down
        logger.exception("tool %s failed unexpectedly", call.tool)
        return (
            None,
            f"internal error in {call.tool}: {type(exc).__name__}: {exc}",
            time.perf_counter() - start,
            False,
        )


def act(state: AgentState, *, deps: Deps) -> dict[str, Any]:
    with question_deadline(state, deps):
        return _act(state, deps)


# The model tools and how many model requests a call draws (structure answers are voted on).
VOTED_TOOLS = {"predict_reaction", "retrosynthesis", "design_molecule"}
ONE_CALL_TOOLS = {"ask_chemistry_model", "describe_molecule"}


def _within_model_budget(
    calls: list[ToolCall], state: AgentState, deps: Deps
) -> tuple[list[ToolCall], list[ToolCall]]:
    """The calls to run and those left out: a model tool runs only while its requests fit in
    the question's budget (agent.max_model_calls), as the planner's and the writer's do."""
    from agent.nodes.plan import model_calls_left

    left = model_calls_left(state, deps)
    run, skipped = [], []
    for c in calls:
        cost = (
            deps.settings.agent.model_samples
            if c.tool in VOTED_TOOLS
            else 1
            if c.tool in ONE_CALL_TOOLS
            else 0
        )
        if cost > left:
            skipped.append(c)
        else:
            left -= cost
            run.append(c)
    return run, skipped


def _refused_calls(state: AgentState, deps: Deps) -> str | None:
    """The safety screen on the planned calls before any runs: a producing tool about a
    Schedule 1 chemical, or a worded argument not understood as harmless in a thread about one,
    stops the question (whatever planner, rules or a model, asked for it)."""
    flagged = bool(state.get("agents"))
    for c in state.get("pending", []):
        if refusal := deps.screen.check_call(c["tool"], c.get("args", {}), flagged):
            return refusal
    return None


def _withheld(evidence: list[dict[str, Any]], flagged: bool, deps: Deps) -> str | None:
    """The output screen on new results, before they can be streamed or written into an
    answer: a summary or data that gives preparation details is removed from the state."""
    refusal = None
    for e in evidence:
        if withheld := deps.screen.screen_data(e["summary"], e["data"], flagged):
            e.update(summary=WITHHELD_STEP, data={}, ok=False, error=WITHHELD_STEP)
            refusal = withheld
    return refusal


WITHHELD_STEP = "(withheld by the safety screen)"


def _act(state: AgentState, deps: Deps) -> dict[str, Any]:
    if refusal := _refused_calls(state, deps):
        return {"pending": [], "refusal": refusal, "step": state.get("step", 0) + 1}
    calls, skipped = _within_model_budget(
        [ToolCall.model_validate(c) for c in state.get("pending", [])], state, deps
    )
    cfg = deps.settings.agent
    remaining = time_left(state, deps)
    timeout = max(0.1, min(cfg.tool_timeout_s, remaining))
    evidence = list(state.get("evidence", []))
    first_new = len(evidence)
    pool = ThreadPoolExecutor(max_workers=min(cfg.max_parallel_tools, max(len(calls), 1)))
    try:
        # Each call gets a copy of this context, so it sees the question's deadline.
        futures = [
            (c, pool.submit(contextvars.copy_context().run, _run, c, deps, timeout)) for c in calls
        ]
        deadline = time.perf_counter() + timeout
        for i, (call, fut) in enumerate(futures, start=len(evidence) + 1):
            try:
                # A grace second: the call stops itself at the same deadline.
                result, error, seconds, late = fut.result(
                    timeout=max(0.0, deadline - time.perf_counter()) + 1.0
                )
            except FutureTimeout:
                result, error, seconds, late = (
                    None,
                    f"timed out after {timeout:.3g} s (settings agent.tool_timeout_s and "
                    "agent.time_budget_s)",
                    timeout,
                    True,
                )
            ev = Evidence(
                id=f"E{i}",
                call=call,
                ok=result is not None,
                summary=result.summary if result else f"error: {error}",
                data=result.data if result else {},
                files=result.files if result else [],
                error=error,
                seconds=round(seconds, 4),
                timed_out=late,
            )
            evidence.append(ev.model_dump())
    finally:
        # Do not wait for a timed-out call: its result is no longer wanted.
        pool.shutdown(wait=False, cancel_futures=True)
    update = {"evidence": evidence, "pending": [], "step": state.get("step", 0) + 1}
    warnings = list(state.get("warnings", []))
    warnings += [
        f"{c.tool} was not run: the question's model-call budget (agent.max_model_calls) is spent"
        for c in skipped
    ]
    if skipped:
        update["warnings"] = warnings
    if refusal := _withheld(evidence[first_new:], bool(state.get("agents")), deps):
        return update | {"refusal": refusal}
    return update | screen_resolved(state["question"], evidence[first_new:], warnings, deps, state)
