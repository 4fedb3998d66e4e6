"""Batch runs over a JSONL file of questions that survive being killed.

Each input line is `{"id": ..., "question": ..., "images": [...]}`. Each result is appended to
the output as one JSON line as soon as it is known, written with a single `write` and fsync'd,
so a kill loses at most the line being written; a torn last line is cut off on the next run.
A rerun skips ids that already have an answer and retries those that failed (their old failure
lines are removed first, so each id appears once). One run per output file at a time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.question import QuestionError
from tools.locks import LockBusy, exclusive

if TYPE_CHECKING:
    from agent.answer import Answer

logger = logging.getLogger(__name__)


class Asker(Protocol):
    """What a batch needs of the `Assistant` (agent.api, which offers `Assistant.batch`): one
    question in, one `Answer` out. A protocol, so this module never imports the one above it."""

    def ask(self, question: str, images: list[str] | None = None) -> Answer: ...


class BatchError(ValueError):
    """The batch input cannot be used (missing file, duplicate ids)."""


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | int
    question: str
    images: list[str] = Field(default_factory=list)


class BatchReport(BaseModel):
    """What a batch run did."""

    total: int
    answered: int
    failed: int
    skipped: int
    out_path: str


def read_done(out_path: Path) -> set[str]:
    """Ids answered in a previous run; repairs a torn last line left by a kill and drops the
    failure records of earlier runs (they are retried now), so each id appears once."""
    if not out_path.exists():
        return set()
    if out_path.is_dir():
        raise BatchError(f"the output {out_path} is a folder; give a file name such as out.jsonl")
    raw = out_path.read_bytes()
    done: set[str] = set()
    kept: list[bytes] = []
    good_end = 0
    offset = 0
    for line in raw.splitlines(keepends=True):
        offset += len(line)
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if offset == len(raw):  # the torn tail of a killed write
                break
            raise BatchError(
                f"{out_path} has a corrupt line that is not the last; fix or move it"
            ) from None
        if not line.endswith(b"\n"):
            break
        good_end = offset
        if isinstance(rec, dict) and rec.get("ok") and str(rec.get("id")) not in done:
            done.add(str(rec["id"]))
            kept.append(line)
    if good_end != len(raw):
        logger.warning("cutting a partly written last line from %s", out_path)
    if len(kept) != raw[:good_end].count(b"\n"):
        # Failed records are retried in this run: rewrite the file without them, atomically
        # (a kill leaves either the old file or the new one).
        tmp = out_path.with_name(out_path.name + ".partial")
        tmp.write_bytes(b"".join(kept))
        os.replace(tmp, out_path)
    elif good_end != len(raw):
        with out_path.open("r+b") as fh:
            fh.truncate(good_end)
    return done


def read_items(in_path: Path) -> tuple[list[BatchItem], list[dict[str, Any]]]:
    """Valid items and error records for lines that are not valid questions."""
    if not in_path.is_file():
        raise BatchError(f"batch input not found: {in_path}")
    items: list[BatchItem] = []
    bad: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(in_path.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append(
                {
                    "id": f"line-{n}",
                    "ok": False,
                    "error": f"line {n}: not UTF-8 text (byte {exc.start + 1}); save the file "
                    "as UTF-8",
                }
            )
            continue
        if not line.strip():
            continue
        try:
            item = BatchItem.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            rid = None
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                rid = json.loads(line).get("id")
            where = ".".join(str(p) for p in first["loc"]) or "line"
            bad.append(
                {
                    "id": str(rid) if rid is not None else f"line-{n}",
                    "ok": False,
                    "error": f"line {n}: {where}: {first['msg']}",
                }
            )
            continue
        key = str(item.id)
        if key in seen:
            raise BatchError(f"{in_path} line {n}: id {key!r} appears twice; ids must be unique")
        seen.add(key)
        items.append(item)
    return items, _unique_ids(bad, seen)


def _unique_ids(bad: list[dict[str, Any]], taken: set[str]) -> list[dict[str, Any]]:
    """Error records whose ids collide with no question's id nor with each other: results are
    keyed by id, so a broken line named "line-3" beside a real question "line-3" would vanish on
    the rerun (its id counted as done) and the summary would say "0 failed"."""
    used = set(taken)
    for record in bad:
        rid, n = str(record["id"]), 1
        while rid in used:
            rid = f"{record['id']}~invalid{'' if n == 1 else n}"
            n += 1
        record["id"] = rid
        used.add(rid)
    return bad


def run_batch(
    assistant: Asker,
    in_path: Path,
    out_path: Path,
    concurrency: int = 4,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> BatchReport:
    """Answer every question of `in_path` not yet answered in `out_path`; one run per output
    file at a time (a second fails at once, naming the first one's PID)."""
    items, bad = read_items(in_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    lock_file = out_path.with_name(out_path.name + ".lock")
    try:
        with exclusive(lock_file, f"the batch output {out_path}"):
            return _run_locked(assistant, items, bad, out_path, concurrency, on_result)
    except LockBusy as exc:
        raise BatchError(str(exc)) from None


def _run_locked(
    assistant: Asker,
    items: list[BatchItem],
    bad: list[dict[str, Any]],
    out_path: Path,
    concurrency: int,
    on_result: Callable[[dict[str, Any]], None] | None,
) -> BatchReport:
    done = read_done(out_path)
    todo = [it for it in items if str(it.id) not in done]
    lock = threading.Lock()
    counts = {"answered": 0, "failed": 0}

    with out_path.open("ab") as fh:

        def record(rec: dict[str, Any]) -> None:
            data = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
            with lock:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
                counts["answered" if rec["ok"] else "failed"] += 1
            if on_result is not None:
                on_result(rec)

        for rec in bad:
            if rec["id"] not in done:
                record(rec)

        def one(item: BatchItem) -> dict[str, Any]:
            try:
                ans = assistant.ask(item.question, item.images or None)
                return {"id": item.id, "ok": True, "answer": ans.model_dump(mode="json")}
            except QuestionError as exc:
                return {"id": item.id, "ok": False, "error": str(exc)}
            except Exception as exc:  # one bad question must not stop the batch
                logger.exception("question %s failed", item.id)
                return {"id": item.id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for fut in as_completed([pool.submit(one, it) for it in todo]):
                record(fut.result())

    return BatchReport(
        total=len(items) + len(bad),
        answered=counts["answered"],
        failed=counts["failed"],
        skipped=len(items) - len(todo),
        out_path=str(out_path),
    )
