"""YOLO-seg decode: unit cases on synthetic outputs, and equivalence with Ultralytics."""

from pathlib import Path

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.adapters.yolo_seg import YoloSegAdapter, decode_detections, masks_from_protos
from pixelwise.ops.boxes import box_iou
from pixelwise.ops.letterbox import resize_to_input
from pixelwise.result import NO_OBJECT
from pixelwise.spec import ModelSpec

YOLO = Path(__file__).resolve().parents[3] / "shared" / "models" / "yolo"
VAL = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "camvid" / "val"
SPEC = ModelSpec(adapter="yolo_seg", classes=("a", "b"), things=("a", "b"), resize="letterbox",
                 mean=(0, 0, 0), std=(1, 1, 1), input_hw=(64, 64))


def _outputs(dets, anchors=50, nc=2, proto_hw=(16, 16)):
    """output0 (1, 4+nc+32, A) with the given (cx, cy, w, h, cls, score) rows; output1 all ones."""
    out0 = np.zeros((1, 4 + nc + 32, anchors), np.float32)
    for k, (cx, cy, w, h, c, s) in enumerate(dets):
        out0[0, :4, k] = (cx, cy, w, h)
        out0[0, 4 + c, k] = s
        out0[0, 4 + nc :, k] = 1.0  # positive mask logits everywhere
    out1 = np.ones((1, 32, *proto_hw), np.float32)
    return {"output0": out0, "output1": out1}


def _transform(src_hw, input_hw=(64, 64)):
    return resize_to_input(np.zeros((*src_hw, 3), np.uint8), input_hw, "letterbox")[1]


def test_zero_detections_give_empty_instances_and_no_object_map():
    d = YoloSegAdapter.postprocess(_outputs([]), _transform((48, 64)), SPEC)
    assert len(d.instances) == 0 and d.instances.masks.shape == (0, 48, 64)
    assert (d.semantic == NO_OBJECT).all()


def test_class_aware_nms_and_score_order():
    dets = [(32, 32, 20, 20, 0, 0.9), (33, 32, 20, 20, 0, 0.8), (32, 32, 20, 20, 1, 0.7), (10, 10, 4, 4, 1, 0.1)]
    boxes, scores, cls, _ = decode_detections(_outputs(dets)["output0"][0], 2, conf=0.25, iou=0.7, max_det=300)
    assert scores.tolist() == pytest.approx([0.9, 0.7]) and cls.tolist() == [0, 1]  # overlap of class 0 removed


