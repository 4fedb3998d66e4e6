"""What RDKit logs, captured: the one place the process-wide RDKit error log is redirected.

RDKit reports why a SMILES, SMARTS or InChI failed only through its logger, and its log
capture is process-wide, so every capture goes through one lock here: two threads capturing at
once (a tool parsing a structure while a prompt's SMILES are canonicalised) would otherwise take
each other's lines. It lives in the model layer, the lowest one, because the prompt formats
(`models.smiles`) read SMILES too; the tools import it from here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rdkit import rdBase

_ROOT_MARK = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")
# Captures are process-wide, so they are serialised (parsing takes microseconds).
_capture_lock = threading.RLock()


class RDKitLog:
    """The lines RDKit logged while a `rdkit_messages()` block ran."""

    def __init__(self, capture: rdBase.CaptureErrorLog) -> None:
        self._capture = capture

    @property
    def lines(self) -> list[str]:
        text = str(self._capture.messages or "")
        return [_ROOT_MARK.sub("", ln).strip() for ln in text.splitlines() if ln.strip()]


@contextmanager
def rdkit_messages() -> Iterator[RDKitLog]:
    """Capture (and keep off the console) what RDKit logs while the block runs."""
    with _capture_lock, rdBase.CaptureErrorLog() as capture:
        yield RDKitLog(capture)
