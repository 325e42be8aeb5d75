"""A live MJPEG view over HTTP (stdlib only), for headless machines and small devices.

``GET /`` serves a page showing the stream; ``GET /stream`` is ``multipart/x-mixed-replace``
JPEG frames; ``GET /frame.jpg`` the newest frame. Publishing never blocks on slow clients:
each client reads the newest frame when it is ready for one.
"""

from __future__ import annotations

import http.server
import threading

import numpy as np

from ..errors import InputError, PixelwiseRuntimeError

__all__ = ["MjpegServer", "parse_host_port"]

BOUNDARY = b"pixelwiseframe"
PAGE = b"""<!doctype html><html><head><title>pixelwise stream</title></head>
<body style="margin:0;background:#111">
<img src="/stream" style="max-width:100%" alt="pixelwise stream"></body></html>"""


def parse_host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise InputError(f"--serve expects HOST:PORT such as 127.0.0.1:8080, got {text!r}")
    return host or "127.0.0.1", int(port)


class MjpegServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8080, quality: int = 80) -> None:
        self.quality = quality
        self._frame: bytes | None = None
        self._seq = 0
        self._cond = threading.Condition()
        self._closed = False
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                if self.path == "/":
                    self._send(200, "text/html", PAGE)
                elif self.path == "/frame.jpg":
                    frame = server.latest(timeout=5.0)
                    if frame is None:
                        self._send(503, "text/plain", b"no frame yet")
                    else:
                        self._send(200, "image/jpeg", frame)
                elif self.path == "/stream":
                    self._stream()
                else:
                    self._send(404, "text/plain", b"not found")

            def _send(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                seen = -1
                try:
                    while True:
                        frame, seen = server.next_frame(seen, timeout=1.0)
                        if frame is None:
                            if server._closed:
                                return
                            continue
                        self.wfile.write(b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(frame)).encode() + b"\r\n\r\n" + frame + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    return

        try:
            self._httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:  # port in use, unknown host, no permission: the user's address
            raise InputError(f"cannot listen on http://{host}:{port}: {exc.strerror or exc}; "
                             "choose another address or port") from None
        self._httpd.daemon_threads = True
        bound = self._httpd.server_address
        self.address: tuple[str, int] = (str(bound[0]), int(bound[1]))
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="pixelwise-mjpeg", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}/"

    def publish(self, rgb: np.ndarray) -> None:
        from .codecs import encode_jpeg

        try:
            frame = encode_jpeg(rgb, self.quality, what="MJPEG frame")
        except PixelwiseRuntimeError:  # a frame that cannot be encoded is skipped, as before
            return
        with self._cond:
            self._frame = frame
            self._seq += 1
            self._cond.notify_all()

    def latest(self, timeout: float) -> bytes | None:
        with self._cond:
            if self._frame is None:
                self._cond.wait(timeout)
            return self._frame

    def next_frame(self, seen: int, timeout: float) -> tuple[bytes | None, int]:
        with self._cond:
            if self._seq == seen and not self._closed:
                self._cond.wait(timeout)
            if self._seq == seen:
                return None, seen
            return self._frame, self._seq

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
