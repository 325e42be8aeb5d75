"""Shared test builders: tiny real ONNX models and datasets, made in a test's own folder.

Fixtures (tests/conftest.py) and tests import them from here; nothing here is a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

RGB_CLASSES = ("red", "green", "blue")
YOLO_HW = (64, 64)


def make_semantic_onnx(path: Path, *, classes: tuple[str, ...] = RGB_CLASSES, pool: int = 4,
                       static_hw: tuple[int, int] | None = None, output: str = "logits",
                       spec: dict | None = None, sidecar: dict | None = None) -> Path:
    """A tiny semantic ONNX model whose class is the strongest colour channel.

    Input ``input`` [1,3,H,W]; output ``logits`` [1,3,H/pool,W/pool] (average-pooled
    normalised channels: class 0 = red, 1 = green, 2 = blue), or ``ids`` [1,H,W] int64.
    """
    import onnx
    from onnx import TensorProto, helper

    h = static_hw[0] if static_hw else "height"
    w = static_hw[1] if static_hw else "width"
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, h, w])
    nodes = []
    last = "input"
    if pool > 1:
        nodes.append(helper.make_node("AveragePool", [last], ["pooled"], kernel_shape=[pool, pool],
                                      strides=[pool, pool]))
        last = "pooled"
    if output == "ids":
        nodes.append(helper.make_node("ArgMax", [last], ["ids4"], axis=1, keepdims=0))
        nodes.append(helper.make_node("Identity", ["ids4"], ["ids"]))
        out = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, None, None])
    else:
        nodes.append(helper.make_node("Identity", [last], ["logits"]))
        out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, None, None])
    graph = helper.make_graph(nodes, "rgb", [inp], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if spec is not None:
        entry = model.metadata_props.add()
        entry.key, entry.value = "pixelwise.spec", json.dumps(spec)
    onnx.save(model, str(path))
    if sidecar is not None:
        path.with_suffix(".json").write_text(json.dumps(sidecar))
    return path


def make_yolo_onnx(path: Path, names: tuple[str, ...], dets: list[tuple[float, float, float, float, int, float]],
                   anchors: int = 8) -> Path:
    """A tiny Ultralytics-style YOLO-seg ONNX file (static 1x3x64x64 input, Ultralytics metadata)
    that detects the given (cx, cy, w, h, class, score) boxes (input pixels) in any image, each
    with a mask filling its box."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nc = len(names)
    out0 = np.zeros((1, 4 + nc + 32, anchors), np.float32)
    for k, (cx, cy, w, h, c, s) in enumerate(dets):
        out0[0, :4, k] = (cx, cy, w, h)
        out0[0, 4 + c, k] = s
        out0[0, 4 + nc :, k] = 1.0
    out1 = np.ones((1, 32, 16, 16), np.float32)
    zero = np.zeros(1, np.float32)
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=1),
             helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
             helper.make_node("Reshape", ["nothing", "shape3"], ["nothing3"]),
             helper.make_node("Add", ["c0", "nothing3"], ["output0"]),
             helper.make_node("Add", ["c1", "nothing"], ["output1"])]
    inits = [numpy_helper.from_array(out0, "c0"), numpy_helper.from_array(out1, "c1"),
             numpy_helper.from_array(zero, "zero"), numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape3")]
    graph = helper.make_graph(
        nodes, "tiny-yolo", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, *YOLO_HW])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(out0.shape)),
         helper.make_tensor_value_info("output1", TensorProto.FLOAT, list(out1.shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {"task": "segment", "names": repr(dict(enumerate(names))), "imgsz": repr(list(YOLO_HW)), "stride": "32",
            "description": "tiny test YOLO-seg"}
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(model, str(path))
    return path


def make_mask_dataset(root, n=4, hw=(24, 32), classes=("bg", "fg"), seed=0):
    """A tiny masks-format dataset: images/ + labels/ and a dataset.yaml."""
    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        for i in range(n):
            img = rng.integers(0, 60, (*hw, 3), dtype=np.uint8)
            lab = np.zeros(hw, np.uint8)
            y, x = rng.integers(0, hw[0] // 2), rng.integers(0, hw[1] // 2)
            lab[y : y + hw[0] // 2, x : x + hw[1] // 2] = 1
            img[lab == 1] = (220, 40, 40)
            Image.fromarray(img).save(root / split / "images" / f"{split}{i}.png")
            Image.fromarray(lab).save(root / split / "labels" / f"{split}{i}.png")
    names = "\n".join(f"  - {c}" for c in classes)
    (root / "dataset.yaml").write_text(
        f"format: masks\nroot: .\ntrain: train/images\nval: val/images\nignore_index: 255\n"
        f"things: [{classes[-1]}]\nclasses:\n{names}\n")
    return root / "dataset.yaml"


def make_qdq_onnx(path: Path) -> Path:
    """A tiny quantized (QDQ) version of the RGB model: input -> Q -> DQ -> AveragePool -> logits."""
    import onnx
    from onnx import TensorProto, helper

    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "height", "width"])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, None, None])
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [], [0.05])
    zero = helper.make_tensor("zero", TensorProto.UINT8, [], [128])
    nodes = [helper.make_node("QuantizeLinear", ["input", "scale", "zero"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["dq"]),
             helper.make_node("AveragePool", ["dq"], ["logits"], kernel_shape=[4, 4], strides=[4, 4])]
    model = helper.make_model(helper.make_graph(nodes, "rgbq", [inp], [out], [scale, zero]),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    entry = model.metadata_props.add()
    entry.key, entry.value = "pixelwise.spec", json.dumps(
        {"adapter": "semantic", "input_hw": [64, 96], "classes": ["red", "green", "blue"], "dynamic": True,
         "name": "rgbq"})
    onnx.save(model, str(path))
    return path
