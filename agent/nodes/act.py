"""Run the planned calls concurrently, each with a timeout; failures become evidence."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from agent.deps import Deps
from agent.nodes.screen import screen_resolved
from agent.state import AgentState, Evidence, ToolCall
from tools.base import ToolError, ToolResult

logger = logging.getLogger(__name__)


def _run(call: ToolCall, deps: Deps) -> tuple[ToolResult | None, str | None, float]:
    start = time.perf_counter()
    try:
        result = deps.registry.get(call.tool).run(call.args)
        return result, None, time.perf_counter() - start
    except ToolError as exc:
        return None, str(exc), time.perf_counter() - start
    except Exception as exc:  # a bug in a tool must not take the conversation down
        logger.exception("tool %s failed unexpectedly", call.tool)
        return (
            None,
            f"internal error in {call.tool}: {type(exc).__name__}: {exc}",
            time.perf_counter() - start,
        )


def act(state: AgentState, *, deps: Deps) -> dict[str, Any]:
    calls = [ToolCall.model_validate(c) for c in state.get("pending", [])]
    cfg = deps.settings.agent
    remaining = cfg.time_budget_s - (time.time() - state.get("started_at", time.time()))
    timeout = max(0.1, min(cfg.tool_timeout_s, remaining))
    evidence = list(state.get("evidence", []))
    first_new = len(evidence)
    pool = ThreadPoolExecutor(max_workers=min(cfg.max_parallel_tools, max(len(calls), 1)))
    try:
        futures = [(c, pool.submit(_run, c, deps)) for c in calls]
        deadline = time.perf_counter() + timeout
        for i, (call, fut) in enumerate(futures, start=len(evidence) + 1):
            try:
                result, error, seconds = fut.result(
                    timeout=max(0.0, deadline - time.perf_counter())
                )
            except FutureTimeout:
                result, error, seconds = (
                    None,
                    f"timed out after {timeout:g} s (setting agent.tool_timeout_s)",
                    timeout,
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
            )
            evidence.append(ev.model_dump())
    finally:
        # Do not wait for a timed-out call: its result is no longer wanted.
        pool.shutdown(wait=False, cancel_futures=True)
    update = {"evidence": evidence, "pending": [], "step": state.get("step", 0) + 1}
    warnings = list(state.get("warnings", []))
    return update | screen_resolved(state["question"], evidence[first_new:], warnings, deps)
