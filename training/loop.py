"""The training loop every recipe shares: AdamW, warm-up + cosine learning rate, gradient
accumulation, mixed precision, checkpoints that resume exactly, a metrics log and a progress bar.

Devices and parallelism come from Hugging Face Accelerate, so the same loop runs on this CPU,
on one GPU, and under `accelerate launch` with DDP, FSDP or DeepSpeed ZeRO-3 on a multi-GPU node.
A checkpoint is Accelerate's state (model, optimizer, every RNG, sharded where the run is) plus
the step number; the data a step sees is a pure function of its step, so a resumed run repeats
the uninterrupted one batch for batch. Checkpoints are written whole or not at all (`training.files`),
so a run killed while saving resumes from the previous one.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from training.config import TrainSpec
from training.files import partial, publish, staging

logger = logging.getLogger(__name__)

Batch = dict[str, Any]
BatchFn = Callable[[int], Batch]  # global micro-batch index -> tensors on the CPU


class StepMetrics(BaseModel):
    step: int
    loss: float
    lr: float
    grad_norm: float | None
    tokens: int
    tokens_per_s: float
    elapsed_s: float


class TrainResult(BaseModel):
    steps: int
    final_loss: float
    resumed_from: int | None
    tokens_per_s: float
    out: str


class _Progress:
    """The step number, registered with Accelerate so it is saved and restored with the rest."""

    def __init__(self) -> None:
        self.step = 0

    def state_dict(self) -> dict[str, int]:
        return {"step": self.step}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.step = int(state["step"])


def lr_at(step: int, spec: TrainSpec) -> float:
    """Linear warm-up to `lr`, then cosine decay to `lr * min_lr_ratio` at `max_steps`."""
    if spec.warmup_steps and step < spec.warmup_steps:
        return spec.lr * (step + 1) / spec.warmup_steps
    span = max(1, spec.max_steps - spec.warmup_steps)
    t = min(1.0, (step - spec.warmup_steps) / span)
    floor = spec.lr * spec.min_lr_ratio
    return floor + 0.5 * (spec.lr - floor) * (1 + math.cos(math.pi * t))


def resolve_precision(spec: TrainSpec, device: str) -> str:
    """bf16 on a GPU, fp32 on the CPU (CPU bf16 autocast is slower and less exact)."""
    if spec.precision == "auto":
        return "bf16" if device.startswith("cuda") else "no"
    return "bf16" if spec.precision == "bf16" else "no"


def param_groups(model: Any, weight_decay: float) -> list[dict[str, Any]]:
    """Trainable parameters; no weight decay on biases and norm weights (1-D tensors)."""
    decay: list[Any] = []
    no_decay: list[Any] = []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 else decay).append(p)
    if not decay and not no_decay:
        raise ValueError("nothing to train: every parameter is frozen")
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


_CHECKPOINT = re.compile(r"step-\d+")  # not step-N.partial (being written) or .old (replaced)


def checkpoints(out: Path) -> list[Path]:
    """Complete checkpoints in `out/checkpoints`, oldest first."""
    folder = out / "checkpoints"
    if not folder.is_dir():
        return []
    done = [p for p in folder.iterdir() if _CHECKPOINT.fullmatch(p.name)]
    return sorted(done, key=lambda p: int(p.name.split("-")[1]))


class Trainer:
    """Runs `spec.max_steps` optimizer steps of `model` on `batches` and checkpoints to `out`."""

    def __init__(self, acc: Any, model: Any, batches: BatchFn, spec: TrainSpec, out: Path) -> None:
        self.acc = acc
        self.model = model
        self.batches = batches
        self.spec = spec
        self.out = out

    def train(self, resume: bool = False) -> TrainResult:
        import torch
        from tqdm.auto import tqdm

        spec = self.spec
        torch.manual_seed(spec.seed)
        acc = self.acc
        optimizer = torch.optim.AdamW(
            param_groups(self.model, spec.weight_decay), lr=spec.lr, betas=spec.adam_betas
        )
        model, optimizer = acc.prepare(self.model, optimizer)
        self.model = model
        progress = _Progress()
        acc.register_for_checkpointing(progress)
        resumed = None
        if resume and (found := checkpoints(self.out)):
            acc.load_state(str(found[-1]))
            resumed = progress.step
            logger.info("resumed from %s (step %d)", found[-1], progress.step)
        elif not resume and checkpoints(self.out):
            raise FileExistsError(
                f"{self.out} already has checkpoints: pass --resume to continue that run, or "
                "choose another --out"
            )
        log = self.out / "metrics.jsonl"
        if acc.is_main_process:
            self.out.mkdir(parents=True, exist_ok=True)
            _truncate_log(log, progress.step)
        model.train()
        world, rank = acc.num_processes, acc.process_index
        bar = tqdm(
            total=spec.max_steps,
            initial=progress.step,
            desc="train",
            unit="step",
            disable=not acc.is_main_process or None,
        )
        started = time.perf_counter()
        total_tokens, loss_value = 0, float("nan")
        while progress.step < spec.max_steps:
            step = progress.step
            lr = lr_at(step, spec)
            for group in optimizer.param_groups:
                group["lr"] = lr
            t0 = time.perf_counter()
            losses, tokens = [], 0
            grad_norm = None
            for k in range(spec.grad_accum):
                micro = (step * spec.grad_accum + k) * world + rank
                batch = {n: v.to(acc.device) for n, v in self.batches(micro).items()}
                tokens += (
                    int(batch["attention_mask"].sum())
                    if "attention_mask" in batch
                    else batch["input_ids"].numel()
                )
                with acc.accumulate(model), acc.autocast():
                    loss = model(**batch).loss
                    acc.backward(loss)
                    if acc.sync_gradients and spec.max_grad_norm:
                        grad_norm = float(
                            acc.clip_grad_norm_(model.parameters(), spec.max_grad_norm)
                        )
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                losses.append(float(loss.detach()))
            loss_value = float(
                acc.reduce(torch.tensor(sum(losses) / len(losses), device=acc.device), "mean")
            )
            progress.step += 1
            dt = time.perf_counter() - t0
            total_tokens += tokens * world
            m = StepMetrics(
                step=progress.step,
                loss=loss_value,
                lr=lr,
                grad_norm=grad_norm,
                tokens=tokens * world,
                tokens_per_s=tokens * world / dt if dt > 0 else 0.0,
                elapsed_s=time.perf_counter() - started,
            )
            if acc.is_main_process and (
                progress.step % spec.log_every == 0 or progress.step == spec.max_steps
            ):
                with log.open("a", encoding="utf-8") as fh:
                    fh.write(m.model_dump_json() + "\n")
            bar.set_postfix(loss=f"{loss_value:.4f}", lr=f"{lr:.2e}", tok_s=f"{m.tokens_per_s:.0f}")
            bar.update(1)
            if progress.step % spec.save_every == 0 or progress.step == spec.max_steps:
                self._save(acc, progress.step)
        bar.close()
        if math.isnan(loss_value) and log.is_file():  # resumed a finished run: its last logged loss
            lines = log.read_text("utf-8").splitlines()
            loss_value = json.loads(lines[-1])["loss"] if lines else loss_value
        elapsed = time.perf_counter() - started
        return TrainResult(
            steps=progress.step,
            final_loss=loss_value,
            resumed_from=resumed,
            tokens_per_s=total_tokens / elapsed if elapsed > 0 else 0.0,
            out=str(self.out),
        )

    def _save(self, acc: Any, step: int) -> None:
        folder = self.out / "checkpoints"
        final = folder / f"step-{step:06d}"
        tmp = partial(final)  # every process writes its shard here
        if acc.is_main_process:
            staging(final)
            folder.mkdir(parents=True, exist_ok=True)
        acc.wait_for_everyone()
        acc.save_state(str(tmp))
        acc.wait_for_everyone()
        if acc.is_main_process:
            publish(tmp, final)
            for old in checkpoints(self.out)[: -self.spec.keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
        acc.wait_for_everyone()


def _truncate_log(log: Path, step: int) -> None:
    """Drop log lines after `step`: a resumed run rewrites them, so the log never has a step twice."""
    if not log.is_file():
        return
    keep = [
        line
        for line in log.read_text("utf-8").splitlines()
        if line.strip() and json.loads(line)["step"] <= step
    ]
    log.write_text("".join(line + "\n" for line in keep), encoding="utf-8")
