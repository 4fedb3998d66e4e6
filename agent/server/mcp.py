"""The MCP server (official `mcp` SDK, low-level server so each tool keeps its own JSON schema):
every tool a client may call directly, and `ask`, the whole agent. Served over stdio by
`chemagent mcp` and over streamable HTTP at `/mcp` inside `chemagent api`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.server.errors import ApiError
from agent.server.rest import ask_blocking, call_tool_blocking, callable_tools
from agent.server.text import Text, TextError, check_all

if TYPE_CHECKING:
    from agent.server.context import ServerContext

ASK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "description": "The question, as a chemist would ask it."},
        "images": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Images of structures as data URLs (data:image/png;base64,...).",
        },
        "thread_id": {"type": "string", "description": "Continue this conversation."},
    },
    "required": ["question"],
    "additionalProperties": False,
}
ASK_DESCRIPTION = (
    "Ask the chemistry research assistant a question (molecules by name, SMILES, CAS or image; "
    "properties, comparisons, reactions, safety, literature). Returns the answer text with "
    "numbered citations, and in structured content the whole answer: citations, tool steps, "
    "molecules, warnings, whether it was refused."
)


class AskArgs(BaseModel):
    """`ask`'s arguments, validated like the HTTP route's body so a wrong type is the client's
    error (JSON-RPC invalid params, naming the field), not a Python message from deep inside."""

    model_config = ConfigDict(extra="forbid", strict=True)

    question: Text = Field(min_length=1)
    images: list[Text] = Field(default_factory=list, max_length=4)
    thread_id: Text | None = Field(None, max_length=200)


def invalid_params(tool: str, exc: ValidationError) -> MCPError:
    """The JSON-RPC error for arguments that do not fit the tool's schema, naming each field."""
    parts = []
    for e in exc.errors()[:5]:
        where = ".".join(str(p) for p in e.get("loc", ())) or "arguments"
        parts.append(f"{where}: {e.get('msg')}")
    return MCPError(types.INVALID_PARAMS, f"invalid arguments for {tool}: " + "; ".join(parts))


def _text_result(text: str, structured: Any = None, error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(text=text)], structured_content=structured, is_error=error
    )


def build_mcp(ctx: ServerContext) -> Server[Any]:
    """An MCP server over the same assistant and tools as the HTTP routes."""

    async def list_tools(_: Any, __: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        tools = [
            types.Tool(name="ask", description=ASK_DESCRIPTION, input_schema=ASK_SCHEMA),
            *(
                types.Tool(name=t.name, description=t.description, input_schema=t.json_schema())
                for t in callable_tools(ctx)
            ),
        ]
        return types.ListToolsResult(tools=tools)

    async def call_tool(_: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        args = dict(params.arguments or {})
        try:
            if params.name == "ask":
                try:
                    ask = AskArgs.model_validate(args)
                except ValidationError as exc:
                    raise invalid_params("ask", exc) from None
                answer = await ctx.gate.run(
                    ask_blocking, ctx, ask.question, ask.images, ask.thread_id
                )
                return _text_result(answer.text, answer.model_dump(mode="json"), error=False)
            try:
                check_all(args, "arguments")
            except TextError as exc:
                raise MCPError(types.INVALID_PARAMS, f"{params.name}: {exc}") from None
            result = await ctx.gate.run(call_tool_blocking, ctx, params.name, args)
        except ApiError as exc:
            return _text_result(exc.message, error=True)
        shown = result.summary
        if result.warnings:
            shown += "\n" + "\n".join(f"warning: {w}" for w in result.warnings)
        return _text_result(shown, json.loads(result.model_dump_json()))

    return Server(
        "chemagent",
        version=server_version(),
        instructions="A chemistry research assistant: RDKit tools, name resolution, predictors, "
        "literature search and the whole agent (`ask`), with a chemical-weapons safety screen.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def server_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chemdfm-agent")
    except PackageNotFoundError:
        return "0"


async def _serve_stdio(ctx: ServerContext) -> None:
    from mcp.server.stdio import stdio_server

    server = build_mcp(ctx)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def run_stdio(ctx: ServerContext) -> None:
    """Serve MCP on stdin/stdout until the client closes it."""
    anyio.run(_serve_stdio, ctx)
