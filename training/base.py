"""What every recipe starts with: the accelerator (first, so DeepSpeed ZeRO-3 can shard the model
while it loads) and the starting checkpoint, built locally for the tiny configs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from training.config import RunConfig, TrainSpec
from training.loop import resolve_precision

logger = logging.getLogger(__name__)


def make_accelerator(spec: TrainSpec) -> Any:
    from accelerate import Accelerator

    from models.backends.transformers_local import pick_device

    device = pick_device(spec.device)
    return Accelerator(
        mixed_precision=resolve_precision(spec, device),
        gradient_accumulation_steps=spec.grad_accum,
        cpu=device == "cpu",
        step_scheduler_with_optimizer=False,
    )


def base_checkpoint(cfg: RunConfig, out: Path, acc: Any) -> Path | str:
    """The starting weights: `model.path` (a local folder, or a hub id where downloads work),
    or the tiny model built (once, by the main process, deterministically) into `out/base`."""
    if cfg.model.path:
        path = cfg.resolve(cfg.model.path)
        if (path / "config.json").is_file():
            return path
        raw = cfg.model.path
        if (
            raw.count("/") == 1
            and not raw.startswith((".", "/", "~", "$", "{"))
            and not path.exists()
        ):
            return raw  # a hub id such as meta-llama/Llama-2-13b-hf
        raise FileNotFoundError(
            f"model.path {path} is not a Hugging Face checkpoint folder (no config.json)"
        )
    from models.tiny import TinyLlamaSize, TinyVLMSize, build_tiny_llama, build_tiny_vlm

    base = out / "base"
    if acc.is_main_process and not (base / "config.json").is_file():
        if cfg.model.tiny == "vlm":
            build_tiny_vlm(base, TinyVLMSize(**cfg.model.tiny_size))
        else:
            build_tiny_llama(base, TinyLlamaSize(**cfg.model.tiny_size))
    acc.wait_for_everyone()
    return base


def load_causal_lm(path: Path | str, cfg: RunConfig) -> tuple[Any, Any]:
    """Model (fp32 master weights; bf16 comes from autocast) and tokenizer from a local folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    if cfg.model.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    return model, tokenizer


def export(model: Any, tokenizer: Any, folder: Path, acc: Any, chat_template: str | None) -> Path:
    """Save a Hugging Face checkpoint (safetensors + tokenizer, the dialogue format as its chat
    template so vLLM serves it without --chat-template). Written whole or not at all."""
    from training.files import publish, staging

    state = acc.get_state_dict(model)  # every process takes part when the weights are sharded
    unwrapped = acc.unwrap_model(model)
    if acc.is_main_process:
        tmp = staging(folder)
        unwrapped.save_pretrained(tmp, state_dict=state, safe_serialization=True)
        if chat_template:
            tokenizer.chat_template = chat_template
        tokenizer.save_pretrained(tmp)
        publish(tmp, folder)
        logger.info("exported %s", folder)
    acc.wait_for_everyone()
    return folder
