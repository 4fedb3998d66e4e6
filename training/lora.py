"""LoRA adapters (peft): attach, merge into the weights, or merge a saved adapter later."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from training.config import LoRASpec
from training.files import publish, staging

logger = logging.getLogger(__name__)


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


def export_trained(
    acc: Any,
    model: Any,
    tokenizer: Any,
    out: Path,
    spec: LoRASpec | None,
    base: Path | str,
    chat_template: str | None,
) -> Path:
    """`out/final` (adapters merged) where the weights are whole on this process; `out/adapter`
    when merging is off, or when FSDP / ZeRO-3 shard the weights (merging needs them whole: the
    log then gives the `chemagent train merge` command that finishes the job)."""
    from accelerate.utils import DistributedType

    from training.base import export

    if spec is None:
        return export(model, tokenizer, out / "final", acc, chat_template)
    sharded = acc.distributed_type in {DistributedType.DEEPSPEED, DistributedType.FSDP}
    if spec.merge and not sharded:
        return export(merged(acc.unwrap_model(model)), tokenizer, out / "final", acc, chat_template)
    folder = out / "adapter"
    state = acc.get_state_dict(model)
    if acc.is_main_process:
        acc.unwrap_model(model).save_pretrained(folder, state_dict=state)
        if chat_template:
            tokenizer.chat_template = chat_template
        tokenizer.save_pretrained(folder)
        if spec.merge:
            logger.warning(
                "the weights are sharded, so the adapter was saved on its own; merge it with "
                "`chemagent train merge --base %s --adapter %s --out %s`",
                base,
                folder,
                out / "final",
            )
    acc.wait_for_everyone()
    return folder


def merge_adapter(base: Path, adapter: Path, out: Path) -> Path:
    """Merge a saved adapter into its base checkpoint (a causal LM or a ChemVLM-layout model)
    and save the result as a plain Hugging Face checkpoint, written whole or not at all."""
    import json

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if json.loads((base / "config.json").read_text()).get("model_type") == "chemvlm":
        from models.vlm.modeling import ChemVLMForConditionalGeneration

        model: Any = ChemVLMForConditionalGeneration.from_pretrained(base, dtype=torch.float32)
    else:
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    tmp = staging(out)
    model.save_pretrained(tmp, safe_serialization=True)
    source = adapter if (adapter / "tokenizer_config.json").is_file() else base
    AutoTokenizer.from_pretrained(source).save_pretrained(tmp)
    publish(tmp, out)
    return out
