"""URL downloads: an overall deadline, against a real server on 127.0.0.1 that trickles bytes."""

import time

import pytest

from pixelwise.errors import DownloadError, DownloadTimeoutError
from pixelwise.io.download import fetch_url
from tests.io.servers import http_server, trickle


def _handler(h):
    """/ok: 5 bytes at once; /headers: the status line trickles; else the body trickles (0.3 s a byte)."""
    if h.path == "/ok":
        h.send_response(200)
        h.send_header("Content-Length", "5")
        h.end_headers()
        h.wfile.write(b"hello")
    elif h.path == "/headers":
        for b in b"HTTP/1.1 200 OK\r\n":
            h.wfile.write(bytes([b]))
            h.wfile.flush()
            time.sleep(0.3)
    else:
        trickle(every_s=0.3)(h)


@pytest.fixture
def trickle_url():
    with http_server(_handler) as url:
        yield url


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
