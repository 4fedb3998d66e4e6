"""Continued pretraining of a causal LM on a packed chemistry corpus (ChemDFM's first stage:
LLaMA-13B on 34B tokens of papers and textbooks). Next-token loss over every token."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

from training.base import base_checkpoint, export, load_causal_lm, make_accelerator
from training.config import RunConfig
from training.data.corpus import read_documents
from training.data.packing import PackedDataset, load_or_pack
from training.loop import Batch, Trainer, TrainResult

logger = logging.getLogger(__name__)


def packed_data(cfg: RunConfig, tokenizer: Any, out: Path, acc: Any) -> PackedDataset:
    """Pack the sources once (main process) into `out/data`; every process memory-maps it."""
    assert cfg.pretrain is not None
    sources = cfg.pretrain.sources
    names = [f"{cfg.resolve(s.path)}:{','.join(s.fields)}:{s.limit}" for s in sources]
    docs = itertools.chain.from_iterable(
        read_documents(cfg.resolve(s.path), s.fields, s.limit) for s in sources
    )
    folder = out / "data"
    if acc.is_main_process:
        load_or_pack(docs, tokenizer, folder, cfg.train.seq_len, names)
    acc.wait_for_everyone()
    return PackedDataset(folder)


def batch_fn(data: PackedDataset, cfg: RunConfig) -> Any:
    import torch

    def batch(micro: int) -> Batch:
        ids = torch.from_numpy(data.batch(micro, cfg.train.micro_batch_size, cfg.train.seed))
        return {"input_ids": ids, "labels": ids, "attention_mask": torch.ones_like(ids)}

    return batch


def run(cfg: RunConfig, resume: bool = False) -> TrainResult:
    out = cfg.out_dir()
    acc = make_accelerator(cfg.train)
    model, tokenizer = load_causal_lm(base_checkpoint(cfg, out, acc), cfg)
    data = packed_data(cfg, tokenizer, out, acc)
    logger.info("%d sequences of %d tokens", len(data), cfg.train.seq_len)
    trainer = Trainer(acc, model, batch_fn(data, cfg), cfg.train, out)
    result = trainer.train(resume=resume)
    export(trainer.model, tokenizer, out / "final", acc, chat_template=None)
    return result
