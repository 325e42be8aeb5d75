"""batch --things MODEL --panoptic: COCO panoptic PNG + JSON per image, recorded in the one index; resumable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelwise.batch import BatchConfig, read_index
from pixelwise.data.panoptic_format import read_coco_panoptic
from pixelwise.errors import OptionError
from tests.builders import make_yolo_onnx


def _scenes(folder: Path, n: int = 3) -> Path:
    folder.mkdir()
    for k in range(n):
        img = np.zeros((64, 64, 3), np.uint8)
        img[:, :32] = (250, 10, 10)
        img[:, 32:] = (10, 10, 250)
        Image.fromarray(img).save(folder / f"scene{k}.png")
    return folder


def test_batch_things_panoptic_through_the_cli(cli, rgb_model, tmp_path):
    things = make_yolo_onnx(tmp_path / "things.onnx", ("person",), [(16, 32, 16, 16, 0, 0.9)])
    images, out = _scenes(tmp_path / "in"), tmp_path / "out"
    args = ["batch", images, "--out", out, "--model", rgb_model, "--things", things, "--things-map", "person=green",
            "--panoptic", "--workers", "1", "--threads", "1", "--quiet", "--min-area", "16"]
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    index = read_index(out)
    assert len(index) == 3
    for record in index.values():
        assert record["status"] == "ok" and [o["label"] for o in record["instances"]] == ["green"]
        seg, info = read_coco_panoptic(out / record["panoptic_json"])
        assert (out / record["panoptic"]).is_file() and record["panoptic"].startswith("panoptic/")
        doc = json.loads((out / record["panoptic_json"]).read_text())
        cats = {c["id"]: c["name"] for c in doc["categories"]}
        assert sorted((cats[s["category_id"]], s["isthing"], s["area"]) for s in info) == \
            [("blue", 0, 2048), ("green", 1, 256), ("red", 1, 2048 - 256)]
        assert (seg[24:40, 8:24] == seg[30, 10]).all()
    again = cli(*args)
    assert again.returncode == 0 and "0 processed, 3 already complete" in again.stdout
    (out / next(iter(index.values()))["panoptic"]).unlink()  # a missing panoptic PNG: that image is redone
    assert "1 processed, 2 already complete" in cli(*args).stdout


def test_batch_without_panoptic_then_with_it_redoes_every_image(cli, rgb_model, tmp_path):
    images, out = _scenes(tmp_path / "in", 2), tmp_path / "out"
    base = ["batch", images, "--out", out, "--model", rgb_model, "--workers", "1", "--threads", "1", "--quiet"]
    assert cli(*base).returncode == 0
    r = cli(*base, "--panoptic")
    assert r.returncode == 0 and "2 processed, 0 already complete" in r.stdout
    assert all(rec.get("panoptic") for rec in read_index(out).values())


def test_things_options_are_checked_before_workers_start(cli, rgb_model, tmp_path):
    images = _scenes(tmp_path / "in", 1)
    r = cli("batch", images, "--out", tmp_path / "o", "--model", rgb_model, "--things-map", "person=green")
    assert r.returncode == 2 and "--things-map needs --things" in r.stderr
    r = cli("batch", images, "--out", tmp_path / "o", "--model", rgb_model, "--things", tmp_path / "missing.onnx",
            "--workers", "1")
    assert r.returncode == 2 and "missing.onnx" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(OptionError, match="things_score"):
        BatchConfig(out=tmp_path, things="x.onnx", things_score=2.0)
