"""Locks that hold across processes: a thread, a batch output file, an index folder.

An advisory `flock` on a `.lock` file beside the guarded thing; the kernel drops it when the
holder dies (even by SIGKILL), so a crash never leaves a stale lock. The holder's PID is written
into the file, so the error for a busy lock can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.base import ToolError


class LockBusy(ToolError):
    """Another process (or thread) holds the lock; the message names its PID."""


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        pid = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        pid = ""
    return f"PID {pid}" if pid else "another process"


@contextmanager
def exclusive(lock_path: Path, what: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold `lock_path` for the block. With `wait_s` 0, fail at once when it is taken
    (`LockBusy`, naming the holder's PID); otherwise wait up to `wait_s` seconds for it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        end = time.monotonic() + wait_s
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= end:
                    waited = f" after waiting {wait_s:g} s" if wait_s else ""
                    raise LockBusy(
                        f"{what} is in use by {_holder(fd)}{waited}; wait for it to finish "
                        "or stop it, then try again"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
