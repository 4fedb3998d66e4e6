"""The server's own SQLite file: batch jobs with their items, and the threads the web chat lists.

Every change is one transaction, so a server killed at any moment leaves each item either
answered (its result stored) or still pending (answered again after the restart); an item's
result is written only while it is pending, so it is stored exactly once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

JobStatus = Literal["queued", "running", "done", "cancelled"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, status TEXT NOT NULL, total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    job_id TEXT NOT NULL, idx INTEGER NOT NULL, item_id TEXT NOT NULL, question TEXT NOT NULL,
    status TEXT NOT NULL, result TEXT, PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS items_pending ON items (status, job_id, idx);
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_keys (key TEXT PRIMARY KEY, thread_id TEXT NOT NULL);
"""


class JobProgress(BaseModel):
    """`GET /v1/batches/{id}`: how far a job is."""

    id: str
    status: JobStatus
    total: int
    answered: int
    failed: int
    pending: int
    cancelled: int
    created: float


class ThreadInfo(BaseModel):
    """A conversation the web chat can resume."""

    id: str
    title: str
    created: float
    updated: float


class Store:
    """Jobs, items and thread titles in one SQLite file (WAL, one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives the process being killed (the OS holds it); only a
        # power cut may lose the last ones, which are then answered again.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- batch jobs ---------------------------------------------------------------------------

    def create_job(self, items: list[tuple[str, str]]) -> str:
        """Store a job of (id, question) items, all at once; returns the job id."""
        job = "batch_" + uuid.uuid4().hex[:20]
        with self._tx() as c:
            c.execute("INSERT INTO jobs VALUES (?, ?, 'queued', ?)", (job, time.time(), len(items)))
            c.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?, 'pending', NULL)",
                [(job, i, item_id, q) for i, (item_id, q) in enumerate(items)],
            )
        return job

    def progress(self, job: str) -> JobProgress | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT status, total, created FROM jobs WHERE id = ?", (job,)
            ).fetchone()
            if row is None:
                return None
            counts = dict(
                self._conn.execute(
                    "SELECT status, COUNT(*) FROM items WHERE job_id = ? GROUP BY status", (job,)
                ).fetchall()
            )
        return JobProgress(
            id=job,
            status=row[0],
            total=row[1],
            created=row[2],
            answered=counts.get("answered", 0),
            failed=counts.get("failed", 0),
            pending=counts.get("pending", 0),
            cancelled=counts.get("cancelled", 0),
        )

    def results(self, job: str) -> Iterator[dict[str, Any]]:
        """Finished items' records in input order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT result FROM items WHERE job_id = ? AND result IS NOT NULL ORDER BY idx",
                (job,),
            ).fetchall()
        for (raw,) in rows:
            yield json.loads(raw)

    def cancel(self, job: str) -> bool:
        """Cancel what is not answered yet; False when there is no such job."""
        with self._tx() as c:
            hit = c.execute(
                "UPDATE jobs SET status = 'cancelled' WHERE id = ? AND status != 'done'", (job,)
            ).rowcount
            c.execute(
                "UPDATE items SET status = 'cancelled' WHERE job_id = ? AND status = 'pending'",
                (job,),
            )
            exists = c.execute("SELECT 1 FROM jobs WHERE id = ?", (job,)).fetchone()
        return bool(hit or exists)

    def next_pending(self, exclude: set[tuple[str, int]]) -> tuple[str, int, str, str] | None:
        """The oldest pending item not already being answered: (job, idx, item id, question)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT i.job_id, i.idx, i.item_id, i.question FROM items i "
                "JOIN jobs j ON j.id = i.job_id WHERE i.status = 'pending' "
                "ORDER BY j.created, i.idx LIMIT ?",
                (len(exclude) + 1,),
            ).fetchall()
        for row in rows:
            if (row[0], row[1]) not in exclude:
                with self._tx() as c:
                    c.execute(
                        "UPDATE jobs SET status = 'running' WHERE id = ? AND status = 'queued'",
                        (row[0],),
                    )
                return row[0], row[1], row[2], row[3]
        return None

    def finish(self, job: str, idx: int, record: dict[str, Any]) -> bool:
        """Store an item's record if it is still pending (exactly once); closes a finished job."""
        status = "answered" if record.get("ok") else "failed"
        with self._tx() as c:
            stored = c.execute(
                "UPDATE items SET status = ?, result = ? "
                "WHERE job_id = ? AND idx = ? AND status = 'pending'",
                (status, json.dumps(record, ensure_ascii=False), job, idx),
            ).rowcount
            left = c.execute(
                "SELECT COUNT(*) FROM items WHERE job_id = ? AND status = 'pending'", (job,)
            ).fetchone()[0]
            if not left:
                c.execute(
                    "UPDATE jobs SET status = 'done' WHERE id = ? AND status != 'cancelled'",
                    (job,),
                )
        return bool(stored)

    # -- threads ------------------------------------------------------------------------------

    def touch_thread(self, thread_id: str, question: str) -> None:
        """Record a turn of a thread (its first question is its title)."""
        now = time.time()
        with self._tx() as c:
            c.execute(
                "INSERT INTO threads VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated",
                (thread_id, question[:120], now, now),
            )

    def threads(self, limit: int = 100) -> list[ThreadInfo]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, title, created, updated FROM threads ORDER BY updated DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [ThreadInfo(id=r[0], title=r[1], created=r[2], updated=r[3]) for r in rows]

    def thread_for(self, key: str) -> str | None:
        """The thread an OpenAI-style message history continues (`key` digests the history)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT thread_id FROM chat_keys WHERE key = ?", (key,)
            ).fetchone()
        return row[0] if row else None

    def remember_history(self, key: str, thread_id: str) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO chat_keys VALUES (?, ?)", (key, thread_id))
