"""LoRA adapters (peft): attach, merge into the weights, or merge a saved adapter later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.config import LoRASpec


def attach(
    model: Any,
    spec: LoRASpec,
    modules_to_save: list[str] | None = None,
    override: tuple[str, LoRASpec] | None = None,
) -> Any:
    """Wrap `model` with LoRA on `spec.target_modules` (names, or one regex over full module
    names); everything else is frozen except `modules_to_save`. `override` = (module-name
    pattern, spec) gives the modules matching the pattern their own rank and alpha."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=spec.target_modules,
        modules_to_save=modules_to_save,
        rank_pattern={override[0]: override[1].r} if override else {},
        alpha_pattern={override[0]: override[1].alpha} if override else {},
    )
    return get_peft_model(model, config)


def merged(model: Any) -> Any:
    """The plain model with the adapters added into its weights (what vLLM serves)."""
    return model.merge_and_unload() if hasattr(model, "merge_and_unload") else model


def merge_adapter(base: Path, adapter: Path, out: Path) -> Path:
    """Merge a saved adapter into its base checkpoint and save the result (for runs where the
    adapter was saved on its own, e.g. under ZeRO-3)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    model.save_pretrained(out, safe_serialization=True)
    AutoTokenizer.from_pretrained(
        adapter if (adapter / "tokenizer_config.json").is_file() else base
    ).save_pretrained(out)
    return out
