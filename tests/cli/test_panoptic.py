"""Panoptic through the command line: predict --things MODEL --panoptic, and val --panoptic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from pixelwise.cli.main import main
from pixelwise.data.panoptic_format import read_coco_panoptic
from tests.builders import make_yolo_onnx
from tests.conftest import CAMVID, SHARED

YOLO = SHARED / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx"


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def scene_file(tmp_path: Path) -> Path:
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :32] = (250, 10, 10)
    img[:, 32:] = (10, 10, 250)
    Image.fromarray(img).save(tmp_path / "scene.png")
    return tmp_path / "scene.png"


@pytest.fixture
def things_model(tmp_path: Path) -> Path:
    return make_yolo_onnx(tmp_path / "things.onnx", ("person",), [(16, 32, 16, 16, 0, 0.9)])


def test_predict_things_panoptic_writes_coco_panoptic(cli, rgb_model, things_model, scene_file, tmp_path):
    out = tmp_path / "out"
    r = cli("predict", scene_file, "--model", rgb_model, "--things", things_model, "--things-map", "person=green",
            "--panoptic", "--out", out, "--backend", "onnxruntime", "--min-area", "16")
    assert r.returncode == 0, r.stderr
    names = {p.name for p in out.iterdir()}
    assert {"scene_panoptic.png", "scene_panoptic.json", "scene_panoptic_overlay.png", "scene.json"} <= names
    seg, info = read_coco_panoptic(out / "scene_panoptic.json")
    doc = json.loads((out / "scene_panoptic.json").read_text())
    cats = {c["id"]: c for c in doc["categories"]}
    got = [(cats[s["category_id"]]["name"], s["isthing"], s["area"]) for s in info]
    assert got == [("blue", 0, 2048), ("green", 1, 256), ("red", 1, 2048 - 256)]
    assert cats[2]["isthing"] == 1 and cats[3]["isthing"] == 0  # green became a thing through the map
    assert (seg[24:40, 8:24] == 2).all() and sorted(np.unique(seg).tolist()) == [1, 2, 3]
    objects = json.loads((out / "scene.json").read_text())["instances"]
    assert [(o["label"], o["score"]) for o in objects] == [("green", pytest.approx(0.9))]


def test_predict_panoptic_without_things_uses_connected_regions(capsys, rgb_model, scene_file, tmp_path):
    code, _, err = _run(capsys, "predict", scene_file, "--model", rgb_model, "--panoptic", "--out", tmp_path / "o",
                        "--backend", "onnxruntime")
    assert code == 0, err
    _, info = read_coco_panoptic(tmp_path / "o" / "scene_panoptic.json")
    assert [(s["category_id"], s["isthing"]) for s in info] == [(3, 0), (1, 1)]  # blue stuff, one red region


@pytest.mark.parametrize("extra, message", [
    (["--things-map", "person"], "expected THING=CLASS pairs"),
    (["--things-map", "cat=red"], "'cat' is not a class of the things model"),
    (["--things-score", "2"], "--things-score must be between 0 and 1"),
])
def test_bad_things_options_exit_2_in_one_line(capsys, rgb_model, things_model, scene_file, tmp_path, extra,
                                              message):
    code, _, err = _run(capsys, "predict", scene_file, "--model", rgb_model, "--things", things_model, *extra,
                        "--out", tmp_path / "o", "--backend", "onnxruntime")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_things_map_needs_things(capsys, rgb_model, scene_file, tmp_path):
    code, _, err = _run(capsys, "predict", scene_file, "--model", rgb_model, "--things-map", "a=b",
                        "--out", tmp_path / "o")
    assert code == 2 and "--things-map needs --things" in err


def _dataset(root: Path) -> Path:
    """Two images of the scene, labels = what the RGB model sees (red 0 left, blue 2 right, a green square)."""
    img = np.zeros((64, 96, 3), np.uint8)
    img[:, :48] = (250, 10, 10)
    img[:, 48:] = (10, 10, 250)
    img[16:32, 16:32] = (10, 250, 10)
    label = np.argmax(img, axis=2).astype(np.uint8)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for k in range(2):
        Image.fromarray(img).save(root / "images" / f"{k}.png")
        Image.fromarray(label).save(root / "labels" / f"{k}.png")
    (root / "val.txt").write_text("".join(f"images/{k}.png labels/{k}.png\n" for k in range(2)))
    cfg = {"format": "masks", "root": ".", "train": "val.txt", "val": "val.txt", "things": ["red"],
           "classes": [{"id": 0, "name": "red"}, {"id": 1, "name": "green"}, {"id": 2, "name": "blue"}]}
    (root / "data.yaml").write_text(yaml.safe_dump(cfg))
    return root / "data.yaml"


def test_val_panoptic_scores_pq_sq_rq(capsys, rgb_model, tmp_path):
    data = _dataset(tmp_path / "ds")
    code, out, err = _run(capsys, "val", "--data", data, "--model", rgb_model, "--panoptic", "--json",
                          tmp_path / "m.json", "--backend", "onnxruntime")
    assert code == 0, err
    pan = json.loads((tmp_path / "m.json").read_text())["panoptic"]
    assert pan["things"]["n"] == 1 and pan["stuff"]["n"] == 2
    assert pan["all"]["PQ"] > 90 and pan["things"]["RQ"] == pytest.approx(100.0)
    assert "panoptic" in out and "things" in out


@pytest.mark.slow
def test_predict_camvid_image_with_the_shared_yolo_model(cli, tmp_path):
    if not YOLO.is_file() or not CAMVID.is_dir():
        pytest.skip(f"{YOLO} or CamVid not found (../shared beside the repo; CI has it)")
    image = sorted((CAMVID / "val").glob("*.png"))[0]
    r = cli("predict", image, "--things", YOLO, "--panoptic", "--out", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    seg, info = read_coco_panoptic(tmp_path / f"{image.stem}_panoptic.json")
    doc = json.loads((tmp_path / f"{image.stem}_panoptic.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"] if c["isthing"]}
    assert set(names.values()) == {"car", "pedestrian", "bicyclist"}
    assert any(s["isthing"] for s in info) and any(not s["isthing"] for s in info)
    assert {s["id"] for s in info} == set(np.unique(seg).tolist()) - {0}
    objects = json.loads((tmp_path / f"{image.stem}.json").read_text())["instances"]
    assert objects and all(o["label"] in {"car", "pedestrian", "bicyclist"} and o["score"] >= 0.5 for o in objects)


@pytest.mark.slow
def test_the_docs_python_example_runs():
    import re
    import subprocess
    import sys

    if not YOLO.is_file() or not CAMVID.is_dir():
        pytest.skip(f"{YOLO} or CamVid not found (../shared beside the repo; CI has it)")
    repo = Path(__file__).resolve().parents[2]
    blocks = re.findall(r"```python\n(.*?)```", (repo / "docs" / "panoptic.md").read_text(), flags=re.S)
    assert blocks
    for code in blocks:
        r = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
