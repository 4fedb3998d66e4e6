"""The state of an index being built in another process (`chemagent index demo --background`),
so a search meanwhile says how far it is instead of failing or answering from a part silently.

The builder writes `build.json` in the index folder (atomically) as it commits; a reader trusts
"building" only while that process is alive, so a killed build reads as interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError


class BuildStatus(BaseModel):
    pid: int
    documents: int
    expected: int
    state: Literal["building", "done"]
    updated: float


def status_path(index_dir: Path) -> Path:
    return index_dir / "build.json"


def write_status(index_dir: Path, documents: int, expected: int, done: bool = False) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    status = BuildStatus(
        pid=os.getpid(),
        documents=documents,
        expected=expected,
        state="done" if done else "building",
        updated=time.time(),
    )
    tmp = status_path(index_dir).with_suffix(".json.part")
    tmp.write_text(status.model_dump_json(), encoding="utf-8")
    os.replace(tmp, status_path(index_dir))


def read_status(index_dir: Path) -> BuildStatus | None:
    try:
        return BuildStatus.model_validate(json.loads(status_path(index_dir).read_text("utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie child of ours counts as gone
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        return state != "Z"
    return True


def in_progress(index_dir: Path) -> BuildStatus | None:
    """The status of a build that is running now, else None (finished, killed or never)."""
    status = read_status(index_dir)
    if status is None or status.state != "building" or not pid_alive(status.pid):
        return None
    return status


def progress_note(status: BuildStatus) -> str:
    return (
        f"the literature index is still being built in the background: {status.documents:,} "
        f"of {status.expected:,} documents so far, so passages may be missing; ask again later "
        "for the rest"
    )
