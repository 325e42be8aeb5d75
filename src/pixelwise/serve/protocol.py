"""uvicorn's h11 protocol with deadlines for the request head and for stalled writes.

uvicorn's ``timeout_keep_alive`` only covers the idle time *between* requests and is reset by
every byte received, so a connection that sends part of a header (or nothing) stays open
forever. :class:`DeadlineProtocol` gives every request head an absolute deadline counted
from the connection's start or the end of the previous response: past it the server answers
408 (if anything was sent) and closes the connection. A client that stops reading its
response (the socket buffer stays full for ``write_timeout_s``) is disconnected, so the
response does not stay in memory for ever. Bodies have their own deadlines in
:mod:`.upload`; h11 holds at most :data:`MAX_HEAD_BYTES` of an incomplete head (400 past it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DeadlineProtocol", "uvicorn_config"]

log = logging.getLogger("pixelwise.serve")

MAX_HEAD_BYTES = 64 * 1024  # of a head not yet complete (h11_max_incomplete_event_size); beyond: 400, closed
_TIMEOUT_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s")


class DeadlineProtocol(H11Protocol):
    """H11Protocol: request heads within ``head_timeout_s``; a full send buffer for at most ``write_timeout_s``."""

    head_timeout_s: float = 10.0
    write_timeout_s: float = 60.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
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
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.write_timeout_s, self._write_expired)

    def resume_writing(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        super().resume_writing()

    def _write_expired(self) -> None:
        self._write_timer = None
        peer = "%s:%d" % self.client if self.client else "a client"
        log.info("closed the connection to %s: it read nothing of its response for %g s", peer, self.write_timeout_s)
        self.transport.abort()  # close() would wait for the buffer to drain, which it never will

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


def uvicorn_config(app: Any, host: str, port: int, head_timeout_s: float, write_timeout_s: float = 60.0,
                   keep_alive_s: int = 5, log_level: str = "warning") -> uvicorn.Config:
    """The uvicorn settings of ``pixelwise serve``: h11 with deadlines, bounded heads, short keep-alive."""
    protocol = type("DeadlineProtocol", (DeadlineProtocol,), {"head_timeout_s": float(head_timeout_s),
                                                              "write_timeout_s": float(write_timeout_s)})
    return uvicorn.Config(app, host=host, port=port, http=protocol, log_level=log_level,
                          timeout_keep_alive=keep_alive_s, h11_max_incomplete_event_size=MAX_HEAD_BYTES)
