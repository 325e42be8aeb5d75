"""`pixelwise stream` on the three YOLO26 exports, over a real video file made from CamVid frames.

The video (MJPG/AVI, encoded with OpenCV from four CamVid val images) is decoded again here
with OpenCV, and every frame's line of ``--save-json`` and its ``--save-masks`` class-map PNG
must be what ``Segmenter(model=that file)`` gives for that decoded frame.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import pixelwise as pw
from tests.conftest import SHARED
from tests.video.conftest import read_video

YOLO26 = SHARED / "models" / "yolo26"
VAL = SHARED / "datasets" / "camvid" / "val"
FRAMES = ["0016E5_07959.png", "0016E5_07961.png", "0016E5_07963.png", "0016E5_07965.png"]


@pytest.fixture(scope="module")
def camvid_video(tmp_path_factory) -> Path:
    """Four CamVid val frames (360x480) as a real MJPG/AVI file, 10 FPS."""
    paths = [VAL / f for f in FRAMES]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"CamVid val frames not found under {VAL} (../shared; CI has it)")
    path = tmp_path_factory.mktemp("yolo26-video") / "camvid.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (480, 360))
    assert writer.isOpened()
    for p in paths:
        writer.write(cv2.imread(str(p)))
    writer.release()
    return path


def _export(name: str) -> Path:
    path = YOLO26 / name
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared; CI has it)")
    return path


@pytest.mark.parametrize("name", ["yolo26n-seg-camvid-320.onnx", "yolo26n-seg-e2e-camvid-320.onnx"])
def test_stream_of_a_video_gives_each_frames_in_process_detections(cli, camvid_video, tmp_path, name):
    model = _export(name)
    out, masks = tmp_path / "frames.jsonl", tmp_path / "masks"
    r = cli("stream", camvid_video, "--model", model, "--threads", "1", "--workers", "2", "--save-json", out,
            "--save-masks", masks, "--out", tmp_path / "overlay.mp4")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    frames = read_video(camvid_video)
    assert [d["frame_index"] for d in lines] == list(range(len(frames))) == [0, 1, 2, 3]
    saved = sorted(masks.glob("*.png"))
    seg = pw.Segmenter(model, threads=1)
    for doc, png, frame in zip(lines, saved, frames, strict=True):
        ours = seg.predict_array(frame)
        assert doc["task"] == "yolo_seg" and (doc["height"], doc["width"]) == (360, 480)
        assert doc["backend"] == ours.backend  # the same auto choice, else the comparison means little
        assert (np.asarray(Image.open(png)) == ours.semantic).all()  # 255 where no object covers a pixel
        assert [o["label"] for o in doc["instances"]] == [ours.names[c] for c in ours.instances.class_ids]
        np.testing.assert_allclose([o["score"] for o in doc["instances"]], ours.instances.scores, atol=1e-4)
        served = np.array([o["box_xyxy"] for o in doc["instances"]], np.float64).reshape(-1, 4)
        np.testing.assert_allclose(served, ours.instances.boxes_xyxy.reshape(-1, 4), atol=0.02)
    assert sum(len(d["instances"]) for d in lines) > 0  # the frames have objects for both heads
    written = read_video(tmp_path / "overlay.mp4")
    assert len(written) == 4 and written[0].shape == (360, 480, 3)


def test_stream_of_a_video_on_the_semantic_export_saves_the_in_process_class_maps(cli, camvid_video, tmp_path):
    model = _export("yolo26n-sem-camvid-320.onnx")
    out, masks = tmp_path / "frames.jsonl", tmp_path / "masks"
    r = cli("stream", camvid_video, "--model", model, "--threads", "1", "--workers", "2", "--save-json", out,
            "--save-masks", masks)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    saved = sorted(masks.glob("*.png"))
    frames = read_video(camvid_video)
    assert len(lines) == len(saved) == len(frames) == 4
    seg = pw.Segmenter(model, threads=1)
    for doc, png, frame in zip(lines, saved, frames, strict=True):
        ours = seg.predict_array(frame)
        assert doc["task"] == "yolo_sem" and doc["instances"] == [] and doc["areas"] == ours.areas()
        assert (np.asarray(Image.open(png)) == ours.semantic).all()
        assert "road" in doc["classes_present"]
