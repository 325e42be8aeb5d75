"""Ultralytics semantic exports: class ids / logits decode, and equivalence with Ultralytics."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import pixelwise as pw
from pixelwise.adapters.yolo_sem import YoloSemanticAdapter, ids_to_image
from pixelwise.errors import InputError, ModelError
from pixelwise.ops.letterbox import content_window, resize_to_input
from pixelwise.spec import ModelSpec

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEM = SHARED / "models" / "yolo26" / "yolo26n-sem-camvid-320.onnx"
REFS = SHARED / "models" / "yolo26" / "ref-val-320" / "sem"
VAL = SHARED / "datasets" / "camvid" / "val"
SPEC = ModelSpec(adapter="yolo_sem", classes=("a", "b", "c"), resize="letterbox", mean=(0, 0, 0), std=(1, 1, 1),
                 input_hw=(64, 64), ignore_index=255, layout="ids", name="sem")
PAD = 7  # a class id painted on the padding only: it must never reach the output


def _letterboxed_ids(src_hw, input_hw=(64, 64)):
    """Ids on the canvas: PAD on the padding, and a left/right split (0 | 1) of the content."""
    canvas, t = resize_to_input(np.zeros((*src_hw, 3), np.uint8), input_hw, "letterbox")
    ids = np.full(input_hw, PAD, np.uint8)
    (top, left), (ch, cw) = t.pad_tl, t.content_hw
    ids[top : top + ch, left : left + cw] = 0
    ids[top : top + ch, left + cw // 2 : left + cw] = 1
    return ids, t


@pytest.mark.parametrize("map_hw, src_hw, window", [
    ((64, 64), (30, 60), (16, 48, 0, 64)),
    ((64, 64), (360, 480), (8, 56, 0, 64)),
    ((16, 16), (360, 480), (2, 14, 0, 16)),  # a map at 1/4 of the canvas
    ((64, 64), (64, 64), (0, 64, 0, 64)),
    # Ultralytics works the padding out from the unrounded content size, so when the letterbox
    # rounded the content down, its window keeps one row/column of padding (content 20..43 here)
    ((64, 64), (101, 37), (0, 64, 20, 44)),
    ((64, 64), (7, 300), (31, 33, 0, 64)),
])
def test_content_window_is_ultralytics_scale_masks(map_hw, src_hw, window):
    assert content_window(map_hw, src_hw) == window


@pytest.mark.parametrize("src_hw", [(30, 60), (60, 30), (64, 64), (360, 480), (45, 31)])
def test_padding_is_cut_for_any_aspect(src_hw):
    ids, t = _letterboxed_ids(src_hw)
    d = YoloSemanticAdapter.postprocess({"output0": ids[None]}, t, SPEC)
    assert d.semantic.shape == src_hw and d.confidence is None
    assert PAD not in d.semantic and set(np.unique(d.semantic)) <= {0, 1}
    h, w = src_hw
    assert d.semantic[h // 2, 0] == 0 and d.semantic[h // 2, w - 1] == 1


def test_nearest_neighbour_keeps_ids_as_they_are():
    ids = np.arange(16, dtype=np.uint8).reshape(4, 4)
    up = ids_to_image(ids, (8, 8), 16)
    assert (up == np.kron(ids, np.ones((2, 2), np.uint8))).all()  # no blended ids in between


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
@pytest.mark.parametrize("batched", [True, False])
def test_integer_outputs_with_and_without_batch_axis(dtype, batched):
    ids, t = _letterboxed_ids((30, 60))
    out = ids.astype(dtype)[None] if batched else ids.astype(dtype)
    d = YoloSemanticAdapter.postprocess({"output0": out}, t, SPEC)
    assert d.semantic.dtype == np.uint8 and d.semantic.shape == (30, 60) and PAD not in d.semantic


def test_class_ids_have_no_confidence_map():
    ids, t = _letterboxed_ids((30, 60))
    with pytest.raises(InputError, match="class ids only.*--confidence / --min-conf"):
        YoloSemanticAdapter.postprocess({"output0": ids[None]}, t, SPEC, confidence=True)


def test_logit_outputs_keep_working_with_confidence():
    _, t = _letterboxed_ids((30, 60))
    logits = np.zeros((1, 3, 64, 64), np.float32)
    logits[0, 2, :, 32:] = 4.0  # class c on the right half
    d = YoloSemanticAdapter.postprocess({"output0": logits}, t, SPEC.replace(layout="logits"), confidence=True)
    assert d.semantic.shape == (30, 60) and (d.semantic[:, :29] == 0).all() and (d.semantic[:, 31:] == 2).all()
    assert d.confidence.shape == (30, 60) and 0.9 < d.confidence[:, 40].min() <= 1.0


def test_empty_output_is_a_model_error():
    with pytest.raises(ModelError, match="empty spatial size"):
        YoloSemanticAdapter.postprocess({"output0": np.zeros((1, 0, 0), np.uint8)}, _letterboxed_ids((8, 8))[1], SPEC)


def _need_fixtures():
    if not SEM.is_file() or not VAL.is_dir() or not REFS.is_dir():
        pytest.skip(f"{SEM}, its references or CamVid val not found (../shared; CI has it)")


def test_names_size_and_ignore_id_come_from_ultralytics_metadata():
    _need_fixtures()
    seg = pw.Segmenter(SEM, threads=1)
    s = seg.spec
    assert s.adapter == "yolo_sem" and s.kind == "semantic" and s.layout == "ids"
    assert s.classes[:4] == ("sky", "building", "pole", "road") and s.num_classes == 11
    assert s.input_hw == (320, 320) and s.stride == 32 and s.resize == "letterbox" and s.ignore_index == 255
    for options in ({"confidence": True}, {"min_conf": 0.5}):  # refused when built, before any image
        with pytest.raises(InputError, match="class ids only"):
            pw.Segmenter(SEM, threads=1, **options)
        with pytest.raises(InputError, match="class ids only"):
            seg(np.zeros((40, 60, 3), np.uint8), **options)


def test_equivalent_to_ultralytics_class_maps():
    _need_fixtures()
    seg = pw.Segmenter(SEM, threads=2, backend="onnxruntime", precision="fp32")  # the equivalence is ORT FP32
    refs = sorted(REFS.glob("*.png"))
    assert len(refs) == 101
    equal = total = 0
    for ref_path in refs[::10][:10]:
        ref = np.asarray(Image.open(ref_path))
        res = seg(VAL / ref_path.name)
        assert res.semantic.shape == ref.shape == (360, 480)
        equal += int((res.semantic == ref).sum())
        total += ref.size
    assert equal / total >= 0.995
