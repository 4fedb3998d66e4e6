"""The Python API: `Assistant().ask("...")` returns an `Answer`."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent.answer import Answer
from agent.batch import BatchReport, run_batch
from agent.deps import Deps
from agent.graph import build_graph
from agent.planners.base import Planner
from agent.question import check_question
from agent.settings import Settings, get_settings
from models.chat import ChatModel
from tools.base import ToolRegistry
from tools.locks import exclusive


class StepEvent(BaseModel):
    """Progress of a question while it runs, for chat UIs; `message` is empty when nothing
    happened worth showing (a plan step that only says "done")."""

    model_config = ConfigDict(extra="forbid")

    node: str
    message: str


def _describe(node: str, update: dict[str, Any], new_evidence: list[dict[str, Any]]) -> str:
    if node == "screen":
        return update.get("refusal") or (
            "; ".join(update.get("warnings", [])) or "safety screen passed"
        )
    if node == "plan":
        pending = update.get("pending", [])
        if not pending:
            return update.get("stop_reason") or ""
        return "calling " + ", ".join(f"{c['tool']}({c.get('label') or ''})" for c in pending)
    if node == "act":
        return "\n".join(
            f"{'✓' if e['ok'] else '✗'} {e['call']['tool']}: {e['summary']} ({e['seconds']:.3f} s)"
            for e in new_evidence
        )
    return "answer written"


class Assistant:
    """A chemistry research assistant over the agent graph, with SQLite-backed threads.

    Args:
        settings: `Settings`, a dict of overrides, or None (defaults < TOML < environment).
        planner: replaces the planner the settings choose (e.g. a scripted one in tests).
        tools: replaces the default tool registry.
        llm: a ready chat model (e.g. loaded in-process) instead of the one `settings.llm` names.
    """

    def __init__(
        self,
        settings: Settings | dict[str, Any] | None = None,
        *,
        planner: Planner | None = None,
        tools: ToolRegistry | None = None,
        llm: ChatModel | None = None,
    ) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.settings = get_settings(settings)
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.deps = Deps.from_settings(self.settings, planner=planner, registry=tools, llm=llm)
        self._conn = sqlite3.connect(str(self.settings.checkpoint_db), check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self.checkpointer = SqliteSaver(self._conn)
        self.graph = build_graph(self.deps, self.checkpointer)

    def _config(self, thread_id: str) -> dict[str, Any]:
        limit = 2 * self.settings.agent.max_steps + 10
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": limit}

    def ask(
        self, question: str, images: list[str] | None = None, thread_id: str | None = None
    ) -> Answer:
        """Answer one question; pass `thread_id` to continue a conversation."""
        text, paths = check_question(question, images)
        tid = thread_id or uuid.uuid4().hex
        with self._thread(tid):
            state = self.graph.invoke({"question": text, "images": paths}, self._config(tid))
        return Answer.model_validate({**state["answer"], "thread_id": tid})

    def _thread(self, tid: str) -> AbstractContextManager[None]:
        """The turns of one thread run one at a time, whichever process asks: otherwise two
        writers each append to the history they read and the last one wins."""
        return exclusive(
            self.settings.thread_lock(tid), f"thread {tid}", self.settings.agent.thread_wait_s
        )

    async def aask(
        self, question: str, images: list[str] | None = None, thread_id: str | None = None
    ) -> Answer:
        """`ask` without blocking the event loop."""
        return await asyncio.to_thread(self.ask, question, images, thread_id)

    def stream(
        self, question: str, images: list[str] | None = None, thread_id: str | None = None
    ) -> Iterator[StepEvent | Answer]:
        """Yield a `StepEvent` as each node finishes, then the `Answer`."""
        text, paths = check_question(question, images)
        tid = thread_id or uuid.uuid4().hex
        config = self._config(tid)
        seen = 0
        flagged = False
        with self._thread(tid):
            for chunk in self.graph.stream(
                {"question": text, "images": paths}, config, stream_mode="updates"
            ):
                for node, update in chunk.items():
                    update = dict(update or {})
                    evidence = update.get("evidence", [])
                    flagged = flagged or bool(update.get("agents"))
                    message = _describe(node, update, evidence[seen:])
                    # The act node already removed withheld results; every step is screened
                    # once more here, where it leaves for the client.
                    if self.deps.screen.screen_output(message, flagged) is not None:
                        message = "(withheld by the safety screen)"
                    yield StepEvent(node=node, message=message)
                    if node in ("screen", "act"):  # screen resets the evidence of the thread
                        seen = len(evidence)
            state = self.graph.get_state(config).values
        yield Answer.model_validate({**state["answer"], "thread_id": tid})

    def history(self, thread_id: str) -> list[dict[str, str]]:
        """The questions and answers of a thread, oldest first."""
        state = self.graph.get_state(self._config(thread_id)).values
        return list(state.get("history", []))

    def batch(
        self,
        in_path: Path,
        out_path: Path,
        concurrency: int = 4,
        on_result: Callable[[dict[str, Any]], None] | None = None,
    ) -> BatchReport:
        """Answer a JSONL file of questions into `out_path`; see `agent.batch.run_batch`."""
        return run_batch(self, in_path, out_path, concurrency=concurrency, on_result=on_result)

    def close(self) -> None:
        self._conn.close()
        self.deps.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
