"""pixelwise serve --things [NAME=]MODEL: a served semantic model answers with a things model's objects."""

from __future__ import annotations

import io
import subprocess
import sys

import httpx
import numpy as np
import pytest
from PIL import Image

from pixelwise.cli.serve_cmd import parse_things
from pixelwise.errors import InputError
from tests.builders import make_yolo_onnx
from tests.conftest import run_cli_in_process as run_cli  # refused before serving: no process needed
from tests.serve.conftest import served_url, wait_ready


def _scene_png() -> bytes:
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :32] = (250, 10, 10)
    img[:, 32:] = (10, 10, 250)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _wait_ready(proc: subprocess.Popen) -> str:
    return wait_ready(served_url(proc), proc)


def test_served_model_with_things_answers_with_their_objects(rgb_model, tmp_path):
    things = make_yolo_onnx(tmp_path / "things.onnx", ("person",), [(16, 32, 16, 16, 0, 0.9)])
    cmd = [sys.executable, "-m", "pixelwise", "serve", "--port", "0", "--model", f"rgb={rgb_model}",
           "--model", f"plain={rgb_model}", "--things", f"rgb={things}", "--things-map", "person=green"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            url = _wait_ready(proc)
            body, headers = _scene_png(), {"Content-Type": "image/png"}
            r = httpx.post(f"{url}/v1/segment?model=rgb&masks=none", content=body, headers=headers, timeout=60)
            assert r.status_code == 200, r.text
            objects = r.json()["instances"]
            assert [(o["label"], o["score"]) for o in objects] == [("green", pytest.approx(0.9))]
            assert r.json()["areas"]["green"]["pixels"] == 256
            plain = httpx.post(f"{url}/v1/segment?model=plain&masks=none", content=body, headers=headers, timeout=60)
            assert "green" not in plain.json()["areas"]  # only the paired model has the things model
            described = {m["name"]: m["things_model"] for m in httpx.get(f"{url}/v1/models", timeout=10).json()}
            assert described == {"rgb": str(things), "plain": None}
        finally:
            proc.terminate()
            proc.communicate(timeout=30)


def test_a_missing_things_model_is_refused_at_start(rgb_model, tmp_path):
    r = run_cli("serve", "--port", "0", "--model", str(rgb_model), "--things", str(tmp_path / "nope.onnx"),
                timeout=60)
    assert r.returncode == 2 and "nope.onnx" in r.stderr and "Traceback" not in r.stderr


def test_parse_things_pairs_names_and_refuses_what_is_ambiguous():
    models = {"street": "default", "rgb": "rgb.onnx"}
    assert parse_things(["y.onnx"], models, None, 0.5) == {
        "street": {"things": "y.onnx", "things_map": None, "things_score": 0.5}}
    assert parse_things(["rgb=a=b.onnx"], models, "person=green", 0.3)["rgb"]["things"] == "a=b.onnx"
    assert list(parse_things(["x=y.onnx"], models, None, 0.5)) == ["street"]  # x is no served name: a path
    with pytest.raises(InputError, match="two things models"):
        parse_things(["a.onnx", "street=b.onnx"], models, None, 0.5)
    with pytest.raises(InputError, match="--things-map needs --things"):
        parse_things(None, models, "person=green", 0.5)
    with pytest.raises(InputError, match="--things-score"):
        parse_things(["a.onnx"], models, None, 1.5)
