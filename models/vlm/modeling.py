"""The ViT-MLP-LLM: image tiles -> encoder -> pixel shuffle -> projector -> LLM embeddings.

The tokens `<IMG_CONTEXT>` in the prompt are placeholders, one per image token; their
embeddings are replaced by the projected image features before the LLM runs. A stage of
training is a choice of which of the three parts (and LoRA on which) are trainable.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import LlamaForCausalLM, PreTrainedModel

from models.vlm.config import ChemVLMConfig
from models.vlm.projector import build_projector, pixel_shuffle
from models.vlm.vision import VisionEncoder


class ChemVLMForConditionalGeneration(PreTrainedModel):
    """Vision encoder (`vision_model`), projector (`mlp1`) and LLM (`language_model`)."""

    config_class = ChemVLMConfig
    base_model_prefix = "chemvlm"
    _no_split_modules = ["Block", "LlamaDecoderLayer"]

    def __init__(self, config: ChemVLMConfig) -> None:
        super().__init__(config)
        v, llm = config.vision_config, config.llm_config
        self.vision_model = VisionEncoder(v)
        merged = int(v.hidden_size / config.downsample_ratio**2)
        self.mlp1 = build_projector(config.projector, merged, llm.hidden_size)
        self.language_model = LlamaForCausalLM(llm)
        self.image_token_id: int | None = None
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Conv2d):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def image_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(tiles, 3, H, W) -> (tiles * tokens_per_tile, llm_hidden)."""
        feats = self.vision_model(pixel_values, self.config.select_layer)
        feats = pixel_shuffle(feats, self.config.downsample_ratio)
        out: torch.Tensor = self.mlp1(feats)
        return out.reshape(-1, out.shape[-1])

    def embed(self, input_ids: torch.Tensor, pixel_values: torch.Tensor | None) -> torch.Tensor:
        """Token embeddings with the image placeholders filled by image features."""
        embeds: torch.Tensor = self.language_model.get_input_embeddings()(input_ids)
        if pixel_values is None:
            return embeds
        if self.image_token_id is None:
            raise ValueError("set model.image_token_id (the tokenizer's <IMG_CONTEXT> id) first")
        mask = input_ids == self.image_token_id
        feats = self.image_features(pixel_values.to(embeds.dtype))
        if int(mask.sum()) != feats.shape[0]:
            raise ValueError(
                f"the prompt has {int(mask.sum())} image tokens but the image gives "
                f"{feats.shape[0]}; build the prompt with image_prompt()"
            )
        embeds = embeds.clone()
        embeds[mask] = feats
        return embeds

    def forward(
        self,
        input_ids: torch.Tensor,
        pixel_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        return self.language_model(
            inputs_embeds=self.embed(input_ids, pixel_values),
            attention_mask=attention_mask,
            labels=labels,
            **kwargs,
        )

    @torch.inference_mode()
    def generate(
        self,
        input_ids: torch.Tensor,
        pixel_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        """New token ids only (the LLM generates from embeddings, so the prompt is not echoed)."""
        out: Any = self.language_model.generate(
            inputs_embeds=self.embed(input_ids, pixel_values),
            attention_mask=attention_mask,
            **kwargs,
        )
        return torch.as_tensor(out)


def image_prompt(config: ChemVLMConfig, tiles: int) -> str:
    """The text that stands for one image of `tiles` tiles: <img> + placeholders + </img>."""
    return (
        config.image_start
        + config.image_token * (tiles * config.tokens_per_tile)
        + config.image_end
    )
