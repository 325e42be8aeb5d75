"""`pixelwise serve` on the three YOLO26 exports: the HTTP answer is what Segmenter gives in-process.

A real server process on 127.0.0.1 serves the classic, end-to-end and semantic exports of
``../shared/models/yolo26``; a CamVid val image is POSTed to each, and the JSON is compared
with ``Segmenter(model=that file)`` on the same image in this process (same threads, and the
same ``--backend auto`` choice: both read the test run's cache).
"""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import tempfile

import httpx
import numpy as np
import pytest
from PIL import Image

import pixelwise as pw
from pixelwise.ops.masks import decode_rle
from tests.conftest import SHARED
from tests.serve.conftest import served_url, wait_ready

YOLO26 = SHARED / "models" / "yolo26"
IMAGE = SHARED / "datasets" / "camvid" / "val" / "0016E5_07959.png"  # objects for both instance exports
EXPORTS = {"seg": "yolo26n-seg-camvid-320.onnx", "e2e": "yolo26n-seg-e2e-camvid-320.onnx",
           "sem": "yolo26n-sem-camvid-320.onnx"}


def _ready_url(proc: subprocess.Popen, log) -> str:
    """The address ``pixelwise serve --port 0`` prints, once ``/readyz`` answers 200."""
    return wait_ready(served_url(proc, log), proc, timeout_s=120)


@pytest.fixture(scope="module")
def yolo26_server():
    missing = [p for p in (*(YOLO26 / f for f in EXPORTS.values()), IMAGE) if not p.is_file()]
    if missing:
        pytest.skip(f"{missing[0]} not found (the YOLO26 exports and CamVid live in ../shared; CI has it)")
    models = [a for name, f in EXPORTS.items() for a in ("--model", f"{name}={YOLO26 / f}")]
    cmd = [sys.executable, "-m", "pixelwise", "serve", "--host", "127.0.0.1", "--port", "0", "--threads", "1",
           "--workers", "1", *models]
    with tempfile.TemporaryFile() as log, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log,
                                                           text=True) as proc:
        try:
            yield _ready_url(proc, log)
        finally:
            proc.terminate()
            proc.communicate(timeout=30)


def _post(url: str, model: str, query: str = "") -> httpx.Response:
    r = httpx.post(f"{url}/v1/segment?model={model}{query}", content=IMAGE.read_bytes(),
                   headers={"Content-Type": "image/png"}, timeout=120)
    assert r.status_code == 200, r.text
    assert r.headers["X-Pixelwise-Model"] == model
    return r


def _in_process(model: str) -> pw.Result:
    return pw.Segmenter(YOLO26 / EXPORTS[model], threads=1)(IMAGE)


def _matched_boxes(served: list[dict], ours) -> np.ndarray:
    """Served boxes in the in-process order (matched by the nearest box corners)."""
    got = np.array([o["box_xyxy"] for o in served], np.float64).reshape(-1, 4)
    order = [int(np.abs(got - b).sum(axis=1).argmin()) for b in ours.boxes_xyxy]
    assert sorted(order) == list(range(len(served))), "served boxes do not pair one-to-one"
    return np.array(order)


@pytest.mark.parametrize("model", ["seg", "e2e"])
def test_instance_exports_answer_with_the_in_process_detections(yolo26_server, model):
    doc = _post(yolo26_server, model).json()
    res = _in_process(model)
    inst = res.instances
    assert doc["task"] == "yolo_seg" and (doc["height"], doc["width"]) == (360, 480)
    assert doc["backend"] == res.backend  # the same auto choice, else the comparison below means little
    assert len(doc["instances"]) == len(inst) > 0
    order = _matched_boxes(doc["instances"], inst)
    served = [doc["instances"][k] for k in order]
    assert [o["label"] for o in served] == [res.names[c] for c in inst.class_ids]
    assert {o["label"] for o in served} <= {"car", "pedestrian", "bicyclist"}
    np.testing.assert_allclose([o["score"] for o in served], inst.scores, atol=1e-4)
    np.testing.assert_allclose([o["box_xyxy"] for o in served], inst.boxes_xyxy, atol=0.02)
    assert [o["area"] for o in served] == [int(a) for a in inst.areas]
    assert doc["classes_present"] == res.classes_present() and doc["areas"] == res.areas()
    masks = decode_rle([o["rle"] for o in served])  # masks come along (RLE by default)
    assert masks.shape == inst.masks.shape and (masks == inst.masks).all()


def test_end_to_end_and_classic_heads_are_served_as_two_models(yolo26_server):
    """The one-to-one head finds fewer objects than the classic one on this image: two answers, not one."""
    seg, e2e = (_post(yolo26_server, m, "&masks=none").json()["instances"] for m in ("seg", "e2e"))
    assert len(seg) == len(_in_process("seg").instances) > len(e2e) == len(_in_process("e2e").instances)
    assert all("rle" not in o for o in seg + e2e)


def test_semantic_export_answers_with_the_in_process_class_map(yolo26_server):
    doc = _post(yolo26_server, "sem", "&mask_png=true").json()
    res = _in_process("sem")
    assert doc["task"] == "yolo_sem" and doc["instances"] == [] and doc["backend"] == res.backend
    assert doc["classes_present"] == res.classes_present() and "road" in doc["classes_present"]
    assert doc["areas"] == res.areas()
    served = np.asarray(Image.open(io.BytesIO(base64.b64decode(doc["mask_png_base64"]))))
    assert served.shape == (360, 480) and (served == res.semantic).all()
    mask = np.asarray(Image.open(io.BytesIO(_post(yolo26_server, "sem", "&output=mask").content)))
    assert (mask == res.semantic).all()


def test_models_endpoint_names_the_exports_classes(yolo26_server):
    models = {m["name"]: m for m in httpx.get(f"{yolo26_server}/v1/models", timeout=30).json()}
    assert list(models) == ["seg", "e2e", "sem"]
    assert models["seg"]["classes"] == models["e2e"]["classes"] == ["car", "pedestrian", "bicyclist"]
    assert models["sem"]["classes"] == list(pw.Segmenter(YOLO26 / EXPORTS["sem"], threads=1).spec.classes)
