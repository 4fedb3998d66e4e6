"""`POST /v1/chat/completions` and `GET /v1/models` in OpenAI's wire format, so any OpenAI client
talks to the whole agent (model `chemagent`). The typed `Answer` rides along in an extra field
(`answer`), and streamed responses send each step (`step`) before the answer text.

A conversation continues a thread: the request's `thread_id`, else the thread this exact history
was answered in (a digest of its messages), else a new thread into which the earlier questions are
replayed first, so follow-ups ("and its logP?") see what the history named.

One request has one deadline, a question budget (`agent.time_budget_s`) from its arrival, however
long the history: every bounded call inside it sees that deadline through `models.deadline`. The
replay may use the first half of it (replaying stops when that passes, and a replayed turn cut
short ends the replay, not the request); the question has what is left, and stops planning with
its reason when the request's deadline comes before its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agent.answer import Answer
from agent.server.context import ServerContext, answering, get_context
from agent.server.errors import ApiError, error_body
from agent.server.text import Text

logger = logging.getLogger(__name__)
router = APIRouter(tags=["openai"])
Ctx = Annotated[ServerContext, Depends(get_context)]
MODEL = "chemagent"
MAX_REPLAY = 8


class ImageUrl(BaseModel):
    url: Text
    detail: str | None = None


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["text", "image_url", "input_text"]
    text: Text | None = None
    image_url: ImageUrl | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text or "" for p in self.content or [] if p.type != "image_url")

    def images(self) -> list[str]:
        if isinstance(self.content, str):
            return []
        return [p.image_url.url for p in self.content or [] if p.image_url is not None]


class ChatRequest(BaseModel):
    """OpenAI's request; sampling fields are accepted and ignored (the agent is deterministic)."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    thread_id: Text | None = Field(None, max_length=200)


def history_key(messages: list[ChatMessage]) -> str:
    turns = [(m.role, m.text()) for m in messages if m.role in ("user", "assistant")]
    return hashlib.sha256(json.dumps(turns, ensure_ascii=False).encode()).hexdigest()


def _thread_for(ctx: ServerContext, body: ChatRequest) -> tuple[str, list[str]]:
    """The thread to answer in and the earlier questions to replay into it first."""
    earlier = body.messages[:-1]
    if body.thread_id:
        return body.thread_id, []
    asked = [m.text() for m in earlier if m.role == "user" and m.text().strip()]
    if not asked:
        return uuid.uuid4().hex, []
    found = ctx.store.thread_for(history_key(earlier))
    if found:
        return found, []
    return uuid.uuid4().hex, asked[-MAX_REPLAY:]


def _question(body: ChatRequest) -> tuple[str, list[str]]:
    last = body.messages[-1]
    if last.role != "user":
        raise ApiError(400, "the last message must be the user's question", "invalid_messages")
    text = last.text().strip()
    images = last.images()
    if not text and images:
        text = "What is this structure?"
    return text, images


def request_deadline(ctx: ServerContext) -> tuple[float, float]:
    """When the whole request must end (a question budget from now), and when replaying
    history must stop (half of that)."""
    budget = ctx.settings.agent.time_budget_s
    now = time.time()
    return now + budget, now + budget / 2


def _prepare(ctx: ServerContext, tid: str, replay: list[str], until: float) -> None:
    """Ask the history the client holds into the thread, so it knows what was named; stops at
    `until`, and a replayed turn cut short by it ends the replay rather than the request."""
    from models.deadline import DeadlineExceeded, deadline_at

    with deadline_at(until):
        for q in replay:
            if time.time() >= until:
                logger.info("history replay stopped at the request's deadline")
                return
            try:
                ctx.assistant.ask(q, None, tid)
            except DeadlineExceeded:
                logger.info("history replay stopped at the request's deadline")
                return


def _remember(ctx: ServerContext, body: ChatRequest, question: str, answer: Answer) -> None:
    done = [*body.messages, ChatMessage(role="assistant", content=answer.text)]
    ctx.store.remember_history(history_key(done), str(answer.thread_id))
    ctx.store.touch_thread(str(answer.thread_id), question)


