"""The model registry: shipped files, and downloads verified by checksum (from a local server)."""

import functools
import hashlib
import http.server
import threading

import pytest

from pixelwise.errors import ModelError, PixelwiseRuntimeError
from pixelwise.registry import REGISTRY, ModelEntry, resolve_model


@pytest.fixture
def http_dir(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()


def test_shipped_models_resolve_inside_the_package():
    path = resolve_model("default")
    assert path.name == REGISTRY["default"].file and path.parent.name == "weights"


def test_download_verifies_the_checksum_and_caches(http_dir, rgb_model, tmp_path, monkeypatch):
    root, url, server = http_dir
    data = rgb_model.read_bytes()
    (root / "rgb.onnx").write_bytes(data)
    monkeypatch.setenv("PIXELWISE_CACHE", str(tmp_path / "cache"))
    good = {"rgb": ModelEntry("rgb", "test model", url=f"{url}/rgb.onnx", sha256=hashlib.sha256(data).hexdigest())}
    path = resolve_model("rgb", good)
    assert path.read_bytes() == data and path.parent == tmp_path / "cache"
    server.shutdown()  # cached: no network needed any more
    assert resolve_model("rgb", good) == path
    import pixelwise as pw

    assert pw.Segmenter(path).names == ("red", "green", "blue")


def test_checksum_mismatch_leaves_nothing_in_the_cache(http_dir, tmp_path, monkeypatch):
    root, url, _ = http_dir
    (root / "m.onnx").write_bytes(b"tampered")
    monkeypatch.setenv("PIXELWISE_CACHE", str(tmp_path / "cache"))
    bad = {"m": ModelEntry("m", "x", url=f"{url}/m.onnx", sha256="0" * 64)}
    with pytest.raises(PixelwiseRuntimeError, match="checksum mismatch"):
        resolve_model("m", bad)
    assert not any((tmp_path / "cache").iterdir())
    missing = {"m": ModelEntry("m", "x", url=f"{url}/nope.onnx", sha256="0" * 64)}
    with pytest.raises(PixelwiseRuntimeError, match="download failed"):
        resolve_model("m", missing)


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ModelError, match="known: default, default-int8, people"):
        resolve_model("nonexistent-model")
