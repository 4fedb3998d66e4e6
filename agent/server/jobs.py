"""Batch jobs answered in the background: stored first, answered by a few worker threads, each
result stored exactly once; a restarted server picks up what was still pending."""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.server.paths import DEPICTIONS_URL, scrub, served_folders, server_roots
from agent.server.store import Store
from agent.server.text import Text

if TYPE_CHECKING:
    from agent.api import Assistant

logger = logging.getLogger(__name__)


class JobItem(BaseModel):
    """One question of a batch job. Images are not taken: no route reads a path on the server,
    and a job is stored before it runs; send each image with `POST /v1/ask`."""

    model_config = ConfigDict(extra="forbid")

    id: Text | int
    question: Text = Field(min_length=1)


class JobInputError(ValueError):
    """The job's questions cannot be used (bad line, duplicate id, too many)."""


def parse_items(raw: Any, limit: int) -> list[tuple[str, str]]:
    """(id, question) pairs from a JSON list (of strings or {id, question}) or JSONL text."""
    if isinstance(raw, str | bytes):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        rows: list[Any] = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise JobInputError(f"line {n} is not JSON: {exc.msg}") from None
    elif isinstance(raw, list):
        rows = raw
    else:
        raise JobInputError('send JSONL lines {"id": ..., "question": ...} or a JSON list')
    if not rows:
        raise JobInputError("the job has no questions")
    if len(rows) > limit:
        raise JobInputError(
            f"{len(rows):,} questions; a job holds at most {limit:,} (api.max_batch_items)"
        )
    items: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if isinstance(row, str):
            row = {"id": str(n), "question": row}
        if isinstance(row, dict) and "images" in row:
            raise JobInputError(
                f"question {n}: images are not accepted in batch jobs (no route reads a file on "
                "the server); send each image with POST /v1/ask"
            )
        try:
            item = JobItem.model_validate(row)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "item"
            raise JobInputError(f"question {n}: {where}: {first['msg']}") from None
        key = str(item.id)
        if key in seen:
            raise JobInputError(f"question {n}: id {key!r} appears twice; ids must be unique")
        seen.add(key)
        items.append((key, item.question))
    return items


def answer_record(assistant: Assistant, item_id: str, question: str) -> dict[str, Any]:
    """The same record `chemagent batch` writes: the answer, or the reason there is none."""
    from agent.question import QuestionError

    try:
        answer = assistant.ask(question)
        home = assistant.settings.home
        served = served_folders(assistant.settings.depiction_dir, DEPICTIONS_URL)
        public = scrub(answer.model_dump(mode="json"), server_roots(home), served)
        return {"id": item_id, "ok": True, "answer": public}
    except QuestionError as exc:
        return {"id": item_id, "ok": False, "error": str(exc)}
    except Exception as exc:  # one bad question must not stop the job
        logger.exception("batch question %s failed", item_id)
        return {"id": item_id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}


class JobRunner:
    """`concurrency` threads take pending items oldest job first until `stop()`."""

    def __init__(self, assistant: Assistant, store: Store, concurrency: int) -> None:
        self.assistant = assistant
        self.store = store
        self.concurrency = concurrency
        self._lock = threading.Lock()
        self._taken: set[tuple[str, int]] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.concurrency):
            t = threading.Thread(target=self._work, name=f"batch-{n}", daemon=True)
            t.start()
            self._threads.append(t)

    def wake(self) -> None:
        """A job was stored: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)

    def _take(self) -> tuple[str, int, str, str] | None:
        with self._lock:
            item = self.store.next_pending(self._taken)
            if item is not None:
                self._taken.add((item[0], item[1]))
            return item

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                item = self._take()
            except Exception:  # the store is closing
                logger.exception("batch worker cannot read the job store")
                return
            if item is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            job, idx, item_id, question = item
            try:
                record = answer_record(self.assistant, item_id, question)
                if not self._stopping.is_set():
                    self.store.finish(job, idx, record)
            finally:
                with self._lock:
                    self._taken.discard((job, idx))
