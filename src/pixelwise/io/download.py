"""Downloading an http(s) URL within an overall deadline.

A socket timeout bounds each read, not the whole download: a server that trickles one
byte every few seconds would keep a plain ``urlopen`` busy forever. Here every socket the
download opens is registered, and a timer shuts them down when the deadline passes, which
ends a read that is waiting (headers included); the error then says the deadline passed.
"""

from __future__ import annotations

import http.client
import math
import numbers
import socket
import threading
import time
import urllib.request

from ..errors import DownloadError, DownloadTimeoutError, OptionError

__all__ = ["DEFAULT_URL_TIMEOUT_S", "MAX_DOWNLOAD_BYTES", "check_timeout", "fetch_url"]

DEFAULT_URL_TIMEOUT_S = 60.0  # the whole download: connect, headers and body
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024


def check_timeout(value: object) -> float:
    """A download deadline in seconds: a positive, finite number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < math.inf:
        raise OptionError(f"timeout must be a positive number of seconds, got {value!r}")
    return float(value)


class _Sockets:
    """The sockets one download opened (redirects open more); ``close_all`` ends their reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.expired = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                _shutdown(sock)

    def close_all(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _opener(socks: _Sockets) -> urllib.request.OpenerDirector:
    def tracked(base: type) -> type:
        class Connection(base):  # type: ignore[misc, valid-type]
            def connect(self) -> None:
                super().connect()
                socks.add(self.sock)

        return Connection

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(tracked(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(tracked(http.client.HTTPSConnection), req, context=self._context)

    return urllib.request.build_opener(Http, Https)


def _read_body(response: http.client.HTTPResponse, url: str, max_bytes: int) -> bytes:
    chunks, total = [], 0
    while chunk := response.read1(1 << 16):
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise DownloadError(f"{url}: larger than {max_bytes // 2**20} MB")
    return b"".join(chunks)


def fetch_url(url: str, timeout: float = DEFAULT_URL_TIMEOUT_S, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """The body of ``url``, downloaded within ``timeout`` seconds overall.

    Raises:
        DownloadTimeoutError: the deadline passed (the message names the URL and the limit).
        DownloadError: any other failure (refused, HTTP error, larger than ``max_bytes``).
    """
    timeout = check_timeout(timeout)
    socks = _Sockets()
    timer = threading.Timer(timeout, socks.close_all)
    timer.daemon = True
    start = time.monotonic()
    timer.start()
    try:
        with _opener(socks).open(url, timeout=timeout) as response:  # a URL the user gave
            data = _read_body(response, url, max_bytes)
    except DownloadError:
        raise
    except Exception as exc:  # urllib raises many types; report one line
        if socks.expired or time.monotonic() - start >= timeout:
            raise _timeout(url, timeout) from None
        raise DownloadError(f"{url}: cannot download ({exc})") from None
    finally:
        timer.cancel()
    if socks.expired:  # a body cut short by the deadline is not an image
        raise _timeout(url, timeout)
    return data


def _timeout(url: str, timeout: float) -> DownloadTimeoutError:
    return DownloadTimeoutError(f"{url}: download did not finish within {timeout:g} s; "
                                "check the server or raise the timeout (--timeout)")
