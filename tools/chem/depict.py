"""2D depictions written to PNG or SVG files.

Each file is named by a digest of what it draws, so the folder is a cache: drawing the same
molecule again rewrites the same file. `prune` keeps it bounded, so a server answering "draw X"
for months leaves no unbounded trail of files behind."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from rdkit import Chem

from tools.base import ToolError

logger = logging.getLogger(__name__)


def depict(
    mol: Chem.Mol, path: Path, fmt: Literal["png", "svg"] = "png", size: int = 400, legend: str = ""
) -> Path:
    """Draw `mol` to `path` (written atomically: a reader never sees half a file)."""
    from rdkit.Chem.Draw import rdMolDraw2D  # imports numpy: only when a drawing is asked for

    drawer = (
        rdMolDraw2D.MolDraw2DCairo(size, size)
        if fmt == "png"
        else rdMolDraw2D.MolDraw2DSVG(size, size)
    )
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol, legend=legend)
    drawer.FinishDrawing()
    data = drawer.GetDrawingText()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    try:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ToolError(f"could not write the depiction to {path}: {exc.strerror}") from exc
    return path


def prune(folder: Path, keep: int) -> int:
    """Remove the least recently written depictions beyond the newest `keep`; returns how many
    went. A file another process removes first, or one that cannot be removed, is skipped."""
    entries: list[tuple[float, Path]] = []
    try:
        for p in folder.iterdir():
            if p.suffix in (".png", ".svg") and p.is_file():
                try:
                    entries.append((p.stat().st_mtime, p))
                except FileNotFoundError:
                    continue
    except FileNotFoundError:
        return 0
    if len(entries) <= keep:
        return 0
    entries.sort(key=lambda e: e[0])
    removed = 0
    for _, p in entries[: len(entries) - keep]:
        try:
            p.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            logger.warning("could not remove the old depiction %s: %s", p.name, exc.strerror)
    return removed
