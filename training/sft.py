"""Instruction tuning in the dialogue format, loss on assistant tokens only; full-parameter or
LoRA; the result exported as a Hugging Face checkpoint that `models/` loads and vLLM serves."""

from __future__ import annotations

import logging
from typing import Any

from training.base import base_checkpoint, load_causal_lm, make_accelerator
from training.config import RunConfig
from training.data.dialogue import (
    IGNORE,
    Dialogue,
    collate,
    padding_id,
    read_dialogues,
    tokenize_dialogue,
)
from training.data.mixer import mix
from training.data.order import EpochOrder
from training.loop import Batch, Trainer, TrainResult

logger = logging.getLogger(__name__)


def template_for(cfg: RunConfig) -> str | None:
    """ChemDFM's [Round n] template, or None for the checkpoint's own chat template."""
    from models.formats import CHEMDFM_TEMPLATE

    assert cfg.sft is not None
    return CHEMDFM_TEMPLATE if cfg.sft.format == "chemdfm" else None


def load_dialogues(cfg: RunConfig) -> list[Dialogue]:
    assert cfg.sft is not None
    chem = [d for p in cfg.sft.chemistry for d in read_dialogues(cfg.resolve(p))]
    general = [d for p in cfg.sft.general for d in read_dialogues(cfg.resolve(p))]
    return mix(chem, general, cfg.sft.ratio, cfg.train.seed)


class TokenizedDialogues:
    """Dialogues as (input_ids, labels); batches are padded to their longest member."""

    def __init__(self, rows: list[tuple[list[int], list[int]]], pad_id: int, seed: int) -> None:
        rows = [r for r in rows if any(x != IGNORE for x in r[1])]
        if not rows:
            raise ValueError("no dialogue has an assistant token left after truncation")
        self.rows, self.pad_id = rows, pad_id
        self.order = EpochOrder(len(rows), seed)

    def __len__(self) -> int:
        return len(self.rows)

    def batch(self, micro: int, size: int) -> Batch:
        rows = [self.rows[self.order(k)] for k in range(micro * size, (micro + 1) * size)]
        return collate(rows, self.pad_id)


def tokenize_all(cfg: RunConfig, tokenizer: Any, dialogues: list[Dialogue]) -> TokenizedDialogues:
    template = template_for(cfg)
    rows = [tokenize_dialogue(tokenizer, d, template, cfg.train.seq_len) for d in dialogues]
    return TokenizedDialogues(rows, padding_id(tokenizer), cfg.train.seed)


def run(cfg: RunConfig, resume: bool = False) -> TrainResult:
    import torch

    from training import lora

    out = cfg.out_dir()
    acc = make_accelerator(cfg.train)
    base = base_checkpoint(cfg, out, acc)
    model, tokenizer = load_causal_lm(base, cfg)
    data = tokenize_all(cfg, tokenizer, load_dialogues(cfg))
    logger.info("%d training dialogues", len(data))
    if cfg.lora:
        torch.manual_seed(cfg.train.seed)  # LoRA's A matrices are random: same seed, same run
        model = lora.attach(model, cfg.lora)
    trainer = Trainer(
        acc, model, lambda m: data.batch(m, cfg.train.micro_batch_size), cfg.train, out
    )
    result = trainer.train(resume=resume)
    lora.export_trained(acc, trainer.model, tokenizer, out, cfg.lora, base, template_for(cfg))
    return result
