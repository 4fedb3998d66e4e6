"""2D depictions written to PNG or SVG files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from rdkit import Chem

from tools.base import ToolError


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
