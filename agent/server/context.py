"""What every route shares: the assistant, the settings, the job store, the admission gate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request

from agent.answer import Answer
from agent.server.errors import ApiError
from agent.server.gate import Gate
from agent.server.images import ImageError, saved_images
from agent.server.jobs import JobRunner
from agent.server.paths import DEPICTIONS_URL, scrub, served_folders, server_roots
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
    def roots(self) -> tuple[str, ...]:
        """Folders whose paths never leave the server (see `agent.server.paths`)."""
        return server_roots(self.settings.home, [self.uploads])

    @property
    def served(self) -> dict[str, str]:
        """Folders whose files the server serves itself, by URL prefix."""
        return served_folders(self.settings.depiction_dir, DEPICTIONS_URL)

    def public(self, answer: Answer) -> Answer:
        """The answer as it may leave the server: no path of the server in it."""
        return Answer.model_validate(self.public_value(answer.model_dump(mode="json")))

    def public_value(self, value: Any) -> Any:
        """Any JSON-like value as it may leave the server (see `agent.server.paths`)."""
        return scrub(value, self.roots, self.served)

    @property
    def uploads(self) -> Path:
        """Where request images are written, each question's in a fresh folder."""
        return self.settings.home / "uploads"


def get_context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


@contextmanager
def answering(ctx: ServerContext, images: list[str]) -> Iterator[list[str]]:
    """The request's images as files for one question (removed afterwards); an unusable image,
    a question the agent cannot take or a busy thread becomes the `ApiError` the client sees."""
    from agent.question import QuestionError
    from tools.locks import LockBusy

    try:
        with saved_images(images, ctx.uploads, ctx.settings.vision) as paths:
            yield paths
    except ImageError as exc:
        raise ApiError(400, str(exc), "invalid_image") from None
    except LockBusy as exc:
        raise ApiError(
            409, f"{exc}; the thread is answering an earlier question", "thread_busy"
        ) from None
    except QuestionError as exc:
        raise ApiError(400, str(exc), "invalid_question") from None


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
