"""Dynamic high-resolution tiling as InternVL and ChemVLM do it. Pure: PIL and NumPy only.

An image is cut into 448-px tiles on the grid (columns x rows, at most `max_tiles`) whose aspect
ratio is closest to the image's, plus a 448-px thumbnail of the whole image when there is more
than one tile, so a wide reaction scheme keeps its detail and its overview.
"""

from __future__ import annotations

from typing import Any

import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def grids(max_tiles: int, min_tiles: int = 1) -> list[tuple[int, int]]:
    """Every (columns, rows) with min_tiles <= columns*rows <= max_tiles, fewest tiles first."""
    found = {
        (c, r)
        for n in range(min_tiles, max_tiles + 1)
        for c in range(1, n + 1)
        for r in range(1, n + 1)
        if min_tiles <= c * r <= max_tiles
    }
    return sorted(found, key=lambda g: (g[0] * g[1], g))


def best_grid(width: int, height: int, size: int, max_tiles: int) -> tuple[int, int]:
    """The grid whose aspect ratio is closest to the image's; on a tie, the larger grid if the
    image has the pixels to fill more than half of it (InternVL's rule)."""
    aspect = width / height
    best, best_diff = (1, 1), float("inf")
    for c, r in grids(max_tiles):
        diff = abs(aspect - c / r)
        if diff < best_diff:
            best, best_diff = (c, r), diff
        elif diff == best_diff and width * height > 0.5 * size * size * c * r:
            best = (c, r)
    return best


def tile(image: Any, size: int = 448, max_tiles: int = 12, thumbnail: bool = True) -> list[Any]:
    """PIL tiles of `image` (RGB), left to right, top to bottom, then the thumbnail."""
    image = image.convert("RGB")
    cols, rows = best_grid(image.width, image.height, size, max_tiles)
    resized = image.resize((cols * size, rows * size))
    tiles = [
        resized.crop((x * size, y * size, (x + 1) * size, (y + 1) * size))
        for y in range(rows)
        for x in range(cols)
    ]
    if thumbnail and len(tiles) > 1:
        tiles.append(image.resize((size, size)))
    return tiles


def pixel_values(tiles: list[Any]) -> np.ndarray:
    """(tiles, 3, size, size) float32, normalised with ImageNet mean and std as InternViT was."""
    arr = np.stack([np.asarray(t, dtype=np.float32) / 255.0 for t in tiles])
    arr = (arr - IMAGENET_MEAN) / IMAGENET_STD
    return arr.transpose(0, 3, 1, 2).copy()
