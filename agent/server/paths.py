"""No filesystem path of the server in anything it sends: answers, streamed steps, tool results,
job results, errors (issue 33).

A client cannot fetch a file from the server's disk, and the path tells a visitor where the
server keeps its data. Paths under the server's own folders (its data home, the temporary
folder, the user's home, the working directory) are replaced by the file's name, which is all a
reader needs ("image-1.png", "3f2a9c.png"); a depiction is fetched from `/v1/depict`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=8)
def _pattern(roots: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(r.rstrip("/")) for r in sorted(roots, key=len, reverse=True))
    # the root, then path segments; the last segment is kept
    return re.compile(
        rf"(?:{alternatives})(?:/[^\s/'\"<>()\[\],;]+)*/(?P<name>[^\s/'\"<>()\[\],;]+)"
    )


def server_roots(home: Path, extra: Iterable[Path] = ()) -> tuple[str, ...]:
    """The folders whose paths are never shown: the data home, temp, the user's home, cwd."""
    roots = {str(home.resolve()), str(home), tempfile.gettempdir(), str(Path.home()), os.getcwd()}
    roots |= {str(p) for p in extra}
    return tuple(sorted(r for r in roots if len(r) > 1))


def scrub_text(text: str, roots: tuple[str, ...]) -> str:
    """`text` with every path under `roots` replaced by its file name."""
    if not roots or "/" not in text:
        return text
    return _pattern(roots).sub(lambda m: m.group("name"), text)


def scrub(value: Any, roots: tuple[str, ...]) -> Any:
    """A JSON-like value with every string scrubbed (dict keys kept)."""
    if isinstance(value, str):
        return scrub_text(value, roots)
    if isinstance(value, dict):
        return {k: scrub(v, roots) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, roots) for v in value]
    return value
