"""Folders written whole or not at all: packed corpora, image sets, checkpoints, exports.

A folder is built under a sibling `<name>.partial` and moved into place when complete. The
folder it replaces is first set aside as `<name>.old` and deleted only after the move, so a run
killed at any moment leaves at `<name>` a complete folder or nothing, never half of one (and the
previous folder survives in `.old` until the next publish).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def partial(final: Path) -> Path:
    """The sibling `final` is built in."""
    return final.with_name(final.name + ".partial")


def staging(final: Path) -> Path:
    """`partial(final)`, cleared of any earlier attempt (not created: callers or libraries do)."""
    tmp = partial(final)
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp


def publish(tmp: Path, final: Path) -> None:
    """Move the finished `tmp` to `final`, replacing what was there."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
