"""What every route shares: the assistant, the settings, the job store, the admission gate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request

from agent.server.errors import ApiError
from agent.server.gate import Gate
from agent.server.jobs import JobRunner
from agent.server.store import Store

if TYPE_CHECKING:
    from agent.api import Assistant
    from agent.settings import Settings


@dataclass
class ServerContext:
    assistant: Assistant
    settings: Settings
    store: Store
    gate: Gate
    runner: JobRunner

    @property
    def uploads(self) -> Path:
        """Where request images are written, each question's in a fresh folder."""
        return self.settings.home / "uploads"


def get_context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


def question_error(exc: Exception) -> ApiError:
    """A question the agent cannot take (empty, too long, control characters, thread busy)."""
    from tools.locks import LockBusy

    if isinstance(exc, LockBusy):
        return ApiError(409, f"{exc}; the thread is answering an earlier question", "thread_busy")
    return ApiError(400, str(exc), "invalid_question")


def build_context(assistant: Assistant, settings: Settings) -> ServerContext:
    """The shared state for one server process (the job runner is not started here)."""
    store = Store(settings.server_db)
    api = settings.api
    return ServerContext(
        assistant=assistant,
        settings=settings,
        store=store,
        gate=Gate(api.workers, api.queue),
        runner=JobRunner(assistant, store, api.batch_concurrency),
    )
