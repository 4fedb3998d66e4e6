"""Image-SMILES pairs rendered with RDKit for the OCR-style alignment stage.

Each molecule is drawn with randomised appearance, the way structures vary across papers and
patents: canvas size, rotation, bond width, font and font size, functional-group abbreviations
(CO2Et, Ph, ...), atom-index-free labels, and pixel noise. The reference is the canonical SMILES
of the drawn molecule (abbreviations are drawing only; the molecule is unchanged).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from training.files import publish, staging

logger = logging.getLogger(__name__)

FONT_DIRS = [Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype")]


class RenderStyle(BaseModel):
    width: int
    height: int
    rotation: float
    bond_width: float
    font_scale: float
    font_file: str | None
    abbreviate: bool
    noise: float


class ImagePair(BaseModel):
    image: str
    smiles: str
    style: RenderStyle


def system_fonts() -> list[str]:
    """Sans and serif TrueType fonts on this machine; RDKit's own font when there are none."""
    fonts: list[str] = []
    for d in FONT_DIRS:
        if d.is_dir():
            fonts += [str(p) for p in sorted(d.rglob("*.ttf")) if "Mono" not in p.name]
    return fonts


def random_style(rng: random.Random, fonts: list[str]) -> RenderStyle:
    side = rng.choice([224, 256, 300, 384, 448, 512])
    return RenderStyle(
        width=side + rng.choice([0, 0, 64, 128]),
        height=side,
        rotation=rng.choice([0.0, 0.0, rng.uniform(0, 360)]),
        bond_width=rng.uniform(1.0, 3.0),
        font_scale=rng.uniform(0.7, 1.3),
        font_file=rng.choice([None, *fonts]) if fonts else None,
        abbreviate=rng.random() < 0.5,
        noise=rng.choice([0.0, 0.0, rng.uniform(0.01, 0.08)]),
    )


def render(smiles: str, style: RenderStyle, seed: int) -> object:
    """A PIL image of `smiles` drawn in `style`; raises ValueError for SMILES RDKit rejects."""
    from PIL import Image
    from rdkit import Chem
    from rdkit.Chem import rdAbbreviations
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"RDKit cannot parse {smiles!r}")
    if style.abbreviate:
        mol = rdAbbreviations.CondenseMolAbbreviations(
            mol, rdAbbreviations.GetDefaultAbbreviations(), maxCoverage=0.4
        )
    drawer = rdMolDraw2D.MolDraw2DCairo(style.width, style.height)
    opts: Any = drawer.drawOptions()  # RDKit's stubs type the option setters wrongly
    opts.rotate = style.rotation
    opts.bondLineWidth = style.bond_width
    opts.baseFontSize = 0.6 * style.font_scale
    if style.font_file:
        opts.fontFile = style.font_file
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    import io

    image = Image.open(io.BytesIO(drawer.GetDrawingText())).convert("RGB")
    if style.noise:
        arr = np.asarray(image, dtype=np.float32) / 255.0
        gen = np.random.default_rng(seed)
        arr += gen.normal(0, style.noise, arr.shape).astype(np.float32)
        flips = gen.random(arr.shape[:2]) < style.noise / 4  # salt and pepper
        arr[flips] = gen.integers(0, 2, (int(flips.sum()), 1)).astype(np.float32)
        image = Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8))
    return image


def render_pairs(smiles: Iterable[str], out: Path, seed: int = 0, limit: int | None = None) -> int:
    """Render images of `smiles` into `out/images/` with `out/pairs.jsonl`; returns the count.
    Molecules RDKit cannot parse or draw are skipped. Written to a temporary folder first."""
    from training.data.instructions import canonical

    rng = random.Random(seed)
    fonts = system_fonts()
    tmp = staging(out)
    (tmp / "images").mkdir(parents=True)
    n = 0
    with (tmp / "pairs.jsonl").open("w", encoding="utf-8") as fh:
        for smi in smiles:
            if limit is not None and n >= limit:
                break
            can = canonical(smi)
            if can is None:
                continue
            style = random_style(rng, fonts)
            try:
                image = render(can, style, seed=seed * 1_000_003 + n)
            except (ValueError, RuntimeError) as exc:
                logger.debug("cannot draw %s: %s", can, exc)
                continue
            name = f"images/{n:06d}.png"
            image.save(tmp / name)
            fh.write(ImagePair(image=name, smiles=can, style=style).model_dump_json() + "\n")
            n += 1
    publish(tmp, out)
    return n


def read_pairs(manifest: Path) -> list[ImagePair]:
    """The pairs of a manifest, image paths made absolute (relative to the manifest)."""
    pairs = []
    with manifest.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                p = ImagePair.model_validate(json.loads(line))
                p.image = str((manifest.parent / p.image).resolve())
                pairs.append(p)
    return pairs
