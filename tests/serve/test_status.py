"""Status codes follow the exception's type, never its message text."""

import httpx
import pytest

from pixelwise import errors
from pixelwise.serve.models import ModelUnavailable, UnknownModel
from pixelwise.serve.status import ApiError, status_for


@pytest.mark.parametrize("exc, status", [
    (UnknownModel("x"), 404),
    (ModelUnavailable("x"), 503),
    (errors.ImageTooLargeError("x"), 413),
    (errors.NotAnImageError("x"), 415),
    (errors.ImageDecodeError("x"), 422),
    (errors.ImageNotFoundError("x"), 422),
    (errors.OptionError("x"), 422),
    (errors.ModelError("x"), 422),
    (errors.InputError("x"), 422),
    (MemoryError(), 503),
    (errors.PixelwiseRuntimeError("x"), 500),
    (KeyError("x"), 500),
    (ApiError(408, "x"), 408),
])
def test_status_by_type(exc, status):
    assert status_for(exc) == status


@pytest.mark.parametrize("text", ["123x456 image has 99 MP, more than the limit of 1 MP", "not an image", "empty file"])
def test_the_message_text_does_not_choose_the_status(text):
    assert status_for(errors.ImageDecodeError(text)) == 422
    assert status_for(errors.InputError(text)) == 422


def test_a_new_subclass_gets_its_parents_status():
    class Rotated(errors.ImageTooLargeError):
        pass

    assert status_for(Rotated("anything at all")) == 413


def test_an_image_error_raised_inside_the_worker_is_mapped_by_type(server, monkeypatch):
    """An error with a misleading message reaches the client with the status of its type."""
    import pixelwise.serve.app as app_module

    def fake_decode(data, name, max_pixels):
        raise errors.ImageTooLargeError("not an image (the words of another error)")

    monkeypatch.setattr(app_module, "decode_image", fake_decode)
    r = httpx.post(f"{server.url}/v1/segment", content=b"\x89PNG....", headers={"Content-Type": "image/png"},
                   timeout=30)
    assert r.status_code == 413, r.text


@pytest.mark.parametrize("method, path, status, words", [
    ("POST", "/v1/segment?alpha=nan", 422, "alpha: "),
    ("POST", "/v1/segment?output=gif", 422, "output: "),
    ("GET", "/v1/segment", 405, "Method Not Allowed"),
    ("GET", "/v1/nothing", 404, "Not Found"),
])
def test_framework_errors_have_the_same_one_line_shape(server, method, path, status, words):
    r = httpx.request(method, f"{server.url}{path}", content=b"x", headers={"Content-Type": "image/png"}, timeout=30)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["status"] == status and words in error["message"] and "\n" not in error["message"]


def test_a_server_bug_is_a_json_500_not_a_bare_page(server, monkeypatch):
    import pixelwise.serve.app as app_module

    def broken(data, name, max_pixels):
        raise KeyError("a bug")

    monkeypatch.setattr(app_module, "decode_image", broken)
    r = httpx.post(f"{server.url}/v1/segment", content=b"\x89PNG....", headers={"Content-Type": "image/png"},
                   timeout=30)
    assert r.status_code == 500 and "internal error (KeyError" in r.json()["error"]["message"]


def test_server_settings_are_checked():
    from pixelwise.serve.app import ServeConfig

    with pytest.raises(errors.OptionError, match="library's 16.8 MP"):
        ServeConfig(max_input_pixels=10**9)
    with pytest.raises(errors.OptionError, match="read_timeout_s=0"):
        ServeConfig(read_timeout_s=0)


def test_an_inference_failure_names_the_model(server, monkeypatch):
    from pixelwise.segmenter import Segmenter

    def broken(self, image, path=None, **options):
        raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code\nsecond line")

    monkeypatch.setattr(Segmenter, "predict_array", broken)
    r = httpx.post(f"{server.url}/v1/segment?model=rgb", content=b"\x89PNG", headers={"Content-Type": "image/png"},
                   timeout=30)
    assert r.status_code == 415  # decoding comes first: a bad image is still the client's error
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(buf, "PNG")
    r = httpx.post(f"{server.url}/v1/segment?model=rgb", content=buf.getvalue(), headers={"Content-Type": "image/png"},
                   timeout=30)
    message = r.json()["error"]["message"]
    assert r.status_code == 500 and "model rgb failed on this image (RuntimeError" in message and "\n" not in message
