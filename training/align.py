"""Multimodal alignment of the ViT-MLP-LLM (ChemVLM's recipe, after InternVL).

Images are tiled dynamically (448-px tiles, up to 12, plus a thumbnail) exactly as at inference
(`models.vlm.tiling`). Stage 1 trains the projector and LoRA on the vision encoder with the LLM
frozen, teaching the projector to speak the LLM's embedding language; stage 2 adds LoRA on the LLM
and keeps the vision LoRA and projector training. Each stage exports a merged checkpoint that the
in-process VLM backend loads, and stage 2 starts from stage 1's.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np

from training.base import base_checkpoint, make_accelerator
from training.config import LoRASpec, RunConfig
from training.data.dialogue import Dialogue, Turn, collate, padding_id, tokenize_dialogue
from training.data.images import ImagePair, read_pairs
from training.data.order import EpochOrder
from training.loop import Batch, Trainer, TrainResult

logger = logging.getLogger(__name__)

PROMPTS = [
    "What is the SMILES of the molecule in this image?",
    "Recognise the chemical structure drawn here and write it as SMILES.",
    "Convert this structure image to a SMILES string.",
    "Which molecule is shown? Answer with its SMILES.",
]


def target_regex(cfg: RunConfig) -> tuple[LoRASpec | None, str | None]:
    """The LoRA spec (the vision one when both towers have adapters; the LLM's rank and alpha
    then go in as a per-module override) and one regex over both towers' module names."""
    assert cfg.stage is not None
    parts, spec = [], None
    if cfg.stage.vision_lora:
        parts.append(rf".*vision_model\..*\.({'|'.join(cfg.stage.vision_targets)})$")
        spec = cfg.stage.vision_lora
    if cfg.stage.llm_lora:
        parts.append(rf".*language_model\.(.*\.)?({'|'.join(cfg.stage.llm_targets)})$")
        spec = spec or cfg.stage.llm_lora
    return spec, ("|".join(f"(?:{p})" for p in parts) if parts else None)


def freeze_for_stage(model: Any, cfg: RunConfig) -> Any:
    """Stage 1: projector + vision LoRA; stage 2: projector + vision LoRA + LLM LoRA."""
    import torch

    from training import lora

    assert cfg.stage is not None
    spec, regex = target_regex(cfg)
    if regex is None:
        for name, p in model.named_parameters():
            p.requires_grad = name.startswith("mlp1.")
        return model
    torch.manual_seed(cfg.train.seed)
    assert spec is not None
    both = cfg.stage.vision_lora and cfg.stage.llm_lora
    return lora.attach(
        model,
        spec.model_copy(update={"target_modules": regex}),
        modules_to_save=["mlp1"],
        override=(r"language_model\..*", cfg.stage.llm_lora)
        if both and cfg.stage.llm_lora
        else None,
    )


class ImageDialogues:
    """Image-SMILES pairs as tokenized dialogues with their tiles, read from disk per batch."""

    def __init__(
        self, pairs: list[ImagePair], model_config: Any, tokenizer: Any, cfg: RunConfig
    ) -> None:
        if not pairs:
            raise ValueError("the image manifest has no pairs")
        self.pairs, self.config, self.tokenizer, self.cfg = pairs, model_config, tokenizer, cfg
        assert cfg.align is not None
        self.max_tiles = cfg.align.max_tiles or model_config.max_tiles
        self.order = EpochOrder(len(pairs), cfg.train.seed)
        self.pad = padding_id(tokenizer)

    def example(self, k: int) -> tuple[list[int], list[int], np.ndarray]:
        from PIL import Image

        from models.formats import CHEMDFM_TEMPLATE
        from models.vlm.modeling import image_prompt
        from models.vlm.tiling import pixel_values, tile

        pair = self.pairs[self.order(k)]
        vc = self.config.vision_config
        with Image.open(pair.image) as im:
            tiles = tile(im, vc.image_size, self.max_tiles, self.config.use_thumbnail)
        prompt = random.Random(k).choice(PROMPTS)
        dialogue = Dialogue(
            messages=[
                Turn(role="user", content=image_prompt(self.config, len(tiles)) + "\n" + prompt),
                Turn(role="assistant", content=pair.smiles),
            ]
        )
        ids, labels = tokenize_dialogue(self.tokenizer, dialogue, CHEMDFM_TEMPLATE, 10**9)
        return ids, labels, pixel_values(tiles)

    def batch(self, micro: int, size: int) -> Batch:
        import torch

        rows = [self.example(k) for k in range(micro * size, (micro + 1) * size)]
        batch = collate([(ids, labels) for ids, labels, _ in rows], self.pad)
        batch["pixel_values"] = torch.from_numpy(np.concatenate([r[2] for r in rows]))
        return batch


def run(cfg: RunConfig, resume: bool = False) -> TrainResult:
    import torch
    from transformers import AutoTokenizer

    from models.vlm.modeling import ChemVLMForConditionalGeneration
    from training import lora

    assert cfg.align is not None and cfg.stage is not None
    out = cfg.out_dir()
    acc = make_accelerator(cfg.train)
    path = base_checkpoint(cfg, out, acc)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model: Any = ChemVLMForConditionalGeneration.from_pretrained(path, dtype=torch.float32)
    model.image_token_id = tokenizer.convert_tokens_to_ids(model.config.image_token)
    data = ImageDialogues(read_pairs(cfg.resolve(cfg.align.manifest)), model.config, tokenizer, cfg)
    model = freeze_for_stage(model, cfg)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    logger.info("%s: %d trainable parameters", cfg.stage.name, trainable)
    trainer = Trainer(
        acc, model, lambda m: data.batch(m, cfg.train.micro_batch_size), cfg.train, out
    )
    result = trainer.train(resume=resume)
    spec, _ = target_regex(cfg)
    lora.export_trained(acc, trainer.model, tokenizer, out, spec, path, chat_template=None)
    return result
