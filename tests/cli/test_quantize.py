"""`pixelwise quantize MODEL.onnx --calib DIR`: a real static INT8 file and the agreement report."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")

import pixelwise as pw
from pixelwise.engine.backends import is_quantized
from pixelwise.io.image import write_image

YOLO = Path(__file__).resolve().parents[3] / "shared" / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx"
VAL = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "camvid" / "val"


def make_conv_onnx(path: Path) -> Path:
    """RGB-channel model with weights: a 1x1 Conv (identity + small cross terms), then 4x4 average pooling."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = (np.eye(3) + 0.05 * np.ones((3, 3))).astype(np.float32).reshape(3, 3, 1, 1)
    inp = helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3, "height", "width"])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, None, None])
    nodes = [helper.make_node("Conv", ["pixels", "w", "b"], ["c"]),
             helper.make_node("AveragePool", ["c"], ["logits"], kernel_shape=[4, 4], strides=[4, 4])]
    graph = helper.make_graph(nodes, "conv", [inp], [out], [numpy_helper.from_array(w, "w"),
                                                            numpy_helper.from_array(np.zeros(3, np.float32), "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    entry = model.metadata_props.add()
    entry.key, entry.value = "pixelwise.spec", json.dumps(
        {"adapter": "semantic", "input_hw": [32, 48], "classes": ["red", "green", "blue"], "dynamic": True,
         "name": "conv"})
    extra = model.metadata_props.add()
    extra.key, extra.value = "author", "tests"
    onnx.save(model, str(path))
    return path


def _calib(folder: Path, n: int = 6) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(n):
        img = np.zeros((30, 40, 3), np.uint8)
        img[:, :] = rng.integers(0, 256, 3)
        img[5:20, 10:30] = rng.integers(0, 256, 3)
        write_image(folder / f"c{k}.png", img)
    return folder


def test_quantize_writes_an_int8_file_and_reports_per_class(cli, tmp_path):
    import onnx

    model = make_conv_onnx(tmp_path / "conv.onnx")
    r = cli("quantize", model, "--calib", _calib(tmp_path / "calib"), "--reduce-range", "on")
    assert r.returncode == 0, r.stderr
    q = tmp_path / "conv_int8.onnx"
    assert q.is_file() and is_quantized(q) and "weights 7-bit (--reduce-range on)" in r.stdout
    assert "pixel agreement" in r.stdout and "red" in r.stdout and "auto's bar (99.5% of pixels)" in r.stdout
    props = {p.key: p.value for p in onnx.load(str(q)).metadata_props}
    assert props["author"] == "tests" and json.loads(props["pixelwise.spec"])["name"] == "conv_int8"
    seg = pw.Segmenter(q, backend="onnxruntime")
    assert seg.predictor.session.precision == "int8"
    img = np.zeros((32, 48, 3), np.uint8)
    img[:, :24] = (230, 20, 20)
    img[:, 24:] = (20, 20, 230)
    ref = pw.Segmenter(model, backend="onnxruntime")(img).semantic
    assert (seg(img).semantic == ref).mean() > 0.95
    elsewhere = tmp_path / "shipped" / "small.onnx"
    elsewhere.parent.mkdir()
    r = cli("quantize", model, "--calib", tmp_path / "calib", "--out", elsewhere)
    assert r.returncode == 0, r.stderr
    assert pw.Segmenter(elsewhere, backend="onnxruntime").spec.name == "conv_int8"  # after the model, not the file


def test_quantize_refuses_what_it_cannot_do(cli, tmp_path, rgb_model):
    calib = _calib(tmp_path / "calib", n=2)
    r = cli("quantize", rgb_model, "--calib", calib)  # average pooling only: no weights to quantize
    assert r.returncode == 2 and "nothing was quantized" in r.stderr and "--all-ops" in r.stderr
    r = cli("quantize", rgb_model, "--calib", tmp_path / "nope")
    assert r.returncode == 2 and "not a folder of images" in r.stderr and "Traceback" not in r.stderr
    r = cli("quantize", rgb_model, "--calib", calib, "--out", rgb_model)
    assert r.returncode == 2 and "would overwrite the model" in r.stderr


@pytest.mark.slow
def test_quantize_yolo_seg_reports_detections_per_class(cli, tmp_path):
    if not YOLO.is_file() or not VAL.is_dir():
        pytest.skip(f"{YOLO} or CamVid val not found (../shared; CI has it)")
    calib = tmp_path / "calib"
    calib.mkdir()
    for p in sorted(VAL.glob("*.png"))[::25]:
        (calib / p.name).symlink_to(p)
    r = cli("quantize", YOLO, "--calib", calib, "--out", tmp_path / "y_int8.onnx")
    assert r.returncode == 0, r.stderr
    assert "detections matched at box IoU >= 0.99" in r.stdout and "car" in r.stdout and "bicyclist" in r.stdout
    seg = pw.Segmenter(tmp_path / "y_int8.onnx", backend="onnxruntime")
    assert seg.spec.classes == ("car", "pedestrian", "bicyclist") and seg.predictor.session.precision == "int8"
