"""The one chat-model interface every backend implements.

Messages in; text, a JSON object matching a schema, or a token stream out; sync and async. The
agent's planner and writer only ever see this interface, so a vLLM server, SGLang, Ollama or a
checkpoint loaded in-process are interchangeable.
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ImagePart(BaseModel):
    """An image sent with a message: a file path, or already a data/http URL."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    url: str | None = None

    def data_url(self) -> str:
        """The `image_url` value OpenAI-compatible servers take (files become base64 data URLs)."""
        if self.url:
            return self.url
        if not self.path:
            raise ValueError("an image needs a path or a url")
        mime = mimetypes.guess_type(self.path)[0] or "image/png"
        raw = base64.b64encode(Path(self.path).read_bytes()).decode("ascii")
        return f"data:{mime};base64,{raw}"


class Message(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str
    images: list[ImagePart] = Field(default_factory=list)


class Generation(BaseModel):
    """How to sample; greedy by default because plans and answers should be reproducible."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int = Field(512, ge=1, le=32768)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    stop: list[str] = Field(default_factory=list)


Reply = TypeVar("Reply", bound=BaseModel)


def parse_reply(model: type[Reply], raw: str) -> Reply:
    """A structured reply read into `model`; raises `ValueError` saying what is wrong (the first
    problem and the reply's start), worded to be sent back to the model in a repair turn."""
    try:
        # strict=False: a raw control character inside a free-text string (which a JSON
        # grammar may let through) is harmless; the structure is what matters.
        return model.model_validate(json.loads(raw, strict=False))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "reply"
        raise ValueError(f"{where}: {first['msg']} (reply: {raw[:120]!r})") from None
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc} (reply: {raw[:120]!r})") from None


@runtime_checkable
class ChatModel(Protocol):
    """What the agent needs from a chemistry LLM."""

    @property
    def name(self) -> str:
        """Which model, where: shown in warnings."""
        ...

    def complete(self, messages: list[Message], gen: Generation | None = None) -> str:
        """The assistant's reply as text."""
        ...

    def complete_json(
        self, messages: list[Message], schema: dict[str, Any], gen: Generation | None = None
    ) -> str:
        """The reply, decoded under `schema` (constrained decoding) where the backend can."""
        ...

    def stream(self, messages: list[Message], gen: Generation | None = None) -> Iterator[str]:
        """The reply, piece by piece as it is generated."""
        ...

    async def acomplete(self, messages: list[Message], gen: Generation | None = None) -> str: ...

    async def acomplete_json(
        self, messages: list[Message], schema: dict[str, Any], gen: Generation | None = None
    ) -> str: ...

    def astream(
        self, messages: list[Message], gen: Generation | None = None
    ) -> AsyncIterator[str]: ...

    def close(self) -> None: ...


class ThreadedAsync:
    """Async methods for a backend that is synchronous inside (in-process generation)."""

    def complete(self, messages: list[Message], gen: Generation | None = None) -> str:
        raise NotImplementedError

    def complete_json(
        self, messages: list[Message], schema: dict[str, Any], gen: Generation | None = None
    ) -> str:
        raise NotImplementedError

    def stream(self, messages: list[Message], gen: Generation | None = None) -> Iterator[str]:
        raise NotImplementedError

    async def acomplete(self, messages: list[Message], gen: Generation | None = None) -> str:
        return await asyncio.to_thread(self.complete, messages, gen)

    async def acomplete_json(
        self, messages: list[Message], schema: dict[str, Any], gen: Generation | None = None
    ) -> str:
        return await asyncio.to_thread(self.complete_json, messages, schema, gen)

    async def astream(
        self, messages: list[Message], gen: Generation | None = None
    ) -> AsyncIterator[str]:
        for piece in await asyncio.to_thread(lambda: list(self.stream(messages, gen))):
            yield piece
