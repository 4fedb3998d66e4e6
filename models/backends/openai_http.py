"""A client for any OpenAI-compatible chat server: vLLM first, also SGLang, Ollama, TGI.

Structured output is requested the portable way (`response_format` with a JSON schema), which
vLLM and SGLang enforce by constrained decoding. Errors are mapped once, here, onto the model
layer's typed errors so callers never see an httpx exception.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from models.chat import Generation, Message
from models.deadline import limit, remaining
from models.errors import BackendResponseError, BackendUnavailable
from models.formats import canonicalize_smiles_in_text
from models.presets import Preset
from models.settings import ModelSettings

logger = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}


def api_base(url: str) -> str:
    """`url` with the `/v1` OpenAI prefix, whether or not the user wrote it."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def parse_reply(body: str) -> str:
    """The assistant text of a chat-completion response body, or a clear error."""
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise BackendResponseError(
            f"the model server's reply is not a chat completion: {_snippet(body)!r}"
        ) from None
    if not isinstance(content, str):
        raise BackendResponseError("the model server's reply has no text content")
    return content


def parse_stream_line(line: str) -> str | None:
    """The text delta of one server-sent-event line; None for keep-alives and the end marker."""
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if payload == "[DONE]" or not payload:
        return None
    try:
        delta = json.loads(payload)["choices"][0].get("delta", {})
    except (ValueError, KeyError, IndexError, TypeError):
        raise BackendResponseError(
            f"bad stream chunk from the model server: {payload[:120]!r}"
        ) from None
    text = delta.get("content")
    return text if isinstance(text, str) else None


