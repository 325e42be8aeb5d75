"""ONNX Runtime and OpenCV DNN give the same answers on the same file."""

from pathlib import Path

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.engine.session import OpenCVSession, open_session
from pixelwise.errors import ModelError

YOLO = Path(__file__).resolve().parents[3] / "shared" / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx"
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "pixelwise" / "assets" / "leuvenA.jpg"


def test_opencv_backend_matches_onnxruntime_on_the_default_model(default_model_path):
    a = pw.Segmenter(threads=1)(SAMPLE)
    b = pw.Segmenter(backend="opencv")(SAMPLE)
    assert (a.semantic == b.semantic).mean() > 0.995


def test_opencv_backend_on_a_tiny_dynamic_model(rgb_model, colour_image):
    a = pw.Segmenter(rgb_model, threads=1)(colour_image)
    b = pw.Segmenter(rgb_model, backend="opencv")(colour_image)
    assert (a.semantic == b.semantic).all()


def test_opencv_backend_matches_on_yolo_seg():
    if not YOLO.is_file():
        pytest.skip(f"{YOLO} not found (../shared; CI has it)")
    camvid = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "camvid" / "val" / "0016E5_07975.png"
    src = camvid if camvid.is_file() else SAMPLE
    a = pw.Segmenter(YOLO, threads=1, conf=0.25)(src).instances
    b = pw.Segmenter(YOLO, backend="opencv", conf=0.25)(src).instances
    assert len(a) == len(b) and len(a) > 0
    assert np.abs(a.scores - b.scores).max() < 1e-3
    assert np.abs(a.boxes_xyxy - b.boxes_xyxy).max() < 0.5


def test_unknown_backend_and_bytes(rgb_model):
    with pytest.raises(ModelError, match="unknown backend 'tensorrt'"):
        open_session(rgb_model, backend="tensorrt")
    with pytest.raises(ModelError, match="needs a model file"):
        open_session(b"xx", backend="opencv")
    assert isinstance(open_session(rgb_model, backend="opencv"), OpenCVSession)
