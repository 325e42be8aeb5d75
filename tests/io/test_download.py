"""URL downloads: an overall deadline, against a real server on 127.0.0.1 that trickles bytes."""

import http.server
import threading
import time

import pytest

from pixelwise.errors import DownloadError, DownloadTimeoutError
from pixelwise.io.download import fetch_url


class _Trickle(http.server.BaseHTTPRequestHandler):
    """/body: headers at once, then one body byte every 0.3 s; /headers: the status line trickles too."""

    def do_GET(self):  # noqa: N802
        try:
            if self.path == "/headers":
                for b in b"HTTP/1.1 200 OK\r\n":
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.3)
                return
            if self.path == "/ok":
                self.send_response(200)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"hello")
                return
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.3)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def trickle_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_a_trickling_server_hits_the_overall_deadline(trickle_url, path):
    t0 = time.monotonic()
    with pytest.raises(DownloadTimeoutError, match=rf"127.0.0.1:\d+{path}: download did not finish within 1.5 s"):
        fetch_url(trickle_url + path, timeout=1.5)
    assert time.monotonic() - t0 < 4  # each byte arrives well within any per-read timeout


def test_a_prompt_server_is_read_and_errors_are_typed(trickle_url):
    assert fetch_url(trickle_url + "/ok", timeout=5) == b"hello"
    with pytest.raises(DownloadError, match="larger than 0 MB"):
        fetch_url(trickle_url + "/ok", timeout=5, max_bytes=2)
    with pytest.raises(DownloadError, match="cannot download"):
        fetch_url("http://127.0.0.1:9/nothing", timeout=5)
