"""The native REST routes: ask, threads, tools (listed and called directly), depiction, health,
and batch jobs."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agent.answer import Answer
from agent.server.context import ServerContext, answering, get_context
from agent.server.errors import ApiError
from agent.server.jobs import JobInputError, parse_items
from agent.server.paths import DEPICTIONS_URL, scrub_text
from agent.server.store import JobProgress, ThreadInfo
from agent.server.text import Text, TextError, check_all

router = APIRouter()
Ctx = Annotated[ServerContext, Depends(get_context)]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(description="The question, as a chemist would type it.")
    images: list[Text] = Field(
        default_factory=list,
        description="Images of structures as data URLs (data:image/png;base64,...); at most 4.",
    )
    thread_id: Text | None = Field(
        None, max_length=200, description="Continue this conversation; a new one when empty."
    )


class ThreadHistory(BaseModel):
    id: str
    history: list[dict[str, str]]


class ToolInfo(BaseModel):
    name: str
    description: str
    parameters: dict[str, Any]


class ToolResponse(BaseModel):
    tool: str
    summary: str
    data: dict[str, Any]
    warnings: list[str] = Field(default_factory=list)


class BatchCreated(BaseModel):
    id: str
    total: int


def ask_blocking(
    ctx: ServerContext, question: str, images: list[str], thread_id: str | None
) -> Answer:
    """One question, images decoded and removed afterwards; the thread is listed for the web."""
    with answering(ctx, images) as paths:
        answer = ctx.assistant.ask(question, paths, thread_id)
    if answer.thread_id:
        ctx.store.touch_thread(answer.thread_id, question.strip())
    return ctx.public(answer)


@router.post("/v1/ask", response_model=Answer, response_class=Response, tags=["assistant"])
async def ask(body: AskRequest, ctx: Ctx) -> Response:
    """Answer one question (with images of structures, in a thread) -> the typed `Answer`."""
    answer = await ctx.gate.run(ask_blocking, ctx, body.question, body.images, body.thread_id)
    # Already validated by its own model: serialised once, not checked again by FastAPI.
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("/v1/threads", response_model=list[ThreadInfo], tags=["assistant"])
async def threads(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[ThreadInfo]:
    """Conversations held by this server, most recent first."""
    return ctx.store.threads(limit)


@router.get("/v1/threads/{thread_id}", response_model=ThreadHistory, tags=["assistant"])
async def thread(thread_id: str, ctx: Ctx) -> ThreadHistory:
    """A thread's questions and answers, oldest first."""
    history = await anyio.to_thread.run_sync(ctx.assistant.history, thread_id)
    if not history:
        raise ApiError(404, f"no thread {thread_id!r}", "thread_not_found")
    return ThreadHistory(id=thread_id, history=history)


def callable_tools(ctx: ServerContext) -> list[Any]:
    """The tools a client may call directly: all but those whose arguments are paths on the
    server (images reach the structure reader through /v1/ask)."""
    return [
        t
        for t in ctx.assistant.deps.registry
        if not set(t.json_schema().get("properties", {})) & {"image", "path", "paths", "file"}
    ]


@router.get("/v1/tools", response_model=list[ToolInfo], tags=["tools"])
async def list_tools(ctx: Ctx) -> list[ToolInfo]:
    """Every tool a client may call, with the JSON schema of its arguments."""
    return [
        ToolInfo(name=t.name, description=t.description, parameters=t.json_schema())
        for t in callable_tools(ctx)
    ]


def call_tool_blocking(ctx: ServerContext, name: str, args: dict[str, Any]) -> ToolResponse:
    """A direct tool call, screened like a question and like an answer: its arguments by their
    text and structures (a producing tool about a Schedule 1 chemical, or a worded argument not
    understood as harmless, is refused), what a producing tool made by structure, and its
    summary and data before they leave (withheld when they give preparation details)."""
    from agent.nodes.screen import made_by
    from agent.safety import strings
    from tools.base import ToolError

    tools = {t.name: t for t in callable_tools(ctx)}
    if name not in tools:
        raise ApiError(404, f"no tool {name!r}; GET /v1/tools lists them", "tool_not_found")
    screen = ctx.assistant.deps.screen
    if refusal := screen.check_call(name, args):
        raise ApiError(403, refusal, "refused")
    texts = strings(args)
    verdict = screen.screen(" ".join(texts), [t for t in texts if " " not in t.strip()])
    try:
        result = tools[name].run(args)
    except ToolError as exc:
        raise ApiError(400, scrub_text(str(exc), ctx.roots), "tool_error") from None
    made = made_by(name, result.data)
    if made and (refusal := screen.products(made)):
        raise ApiError(403, refusal, "refused")
    if withheld := screen.screen_data(result.summary, result.data, bool(verdict.agents)):
        raise ApiError(403, withheld, "withheld")
    return ToolResponse(
        tool=name,
        summary=ctx.public_value(result.summary),
        data=ctx.public_value(result.data),
        warnings=verdict.warnings,
    )


