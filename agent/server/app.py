"""The FastAPI app of `chemagent api`: OpenAI-compatible and REST routes, batch jobs, the web chat
at `/` and the MCP endpoint at `/mcp`, all over one `Assistant`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from mcp.server.transport_security import TransportSecuritySettings

from agent.server import chat_completions, errors, rest
from agent.server.context import build_context
from agent.server.mcp import build_mcp
from agent.server.security import Guard

if TYPE_CHECKING:
    from agent.api import Assistant
    from agent.settings import Settings

logger = logging.getLogger(__name__)
WEB = Path(str(files("agent.server") / "web"))


def create_app(assistant: Assistant, settings: Settings, *, run_jobs: bool = True) -> FastAPI:
    """The server app; `run_jobs=False` stores batch jobs without answering them (tests)."""
    ctx = build_context(assistant, settings)
    mcp = build_mcp(ctx)
    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        host=settings.api.host,
        # Host and Origin are checked for every route, /mcp included, by `Guard` (which also
        # knows api.allowed_hosts); the SDK's own check would refuse those configured names.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        max_request_body_size=int(settings.api.max_body_mb * 1e6),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            ctx.runner.start()
        try:
            async with mcp.session_manager.run():
                yield
        finally:
            ctx.runner.stop()
            ctx.store.close()

    app = FastAPI(
        title="chemdfm-agent",
        summary="A chemistry research assistant: OpenAI-compatible chat, REST, batch jobs, MCP.",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    app.include_router(chat_completions.router)
    app.include_router(rest.router)
    app.router.routes.extend(mcp_app.routes)
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    api = settings.api
    if api.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    token = api.token.get_secret_value() if api.token else None
    app.add_middleware(
        Guard,
        token=token,
        max_body=int(api.max_body_mb * 1e6),
        bind=api.host,
        allowed_hosts=api.allowed_hosts,
        cors_origins=api.cors_origins,
    )
    return app


def _version() -> str:
    from agent.server.mcp import server_version

    return server_version()
