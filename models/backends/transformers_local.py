"""In-process generation with transformers: a checkpoint on this machine, CPU or GPU.

For development and for users without a server. JSON plans are constrained with xgrammar (the
grammar engine vLLM uses), so the planner gets the same guarantee as from a vLLM server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models.chat import Generation, Message, ThreadedAsync
from models.deadline import remaining
from models.errors import BackendUnavailable, ModelError, ModelLoadError
from models.formats import canonicalize_smiles_in_text, chat_template
from models.presets import Preset, get_preset

logger = logging.getLogger(__name__)


def checkpoint_folder(path: str | Path, build_hint: str) -> Path:
    """`path` if it holds a Hugging Face checkpoint, else an error saying how to get one."""
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise ModelLoadError(
            f"{folder} is not a Hugging Face checkpoint (no config.json); build a test model "
            f"with `{build_hint}` or give the folder of real weights"
        )
    return folder


def pick_device(device: str) -> str:
    """`auto` -> cuda when a GPU is visible, else cpu."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class TransformersChatModel(ThreadedAsync):
    """A causal LM and its tokenizer, prompted with the preset's dialogue format.

    Generation is serialised with a lock: one model object, one forward pass at a time.
    """

    echoes_prompt = True  # generate() returns prompt + new tokens

    def __init__(
        self, model: Any, tokenizer: Any, preset: Preset, name: str, max_tokens: int = 512
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.preset = preset
        self.name = name
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._compiler: Any = None

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        preset: Preset | str = "tiny-test",
        device: str = "auto",
        max_tokens: int = 512,
    ) -> TransformersChatModel:
        """Load a local checkpoint folder (nothing is downloaded)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        preset = get_preset(preset) if isinstance(preset, str) else preset
        folder = checkpoint_folder(path, "chemagent model build-tiny DIR")
        device = pick_device(device)
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model: Any = AutoModelForCausalLM.from_pretrained(
                folder, dtype=dtype, local_files_only=True
            )
            model.to(device)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load the checkpoint in {folder}: {exc}") from exc
        model.eval()
        return cls(
            model,
            tokenizer,
            preset,
            name=f"{folder.name} (in-process, {device})",
            max_tokens=max_tokens,
        )

    # -- prompt (pure given the tokenizer) -------------------------------------------------
    def prompt(self, messages: list[Message]) -> str:
        """The exact text the model sees, rendered by the preset's (or checkpoint's) template."""
        if any(m.images for m in messages) and not self.preset.vision:
            raise ModelError(f"{self.name} is a text model; images need a ChemVLM server (vlm.url)")
        chat = [
            {
                "role": m.role,
                "content": canonicalize_smiles_in_text(m.content)
                if self.preset.canonicalize_smiles and m.role != "assistant"
                else m.content,
            }
            for m in messages
        ]
        text = self.tokenizer.apply_chat_template(
            chat,
            chat_template=chat_template(self.preset.format),
            tokenize=False,
            add_generation_prompt=True,
        )
        return str(text)

    def _inputs(self, messages: list[Message]) -> Any:
        ids = self.tokenizer(self.prompt(messages), return_tensors="pt", add_special_tokens=False)
        return ids.to(self.model.device)

    def _kwargs(self, gen: Generation | None) -> dict[str, Any]:
        gen = gen or Generation(max_tokens=self.max_tokens)
        kw: dict[str, Any] = {
            "max_new_tokens": gen.max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if gen.temperature > 0:
            kw.update(do_sample=True, temperature=gen.temperature, top_p=gen.top_p)
        else:
            kw["do_sample"] = False
        left = remaining()
        if left is not None:  # generation stops at the question's deadline
            if left <= 0.05:
                raise BackendUnavailable(
                    f"{self.name} was not asked: the question's time budget was spent "
                    "(setting agent.time_budget_s)"
                )
            kw["max_time"] = left
        return kw

    def _generate(self, messages: list[Message], gen: Generation | None, **extra: Any) -> str:
        import torch

        inputs = self._inputs(messages)
        with self._lock, torch.inference_mode():
            out = self.model.generate(**inputs, **self._kwargs(gen), **extra)
        new = out[0, inputs["input_ids"].shape[1] :] if self.echoes_prompt else out[0]
        text = str(self.tokenizer.decode(new, skip_special_tokens=True))
        for stop in gen.stop if gen else []:
            text = text.split(stop)[0]
        return text

    # -- the ChatModel interface -----------------------------------------------------------
    def complete(self, messages: list[Message], gen: Generation | None = None) -> str:
        return self._generate(messages, gen)

    def complete_json(
        self, messages: list[Message], schema: dict[str, Any], gen: Generation | None = None
    ) -> str:
        import json

        import xgrammar as xgr
        from xgrammar.contrib.hf import LogitsProcessor

        if self._compiler is None:
            info = xgr.TokenizerInfo.from_huggingface(
                self.tokenizer, vocab_size=self.model.config.vocab_size
            )
            self._compiler = xgr.GrammarCompiler(info)
        grammar = self._compiler.compile_json_schema(json.dumps(schema), any_whitespace=False)
        return self._generate(messages, gen, logits_processor=[LogitsProcessor(grammar)])

    def stream(self, messages: list[Message], gen: Generation | None = None) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        inputs = self._inputs(messages)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = {**inputs, **self._kwargs(gen), "streamer": streamer}

        def run() -> None:
            import torch

            with self._lock, torch.inference_mode():
                self.model.generate(**kwargs)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        yield from streamer
        worker.join()

    def close(self) -> None:
        self.model = None
