"""MkDocs hook: pages link repository files outside docs/ the way GitHub reads them.

A page may write `[report](../evals/results/predictors.md)` or `![](../evals/results/runs/report.png)`:
a relative link that leaves docs/ and names an existing file of the repository (below the top
level). The site publishes each such file at its repository path (a Markdown file becomes a page
outside the navigation) and the link is rewritten to point there, so `mkdocs build --strict`
checks these links too, and the same page works on GitHub.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

ROOT = Path(__file__).resolve().parent.parent
_LINK = re.compile(r"(\]\()(\.\./[^)\s#]+)")


def _outside(page_dir: Path, target: str, docs: Path) -> Path | None:
    """The repository file a `../` link names, if it is outside docs/ and not at the top level."""
    path = (page_dir / target).resolve()
    if not path.is_file() or docs in path.parents or ROOT not in path.parents:
        return None
    return path if path.parent != ROOT else None


def on_files(files: Files, config: Any) -> Files:
    docs = Path(config["docs_dir"]).resolve()
    published: set[Path] = set()
    for page in docs.rglob("*.md"):
        for _, target in _LINK.findall(page.read_text(encoding="utf-8")):
            if (path := _outside(page.parent, target, docs)) is not None:
                published.add(path)
    for path in sorted(published):
        file = File(
            path.relative_to(ROOT).as_posix(),
            src_dir=str(ROOT),
            dest_dir=config["site_dir"],
            use_directory_urls=config["use_directory_urls"],
            inclusion=InclusionLevel.NOT_IN_NAV,
        )
        files.append(file)
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    docs = Path(config["docs_dir"]).resolve()
    page_dir = (docs / page.file.src_uri).parent
    if not (docs / page.file.src_uri).is_file():  # a published repository file
        return markdown

    def rewrite(m: re.Match[str]) -> str:
        path = _outside(page_dir, m.group(2), docs)
        if path is None:
            return m.group(0)
        rel = os.path.relpath(path.relative_to(ROOT), page_dir.relative_to(docs))
        return m.group(1) + Path(rel).as_posix()

    return _LINK.sub(rewrite, markdown)