class OpenAIChatModel:
    """Chat completions over HTTP with timeouts, retries and typed errors.

    Args:
        settings: url, model, timeouts and retries (`llm` or `vlm` section).
        preset: which dialogue format and SMILES hygiene the served model expects.
    """

    def __init__(self, settings: ModelSettings, preset: Preset) -> None:
        if not settings.url:
            raise ValueError("OpenAIChatModel needs a url")
        self.settings = settings
        self.preset = preset
        self.base = api_base(settings.url)
        self._model = settings.model
        timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self._headers = headers
        self._timeout = timeout

    @property
    def name(self) -> str:
        return f"{self.model} at {self.base}"

    @property
    def model(self) -> str:
        """The served model's name: configured, or the first one the server lists."""
        if self._model is None:
            body = self._request("GET", "/models")
            try:
                self._model = str(json.loads(body)["data"][0]["id"])
            except (ValueError, KeyError, IndexError, TypeError):
                raise BackendResponseError(
                    f"{self.base}/models did not list a model: {_snippet(body)!r}"
                ) from None
        return self._model

    # -- request building (pure) -------------------------------------------------------------
    def _content(self, m: Message) -> str | list[dict[str, Any]]:
        text = m.content
        if self.preset.canonicalize_smiles and m.role != "assistant":
            text = canonicalize_smiles_in_text(text)
        if not m.images:
            return text
        parts: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": img.data_url()}} for img in m.images
        ]
        return [*parts, {"type": "text", "text": text}]

    def payload(
        self,
        messages: list[Message],
        gen: Generation | None,
        schema: dict[str, Any] | None = None,
        stream: bool = False,
    ) -> dict[str, Any]:
        """The JSON body of a chat-completion request."""
        gen = gen or Generation(
            max_tokens=self.settings.max_tokens, temperature=self.settings.temperature
        )
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": self._content(m)} for m in messages],
            "max_tokens": gen.max_tokens,
            "temperature": gen.temperature,
            "top_p": gen.top_p,
            "stream": stream,
        }
        if gen.stop:
            body["stop"] = gen.stop
        if schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": True},
            }
        return body

    # -- transport ----------------------------------------------------------------------------
    def _explain(self, exc: httpx.HTTPError) -> BackendUnavailable:
        if isinstance(exc, httpx.ConnectError):
            return BackendUnavailable(
                f"cannot reach the model server at {self.base} ({exc}); is it running? "
                "Start one with `chemagent serve --preset ...` or fix llm.url"
            )
        if isinstance(exc, httpx.TimeoutException):
            return BackendUnavailable(
                f"the model server at {self.base} did not answer in time ({exc}; settings "
                "llm.timeout_s and agent.time_budget_s)"
            )
        return BackendUnavailable(f"the connection to {self.base} failed: {exc}")

    def _check(self, status: int, body: str) -> None:
        if status >= 400:
            try:
                detail = json.loads(body).get("error", body)
                detail = detail.get("message", detail) if isinstance(detail, dict) else detail
            except (ValueError, AttributeError):
                detail = body
            raise BackendResponseError(
                f"the model server at {self.base} answered HTTP {status}: {_snippet(str(detail))}"
            )

    def _settle(
        self, attempt: int, r: httpx.Response | None, exc: httpx.HTTPError | None = None
    ) -> str | None:
        """One attempt's outcome: the body, None to retry, or a raised typed error. Shared by
        the sync and async paths so both follow the same retry policy."""
        last = attempt == self.settings.retries
        if exc is not None:
            # Refused connections and timeouts are reported at once; a dropped connection or a
            # protocol error is retried.
            if last or isinstance(exc, httpx.ConnectError | httpx.TimeoutException):
                raise self._explain(exc) from None
            logger.warning("model server connection failed (%s); retrying", exc)
            return None
        assert r is not None
        if r.status_code not in RETRY_STATUS or last:
            self._check(r.status_code, r.text)
            return r.text
        logger.warning("model server answered %d; retrying", r.status_code)
        return None

    def _backoff(self, attempt: int) -> float:
        return float(self.settings.backoff_s * 2.0**attempt)

    def _wait_s(self) -> float:
        """This request's limit: llm.timeout_s, cut to the question's deadline."""
        return limit(
            self.settings.timeout_s,
            f"the call to the model at {self.base}",
            raises=BackendUnavailable,
        )

    def _send(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        """One request whose whole answer must arrive within the limit (not each read: a server
        that trickles a byte every few seconds is cut off too) and within max_response_mb."""
        wait_s = self._wait_s()
        end = time.monotonic() + wait_s
        timeout = httpx.Timeout(wait_s, connect=min(self.settings.connect_timeout_s, wait_s))
        cap = self.settings.max_response_mb * 1e6
        with self._client.stream(method, self.base + path, json=body, timeout=timeout) as r:
            chunks: list[bytes] = []
            size = 0
            for chunk in r.iter_bytes():
                size += len(chunk)
                if time.monotonic() > end:
                    raise httpx.ReadTimeout(f"the answer took longer than {wait_s:.3g} s")
                if size > cap:
                    raise BackendResponseError(
                        f"the model server at {self.base} sent more than "
                        f"{self.settings.max_response_mb:g} MB (setting max_response_mb)"
                    )
                chunks.append(chunk)
            return httpx.Response(r.status_code, content=b"".join(chunks))

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> str:
        for attempt in range(self.settings.retries + 1):
            try:
                text = self._settle(attempt, self._send(method, path, body))
            except httpx.HTTPError as exc:
                text = self._settle(attempt, None, exc)
            if text is not None:
                return text
            left = remaining()
            if left is not None and left < self._backoff(attempt) + 0.5:
                raise BackendUnavailable(
                    f"the model server at {self.base} failed and the question's time budget "
                    "leaves no room for another try (setting agent.time_budget_s)"
                )
            time.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the ChatModel interface --------------------------------------------------------------
    def complete(self, messages: list[Message], gen: Generation | None = None) -> str:
        return parse_reply(self._request("POST", "/chat/completions", self.payload(messages, gen)))

    def complete_json(
        self, messages: list[Message], schema: dict[str, Any], gen: Generation | None = None
    ) -> str:
        body = self.payload(messages, gen, schema)
        return parse_reply(self._request("POST", "/chat/completions", body))

    def stream(self, messages: list[Message], gen: Generation | None = None) -> Iterator[str]:
        body = self.payload(messages, gen, stream=True)
        wait_s = self._wait_s()
        end = time.monotonic() + wait_s
        timeout = httpx.Timeout(wait_s, connect=min(self.settings.connect_timeout_s, wait_s))
        try:
            with self._client.stream(
                "POST", self.base + "/chat/completions", json=body, timeout=timeout
            ) as r:
                if r.status_code >= 400:
                    self._check(r.status_code, r.read().decode("utf-8", "replace"))
                for line in r.iter_lines():
                    if time.monotonic() > end:
                        raise httpx.ReadTimeout(f"the answer took longer than {wait_s:.3g} s")
                    if (piece := parse_stream_line(line)) is not None:
                        yield piece
        except httpx.HTTPError as exc:
            raise self._explain(exc) from None

    def _async_client(self) -> httpx.AsyncClient:
        """A client per async call: an httpx.AsyncClient belongs to one event loop, and callers
        (asyncio.run per batch, notebooks) bring new ones."""
        return httpx.AsyncClient(timeout=self._timeout, headers=self._headers)

    async def _apost(self, body: dict[str, Any]) -> str:
        import asyncio

        async with self._async_client() as client:
            for attempt in range(self.settings.retries + 1):
                try:
                    wait_s = self._wait_s()
                    r = await asyncio.wait_for(
                        client.post(self.base + "/chat/completions", json=body), wait_s
                    )
                    text = self._settle(attempt, r)
                except httpx.HTTPError as exc:
                    text = self._settle(attempt, None, exc)
                except TimeoutError:
                    text = self._settle(attempt, None, httpx.ReadTimeout("past the deadline"))
                if text is not None:
                    return parse_reply(text)
                await asyncio.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def acomplete(self, messages: list[Message], gen: Generation | None = None) -> str:
        return await self._apost(self.payload(messages, gen))

    async def acomplete_json(
        self, messages: list[Message], schema: dict[str, Any], gen: Generation | None = None
    ) -> str:
        return await self._apost(self.payload(messages, gen, schema))

    async def astream(
        self, messages: list[Message], gen: Generation | None = None
    ) -> AsyncIterator[str]:
        body = self.payload(messages, gen, stream=True)
        try:
            async with (
                self._async_client() as client,
                client.stream("POST", self.base + "/chat/completions", json=body) as r,
            ):
                if r.status_code >= 400:
                    self._check(r.status_code, (await r.aread()).decode("utf-8", "replace"))
                async for line in r.aiter_lines():
                    if (piece := parse_stream_line(line)) is not None:
                        yield piece
        except httpx.HTTPError as exc:
            raise self._explain(exc) from None

    def close(self) -> None:
        self._client.close()