def _completion(answer: Answer) -> dict[str, Any]:
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text, "refusal": None},
                "finish_reason": "content_filter" if answer.refused else "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "thread_id": answer.thread_id,
        "answer": answer.model_dump(mode="json"),
    }


def answer_blocking(ctx: ServerContext, body: ChatRequest) -> Answer:
    question, images = _question(body)
    from models.deadline import deadline_at

    ends, replay_ends = request_deadline(ctx)
    tid, replay = _thread_for(ctx, body)
    with answering(ctx, images) as paths, deadline_at(ends):
        _prepare(ctx, tid, replay, replay_ends)
        answer = ctx.assistant.ask(question, paths, tid)
    _remember(ctx, body, question, answer)
    return ctx.public(answer)


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(body: ChatRequest, ctx: Ctx) -> Any:
    """The whole agent behind OpenAI's chat API; `stream: true` sends server-sent events."""
    if body.model not in (MODEL, ""):
        raise ApiError(
            404, f"no model {body.model!r}; this server serves {MODEL!r}", "model_not_found"
        )
    if not body.stream:
        answer = await ctx.gate.run(answer_blocking, ctx, body)
        return _completion(answer)
    _question(body)  # a bad request fails before the stream starts
    ctx.gate.admit()  # 429 now, not inside a 200 stream
    return StreamingResponse(_events(ctx, body), media_type="text/event-stream")


def _chunk(cid: str, delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    payload = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "choices": choices,
        **extra,
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def _events(ctx: ServerContext, body: ChatRequest) -> AsyncIterator[str]:
    """Steps as the graph finishes each node, then the answer, then [DONE]."""
    from agent.api import StepEvent

    cid = "chatcmpl-" + uuid.uuid4().hex
    ends, replay_ends = request_deadline(ctx)
    send, receive = anyio.create_memory_object_stream[Any](64)

    def produce() -> None:
        from models.deadline import deadline_at

        question, images = _question(body)
        tid, replay = _thread_for(ctx, body)
        try:
            with answering(ctx, images) as paths, deadline_at(ends):
                _prepare(ctx, tid, replay, replay_ends)
                for event in ctx.assistant.stream(question, paths, tid):
                    if isinstance(event, Answer):
                        _remember(ctx, body, question, event)
                        event = ctx.public(event)
                    elif isinstance(event, StepEvent):
                        event = StepEvent.model_validate(
                            ctx.public_value(event.model_dump(mode="json"))
                        )
                    anyio.from_thread.run(send.send, event)
        except ApiError as exc:
            anyio.from_thread.run(send.send, exc)
        except Exception as exc:  # reported in the stream, as a non-streamed request would be
            logger.exception("streamed question failed")
            failed = ApiError(500, f"internal error ({type(exc).__name__}); see the server log")
            anyio.from_thread.run(send.send, failed)
        finally:
            anyio.from_thread.run(send.aclose)

    try:
        yield _chunk(cid, {"role": "assistant", "content": ""})
        async with ctx.gate.running(), anyio.create_task_group() as tg:
            tg.start_soon(anyio.to_thread.run_sync, produce)
            async with receive:
                async for event in receive:
                    if isinstance(event, StepEvent):
                        if event.message:
                            yield _chunk(cid, None, step=event.model_dump())
                    elif isinstance(event, Answer):
                        yield _chunk(cid, {"content": event.text})
                        finish = "content_filter" if event.refused else "stop"
                        yield _chunk(
                            cid,
                            {},
                            finish,
                            thread_id=event.thread_id,
                            answer=event.model_dump(mode="json"),
                        )
                    elif isinstance(event, ApiError):
                        yield f"data: {json.dumps(error_body(event.status, event.message, event.code))}\n\n"
        yield "data: [DONE]\n\n"
    finally:
        ctx.gate.release()


@router.get("/v1/models")
async def models() -> dict[str, Any]:
    """The one model this server serves: the agent."""
    return {
        "object": "list",
        "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "chemdfm-agent"}],
    }
