"""Projectors from vision features to LLM embeddings, selected by name (LLaVA's convention)."""

from __future__ import annotations

import torch
from torch import nn


def pixel_shuffle(x: torch.Tensor, ratio: float) -> torch.Tensor:
    """(tiles, side*side, c) -> (tiles, side*side*ratio^2, c/ratio^2): InternVL's token merge,
    which turns 1024 patches of a 448-px tile into 256 image tokens at ratio 0.5."""
    n, p, c = x.shape
    side = int(p**0.5)
    x = x.view(n, side, side, c)
    x = x.view(n, side, int(side * ratio), int(c / ratio))
    x = x.permute(0, 2, 1, 3).contiguous()
    x = x.view(n, int(side * ratio), int(side * ratio), int(c / (ratio * ratio)))
    x = x.permute(0, 2, 1, 3).contiguous()
    return x.view(n, -1, x.shape[-1])


def build_projector(kind: str, vision_dim: int, llm_dim: int) -> nn.Sequential:
    """`mlp2x_gelu`: LayerNorm, Linear, GELU, Linear (InternVL's `mlp1`); `linear`: one layer."""
    if kind == "mlp2x_gelu":
        return nn.Sequential(
            nn.LayerNorm(vision_dim),
            nn.Linear(vision_dim, llm_dim),
            nn.GELU(),
            nn.Linear(llm_dim, llm_dim),
        )
    if kind == "linear":
        return nn.Sequential(nn.Linear(vision_dim, llm_dim))
    raise ValueError(f"unknown projector {kind!r}; known: mlp2x_gelu, linear")
