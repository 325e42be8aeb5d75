"""Real HTTP servers on 127.0.0.1 for the download tests: slow ones, started and stopped by a context manager."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def trickle(total: int = 1000, every_s: float = 0.3, stop: threading.Event | None = None
            ) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """A GET handler: headers at once (Content-Length ``total``), then one body byte every ``every_s``.

    ``every_s=0`` with a ``stop`` event: the body never comes (the handler waits for ``stop``).
    """
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(total))
        h.end_headers()
        h.wfile.flush()
        if stop is not None and not every_s:
            stop.wait(60)
            return
        for _ in range(total):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(every_s)

    return handle


@contextmanager
def http_server(handle: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """Serve GET requests with ``handle`` on 127.0.0.1; yields the base URL (``http://127.0.0.1:PORT``)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                handle(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: what these servers are for

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
