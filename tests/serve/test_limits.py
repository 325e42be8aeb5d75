"""Per-request bounds: the pixel budget, header and upload deadlines, clients that go away."""

import logging
import socket
import time

import httpx
import pytest

from tests.serve.conftest import SAMPLE, start


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from tests.builders import make_semantic_onnx

    spec = {"adapter": "semantic", "input_hw": [64, 96], "classes": ["red", "green", "blue"],
            "colours": [[255, 0, 0], [0, 255, 0], [0, 0, 255]], "dynamic": True, "name": "rgb"}
    rgb = make_semantic_onnx(tmp_path_factory.mktemp("limits") / "rgb.onnx", spec=spec)
    server = start({"default": str(rgb)}, head_timeout_s=1.0, upload_timeout_s=1.5, read_timeout_s=5.0,
                   max_input_pixels=1_000_000, write_timeout_s=1.0)
    yield server
    server.stop()


def _post(live, query: str, data: bytes = b"") -> httpx.Response:
    return httpx.post(f"{live.url}/v1/segment?{query}", content=data or SAMPLE.read_bytes(),
                      headers={"Content-Type": "image/jpeg"}, timeout=60)


def test_imgsz_beyond_the_pixel_budget_is_refused_naming_the_budget(live):
    r = _post(live, "imgsz=4096x4096")
    assert r.status_code in (413, 422), r.text
    message = r.json()["error"]["message"]
    assert "4096x4096" in message and "pixel budget" in message and "1.0 MP" in message
    assert _post(live, "imgsz=960x1024").status_code == 200  # within the budget


def _closed_within(sock: socket.socket, seconds: float) -> tuple[float, bytes]:
    """Seconds until the server closes ``sock`` (reading whatever it sent), or fail after ``seconds``."""
    t0, got = time.monotonic(), b""
    sock.settimeout(seconds)
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except TimeoutError:
        pytest.fail(f"connection still open after {seconds} s (received {got!r})")
    return time.monotonic() - t0, got


def test_a_partial_header_is_closed_after_the_header_deadline(live):
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        waited, got = _closed_within(s, 6)
    assert waited < 3 and got.startswith(b"HTTP/1.1 408"), got


def test_a_header_trickled_byte_by_byte_is_closed_at_the_same_deadline(live):
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        t0 = time.monotonic()
        s.settimeout(0.2)
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:
            try:
                s.sendall(bytes([byte]))
                if s.recv(4096) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        assert time.monotonic() - t0 < 4, "the trickled header kept the connection open"


def test_a_silent_connection_is_closed(live):
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        waited, got = _closed_within(s, 6)
    assert waited < 3 and got == b""


def test_an_idle_keep_alive_connection_gets_a_new_header_deadline(live):
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.8)  # the first request is answered; its deadline is spent
        s.sendall(b"GET /healthz HTTP/1.1\r\n")  # ... the second head never completes
        waited, got = _closed_within(s, 6)
    assert got.startswith(b"HTTP/1.1 200") and got.count(b"HTTP/1.1 ") == 2 and b"408" in got, got


def test_a_trickled_upload_gets_408_at_the_upload_deadline(live):
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        s.sendall(b"POST /v1/segment HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n")
        t0, reply = time.monotonic(), b""
        s.settimeout(0.25)
        for _ in range(40):  # one byte every 0.25 s: each read is quick, the whole upload is not
            try:
                s.sendall(b"\x89")
                reply += s.recv(4096)
                if reply:
                    break
            except TimeoutError:
                continue
        assert reply.startswith(b"HTTP/1.1 408"), reply
        assert time.monotonic() - t0 < 4


@pytest.fixture
def server_log():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "pixelwise")]
    old = [(lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.disabled = False
    yield records
    for lg, (level, disabled) in zip(loggers, old):
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.disabled = disabled


def test_a_client_that_disconnects_mid_upload_logs_one_line_and_no_traceback(live, server_log):
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        s.sendall(b"POST /v1/segment HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
        s.sendall(b"\x89PNG" * 100)
        time.sleep(0.3)
    time.sleep(0.7)
    assert httpx.get(f"{live.url}/healthz", timeout=10).status_code == 200
    assert not [r for r in server_log if r.exc_info], [r.getMessage() for r in server_log]
    disconnect = [r.getMessage() for r in server_log if "disconnect" in r.getMessage().lower()]
    assert len(disconnect) <= 1 and all("\n" not in m for m in disconnect), disconnect


def test_a_client_that_never_reads_its_response_is_dropped(live):
    import io

    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(0).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "JPEG", quality=90)
    head = (b"POST /v1/segment?output=overlay&format=png HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
            b"Content-Length: %d\r\n\r\n" % len(buf.getvalue()))
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        s.connect(("127.0.0.1", live.port))
        s.sendall(head + buf.getvalue())
        deadline = time.monotonic() + 30
        while live.server.server_state.connections and time.monotonic() < deadline:
            time.sleep(0.2)  # the overlay (~12 MB of PNG) is made, then sent into a full socket
        assert not live.server.server_state.connections, "the connection of a client that reads nothing stays open"


def test_an_oversized_request_head_is_refused(live):
    """h11 holds at most ~64 KB of an incomplete head (MAX_HEAD_BYTES): 400, or a reset while still sending."""
    got = b""
    with socket.create_connection(("127.0.0.1", live.port)) as s:
        s.settimeout(6)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
            while chunk := s.recv(4096):
                got += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
    assert got == b"" or got.startswith(b"HTTP/1.1 400"), got[:100]
