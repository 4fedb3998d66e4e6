"""Tokens/s of the SFT step (training.loop.Trainer: Accelerate, accumulation, clipping, metrics
log, checkpoint at the end) against a plain PyTorch loop over the same model and batches.

Both start from the same tiny LLaMA weights, see the same padded batches of ChemDFM-format
dialogues (built from ChEBI-20 validation molecules with RDKit) and do the same arithmetic:
AdamW, warm-up + cosine learning rate, gradient clipping, fp32 on the CPU. Tokens/s is the
median over steps after a warm-up, so the one checkpoint the trainer writes is not counted; the
runs alternate (plain, ours, plain, ours) to spread machine noise over both.
Run: `python benchmarks/train_throughput.py [--steps N] [--size tiny|small]`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {
    "tiny": {},  # ~1M parameters: the test model
    "small": {
        "hidden_size": 256,
        "intermediate_size": 688,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
    },
}


def dialogues(n: int) -> list[Any]:
    from training.config import shared_data
    from training.data.instructions import chebi_rows, description_dialogues, formula_dialogues

    rows = list(chebi_rows(shared_data() / "literature" / "chebi20" / "validation.txt"))[:n]
    rng = random.Random(0)
    return [*description_dialogues(rows, rng), *formula_dialogues([s for s, _ in rows], rng)]


def plain_loop(model: Any, batch: Any, spec: Any, warmup: int) -> float:
    import torch

    from training.loop import lr_at, param_groups

    opt = torch.optim.AdamW(
        param_groups(model, spec.weight_decay), lr=spec.lr, betas=spec.adam_betas
    )
    model.train()
    rates = []
    for step in range(spec.max_steps):
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, spec)
        b = batch(step)
        loss = model(**b).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), spec.max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        float(loss.detach())
        rates.append(int(b["attention_mask"].sum()) / (time.perf_counter() - t0))
    return statistics.median(rates[warmup:])


def trainer_loop(model: Any, batch: Any, spec: Any, warmup: int, out: Path) -> float:
    from training.base import make_accelerator
    from training.loop import Trainer

    Trainer(make_accelerator(spec), model, batch, spec, out).train()
    rates = [
        json.loads(line)["tokens_per_s"]
        for line in (out / "metrics.jsonl").read_text().splitlines()
    ]
    return statistics.median(rates[warmup:])


def main() -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from models.formats import CHEMDFM_TEMPLATE
    from models.tiny import TinyLlamaSize, build_tiny_llama
    from training.config import TrainSpec
    from training.data.dialogue import padding_id, tokenize_dialogue
    from training.sft import TokenizedDialogues

    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    spec = TrainSpec(
        max_steps=args.steps,
        micro_batch_size=args.batch,
        seq_len=256,
        lr=1e-3,
        warmup_steps=5,
        save_every=10**6,
        weight_decay=0.01,
        device="cpu",
        precision="fp32",
    )
    with tempfile.TemporaryDirectory() as tmp:
        base = build_tiny_llama(Path(tmp) / "base", TinyLlamaSize(**SIZES[args.size]))
        tok = AutoTokenizer.from_pretrained(base)
        rows = [tokenize_dialogue(tok, d, CHEMDFM_TEMPLATE, spec.seq_len) for d in dialogues(400)]
        data = TokenizedDialogues(rows, padding_id(tok), seed=0)

        def batch(micro: int) -> Any:
            return data.batch(micro, spec.micro_batch_size)

        def fresh() -> Any:
            return AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)

        n_params = sum(p.numel() for p in fresh().parameters())
        warm = 5
        plain, ours = [], []
        for rep in range(2):
            plain.append(plain_loop(fresh(), batch, spec, warm))
            ours.append(trainer_loop(fresh(), batch, spec, warm, Path(tmp) / f"run{rep}"))
    p, o = statistics.mean(plain), statistics.mean(ours)
    print(
        f"model: tiny LLaMA '{args.size}' ({n_params / 1e6:.2f}M parameters), CPU fp32, "
        f"{torch.get_num_threads()} threads; micro-batch {args.batch} dialogues, {args.steps} steps x 2 runs"
    )
    print(
        f"plain PyTorch loop : {p:10.0f} tokens/s  (runs: {', '.join(f'{x:.0f}' for x in plain)})"
    )
    print(f"training.loop      : {o:10.0f} tokens/s  (runs: {', '.join(f'{x:.0f}' for x in ours)})")
    print(f"ratio (ours / plain): {o / p:.3f}")


if __name__ == "__main__":
    main()
