"""An InternViT-style vision encoder: patch + class + position embeddings, pre-norm blocks
with layer scale. Parameter names follow InternVL's so real weights map onto it."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from models.vlm.config import VisionConfig


class Embeddings(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(1, 1, cfg.hidden_size) * 0.02)
        self.patch_embedding = nn.Conv2d(3, cfg.hidden_size, cfg.patch_size, cfg.patch_size)
        n = (cfg.image_size // cfg.patch_size) ** 2 + 1
        self.position_embedding = nn.Parameter(torch.randn(1, n, cfg.hidden_size) * 0.02)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        patches = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(patches.shape[0], -1, -1)
        out: torch.Tensor = torch.cat([cls, patches], dim=1) + self.position_embedding
        return out


class Attention(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.qkv = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        out = nn.functional.scaled_dot_product_attention(q, k, v)
        result: torch.Tensor = self.proj(out.transpose(1, 2).reshape(b, n, d))
        return result


class Block(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        d = cfg.hidden_size
        self.norm1 = nn.LayerNorm(d, eps=cfg.layer_norm_eps)
        self.attn = Attention(cfg)
        self.norm2 = nn.LayerNorm(d, eps=cfg.layer_norm_eps)
        self.mlp = nn.Sequential()
        self.mlp.add_module("fc1", nn.Linear(d, cfg.intermediate_size))
        self.mlp.add_module("act", nn.GELU())
        self.mlp.add_module("fc2", nn.Linear(cfg.intermediate_size, d))
        self.ls1 = nn.Parameter(cfg.initializer_factor * torch.ones(d))
        self.ls2 = nn.Parameter(cfg.initializer_factor * torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x)) * self.ls1
        out: torch.Tensor = x + self.mlp(self.norm2(x)) * self.ls2
        return out


class VisionEncoder(nn.Module):
    """Pixels (tiles, 3, H, W) -> patch features (tiles, patches, hidden) of layer `select`."""

    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.num_hidden_layers))

    def forward(self, pixels: torch.Tensor, select_layer: int = -1) -> torch.Tensor:
        x = self.embeddings(pixels)
        layers: Any = self.encoder.layers
        stop = len(layers) + select_layer + 1 if select_layer < 0 else select_layer
        for block in list(layers)[:stop]:
            x = block(x)
        return x[:, 1:]  # drop the class token
