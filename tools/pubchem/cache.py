"""A persistent cache of PubChem answers in one SQLite file.

Answers are stored by request (method, URL, form body) with the HTTP status, so "not found"
is remembered as well as hits. Each write is its own transaction: a killed process leaves
every earlier answer intact and never a half-written one.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.disk import DISK_FULL, disk_full
from tools.base import ToolError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    fetched_at REAL NOT NULL
)
"""


log = logging.getLogger(__name__)


class CacheUnavailable(ToolError):
    """The cache cannot be opened for a reason that is not damage (a full disk)."""


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    body: dict[str, Any]
    fetched_at: float

    def age_s(self, now: float | None = None) -> float:
        return (now if now is not None else time.time()) - self.fetched_at


class AnswerCache:
    """Thread-safe; one connection guarded by a lock (SQLite serialises writers anyway)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as exc:
            if disk_full(exc):  # a full disk is not damage: keep the file, say what to do
                raise CacheUnavailable(f"cannot open the cache {path}: {DISK_FULL}") from exc
            # A cache holds nothing that cannot be fetched again: set the damaged file aside
            # (kept for inspection) and start an empty one.
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            log.warning(
                "cache %s is unreadable (%s); moved to %s, starting afresh", path, exc, aside
            )
            for suffix in ("", "-wal", "-shm"):
                old = path.with_name(path.name + suffix)
                if old.exists():
                    old.replace(aside.with_name(aside.name + suffix))
            self._db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        try:
            with db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                db.execute("SELECT COUNT(*) FROM answers").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT status, body, fetched_at FROM answers WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        try:
            body = json.loads(row[1])
        except ValueError:
            return None
        return CachedAnswer(int(row[0]), body, float(row[2]))

    def put(self, key: str, status: int, body: dict[str, Any]) -> None:
        """Remember an answer; on a full disk the answer is only not remembered (logged)."""
        text = json.dumps(body, separators=(",", ":"))
        try:
            with self._lock, self._db:
                self._db.execute(
                    "INSERT OR REPLACE INTO answers (key, status, body, fetched_at) "
                    "VALUES (?,?,?,?)",
                    (key, status, text, time.time()),
                )
        except sqlite3.Error as exc:
            if not disk_full(exc):
                raise
            log.warning("not cached (%s): %s", self.path, DISK_FULL)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
