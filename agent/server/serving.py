"""How `chemagent api` runs its app under uvicorn: the server-side timeouts.

uvicorn closes an idle keep-alive connection, but a client that connects and sends nothing, sends
half a request head and stops, or sends a head and trickles its body, holds its socket for ever
(its keep-alive timer is cancelled by the first byte). `HeadDeadline` closes any connection whose
request head is not complete within `api.timeout_headers_s` of the connection opening or the
previous response ending, and any whose body is not complete within `api.timeout_body_s` of its
head. The app reading that body sees the client disconnect; nothing is stored from a request
whose body never arrived."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from agent.settings import Settings

logger = logging.getLogger(__name__)


class HeadDeadline(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head (set by `server_config`)."""

    head_timeout: float = 10.0
    body_timeout: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.head_timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.info("closed a connection that sent no whole request head in time")
            self.transport.close()

    def _body_expired(self) -> None:
        self._body_timer = None
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            logger.info("closed a connection whose request body did not arrive in time")
            self.transport.close()

    def _watch_body(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._body_timer is None:
            self._body_timer = self.loop.call_later(self.body_timeout, self._body_expired)
        elif state is not h11.SEND_BODY and self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()
        self._watch_body()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().connection_lost(exc)


def server_config(
    app: Any, settings: Settings, *, host: str | None = None, port: int | None = None
) -> uvicorn.Config:
    """The uvicorn configuration `chemagent api` serves with (tests use the same one)."""
    api = settings.api
    protocol = type(
        "HeadDeadlineH11",
        (HeadDeadline,),
        {"head_timeout": api.timeout_headers_s, "body_timeout": api.timeout_body_s},
    )
    return uvicorn.Config(
        app,
        host=api.host if host is None else host,
        port=api.port if port is None else port,
        http=protocol,
        timeout_keep_alive=int(max(1, api.timeout_keep_alive_s)),
        h11_max_incomplete_event_size=64 * 1024,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
