"""YOLO-seg decode: unit cases on synthetic outputs, and equivalence with Ultralytics."""

from pathlib import Path

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.adapters.yolo_seg import (
    YoloSegAdapter,
    decode_detections,
    decode_end2end,
    layout_of,
    masks_from_protos,
)
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


# -- end-to-end layout (YOLO26 end2end=True, YOLOv10): rows of x1, y1, x2, y2, score, class, 32 coefficients --
E2E_SPEC = SPEC.replace(layout="end2end")


def _e2e_outputs(rows, max_det=300, proto_hw=(16, 16)):
    """output0 (1, max_det, 38) with the given (x1, y1, x2, y2, score, cls) rows first; output1 all ones."""
    out0 = np.zeros((1, max_det, 38), np.float32)
    for k, (x1, y1, x2, y2, s, c) in enumerate(rows):
        out0[0, k, :6] = (x1, y1, x2, y2, s, c)
        out0[0, k, 6:] = 1.0
    return {"output0": out0, "output1": np.ones((1, 32, *proto_hw), np.float32)}


def test_e2e_zero_detections():
    low = [(10, 10, 20, 20, 0.2, 0), (30, 30, 40, 40, 0.25, 1)]  # at or below conf 0.25
    d = YoloSegAdapter.postprocess(_e2e_outputs(low), _transform((48, 64)), E2E_SPEC)
    assert len(d.instances) == 0 and d.instances.masks.shape == (0, 48, 64) and (d.semantic == NO_OBJECT).all()


