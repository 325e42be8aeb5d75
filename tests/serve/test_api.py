"""The HTTP API against a real server: outputs, limits, bad input, overload."""

import io
import json
import socket
import threading
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.serve.conftest import SAMPLE, start


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def test_health_ready_models_docs_and_page(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    models = client.get("/v1/models").json()
    assert [m["name"] for m in models] == ["default", "rgb"]
    assert models[0]["classes"][3] == "road" and len(models[0]["colours"]) == 11 and models[0]["input_hw"] == [360, 480]
    assert client.get("/docs").status_code == 200 and "/v1/segment" in client.get("/openapi.json").text
    assert 'id="file"' in client.get("/").text


def test_json_output_multipart_and_raw_agree(client):
    data = SAMPLE.read_bytes()
    a = client.post("/v1/segment", files={"image": ("leuven.jpg", data, "image/jpeg")})
    b = client.post("/v1/segment", content=data, headers={"Content-Type": "image/jpeg"})
    assert a.status_code == b.status_code == 200, a.text
    da, db = a.json(), b.json()
    assert da["schema"] == "pixelwise.result/1" and da["height"] == 563 and da["width"] == 751
    assert da["areas"] == db["areas"] and "building" in da["classes_present"]
    for stage in ("Preprocess", "Inference", "Postprocess", "Encode", "Total"):
        assert float(a.headers[f"X-Pixelwise-{stage}-Ms"]) >= 0
    assert a.headers["X-Pixelwise-Model"] == "default"


def test_overlay_and_mask_outputs(client):
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, 30:] = (0, 0, 250)
    r = client.post("/v1/segment?model=rgb&output=mask", content=_png(img), headers={"Content-Type": "image/png"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    mask = np.asarray(Image.open(io.BytesIO(r.content)))
    assert mask.shape == (40, 60) and (mask[:, 35:] == 2).all()
    r = client.post("/v1/segment?model=rgb&output=overlay&format=jpeg&alpha=1", content=_png(img),
                    headers={"Content-Type": "image/png"})
    assert r.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(r.content)).size == (60, 40)


def test_json_options_classes_masks_and_mask_png(client):
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, :30] = (250, 0, 0)
    r = client.post("/v1/segment?model=rgb&masks=polygons&mask_png=true&classes=red&imgsz=32x48", content=_png(img),
                    headers={"Content-Type": "image/png"})
    doc = r.json()
    assert r.status_code == 200 and doc["classes_present"] == ["red"]
    assert "polygons" in doc["instances"][0]
    import base64

    mask = np.asarray(Image.open(io.BytesIO(base64.b64decode(doc["mask_png_base64"]))))
    assert mask.shape == (40, 60) and (mask[:, :25] == 0).all()


@pytest.mark.parametrize("query, body, ctype, status, message", [
    ("model=nope", b"x", "image/png", 404, "unknown model 'nope'"),
    ("", b"this is text", "text/plain", 415, "unsupported content type"),
    ("", b"not really a png", "image/png", 415, "not an image"),
    ("", b"", "image/png", 422, "empty request body"),
    ("imgsz=big", b"x", "image/png", 422, "imgsz must be"),
    ("alpha=7", b"x", "image/png", 422, ""),
    ("output=gif", b"x", "image/png", 422, ""),
    ("classes=unicorn", b"x", "image/png", 422, "unknown class 'unicorn'"),
])
def test_bad_requests_get_4xx_with_a_clear_message(client, query, body, ctype, status, message):
    r = client.post(f"/v1/segment?{query}", content=body, headers={"Content-Type": ctype})
    assert r.status_code == status, r.text
    assert message in r.text
    assert client.get("/healthz").status_code == 200  # still serving


def test_truncated_jpeg_is_422(client):
    data = SAMPLE.read_bytes()[:5000]
    r = client.post("/v1/segment", content=data, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 422 and "corrupt or truncated" in r.json()["error"]["message"]


def test_upload_size_limit_is_413(client):
    r = client.post("/v1/segment", content=b"\0" * 2_100_000, headers={"Content-Type": "image/png"})
    assert r.status_code == 413 and "exceeds the limit" in r.text


def test_decompression_bomb_is_413(client):
    buf = io.BytesIO()
    Image.new("L", (10000, 10000)).save(buf, "PNG")  # ~100 KB file, 100 MP
    assert len(buf.getvalue()) < 2_000_000
    r = client.post("/v1/segment", content=buf.getvalue(), headers={"Content-Type": "image/png"})
    assert r.status_code == 413 and "MP" in r.text


def test_multipart_without_a_file_is_422(client):
    r = client.post("/v1/segment", data={"note": "no file"}, files={"x": ("", b"", "text/plain")})
    assert r.status_code in (415, 422)
    r = client.post("/v1/segment", data={"note": "no file"}, headers={})
    assert r.status_code in (415, 422)


def test_slow_client_times_out_and_others_are_served(server, client):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /v1/segment HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
        s.sendall(b"\x89PNG")
        ok = client.get("/healthz")  # served while the slow upload stalls
        assert ok.status_code == 200
        s.settimeout(15)
        reply = s.recv(4096)
    assert b"408" in reply.split(b"\r\n")[0]


def test_overload_gets_503_with_retry_after_and_no_5xx_otherwise():
    live = start({"default": "default"}, workers=1, queue=0)
    try:
        data = SAMPLE.read_bytes()
        codes, lock = [], threading.Lock()

        def hit():
            r = httpx.post(f"{live.url}/v1/segment", content=data, headers={"Content-Type": "image/jpeg"}, timeout=60)
            with lock:
                codes.append((r.status_code, r.headers.get("Retry-After")))

        threads = [threading.Thread(target=hit) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = [c for c, _ in codes]
        assert 200 in statuses and 503 in statuses, statuses
        assert all(c in (200, 503) for c in statuses)
        assert all(ra == "1" for c, ra in codes if c == 503)
        time.sleep(0.1)
        assert httpx.get(f"{live.url}/healthz").status_code == 200
    finally:
        live.stop()


def test_json_is_the_result_schema(client):
    doc = client.post("/v1/segment", content=SAMPLE.read_bytes(), headers={"Content-Type": "image/jpeg"}).json()
    assert set(doc) >= {"schema", "source", "height", "width", "model", "classes_present", "areas", "instances"}
    json.dumps(doc)


def test_flip_averages_the_image_and_its_mirror(client):
    import pixelwise as pw

    data = SAMPLE.read_bytes()
    plain = client.post("/v1/segment", content=data, headers={"Content-Type": "image/jpeg"})
    flip = client.post("/v1/segment?flip=true", content=data, headers={"Content-Type": "image/jpeg"})
    assert plain.status_code == flip.status_code == 200, flip.text
    expected = pw.Segmenter(threads=1, flip=True)(str(SAMPLE)).areas()
    pixels = {k: v["pixels"] for k, v in flip.json()["areas"].items()}
    assert pixels == {k: v["pixels"] for k, v in expected.items()}
    assert pixels != {k: v["pixels"] for k, v in plain.json()["areas"].items()}
