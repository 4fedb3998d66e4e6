"""The checks every request passes before a route sees it: the Host and Origin headers, the bearer
token, the body's media type and its size.

Plain ASGI middleware rather than FastAPI dependencies, so the MCP endpoint mounted beside the
routes is covered by exactly the same checks.

Why Host and Origin: the default server listens on loopback with no token, so any web page the
user visits could otherwise reach it, either by rebinding its own DNS name to 127.0.0.1 (the
browser then sends `Host: evil.example`, refused with 421) or by a cross-site "simple" request
(a form or `text/plain` POST needs no CORS preflight: refused with 415 for the media type, and 403
for a foreign `Origin`)."""

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
# The names a loopback server always answers to; others come from `api.allowed_hosts`.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
# A body that changes state must be one of these: neither is a CORS-safelisted type, so a browser
# sends it cross-site only after a preflight this server does not grant (unless configured).
BODY_TYPES = frozenset({"application/json", "application/x-ndjson"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(value: str) -> str:
    """The name part of a Host header (`[::1]:8000` -> `[::1]`, `Example.org.:80` ->
    `example.org`)."""
    value = value.strip().lower()
    if value.startswith("["):
        name = value[: value.find("]") + 1] if "]" in value else value
    else:
        name = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    return name.rstrip(".")


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


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
    """Host and Origin (against DNS rebinding and cross-site requests), the bearer token (when one
    is set), the media type of state-changing bodies, and a bound on the request body."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        max_body: int,
        *,
        bind: str = "127.0.0.1",
        allowed_hosts: list[str] | None = None,
        cors_origins: list[str] | None = None,
    ) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body
        extra = {host_name(h) for h in allowed_hosts or []}
        # A loopback server is the one a rebound name reaches: it answers only to its own names.
        # Off loopback (a token is required there) the Host is checked only when names are set.
        self.hosts: frozenset[str] | None = None
        if is_loopback(bind.strip("[]")) or extra:
            self.hosts = LOOPBACK_NAMES | extra | {host_name(bind)}
        self.origins = frozenset(o.rstrip("/").lower() for o in cors_origins or [])

    def _host_ok(self, scope: Scope) -> bool:
        if self.hosts is None:
            return True
        host = _header(scope, b"host")
        return host is not None and host_name(host) in self.hosts

    def _origin_ok(self, scope: Scope) -> bool:
        """No Origin (not a browser, or a same-origin GET), the page's own origin, or one
        configured in `api.cors_origins`."""
        origin = _header(scope, b"origin")
        if origin is None:
            return True
        origin = origin.rstrip("/").lower()
        if origin in self.origins:
            return True
        host = (_header(scope, b"host") or "").lower()
        scheme = scope.get("scheme", "http")
        return bool(host) and origin == f"{scheme}://{host}"

    def _type_ok(self, scope: Scope) -> bool:
        if scope.get("method", "GET") not in BODY_METHODS:
            return True
        kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        return kind in BODY_TYPES

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
        if not self._host_ok(scope):
            await _send_error(
                send,
                421,
                "this server does not answer to that Host name; reach it as 127.0.0.1, "
                "localhost or [::1], or add the name to api.allowed_hosts",
                "misdirected_host",
            )
            return
        if not self._origin_ok(scope):
            await _send_error(
                send,
                403,
                "requests from another web origin are refused; add it to api.cors_origins to "
                "allow it",
                "foreign_origin",
            )
            return
        if not self._authorised(scope):
            await _send_error(
                send,
                401,
                "missing or wrong token: send 'Authorization: Bearer <token>'",
                "unauthorized",
            )
            return
        if not self._type_ok(scope):
            await _send_error(
                send,
                415,
                "send the body as application/json (or application/x-ndjson for a batch), with "
                "that Content-Type",
                "unsupported_media_type",
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
