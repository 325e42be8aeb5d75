"""stream --save-json FILE.jsonl and --track (ids of semantic objects and of a --things model) via the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelwise.video.tracking import bytetrack_available
from tests.builders import make_yolo_onnx
from tests.video.conftest import read_video

needs_bytetrack = pytest.mark.skipif(not bytetrack_available(), reason="pixelwise[track] (supervision) not installed")


@pytest.fixture
def moving_square(tmp_path: Path) -> Path:
    """Six frames (PNG sequence): a red square moving right over a blue background."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for k in range(6):
        img = np.zeros((64, 64, 3), np.uint8)
        img[..., 2] = 200
        img[16:40, 4 + 4 * k : 28 + 4 * k] = (230, 10, 10)
        Image.fromarray(img).save(frames / f"{k:03d}.png")
    return frames


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("workers, tracker", [("1", "auto"), ("2", "auto"), ("2", "iou"),
                                             pytest.param("2", "bytetrack", marks=needs_bytetrack)])
def test_save_json_writes_one_line_per_frame_in_order_with_track_ids(cli, rgb_model, moving_square, tmp_path,
                                                                     workers, tracker):
    out = tmp_path / "frames.jsonl"
    r = cli("stream", moving_square, "--model", rgb_model, "--backend", "onnxruntime", "--min-area", "20", "--track",
            "--tracker", tracker, "--save-json", out, "--workers", workers, "--out", tmp_path / "v.mp4")
    assert r.returncode == 0, r.stderr
    lines = _lines(out)
    assert [d["frame_index"] for d in lines] == list(range(6))
    assert all(isinstance(d["timestamp"], float) for d in lines)
    assert all(set(d["classes_present"]) == {"red", "blue"} for d in lines)
    assert lines[0]["areas"]["red"]["pixels"] == pytest.approx(24 * 24, rel=0.1)
    assert lines[0]["areas"]["red"]["id"] == 0
    assert [[o["track_id"] for o in d["instances"]] for d in lines] == [[1]] * 6
    assert all("rle" not in o for d in lines for o in d["instances"])
    assert len(read_video(tmp_path / "v.mp4")) == 6


def test_tracked_overlay_labels_semantic_objects_with_their_id(cli, rgb_model, moving_square, tmp_path):
    for flag, name in (("--track", "tracked"), (None, "plain")):
        args = ["stream", moving_square, "--model", rgb_model, "--backend", "onnxruntime", "--min-area", "20",
                "--out", tmp_path / f"{name}.mp4", "--sequential"]
        assert cli(*(args + ([flag] if flag else []))).returncode == 0
    tracked, plain = read_video(tmp_path / "tracked.mp4"), read_video(tmp_path / "plain.mp4")
    diff = np.abs(tracked[0].astype(int) - plain[0].astype(int)).max(axis=2) > 40
    ys, xs = np.nonzero(diff)
    assert len(ys) > 20 and ys.min() < 20  # the box and its "#1 red" label are drawn only when tracking


def test_things_model_objects_get_track_ids(cli, rgb_model, moving_square, tmp_path):
    things = make_yolo_onnx(tmp_path / "things.onnx", ("person",), [(16, 32, 16, 16, 0, 0.9)])
    out = tmp_path / "frames.jsonl"
    r = cli("stream", moving_square, "--model", rgb_model, "--things", things, "--things-map", "person=green",
            "--backend", "onnxruntime", "--track", "--save-json", out)
    assert r.returncode == 0, r.stderr
    lines = _lines(out)
    assert [[(o["label"], o["track_id"]) for o in d["instances"]] for d in lines] == [[("green", 1)]] * 6


def test_save_json_needs_a_jsonl_name(cli, rgb_model, moving_square, tmp_path):
    r = cli("stream", moving_square, "--model", rgb_model, "--save-json", tmp_path / "frames.json")
    assert r.returncode == 2 and "JSON Lines" in r.stderr and "Traceback" not in r.stderr
