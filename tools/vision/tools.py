"""The `recognize_structure` tool: an image in, validated structures out."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.deadline import limit
from tools.base import (
    Tool,
    ToolDeadlineExceeded,
    ToolError,
    ToolInputError,
    ToolResult,
    ToolTimeout,
    tool,
)
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


def check_image(path: Path, shown: str, settings: VisionSettings) -> Path:
    """The image, after its size on disk and its declared pixel count are checked: only the
    header is read, so a decompression bomb is refused before OSRA or the model decode it."""
    from PIL import Image, UnidentifiedImageError

    try:
        size = path.stat().st_size if path.is_file() else None
    except OSError as exc:  # a name too long, a permission problem
        raise ToolInputError(f"cannot open image {shown[:80]!r}: {exc.strerror}") from None
    if size is None:
        raise ToolInputError(f"image not found: {shown[:200]}")
    if size > settings.max_image_mb * 1e6:
        raise ToolInputError(
            f"{path.name} is larger than {settings.max_image_mb:g} MB (vision.max_image_mb)"
        )
    try:
        with Image.open(path) as img:
            width, height = img.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ToolInputError(
            f"{path.name} is not an image that can be read (PNG, JPEG, GIF, TIFF): {exc}"
        ) from None
    except Image.DecompressionBombError:
        width, height = 10**6, 10**6
    if width * height > settings.max_megapixels * 1e6:
        raise ToolInputError(
            f"{path.name} declares {width} x {height} pixels, more than "
            f"{settings.max_megapixels:g} megapixels (vision.max_megapixels); send a smaller "
            "image of the structure"
        )
    return path


def run_side_by_side(readers: dict[str, Callable[[], Any]], timeout_s: float) -> dict[str, Any]:
    """Each reader's result, or the `ToolError` it ended with, run in parallel threads that see
    the question's deadline."""
    pool = ThreadPoolExecutor(max_workers=len(readers))
    futures = {
        name: pool.submit(contextvars.copy_context().run, fn) for name, fn in readers.items()
    }
    out: dict[str, Any] = {}
    try:
        wait_s = limit(timeout_s, "image recognition", raises=ToolDeadlineExceeded) + 5.0
        for name, fut in futures.items():
            try:
                out[name] = fut.result(timeout=wait_s)
            except FutureTimeout:
                out[name] = ToolTimeout(f"{name} ran out of time")
            except ToolError as exc:
                out[name] = exc
            except Exception as exc:  # a reader's bug must not lose the other's answer
                logger.exception("%s failed unexpectedly", name)
                out[name] = ToolError(f"{type(exc).__name__}: {exc}")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return out


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

    def read_osra(path: Path) -> tuple[list[str], list[str]]:
        found, notes = [], []
        for raw in recognise(path, settings.osra, settings.timeout_s):
            try:
                found.append(canonical_smiles(raw, limits))
            except ToolInputError:
                notes.append(f"OSRA read {raw!r}, which RDKit rejects")
        return found, notes

    @tool("recognize_structure", ImageArgs)
    def recognize_structure(args: ImageArgs) -> ToolResult:
        """Read the chemical structure drawn in an image file (optical structure recognition
        with OSRA, and the ChemVLM model when one is served); returns canonical SMILES."""
        path = check_image(Path(args.image).expanduser(), args.image, settings)
        # OSRA and ChemVLM read side by side: either's answer survives the other's failure.
        readers: dict[str, Callable[[], Any]] = {"OSRA": lambda: read_osra(path)}
        if vlm is not None:
            readers["ChemVLM"] = lambda: ask_vlm(path)
        outcome = run_side_by_side(readers, settings.timeout_s)
        notes: list[str] = []
        failures: list[str] = []  # a reader that failed, named in the summary
        found: list[str] = []
        osra_error: ToolError | None = None
        if isinstance(outcome["OSRA"], ToolError):
            osra_error = outcome["OSRA"]
            if not isinstance(osra_error, OsraUnavailable):
                failures.append(f"OSRA failed: {osra_error}")
        else:
            found, osra_notes = outcome["OSRA"]
            notes.extend(osra_notes)
        data: dict[str, Any] = {"image": str(path), "structures": found}
        vlm_smiles = None
        if vlm is not None:
            if isinstance(outcome["ChemVLM"], ToolError):
                failures.append(f"ChemVLM gave no valid SMILES: {outcome['ChemVLM']}")
            else:
                vlm_smiles = str(outcome["ChemVLM"])
                data["vlm_smiles"] = vlm_smiles
        notes = [*failures, *notes]
        if not found and vlm_smiles is None:
            if vlm is None and osra_error is not None:
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
        if failures:
            summary += "; " + "; ".join(failures)
        return ToolResult(summary=summary, data=data)

    return [recognize_structure]