def test_e2e_full_300_rows_keep_model_order_no_nms_and_max_det():
    rows = [(1 + k % 30 * 2, 1 + k // 30 * 6, 5 + k % 30 * 2, 5 + k // 30 * 6, 0.99 - k / 1000, k % 2)
            for k in range(300)]  # heavily overlapping boxes: NMS would drop most of them
    outs = _e2e_outputs(rows)
    d = YoloSegAdapter.postprocess(outs, _transform((64, 64)), E2E_SPEC)
    assert len(d.instances) == 300
    assert np.allclose(d.instances.scores, [r[4] for r in rows]) and d.instances.class_ids.tolist() == [
        r[5] for r in rows]
    capped = YoloSegAdapter.postprocess(outs, _transform((64, 64)), E2E_SPEC, max_det=100)
    assert len(capped.instances) == 100 and np.allclose(capped.instances.scores, d.instances.scores[:100])
    high = YoloSegAdapter.postprocess(outs, _transform((64, 64)), E2E_SPEC, conf=0.9)
    assert len(high.instances) == 90 and high.instances.scores.min() > 0.9


def test_e2e_rows_with_invalid_class_ids_are_dropped():
    rows = [(0, 0, 8, 8, 0.9, 2), (0, 0, 8, 8, 0.8, -1), (8, 8, 16, 16, np.nan, 0), (16, 16, 24, 24, 0.7, 1)]
    boxes, scores, cls, coeffs = decode_end2end(_e2e_outputs(rows)["output0"][0], 2, 0.25, 300)
    assert cls.tolist() == [1] and scores.tolist() == pytest.approx([0.7]) and coeffs.shape == (1, 32)


def test_e2e_boxes_at_borders_are_clipped_and_masks_cropped():
    d = YoloSegAdapter.postprocess(_e2e_outputs([(-8, -8, 12, 12, 0.9, 0), (50, 40, 80, 70, 0.8, 1)]),
                                   _transform((64, 64)), E2E_SPEC)
    assert d.instances.boxes_xyxy.tolist() == [[0, 0, 12, 12], [50, 40, 64, 64]]
    m = d.instances.masks
    assert m[0, :12, :12].all() and m[0].sum() == 144 and m[1, 40:, 50:].all() and m[1].sum() == 24 * 14


def test_e2e_non_square_image_maps_back_through_the_letterbox():
    t = _transform((30, 60))  # r = 64/60, content 32x64, 16 rows of padding on top
    d = YoloSegAdapter.postprocess(_e2e_outputs([(16, 24, 48, 40, 0.9, 1)]), t, E2E_SPEC)
    assert d.semantic.shape == (30, 60) and d.instances.masks.shape == (1, 30, 60)
    assert np.allclose(d.instances.boxes_xyxy[0], [15, 7.5, 45, 22.5], atol=0.01)
    assert d.semantic[15, 30] == 1 and d.semantic[2, 2] == NO_OBJECT


@pytest.mark.parametrize("shape, nc, end2end, expected", [
    ((1, 39, 2100), 3, None, "classic"),
    ((1, 39, 2100), 3, False, "classic"),
    ((1, 300, 38), 3, None, "end2end"),  # the shape alone decides
    ((1, 300, 38), 3, False, "end2end"),
    ((1, 116, 8400), 80, True, "classic"),  # metadata cannot override a shape that fits one layout only
    ((1, "rows", 38), 3, None, "classic"),  # symbolic rows: both could fit, the flag decides
    ((1, "rows", 38), 3, True, "end2end"),
    ((1, 300, 38), 264, True, "end2end"),  # 4 + 264 + 32 == 300: both fit
    ((1, 300, 38), 264, False, "classic"),
    ((1, 40, 2100), 3, None, None),
    ((1, 300, 6), 3, True, None),  # end-to-end detection without masks
    ((1, 39), 3, None, None),
])
def test_layout_from_shape_and_metadata(shape, nc, end2end, expected):
    assert layout_of(shape, nc, end2end) == expected


YOLO26 = YOLO.parent / "yolo26"
SUBSET = 10  # val images per export here; bench/yolo26_equivalence.py runs all 101


def _match(ours_xyxy, ref_xyxy):
    """Greedy one-to-one matching by box IoU, best pairs first: [(ours, ref, iou)]."""
    iou = box_iou(ours_xyxy, ref_xyxy)
    pairs = []
    for flat in np.argsort(-iou, axis=None, kind="stable"):
        i, j = np.unravel_index(flat, iou.shape)
        if iou[i, j] > 0 and all(p[0] != i and p[1] != j for p in pairs):
            pairs.append((int(i), int(j), float(iou[i, j])))
    return pairs


@pytest.mark.parametrize("name, ref_dir, layout", [("yolo26n-seg-camvid-320", "seg", "classic"),
                                                    ("yolo26n-seg-e2e-camvid-320", "seg-e2e", "end2end")])
def test_yolo26_exports_equivalent_to_ultralytics(name, ref_dir, layout):
    onnx = YOLO26 / f"{name}.onnx"
    if not onnx.is_file() or not VAL.is_dir():
        pytest.skip(f"{onnx} or CamVid val not found (../shared; CI has it)")
    seg = pw.Segmenter(onnx, threads=2, backend="onnxruntime", precision="fp32")  # the equivalence is ORT FP32
    assert seg.spec.layout == layout and seg.spec.classes == ("car", "pedestrian", "bicyclist")
    refs = sorted((YOLO26 / "ref-val-320" / ref_dir).glob("*.npz"))
    assert len(refs) == 101
    total = 0
    for ref_path in refs[:: len(refs) // SUBSET][:SUBSET]:
        ref = np.load(ref_path)
        inst = seg(VAL / f"{ref_path.stem}.png").instances
        assert len(inst) == len(ref["scores"]), ref_path.stem
        pairs = _match(inst.boxes_xyxy, ref["boxes_xyxy"])
        assert len(pairs) == len(inst), ref_path.stem
        h, w = ref["hw"]
        ref_masks = np.unpackbits(ref["masks"], axis=1)[:, : h * w].reshape(-1, h, w).astype(bool)
        for i, j, iou in pairs:
            assert iou >= 0.99 and inst.class_ids[i] == ref["class_ids"][j]
            assert abs(inst.scores[i] - ref["scores"][j]) <= 1e-3
            m = inst.mask(i)
            assert (m & ref_masks[j]).sum() / max((m | ref_masks[j]).sum(), 1) >= 0.95
        total += len(inst)
    assert total > 0
