"""Tiny random-weight models of the real architectures, built locally for tests.

Nothing can be downloaded here, so tests need checkpoints the project makes itself. The tiny
LLaMA has ChemDFM's architecture (LlamaForCausalLM) and a real byte-level BPE tokenizer trained on
chemistry text shipped in this repository (compound names and SMILES, the tool descriptions, JSON
plans), so it exercises the same loading, templating, tokenising and serving code as the 13B one.
head_dim stays 64: vLLM's CPU attention kernels reject smaller heads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.formats import CHEMDFM_TEMPLATE

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]


class TinyLlamaSize(BaseModel):
    """The sizes of a tiny LLaMA; the defaults make a ~1M-parameter model that loads in a second."""

    model_config = ConfigDict(extra="forbid")

    vocab_size: int = Field(2048, ge=300)
    hidden_size: int = Field(128, ge=64)
    intermediate_size: int = Field(256, ge=64)
    num_hidden_layers: int = Field(2, ge=1)
    num_attention_heads: int = Field(2, ge=1)
    num_key_value_heads: int = Field(2, ge=1)
    max_position_embeddings: int = Field(4096, ge=128)
    seed: int = 0


def chemistry_corpus() -> Iterator[str]:
    """Shipped chemistry text for the tokenizer: names, synonyms, CAS numbers, SMILES, the
    intent and tool vocabulary, and JSON in the shape the planner asks for."""
    table = resources.files("tools.names").joinpath("data/common.csv").read_text("utf-8")
    for line in table.splitlines()[1:]:
        name, synonyms, cas, smiles = (line.split(",") + ["", "", ""])[:4]
        yield f"{name} ({cas}) has the SMILES {smiles}. Synonyms: {synonyms}."
        yield json.dumps(
            {"next": "tools", "calls": [{"tool": "descriptors", "args": {"smiles": smiles}}]}
        )
    for res in ("intents.toml", "functional_groups.toml", "safety_names.csv"):
        yield resources.files("agent.data").joinpath(res).read_text("utf-8")
    yield "[Round 0]\nHuman: What is the molecular weight of aspirin?\nAssistant: 180.16 g/mol [1]"


def train_tokenizer(vocab_size: int) -> object:
    """A byte-level BPE tokenizer (LLaMA-3 style) trained on `chemistry_corpus`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(chemistry_corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        chat_template=CHEMDFM_TEMPLATE,
        model_max_length=2048,
    )


def llama_config(size: TinyLlamaSize, tokenizer: Any) -> Any:
    """The LlamaConfig of `size` for `tokenizer` (vocabulary and special tokens)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden_size,
        intermediate_size=size.intermediate_size,
        num_hidden_layers=size.num_hidden_layers,
        num_attention_heads=size.num_attention_heads,
        num_key_value_heads=size.num_key_value_heads,
        head_dim=size.hidden_size // size.num_attention_heads,
        max_position_embeddings=size.max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )


def build_tiny_llama(out_dir: Path, size: TinyLlamaSize | None = None) -> Path:
    """Write a tiny random LLaMA checkpoint (safetensors + tokenizer) that transformers loads
    with `from_pretrained` and vLLM serves. Deterministic for a given `size.seed`."""
    import torch
    from transformers import LlamaForCausalLM

    size = size or TinyLlamaSize()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer: Any = train_tokenizer(size.vocab_size)
    torch.manual_seed(size.seed)
    model = LlamaForCausalLM(llama_config(size, tokenizer))
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    logger.info("tiny LLaMA (%d parameters) written to %s", model.num_parameters(), out_dir)
    return out_dir


class TinyVLMSize(BaseModel):
    """Sizes of a tiny ViT-MLP-LLM: 56-px tiles of 14-px patches give 4 image tokens a tile."""

    model_config = ConfigDict(extra="forbid")

    image_size: int = Field(56, ge=28)
    patch_size: int = Field(14, ge=2)
    vision_hidden: int = Field(64, ge=16)
    vision_layers: int = Field(2, ge=1)
    max_tiles: int = Field(4, ge=1)
    llm: TinyLlamaSize = Field(default_factory=TinyLlamaSize)


IMAGE_TOKENS = ["<img>", "</img>", "<IMG_CONTEXT>"]


def build_tiny_vlm(out_dir: Path, size: TinyVLMSize | None = None) -> Path:
    """Write a tiny random ChemVLM-layout checkpoint (InternViT-style encoder, mlp2x_gelu
    projector, LLaMA) with its tokenizer; `ChemVLMForConditionalGeneration.from_pretrained`
    loads it and the in-process VLM backend answers with it."""
    import torch

    from models.vlm.config import ChemVLMConfig, VisionConfig
    from models.vlm.modeling import ChemVLMForConditionalGeneration

    size = size or TinyVLMSize()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer: Any = train_tokenizer(size.llm.vocab_size)
    tokenizer.add_special_tokens({"additional_special_tokens": IMAGE_TOKENS})
    config = ChemVLMConfig(
        vision_config=VisionConfig(
            image_size=size.image_size,
            patch_size=size.patch_size,
            hidden_size=size.vision_hidden,
            intermediate_size=size.vision_hidden * 4,
            num_hidden_layers=size.vision_layers,
            num_attention_heads=1,
        ),
        llm_config=llama_config(size.llm, tokenizer),
        max_tiles=size.max_tiles,
    )
    torch.manual_seed(size.llm.seed)
    model = ChemVLMForConditionalGeneration(config)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    logger.info("tiny VLM (%d parameters) written to %s", model.num_parameters(), out_dir)
    return out_dir