def test_many_detections_are_capped_by_max_det():
    dets = [(4 + 8 * (k % 8), 4 + 8 * (k // 8), 6, 6, k % 2, 0.3 + k / 200) for k in range(64)]
    d = YoloSegAdapter.postprocess(_outputs(dets, anchors=64), _transform((64, 64)), SPEC, max_det=10)
    assert len(d.instances) == 10 and d.instances.scores[0] == pytest.approx(0.3 + 63 / 200)


def test_boxes_at_image_borders_are_clipped_and_masks_cropped():
    d = YoloSegAdapter.postprocess(_outputs([(2, 2, 20, 20, 0, 0.9)]), _transform((64, 64)), SPEC)
    box = d.instances.boxes_xyxy[0]
    assert box.tolist() == [0, 0, 12, 12]
    m = d.instances.masks[0]
    assert m[:12, :12].all() and not m[12:].any() and not m[:, 12:].any()
    no_crop = YoloSegAdapter.postprocess(_outputs([(2, 2, 20, 20, 0, 0.9)]), _transform((64, 64)), SPEC,
                                         crop_to_box=False)
    assert no_crop.instances.masks[0].all()  # crop_to_box=False keeps the whole mask


def test_non_square_image_maps_back_through_the_letterbox():
    t = _transform((30, 60))  # r = 64/60, content 32x64, 16 rows of padding on top
    d = YoloSegAdapter.postprocess(_outputs([(32, 32, 32, 16, 1, 0.9)]), t, SPEC)
    assert d.semantic.shape == (30, 60) and d.instances.masks.shape == (1, 30, 60)
    assert np.allclose(d.instances.boxes_xyxy[0], [15, 7.5, 45, 22.5], atol=0.01)
    assert d.semantic[15, 30] == 1 and d.semantic[2, 2] == NO_OBJECT


def test_highest_score_wins_in_the_semantic_map():
    d = YoloSegAdapter.postprocess(_outputs([(32, 32, 30, 30, 0, 0.5), (32, 32, 10, 10, 1, 0.9)]),
                                   _transform((64, 64)), SPEC)
    assert d.semantic[32, 32] == 1 and d.semantic[20, 20] == 0


def test_mask_threshold_is_sigmoid_half():
    protos = np.zeros((32, 4, 4), np.float32)
    protos[0, :, :2], protos[0, :, 2:] = -1.0, 1.0  # logits -1 | +1: sigmoid 0.27 | 0.73
    coeffs = np.zeros((1, 32), np.float32)
    coeffs[0, 0] = 1.0
    m = masks_from_protos(coeffs, protos, _transform((16, 16), (16, 16)), np.array([[0, 0, 16, 16]], np.float32))
    m = m.dense()
    assert not m[0, :, :8].any() and m[0, :, 8:].all()  # bilinear crosses 0 exactly mid-way


def test_low_res_masks_sample_the_prototype_grid():
    protos = np.zeros((32, 4, 4), np.float32)
    protos[0] = [[-1, -1, 1, 1], [-1, 1, 1, 1], [-1, -1, -1, 1], [1, -1, -1, -1]]
    coeffs = np.zeros((1, 32), np.float32)
    coeffs[0, 0] = 1.0
    box = np.array([[0, 0, 16, 16]], np.float32)
    fast = masks_from_protos(coeffs, protos, _transform((16, 16), (16, 16)), box, fast=True).dense()[0]
    assert (fast == np.kron(protos[0] > 0, np.ones((4, 4), bool))).all()  # each grid cell -> a 4x4 block
    smooth = masks_from_protos(coeffs, protos, _transform((16, 16), (16, 16)), box).dense()[0]
    assert (smooth != fast).any() and (smooth == fast).mean() > 0.8


def test_masks_stay_cropped_until_the_dense_array_is_asked_for():
    outs = _outputs([(60, 30, 40, 20, 0, 0.9), (110, 108, 20, 16, 1, 0.8)], proto_hw=(32, 32))
    d = YoloSegAdapter.postprocess(outs, _transform((128, 128), (128, 128)), SPEC)
    inst = d.instances
    assert inst._dense is None  # nothing of size N x H x W yet
    assert inst.areas.tolist() == [40 * 20, 20 * 16]
    assert [p.shape for p in inst.cropped.patches] == [(20, 40), (16, 20)]
    poly = inst.polygons(1)[0]
    assert poly[:, 0].min() == 100 and poly[:, 1].min() == 100  # in image pixels, not patch pixels
    assert inst._dense is None
    assert inst.masks.shape == (2, 128, 128) and inst.masks[1, 100:116, 100:120].all() and inst.masks[1].sum() == 320
    assert (d.semantic[20:40, 40:80] == 0).all() and (d.semantic[100:116, 100:120] == 1).all()


@pytest.mark.slow
@pytest.mark.parametrize("imgsz", [320, 640])
def test_equivalent_to_ultralytics_on_camvid_val(imgsz):
    onnx = YOLO / f"yolo11n-seg-camvid-{imgsz}.onnx"
    if not onnx.is_file() or not VAL.is_dir():
        pytest.skip(f"{onnx} or CamVid val not found (../shared; CI has it)")
    seg = pw.Segmenter(onnx, threads=2, backend="onnxruntime", precision="fp32")  # the equivalence is ORT FP32
    assert seg.spec.classes == ("car", "pedestrian", "bicyclist") and seg.spec.input_hw == (imgsz, imgsz)
    refs = sorted((YOLO / f"ref-val-{imgsz}").glob("*.npz"))
    assert len(refs) == 101
    total = 0
    for ref_path in refs:
        ref = np.load(ref_path)
        inst = seg(VAL / f"{ref_path.stem}.png").instances
        assert len(inst) == len(ref["scores"]), ref_path.stem
        if not len(inst):
            continue
        iou = box_iou(inst.boxes_xyxy, ref["boxes_xyxy"])
        j = iou.argmax(axis=1)
        assert iou[np.arange(len(j)), j].min() >= 0.99
        assert (inst.class_ids == ref["class_ids"][j]).all()
        assert np.abs(inst.scores - ref["scores"][j]).max() <= 1e-3
        h, w = ref["hw"]
        ref_masks = np.unpackbits(ref["masks"], axis=1)[:, : h * w].reshape(-1, h, w).astype(bool)[j]
        inter = (inst.masks & ref_masks).reshape(len(j), -1).sum(1)
        union = (inst.masks | ref_masks).reshape(len(j), -1).sum(1)
        assert (inter / np.maximum(union, 1)).min() >= 0.95
        total += len(inst)
    assert total == 155


def test_low_res_masks_option_end_to_end():
    onnx = YOLO / "yolo11n-seg-camvid-320.onnx"
    if not onnx.is_file() or not VAL.is_dir():
        pytest.skip(f"{onnx} or CamVid val not found (../shared; CI has it)")
    image = VAL / "0016E5_07975.png"
    full = pw.Segmenter(onnx, threads=1)(image).instances
    low = pw.Segmenter(onnx, threads=1, low_res_masks=True)(image).instances
    assert len(full) == len(low) > 0 and np.allclose(full.boxes_xyxy, low.boxes_xyxy)
    inter = (full.masks & low.masks).reshape(len(full), -1).sum(1)
    union = (full.masks | low.masks).reshape(len(full), -1).sum(1)
    assert 0.7 < (inter / union).min() < 1.0  # same objects, coarser edges


def test_dynamic_exports_get_rectangular_canvases_like_ultralytics():
    image = np.zeros((360, 480, 3), np.uint8)
    static_blob, _ = YoloSegAdapter.preprocess(image, SPEC, (320, 320))
    dyn = ModelSpec(**{**SPEC.to_dict(), "dynamic": True, "stride": 32})
    blob, t = YoloSegAdapter.preprocess(image, dyn, (320, 320))
    assert static_blob.shape == (1, 3, 320, 320)
    assert blob.shape == (1, 3, 256, 320) and t.pad_tl == (8, 0) and t.content_hw == (240, 320)
    # prototypes of a 256x320 canvas are 64x80; a box over the content maps back to the whole image
    outs = _outputs([(160, 128, 320, 240, 0, 0.9)], proto_hw=(64, 80))
    d = YoloSegAdapter.postprocess(outs, t, dyn)
    assert np.allclose(d.instances.boxes_xyxy[0], [0, 0, 480, 360]) and d.instances.areas[0] == 360 * 480
