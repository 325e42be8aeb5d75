"""Ultralytics YOLOv8 / YOLO11 / YOLO26 segmentation models exported to ONNX.

Two layouts of ``output0``, told apart by its shape and the ``end2end`` metadata key
(never by the file name):

- ``classic`` (1, 4 + nc + 32, anchors): centre-xywh boxes in input pixels, nc class scores
  (already sigmoid), 32 mask coefficients; decoded as Ultralytics' predictor does: best
  class per anchor, score threshold, class-aware NMS, ``max_det``.
- ``end2end`` (1, max_det, 6 + 32): x1, y1, x2, y2 (input pixels), score, class id, 32 mask
  coefficients, already one box per object (YOLO26 ``end2end=True``, YOLOv10): rows above
  the score threshold, first ``max_det`` of them, no NMS.

``output1`` (1, 32, S/4, S/4) holds the prototype masks. Masks follow Ultralytics'
``retina_masks=True``: coefficients x prototypes, letterbox padding cut, bilinear
upsampling to the image, cropped to the box, thresholded at 0 (sigmoid 0.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from ..errors import ModelError
from ..ops import boxes as box_ops
from ..ops import letterbox, semantic
from ..ops.masks import CroppedMasks
from ..result import NO_OBJECT, Instances
from ..spec import ModelSpec
from .semantic import Decoded
from .ultralytics import read_metadata, spec_from_metadata

__all__ = ["YoloSegAdapter", "decode_detections", "decode_end2end", "masks_from_protos", "layout_of"]

NUM_COEFFS = 32
E2E_COLUMNS = 6 + NUM_COEFFS  # x1, y1, x2, y2, score, class, coefficients
LAYOUTS = ("classic", "end2end")


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32),
            np.zeros((0, NUM_COEFFS), np.float32))


def decode_detections(output0: np.ndarray, num_classes: int, conf: float, iou: float, max_det: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(4 + nc + 32, A) -> boxes xyxy (input px), scores, class ids, coefficients, after NMS."""
    pred = output0
    scores_all = pred[4 : 4 + num_classes]
    best = scores_all.max(axis=0)
    cand = np.flatnonzero(best > conf)
    if cand.size == 0:
        return _empty()
    sub = pred[:, cand].T  # (n, 4 + nc + 32)
    cls = sub[:, 4 : 4 + num_classes].argmax(axis=1)
    score = sub[np.arange(len(sub)), 4 + cls]
    boxes = box_ops.xywh_to_xyxy(sub[:, :4])
    keep = box_ops.batched_nms(boxes, score, cls, iou)[:max_det]
    return (boxes[keep].astype(np.float32), score[keep].astype(np.float32), cls[keep].astype(np.int32),
            sub[keep, 4 + num_classes :].astype(np.float32))


