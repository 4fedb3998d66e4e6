"""No filesystem path of the server in anything it sends: answers, streamed steps, tool results,
job results, errors (issue 33).

A client cannot fetch a file from the server's disk, and the path tells a visitor where the
server keeps its data. Paths under the server's own folders (its data home, the temporary
folder, the user's home, the working directory) are replaced by the file's name, which is all a
reader needs ("image-1.png"). A file the server serves itself is named by its URL instead: a
depiction the agent drew becomes `/v1/depictions/3f2a9c.png` (`served`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

DEPICTIONS_URL = "/v1/depictions"


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


def served_folders(folder: Path, url: str) -> dict[str, str]:
    """`folder` (as given and resolved) mapped to the URL prefix the server serves it under."""
    return {str(folder): url, str(folder.resolve()): url}


def scrub_text(text: str, roots: tuple[str, ...], served: Mapping[str, str] | None = None) -> str:
    """`text` with every path under `roots` replaced by its file name, or by its URL when its
    folder is one the server serves (`served`: folder -> URL prefix)."""
    if not roots or "/" not in text:
        return text

    def public(m: re.Match[str]) -> str:
        name = m.group("name")
        folder = m.group(0)[: -len(name) - 1]
        if served and folder in served:
            return f"{served[folder]}/{name}"
        return name

    return _pattern(roots).sub(public, text)


def scrub(value: Any, roots: tuple[str, ...], served: Mapping[str, str] | None = None) -> Any:
    """A JSON-like value with every string scrubbed (dict keys kept)."""
    if isinstance(value, str):
        return scrub_text(value, roots, served)
    if isinstance(value, dict):
        return {k: scrub(v, roots, served) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, roots, served) for v in value]
    return value
