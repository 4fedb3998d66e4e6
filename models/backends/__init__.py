"""Chat-model backends: an OpenAI-compatible HTTP client and in-process transformers."""

from __future__ import annotations

from models.chat import ChatModel
from models.errors import ModelLoadError
from models.presets import get_preset
from models.settings import ModelSettings


def load_chat_model(settings: ModelSettings, default_preset: str) -> ChatModel:
    """The backend `settings` describe: a server when `url` is set, else the local `path`."""
    preset = get_preset(settings.preset or default_preset)
    if settings.url:
        from models.backends.openai_http import OpenAIChatModel

        return OpenAIChatModel(settings, preset)
    if settings.path and preset.vision:
        from models.backends.vlm_local import TransformersVLMChatModel

        return TransformersVLMChatModel.from_pretrained(
            settings.path, preset=preset, device=settings.device, max_tokens=settings.max_tokens
        )
    if settings.path:
        from models.backends.transformers_local import TransformersChatModel

        return TransformersChatModel.from_pretrained(
            settings.path, preset=preset, device=settings.device, max_tokens=settings.max_tokens
        )
    raise ModelLoadError("no model configured: set llm.url (a server) or llm.path (a checkpoint)")
