"""uvicorn's h11 protocol with a deadline for the request head, and the server's uvicorn config.

uvicorn's ``timeout_keep_alive`` only covers the idle time *between* requests and is reset by
every byte received, so a connection that sends part of a header (or nothing) stays open
forever. :class:`HeadDeadlineProtocol` gives every request head an absolute deadline counted
from the connection's start or the end of the previous response: past it the server answers
408 (if anything was sent) and closes the connection. Bodies have their own deadlines in
:mod:`.upload`; h11 bounds the head's size (``h11_max_incomplete_event_size``, 431 past it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HeadDeadlineProtocol", "uvicorn_config"]

log = logging.getLogger("pixelwise.serve")

MAX_HEAD_BYTES = 64 * 1024  # request line + headers; h11 answers 431 beyond this
_TIMEOUT_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s")


class HeadDeadlineProtocol(H11Protocol):
    """H11Protocol whose request heads must arrive within ``head_timeout_s`` seconds."""

    head_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def data_received(self, data: bytes) -> None:
        if self._waiting_for_head():
            if self._head_timer is None:
                self._arm()  # the first byte after an idle keep-alive connection starts the next head's clock
            self._head_bytes += len(data)
        super().data_received(data)
        if not self._waiting_for_head():
            self._disarm()  # the head is in: the app (and its upload deadlines) take over

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _head_expired(self) -> None:
        self._head_timer = None
        if not self._waiting_for_head() or self.transport.is_closing():
            return
        if self._head_bytes:
            text = f"request head not complete within {self.head_timeout_s:g} s\n".encode()
            self.transport.write(_TIMEOUT_408 % (len(text), text))
            peer = "%s:%d" % self.client if self.client else "a client"
            log.info("closed the connection from %s: request head not complete within %g s", peer,
                     self.head_timeout_s)
        self.transport.close()


def uvicorn_config(app: Any, host: str, port: int, head_timeout_s: float, keep_alive_s: int = 5,  # noqa: ANN401
                   log_level: str = "warning") -> uvicorn.Config:
    """The uvicorn settings of ``pixelwise serve``: h11 with head deadlines, bounded heads, short keep-alive."""
    protocol = type("HeadDeadlineProtocol", (HeadDeadlineProtocol,), {"head_timeout_s": float(head_timeout_s)})
    return uvicorn.Config(app, host=host, port=port, http=protocol, log_level=log_level,
                          timeout_keep_alive=keep_alive_s, h11_max_incomplete_event_size=MAX_HEAD_BYTES)
