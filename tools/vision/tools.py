"""The `recognize_structure` tool: an image in, validated structures out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools.base import Tool, ToolError, ToolInputError, ToolResult, tool
from tools.chem.mol import ChemLimits, canonical_smiles
from tools.vision.osra import OsraUnavailable, recognise
from tools.vision.settings import VisionSettings

logger = logging.getLogger(__name__)

# Reads an image with a vision-language model and returns its raw reply; raises ToolError.
ImageReader = Callable[[Path], str]


class ImageArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: str = Field(description="Path of an image file (PNG, JPEG, GIF, TIFF) of a structure.")


def _same(a: str, b: str) -> bool:
    from rdkit import Chem

    ma, mb = Chem.MolFromSmiles(a), Chem.MolFromSmiles(b)
    return bool(ma and mb and Chem.MolToInchi(ma) == Chem.MolToInchi(mb))


def vision_tools(
    settings: VisionSettings, limits: ChemLimits, vlm: ImageReader | None = None
) -> list[Tool]:
    """`recognize_structure` over OSRA, with a vision-language model (ChemVLM) as a second
    reader when `vlm` is given."""

    def ask_vlm(path: Path) -> str:
        assert vlm is not None
        reply = vlm(path).strip()
        token = reply.split()[0].strip("`.") if reply else ""
        if not token:
            raise ToolInputError("the reply was empty")
        return canonical_smiles(token, limits)

    @tool("recognize_structure", ImageArgs)
    def recognize_structure(args: ImageArgs) -> ToolResult:
        """Read the chemical structure drawn in an image file (optical structure recognition
        with OSRA, and the ChemVLM model when one is served); returns canonical SMILES."""
        path = Path(args.image).expanduser()
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError as exc:  # a name too long, a permission problem
            raise ToolInputError(f"cannot open image {args.image[:80]!r}: {exc.strerror}") from None
        if size is None:
            raise ToolInputError(f"image not found: {args.image[:200]}")
        if size > settings.max_image_mb * 1e6:
            raise ToolInputError(
                f"{path.name} is larger than {settings.max_image_mb:g} MB (vision.max_image_mb)"
            )
        notes: list[str] = []
        found: list[str] = []
        osra_error: ToolError | None = None
        try:
            for raw in recognise(path, settings.osra, settings.timeout_s):
                try:
                    found.append(canonical_smiles(raw, limits))
                except ToolInputError:
                    notes.append(f"OSRA read {raw!r}, which RDKit rejects")
        except OsraUnavailable as exc:
            osra_error = exc
        data: dict[str, Any] = {"image": str(path), "structures": found}
        vlm_smiles = None
        if vlm is not None:
            try:
                vlm_smiles = ask_vlm(path)
                data["vlm_smiles"] = vlm_smiles
            except ToolError as exc:
                notes.append(f"ChemVLM gave no valid SMILES: {exc}")
        if not found and vlm_smiles is None:
            if osra_error is not None:
                raise osra_error
            raise ToolInputError(
                f"no structure recognised in {path.name}"
                + (f" ({'; '.join(notes)})" if notes else "")
                + "; try a sharper, larger image of one structure"
            )
        primary = found[0] if found else str(vlm_smiles)
        source = "OSRA" if found else "ChemVLM"
        data.update(smiles=primary, source=source, notes=notes)
        summary = f"{path.name} -> {primary} ({source})"
        if found and vlm_smiles is not None:
            agree = _same(primary, vlm_smiles)
            data["agree"] = agree
            summary += "; ChemVLM agrees" if agree else f"; ChemVLM read {vlm_smiles} instead"
        if len(found) > 1:
            summary += f"; {len(found)} structures in the image"
        return ToolResult(summary=summary, data=data)

    return [recognize_structure]
