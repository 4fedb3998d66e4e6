"""`chemagent api` (HTTP: OpenAI-compatible and REST routes, batch jobs, web chat, MCP at /mcp)
and `chemagent mcp` (MCP over stdio)."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.common import ConfigOpt, HomeOpt, err, fail, open_assistant, overrides


def api(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8000).")] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Bearer token clients must send; required off loopback.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=64, help="Questions answered at once.")
    ] = None,
    config: ConfigOpt = None,
    home: HomeOpt = None,
) -> None:
    """Serve the assistant over HTTP: OpenAI-compatible /v1/chat/completions, REST, batch jobs,
    the web chat at / and MCP at /mcp (docs at /docs)."""
    import uvicorn

    from agent.server.app import create_app
    from agent.server.security import TokenRequired, check_bind
    from agent.server.serving import server_config

    flags = overrides(home, None, None)
    api_flags = {
        k: v
        for k, v in {"host": host, "port": port, "token": token, "workers": workers}.items()
        if v is not None
    }
    if api_flags:
        flags["api"] = api_flags
    assistant = open_assistant(config, flags)
    settings = assistant.settings
    secret = settings.api.token.get_secret_value() if settings.api.token else None
    try:
        check_bind(settings.api.host, secret)
    except TokenRequired as exc:
        assistant.close()
        fail(str(exc))
    app = create_app(assistant, settings)
    shown = f"[{settings.api.host}]" if ":" in settings.api.host else settings.api.host
    err.print(
        f"chemagent api on http://{shown}:{settings.api.port}/ (web chat), /docs (API), /mcp "
        f"(MCP){'; token required' if secret else ''}"
    )
    try:
        uvicorn.Server(server_config(app, settings)).run()
    except OSError as exc:
        fail(f"cannot listen on {settings.api.host}:{settings.api.port}: {exc}")
    finally:
        assistant.close()


def mcp(config: ConfigOpt = None, home: HomeOpt = None) -> None:
    """Serve the assistant's tools and `ask` over MCP on stdin/stdout (for MCP clients)."""
    from agent.server.context import build_context
    from agent.server.mcp import run_stdio

    assistant = open_assistant(config, overrides(home, None, None))
    ctx = build_context(assistant, assistant.settings)
    try:
        run_stdio(ctx)
    finally:
        ctx.store.close()
        assistant.close()
