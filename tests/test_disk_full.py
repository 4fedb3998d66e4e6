"""A full disk is said as such and loses nothing (issue 33): the command line under a real
file-size limit (RLIMIT_FSIZE, so every write past it fails as on a full disk)."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from models.disk import disk_full

CHEMAGENT = Path(sys.executable).parent / "chemagent"


def _ask(home: Path, question: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "CHEMAGENT_HOME": str(home), "CHEMAGENT_PUBCHEM__OFFLINE": "1"}
    return subprocess.run(
        [str(CHEMAGENT), "ask", question],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap,  # noqa: PLW1509 - only sets a resource limit in the child
        check=False,
    )


def test_errors_of_a_full_disk_are_told_from_damage():
    full = sqlite3.OperationalError("database or disk is full")
    assert disk_full(full)
    assert disk_full(OSError(28, "No space left on device"))
    assert not disk_full(sqlite3.DatabaseError("file is not a database"))
    wrapped = RuntimeError("while saving")
    wrapped.__cause__ = full
    assert disk_full(wrapped)


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_a_full_disk_mid_thread_is_said_and_nothing_is_moved_or_lost(tmp_path):
    home = tmp_path / "home"
    first = _ask(home, "formula of CCO")
    assert first.returncode == 0, first.stderr
    files = {p.name: p.stat().st_size for p in home.rglob("*") if p.is_file()}
    # every store may keep its size, none may grow: the next write is refused as on a full disk
    limit = max(files.values())
    second = _ask(home, "molecular weight of caffeine and of theobromine", limit=limit)
    said = second.stdout + second.stderr
    assert second.returncode != 0
    assert "disk is full" in said, said
    assert "Traceback" not in said and "damaged" not in said
    after = {p.name for p in home.rglob("*") if p.is_file()}
    assert not any(".corrupt" in name for name in after), after
    # what was stored before is still there: the first turn's thread answers a follow-up
    third = _ask(home, "formula of CCO")
    assert third.returncode == 0, third.stderr
