"""The checks every request passes before a route sees it: the bearer token and the body size.

Plain ASGI middleware rather than FastAPI dependencies, so the MCP endpoint mounted beside the
routes is covered by exactly the same checks."""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.server.errors import error_body

# Carry no data: the health probe, and the web page's own files (its script asks for the token
# and sends it with every call). Everything else, /mcp and /docs included, needs the token.
OPEN_PATHS = {"/healthz", "/", "/favicon.ico"}
OPEN_PREFIXES = ("/static/",)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TokenRequired(ValueError):
    """The server would listen beyond this machine with no token."""


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve off loopback without a token, saying how to set one."""
    if not is_loopback(host) and not token:
        raise TokenRequired(
            f"refusing to listen on {host} without a token: anyone who can reach it could use "
            "the assistant. Set one with --token T or CHEMAGENT_API__TOKEN=T (clients send "
            "'Authorization: Bearer T'), or bind 127.0.0.1"
        )


async def _send_error(send: Send, status: int, message: str, code: str) -> None:
    body = json.dumps(error_body(status, message, code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Bearer token (when one is set) and a bound on the request body."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body

    def _authorised(self, scope: Scope) -> bool:
        if self.token is None:
            return True
        path = scope.get("path", "")
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return True
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    given.strip(), self.token
                )
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._authorised(scope):
            await _send_error(
                send,
                401,
                "missing or wrong token: send 'Authorization: Bearer <token>'",
                "unauthorized",
            )
            return
        limit = self.max_body
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_error(send, 413, _too_large(limit), "body_too_large")
                return
        if not any(name == b"content-length" for name, _ in scope.get("headers", [])):
            # A body sent in chunks, with no length: read it whole (up to the limit) first, so
            # the answer to an oversized one is a 413 rather than a parse error.
            body = b""
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                body += message.get("body", b"")
                if len(body) > limit:
                    await _send_error(send, 413, _too_large(limit), "body_too_large")
                    return
                if not message.get("more_body", False):
                    break
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


def _too_large(limit: int) -> str:
    return (
        f"the request body is larger than {limit / 1e6:g} MB (api.max_body_mb); send fewer or "
        "smaller images, or split the batch"
    )


def bearer(token: str | None) -> dict[str, Any]:
    """Headers a client of this server sends."""
    return {"Authorization": f"Bearer {token}"} if token else {}
