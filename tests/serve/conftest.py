"""A real uvicorn server on localhost, started and stopped by the tests."""

import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from pixelwise.serve.app import ServeConfig, create_app  # noqa: E402
from pixelwise.serve.models import ModelPool  # noqa: E402
from pixelwise.serve.protocol import uvicorn_config  # noqa: E402


class LiveServer:
    """The app on 127.0.0.1 with the uvicorn settings of ``pixelwise serve`` (head deadlines, h11 limits)."""

    def __init__(self, app, config: ServeConfig = ServeConfig()) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", self.port, config.head_timeout_s,
                                                    config.write_timeout_s, keep_alive_s=2, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start(models: dict[str, str], model_retry_s: float = 10.0, **config) -> LiveServer:
    cfg = ServeConfig(**config)
    return LiveServer(create_app(ModelPool(models, threads=1, retry_s=model_retry_s), cfg), cfg)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.builders import make_semantic_onnx

    tmp = tmp_path_factory.mktemp("serve")
    spec = {"adapter": "semantic", "input_hw": [64, 96], "classes": ["red", "green", "blue"], "things": ["red"],
            "colours": [[255, 0, 0], [0, 255, 0], [0, 0, 255]], "dynamic": True, "name": "rgb"}
    rgb = make_semantic_onnx(tmp / "rgb.onnx", spec=spec)
    live = start({"default": "default", "rgb": str(rgb)}, max_upload_bytes=2_000_000, max_pixels=5_000_000,
                 read_timeout_s=1.0)
    yield live
    live.stop()


SAMPLE = Path(__file__).resolve().parents[2] / "src" / "pixelwise" / "assets" / "leuvenA.jpg"


@pytest.fixture(scope="module")
def people_server(tmp_path_factory):
    """A server with a person-style model ('person' where green wins) first, and the RGB model."""
    from tests.builders import make_semantic_onnx

    tmp = tmp_path_factory.mktemp("serve-people")
    people = {"adapter": "semantic", "input_hw": [64, 96], "classes": ["background", "person", "other"],
              "colours": [[0, 0, 0], [255, 0, 255], [0, 0, 255]], "dynamic": True, "name": "people-test"}
    rgb = {"adapter": "semantic", "input_hw": [64, 96], "classes": ["red", "green", "blue"],
           "colours": [[255, 0, 0], [0, 255, 0], [0, 0, 255]], "dynamic": True, "name": "rgb"}
    live = start({"people": str(make_semantic_onnx(tmp / "people.onnx", spec=people, pool=1)),
                  "rgb": str(make_semantic_onnx(tmp / "rgb.onnx", spec=rgb))})
    yield live
    live.stop()


def person_photo_png() -> bytes:
    """(120, 160) PNG: a red background with a green 'person' rectangle at rows 30:100, columns 50:110."""
    import io

    import numpy as np
    from PIL import Image

    img = np.zeros((120, 160, 3), np.uint8)
    img[:] = (220, 30, 30)
    img[::4] = (160, 20, 20)  # stripes: a blur shows
    img[30:100, 50:110] = (30, 220, 30)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


def served_url(proc, stderr_log=None) -> str:
    """The ``http://127.0.0.1:PORT`` that ``pixelwise serve --port 0`` prints once its socket is bound."""
    line = proc.stdout.readline()
    if "http://127.0.0.1:" not in line:
        if stderr_log is not None:
            stderr_log.seek(0)
            err = stderr_log.read().decode(errors="replace")[-500:]
        else:
            err = proc.stderr.read() if proc.poll() is not None else ""
        raise AssertionError(f"no address printed: {line!r}; stderr: {err}")
    return "http://" + line.split("http://", 1)[1].split("/", 1)[0]


def wait_ready(url: str, proc, timeout_s: float = 60.0) -> str:
    """Poll ``/readyz`` until it answers 200 (the server process must stay alive meanwhile)."""
    import httpx

    deadline = time.time() + timeout_s
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return url
        except httpx.HTTPError:  # still starting
            pass
        assert proc.poll() is None and time.time() < deadline, "pixelwise serve did not become ready"
        time.sleep(0.1)