def decode_end2end(output0: np.ndarray, num_classes: int, conf: float, max_det: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(K, 6 + 32) end-to-end rows -> boxes xyxy (input px), scores, class ids, coefficients.

    As Ultralytics' ``end2end`` path: the rows whose score is above ``conf``, in the model's
    order, the first ``max_det`` of them; no NMS. Rows whose class id is not one of the
    model's classes (padding, NaN) are dropped.
    """
    score = output0[:, 4]
    cls = output0[:, 5]
    ok = (score > conf) & (cls >= 0) & (cls < num_classes)
    rows = output0[np.flatnonzero(ok)[:max_det]]
    if not len(rows):
        return _empty()
    return (np.ascontiguousarray(rows[:, :4], dtype=np.float32), rows[:, 4].astype(np.float32),
            rows[:, 5].astype(np.int32), np.ascontiguousarray(rows[:, 6:], dtype=np.float32))


def layout_of(output0_shape: Sequence[Any], num_classes: int, end2end: bool | None = None) -> str | None:
    """Which layout an ``output0`` shape has: "classic", "end2end", or None if neither fits.

    The shape decides when only one layout fits it; when both could (symbolic dimensions,
    or 4 + nc + 32 == rows), the ``end2end`` metadata flag does.
    """
    if len(output0_shape) != 3:
        return None
    rows, cols = output0_shape[1], output0_shape[2]
    classic = not isinstance(rows, int) or rows == 4 + num_classes + NUM_COEFFS
    e2e = cols == E2E_COLUMNS
    if classic and e2e:
        return "end2end" if end2end else "classic"
    return "classic" if classic else "end2end" if e2e else None


def masks_from_protos(coeffs: np.ndarray, protos: np.ndarray, transform: letterbox.Transform,
                      boxes_src: np.ndarray, crop_to_box: bool = True, fast: bool = False
                      ) -> CroppedMasks | np.ndarray:
    """(N, 32) coefficients x (32, mh, mw) prototypes -> N masks at the source size.

    As Ultralytics' ``process_mask_native``: mask logits on the prototype grid, letterbox
    padding cut, bilinear upsampling to the image, crop to the box, threshold at 0. With
    ``crop_to_box`` only the pixels inside each box are interpolated (``cv2.warpAffine``
    samples the same bilinear positions a full resize would) and the result is
    :class:`CroppedMasks`, so the cost follows the objects' area, not N x the image size;
    without it, a dense (N, H, W) bool array. ``fast`` samples the prototype grid with
    nearest-neighbour instead of bilinear interpolation (blockier edges, for speed).
    """
    n = len(coeffs)
    H, W = transform.src_hw
    if n == 0:
        return CroppedMasks.empty((H, W)) if crop_to_box else np.zeros((0, H, W), dtype=bool)
    c, mh, mw = protos.shape
    gain = min(mh / H, mw / W)
    pad_w, pad_h = (mw - W * gain) / 2, (mh - H * gain) / 2
    top, left = int(pad_h), int(pad_w)
    bottom, right = int(mh - pad_h), int(mw - pad_w)
    ch, cw = bottom - top, right - left
    cut = protos[:, top:bottom, left:right]  # letterbox padding removed; edges clamp here, as in a resize
    # The products use einsum, not `@`: a BLAS matmul wakes OpenBLAS's threads, which then spin
    # beside the next session.run and made it ~1.5x slower (measured on 2 cores).
    if not crop_to_box:
        raw = np.einsum("nc,chw->hwn", coeffs.astype(np.float32), cut)
        return np.ascontiguousarray(semantic.resize_hwc(raw, (H, W)).transpose(2, 0, 1)) > 0.0
    sx, sy = cw / W, ch / H
    interp = cv2.INTER_NEAREST if fast else cv2.INTER_LINEAR
    corners = np.clip(np.ceil(boxes_src), 0, [W, H, W, H]).astype(np.int64)
    corners[:, 2:] = np.maximum(corners[:, 2:], corners[:, :2])  # empty boxes give empty patches
    patches = []
    for i, (x0, y0, x1, y1) in enumerate(corners.tolist()):
        if x1 == x0 or y1 == y0:
            patches.append(np.zeros((y1 - y0, x1 - x0), dtype=bool))
            continue
        # destination pixel (u, v) of the box samples the prototype grid at ((x0 + u + 0.5) sx - 0.5, ...):
        # mask logits are made only on the grid window those samples (and their neighbours) touch
        gx0, gy0 = max(int(np.floor((x0 + 0.5) * sx - 0.5)), 0), max(int(np.floor((y0 + 0.5) * sy - 0.5)), 0)
        gx1 = min(int(np.floor((x1 - 0.5) * sx - 0.5)) + 2, cw)
        gy1 = min(int(np.floor((y1 - 0.5) * sy - 0.5)) + 2, ch)
        window = np.einsum("c,chw->hw", coeffs[i].astype(np.float32), cut[:, gy0:gy1, gx0:gx1])
        m = np.array([[sx, 0.0, (x0 + 0.5) * sx - 0.5 - gx0],
                      [0.0, sy, (y0 + 0.5) * sy - 0.5 - gy0]], dtype=np.float64)
        patch = cv2.warpAffine(window, m, (x1 - x0, y1 - y0), flags=interp | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
        patches.append(patch > 0.0)
    return CroppedMasks((H, W), corners[:, [1, 0]], tuple(patches))


def semantic_from_instances(inst: Instances, hw: tuple[int, int]) -> np.ndarray:
    """Class map from instance masks: the highest score wins, ``NO_OBJECT`` elsewhere."""
    out = np.full(hw, NO_OBJECT, dtype=np.uint8 if inst.class_ids.max(initial=0) < NO_OBJECT else np.int32)
    return inst.cropped.paint(out, inst.class_ids, np.argsort(inst.scores, kind="stable"))  # best painted last


class YoloSegAdapter:
    """Ultralytics YOLO-seg (classic and end-to-end layouts); gives instances."""

    name = "yolo_seg"
    kind = "instance"
    logits = False
    options = ("confidence", "conf", "iou", "max_det", "crop_to_box", "fast_masks")

    @staticmethod
    def accepts(output_shapes: list[tuple]) -> bool:
        if len(output_shapes) < 2:
            return False
        o0, o1 = output_shapes[0], output_shapes[1]
        if len(o0) != 3 or len(o1) != 4:
            return False
        return o1[1] in (NUM_COEFFS, None) or isinstance(o1[1], str)

    @staticmethod
    def from_metadata(session: Any) -> ModelSpec | None:  # a session: .metadata, .inputs
        """A spec from Ultralytics' export metadata (``task: segment``, ``names``, ``imgsz``), if present."""
        um = read_metadata(session.metadata, session.source)
        if um is None or um.task != "segment":
            return None
        return spec_from_metadata(um, "yolo_seg", session.inputs[0].shape, things=um.classes)

    @staticmethod
    def check(session: Any, spec: ModelSpec) -> ModelSpec:
        """The spec with its layout worked out from the outputs; ModelError if they do not fit."""
        shapes = [o.shape for o in session.outputs]
        if not YoloSegAdapter.accepts(shapes):
            raise ModelError("yolo_seg needs output0 [1,4+nc+32,anchors] or [1,max_det,38] and output1 [1,32,h,w]")
        um = read_metadata(session.metadata, session.source)
        layout = spec.layout or layout_of(shapes[0], spec.num_classes, um.end2end if um else None)
        if layout is not None and layout not in LAYOUTS:
            raise ModelError(f"unknown yolo_seg layout {spec.layout!r}; expected one of {', '.join(LAYOUTS)}")
        if layout is None or layout_of(shapes[0], spec.num_classes, layout == "end2end") != layout:
            n = 4 + spec.num_classes + NUM_COEFFS
            raise ModelError(f"output0 {list(shapes[0])} fits neither the classic layout [1,{n},anchors] "
                             f"(4 + {spec.num_classes} classes + 32) nor the end2end layout [1,max_det,{E2E_COLUMNS}]")
        return spec if spec.layout == layout else spec.replace(layout=layout)

    @staticmethod
    def explain(spec: ModelSpec) -> str:
        if spec.layout == "end2end":
            return f"end2end: output0 [1,max_det,{E2E_COLUMNS}] xyxy, score, class, 32 coefficients; no NMS"
        rows = 4 + spec.num_classes + NUM_COEFFS
        return f"classic: output0 [1,{rows},anchors] xywh, class scores, 32 coefficients; NMS"

    @staticmethod
    def preprocess(image: np.ndarray, spec: ModelSpec, input_hw: tuple[int, int]
                   ) -> tuple[np.ndarray, letterbox.Transform]:
        # dynamic exports get the smallest stride-multiple canvas (Ultralytics' rect inference)
        canvas, transform = letterbox.resize_to_input(image, input_hw, "letterbox", stride=spec.stride,
                                                      auto=spec.dynamic, pad_value=spec.pad_value)
        return letterbox.normalise_to_blob(canvas, spec.mean, spec.std), transform

    @staticmethod
    def outputs_read(names: list[str], transform: letterbox.Transform, confidence: bool) -> list[str]:
        return list(names)  # every output: the detections and the mask prototypes

    @staticmethod
    def postprocess(outputs: dict[str, np.ndarray], transform: letterbox.Transform, spec: ModelSpec,
                    confidence: bool = False, conf: float = 0.25, iou: float = 0.7, max_det: int = 300,
                    crop_to_box: bool = True, fast_masks: bool = False) -> Decoded:
        out0 = next(v for v in outputs.values() if v.ndim == 3)
        out1 = next(v for v in outputs.values() if v.ndim == 4)
        if spec.layout == "end2end":
            boxes, scores, cls, coeffs = decode_end2end(out0[0], spec.num_classes, conf, max_det)
        else:
            boxes, scores, cls, coeffs = decode_detections(out0[0], spec.num_classes, conf, iou, max_det)
        boxes_src = transform.boxes_to_source(boxes) if len(boxes) else boxes
        masks = masks_from_protos(coeffs, out1[0], transform, boxes_src, crop_to_box, fast_masks)
        inst = Instances(boxes_src, cls, scores, masks)
        return Decoded(semantic_from_instances(inst, transform.src_hw), None, inst)
