"""Models that cannot be loaded: refused at start-up by the CLI, 503 and not ready in the app."""

import shutil

import httpx
import pytest

from tests.serve.conftest import SAMPLE, start


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A live server whose second model is garbage and whose third was deleted after start."""
    tmp = tmp_path_factory.mktemp("broken")
    (tmp / "bad.onnx").write_bytes(b"not an onnx model")
    live = start({"default": "default", "bad": str(tmp / "bad.onnx"), "gone": str(tmp / "gone.onnx")})
    yield live
    live.stop()


def test_models_lists_broken_models_as_unavailable(broken):
    r = httpx.get(f"{broken.url}/v1/models", timeout=60)
    assert r.status_code == 200, r.text
    by_name = {m["name"]: m for m in r.json()}
    assert by_name["default"]["available"] is True and by_name["default"]["input_hw"] == [360, 480]
    assert by_name["bad"]["available"] is False and "bad.onnx" in by_name["bad"]["error"]
    assert by_name["gone"]["available"] is False and "gone.onnx" in by_name["gone"]["error"]


@pytest.mark.parametrize("name", ["bad", "gone"])
def test_segment_with_a_broken_model_is_503_naming_it(broken, name):
    r = httpx.post(f"{broken.url}/v1/segment?model={name}", content=SAMPLE.read_bytes(),
                   headers={"Content-Type": "image/jpeg"}, timeout=60)
    assert r.status_code == 503, r.text
    assert f"model {name!r} is unavailable" in r.json()["error"]["message"]
    assert httpx.post(f"{broken.url}/v1/segment", content=SAMPLE.read_bytes(),
                      headers={"Content-Type": "image/jpeg"}, timeout=60).status_code == 200  # the default still works


def test_readyz_is_not_ready_and_names_the_broken_models(broken):
    r = httpx.get(f"{broken.url}/readyz", timeout=60)
    assert r.status_code == 503, r.text
    doc = r.json()
    assert doc["status"] == "not ready" and set(doc["unavailable"]) == {"bad", "gone"}
    assert "bad.onnx" in doc["reason"]


def test_a_model_file_that_reappears_is_loaded_on_retry(tmp_path, rgb_model):
    path = tmp_path / "later.onnx"
    live = start({"default": str(rgb_model), "later": str(path)}, model_retry_s=0.0)
    try:
        assert httpx.get(f"{live.url}/readyz", timeout=60).status_code == 503
        shutil.copy(rgb_model, path)
        r = httpx.get(f"{live.url}/readyz", timeout=60)
        assert r.status_code == 200 and r.json()["models"] == ["default", "later"], r.text
    finally:
        live.stop()
