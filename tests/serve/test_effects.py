"""POST /v1/segment?output=cutout | blur | composite against a real server with a person model."""

import io

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.serve.conftest import person_photo_png

PNG = {"Content-Type": "image/png"}


@pytest.fixture(scope="module")
def client(people_server):
    with httpx.Client(base_url=people_server.url, timeout=60) as c:
        yield c


def _photo() -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(person_photo_png())))


def test_cutout_is_an_rgba_png_whose_alpha_is_the_person(client):
    r = client.post("/v1/segment?output=cutout", content=person_photo_png(), headers=PNG)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png" and r.headers["X-Pixelwise-Person"] == "found"
    assert abs(float(r.headers["X-Pixelwise-Person-Fraction"]) - 70 * 60 / (120 * 160)) < 0.03
    rgba = np.asarray(Image.open(io.BytesIO(r.content)))
    assert rgba.shape == (120, 160, 4)
    person = np.zeros((120, 160), bool)
    person[30:100, 50:110] = True
    assert ((rgba[..., 3] >= 128) == person).mean() > 0.99
    sure = rgba[..., 3] == 255
    assert sure.sum() > 3000 and np.array_equal(rgba[..., :3][sure], _photo()[sure])
    assert rgba[..., 3][:20].max() == 0


def test_a_photo_without_a_person_gives_a_transparent_cutout_and_says_so(client):
    buf = io.BytesIO()
    Image.fromarray(np.full((40, 50, 3), (200, 10, 10), np.uint8)).save(buf, "PNG")
    r = client.post("/v1/segment?output=cutout", content=buf.getvalue(), headers=PNG)
    assert r.status_code == 200, r.text
    assert r.headers["X-Pixelwise-Person"] == "none" and float(r.headers["X-Pixelwise-Person-Fraction"]) == 0
    rgba = np.asarray(Image.open(io.BytesIO(r.content)))
    assert rgba.shape == (40, 50, 4) and rgba[..., 3].max() == 0


def test_blur_and_composite_keep_the_person_exact(client):
    photo = _photo()
    cut = np.asarray(Image.open(io.BytesIO(client.post("/v1/segment?output=cutout", content=person_photo_png(),
                                                       headers=PNG).content)))
    sure = cut[..., 3] == 255
    r = client.post("/v1/segment?output=blur&sigma=4", content=person_photo_png(), headers=PNG)
    assert r.status_code == 200 and r.headers["X-Pixelwise-Person"] == "found"
    blurred = np.asarray(Image.open(io.BytesIO(r.content)))
    assert np.array_equal(blurred[sure], photo[sure])
    assert blurred[:20, :40, 0].std() < photo[:20, :40, 0].std() / 4  # the stripes are gone
    r = client.post("/v1/segment", params={"output": "composite", "background": "#0000ff"},
                    content=person_photo_png(), headers=PNG)
    assert r.status_code == 200, r.text
    replaced = np.asarray(Image.open(io.BytesIO(r.content)))
    assert np.array_equal(replaced[sure], photo[sure]) and (replaced[:20] == (0, 0, 255)).all()
    r = client.post("/v1/segment?output=composite&background=0,255,0&format=jpeg", content=person_photo_png(),
                    headers=PNG)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(("query", "message"), [
    ("output=composite", "output=composite needs background="),
    ("output=composite&background=reddish", "background: expected a colour"),
    ("output=json&background=white", "background= is for output=composite"),
    ("output=blur&sigma=0", "sigma"),
    ("output=cutout&model=rgb", "output=cutout: this model has no person class (red, green, blue)"),
])
def test_bad_effect_requests_are_422_in_one_line(client, query, message):
    r = client.post(f"/v1/segment?{query}", content=person_photo_png(), headers=PNG)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["status"] == 422 and message in error["message"] and "\n" not in error["message"]


def test_an_effect_of_something_not_an_image_is_415(client):
    r = client.post("/v1/segment?output=cutout", content=b"hello, not an image", headers=PNG)
    assert r.status_code == 415, r.text
