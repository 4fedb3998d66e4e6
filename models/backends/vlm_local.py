"""In-process generation with a ViT-MLP-LLM checkpoint (models/vlm): images in, text out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models.backends.transformers_local import (
    TransformersChatModel,
    checkpoint_folder,
    pick_device,
)
from models.chat import Generation, Message
from models.errors import ModelLoadError
from models.presets import Preset, get_preset


class TransformersVLMChatModel(TransformersChatModel):
    """Each image of a user message is tiled (models/vlm/tiling) and stands in the prompt as
    <img> + one placeholder per image token + </img>, before the message's text."""

    echoes_prompt = False  # the LLM generates from embeddings: only new tokens come back

    def __init__(
        self, model: Any, tokenizer: Any, preset: Preset, name: str, max_tokens: int = 512
    ) -> None:
        super().__init__(model, tokenizer, preset, name, max_tokens)
        self._pixels = threading.local()  # the images of the prompt being built, per thread

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        preset: Preset | str = "tiny-test-vlm",
        device: str = "auto",
        max_tokens: int = 512,
    ) -> TransformersVLMChatModel:
        from transformers import AutoTokenizer

        from models.vlm.modeling import ChemVLMForConditionalGeneration

        preset = get_preset(preset) if isinstance(preset, str) else preset
        folder = checkpoint_folder(path, "chemagent model build-tiny --vlm DIR")
        device = pick_device(device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model: Any = ChemVLMForConditionalGeneration.from_pretrained(folder)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load the VLM checkpoint in {folder}: {exc}") from exc
        model.to(device).eval()
        model.image_token_id = tokenizer.convert_tokens_to_ids(model.config.image_token)
        return cls(
            model, tokenizer, preset, f"{folder.name} (in-process VLM, {device})", max_tokens
        )

    def prompt(self, messages: list[Message]) -> str:
        from PIL import Image

        from models.vlm.modeling import image_prompt
        from models.vlm.tiling import pixel_values, tile

        cfg = self.model.config
        arrays, plain = [], []
        for m in messages:
            heads = []
            for img in m.images:
                if not img.path:
                    raise ModelLoadError("the in-process VLM reads image files, not URLs")
                with Image.open(img.path) as im:
                    tiles = tile(im, cfg.vision_config.image_size, cfg.max_tiles, cfg.use_thumbnail)
                arrays.append(pixel_values(tiles))
                heads.append(image_prompt(cfg, len(tiles)) + "\n")
            plain.append(Message(role=m.role, content="".join(heads) + m.content))
        self._pixels.value = arrays
        return super().prompt(plain)

    def _inputs(self, messages: list[Message]) -> Any:
        import numpy as np
        import torch

        inputs = super()._inputs(messages)
        arrays = self._pixels.value
        if arrays:
            pixels = torch.from_numpy(np.concatenate(arrays)).to(self.model.device)
            inputs["pixel_values"] = pixels
        return inputs

    def stream(self, messages: list[Message], gen: Generation | None = None) -> Iterator[str]:
        yield self.complete(messages, gen)
