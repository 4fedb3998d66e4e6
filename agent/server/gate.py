"""Admission: `workers` questions run at once, `queue` more may wait, the next gets 429 at once
(a flood gets a fast, honest "busy", never a pile of threads or a 500)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio

from agent.server.errors import ApiError

T = TypeVar("T")


class Gate:
    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self.inside = 0
        self._limiter = anyio.CapacityLimiter(workers)

    def admit(self) -> None:
        """Reserve a place or raise 429; pair with `release()` (or use `slot`)."""
        if self.inside >= self.capacity:
            raise ApiError(
                429,
                f"the server is busy ({self.workers} questions running, "
                f"{self.capacity - self.workers} waiting); retry shortly",
                "server_busy",
            )
        self.inside += 1

    def release(self) -> None:
        self.inside -= 1

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Wait for a worker (after `admit`)."""
        async with self._limiter:
            yield

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.admit()
        try:
            async with self.running():
                yield
        finally:
            self.release()

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """`func(*args)` in a worker thread once admitted."""
        async with self.slot():
            return await anyio.to_thread.run_sync(func, *args, abandon_on_cancel=False)