@router.post("/v1/tools/{name}", response_model=ToolResponse, tags=["tools"])
async def call_tool(name: str, args: dict[str, Any], ctx: Ctx) -> ToolResponse:
    """Run one tool with validated arguments (its schema: GET /v1/tools)."""
    try:
        check_all(args, "args")
    except TextError as exc:
        raise ApiError(400, str(exc), "invalid_text") from None
    return await ctx.gate.run(call_tool_blocking, ctx, name, args)


@router.get("/v1/depict", tags=["tools"], response_class=Response)
async def depict(
    ctx: Ctx,
    smiles: Annotated[str, Query(min_length=1, max_length=2000)],
    size: Annotated[int, Query(ge=100, le=1000)] = 300,
) -> Response:
    """An SVG drawing of a structure (RDKit), for pages and notebooks."""
    svg = await anyio.to_thread.run_sync(draw_svg, smiles, size, ctx)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


_DEPICTION_NAME = re.compile(r"[0-9a-f]{12}\.(png|svg)")


@router.get(DEPICTIONS_URL + "/{name}", tags=["tools"], response_class=Response)
async def depiction(name: str, ctx: Ctx) -> Response:
    """A drawing the agent made (the depict tool), by the name its answer gave. Only names the
    tool writes are accepted, so no request can reach another file."""
    if not _DEPICTION_NAME.fullmatch(name):
        raise ApiError(404, "no such depiction", "depiction_not_found")
    path = ctx.settings.depiction_dir / name
    try:
        data = await anyio.to_thread.run_sync(path.read_bytes)
    except FileNotFoundError:
        raise ApiError(
            404,
            "no such depiction (the oldest are removed; ask for the drawing again or use "
            "GET /v1/depict?smiles=...)",
            "depiction_not_found",
        ) from None
    media = "image/png" if name.endswith(".png") else "image/svg+xml"
    return Response(data, media_type=media, headers={"Cache-Control": "max-age=3600"})


def draw_svg(smiles: str, size: int, ctx: ServerContext) -> str:
    from rdkit.Chem.Draw import rdMolDraw2D

    from tools.base import ToolError
    from tools.chem.mol import parse_smiles

    try:
        mol = parse_smiles(smiles, ctx.settings.chem)
    except ToolError as exc:
        raise ApiError(400, str(exc), "invalid_smiles") from None
    drawer = rdMolDraw2D.MolDraw2DSVG(size, size)
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    return str(drawer.GetDrawingText())


@router.get("/healthz", tags=["server"])
async def healthz(ctx: Ctx) -> dict[str, Any]:
    """Liveness for probes; needs no token and tells nothing private."""
    return {"status": "ok", "busy": ctx.gate.inside, "workers": ctx.gate.workers}


# -- batch jobs ---------------------------------------------------------------------------------


@router.post("/v1/batches", response_model=BatchCreated, status_code=202, tags=["batches"])
async def create_batch(request: Request, ctx: Ctx) -> BatchCreated:
    """Store a job (JSONL body, a JSON list of questions or of {id, question}, or
    {"questions": [...]}) and answer it in the background; returns its id at once."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    body: Any
    if kind == "application/json":
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(
                400, f"malformed JSON in the request body: {exc}", "json_invalid"
            ) from None
        if isinstance(body, dict):
            body = body.get("questions")
    else:
        body = raw
    try:
        items = parse_items(body, ctx.settings.api.max_batch_items)
    except JobInputError as exc:
        raise ApiError(400, str(exc), "invalid_batch") from None
    job = ctx.store.create_job(items)
    ctx.runner.wake()
    return BatchCreated(id=job, total=len(items))


def _progress(ctx: ServerContext, job: str) -> JobProgress:
    progress = ctx.store.progress(job)
    if progress is None:
        raise ApiError(404, f"no batch {job!r}", "batch_not_found")
    return progress


@router.get("/v1/batches/{job}", response_model=JobProgress, tags=["batches"])
async def batch_progress(job: str, ctx: Ctx) -> JobProgress:
    """How many questions are answered, failed, pending, cancelled."""
    return _progress(ctx, job)


@router.get("/v1/batches/{job}/results", tags=["batches"], response_class=StreamingResponse)
async def batch_results(job: str, ctx: Ctx) -> StreamingResponse:
    """The finished questions' records as JSONL, in input order (one per id)."""
    _progress(ctx, job)
    lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in ctx.store.results(job))
    return StreamingResponse(lines, media_type="application/x-ndjson")


@router.delete("/v1/batches/{job}", response_model=JobProgress, tags=["batches"])
async def cancel_batch(job: str, ctx: Ctx) -> JobProgress:
    """Cancel the questions not answered yet (answered ones stay in the results)."""
    ctx.store.cancel(job)
    return _progress(ctx, job)
