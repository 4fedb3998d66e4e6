"""One deadline per question, seen by every call that can wait: LLM, VLM, PubChem, OSRA, RDKit.

The agent sets the deadline once (from `agent.time_budget_s`) and each layer asks how long it may
still wait (`limit`), so per-call limits can no longer add up past the budget and a server that
trickles bytes is cut off at the deadline instead of at each read. The deadline lives in a context
variable: it follows the call into worker threads started with `contextvars.copy_context()` and
is absent (no limit) for a tool or model called directly from Python.

It lives in the model layer, the lowest one, so that both the model backends and the tools can
import it downwards. Each caller names the error it raises when the budget is spent
(`limit(..., raises=...)`): a tool raises a `ToolTimeout`, a model backend a `BackendUnavailable`,
so the deadline needs to know neither.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("chemagent_deadline", default=None)


class DeadlineExceeded(Exception):
    """The question's time budget is spent; the message says what was cut short."""


@contextmanager
def deadline_at(when: float | None) -> Iterator[None]:
    """Within the block, every bounded call ends by `when` (a `time.time()` value); an earlier
    deadline already in force is kept."""
    current = _deadline.get()
    chosen = when if current is None or (when is not None and when < current) else current
    token = _deadline.set(chosen)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the deadline (may be negative), or None when there is none."""
    when = _deadline.get()
    return None if when is None else when - time.time()


def limit(
    timeout: float, what: str = "this step", *, raises: type[Exception] = DeadlineExceeded
) -> float:
    """`timeout` cut to the time left; raises `raises` (whose message says what was skipped)
    when nothing is left."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0.05:
        raise raises(
            f"{what} was skipped: the question's time budget was spent "
            "(setting agent.time_budget_s)"
        )
    return min(timeout, left)
