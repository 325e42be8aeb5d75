"""Ultralytics semantic segmentation exports (YOLO26n-sem and later, metadata ``task: semantic``).

Input: the letterboxed image, pixels / 255 (as every Ultralytics model). Output, one of:

- class ids ``(1, H, W)`` or ``(H, W)``, uint8/int32/int64 (ArgMax and Cast inside the
  graph, the default ONNX export): the letterbox padding is cut as Ultralytics'
  ``scale_masks`` cuts it (worked out from the map's own size; it can keep one row or
  column of padding, see :func:`~pixelwise.ops.letterbox.content_window`), then the map is
  resized nearest-neighbour to the image. There are no scores, so no confidence map.
- logits ``(1, C, h, w)`` float: padding cut the same way, bilinear upsampling to the
  image, argmax (one channel: logit > 0), as Ultralytics' semantic predictor.

Class names, input size and stride come from the metadata; 255 is the ignore id, as in
Ultralytics' semantic datasets.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..errors import ModelError
from ..ops import letterbox, semantic
from ..spec import ModelSpec
from .semantic import Decoded, ids_only_error, is_integer_dtype, main_output
from .ultralytics import read_metadata, spec_from_metadata
from .yolo_seg import YoloSegAdapter

__all__ = ["YoloSemanticAdapter", "ids_to_image", "logits_to_image"]

IGNORE_ID = 255


def ids_to_image(ids: np.ndarray, src_hw: tuple[int, int], num_classes: int) -> np.ndarray:
    """(h, w) letterboxed class ids -> (H, W) at the source size (padding cut, nearest)."""
    top, bottom, left, right = letterbox.content_window(ids.shape[-2:], src_hw)
    dtype = semantic.labels_dtype(max(num_classes, 2))
    cut: np.ndarray = np.ascontiguousarray(ids[top:bottom, left:right], dtype=dtype)
    if cut.shape == tuple(src_hw):
        return cut
    # cv2's INTER_NEAREST picks source pixel floor(x * in / out), as torch's interpolate(mode="nearest")
    return cv2.resize(cut, (src_hw[1], src_hw[0]), interpolation=cv2.INTER_NEAREST)


def logits_to_image(logits: np.ndarray, src_hw: tuple[int, int], num_classes: int, confidence: bool
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """(C, h, w) letterboxed logits -> (H, W) class ids (and the winning probability)."""
    top, bottom, left, right = letterbox.content_window(logits.shape[-2:], src_hw)
    cut = np.ascontiguousarray(logits[:, top:bottom, left:right], dtype=np.float32)
    if cut.shape[0] == 1:  # one channel: foreground where the logit is positive
        up = semantic.upsample_maps(cut[0], src_hw)
        conf = (1.0 / (1.0 + np.exp(-np.abs(up)))).astype(np.float32) if confidence else None
        return (up > 0).astype(np.uint8), conf
    ids = semantic.upsample_argmax(cut, src_hw, num_classes)
    conf = semantic.upsample_maps(semantic.softmax_max(cut), src_hw) if confidence else None
    return ids, conf


class YoloSemanticAdapter:
    """Ultralytics ``task: semantic`` exports; gives a class map (ids or logits)."""

    name = "yolo_sem"
    kind = "semantic"
    logits = False
    options = ("confidence",)

    @staticmethod
    def accepts(output_shapes: list[tuple]) -> bool:
        return len(output_shapes) >= 1 and len(output_shapes[0]) in (2, 3, 4)

    @staticmethod
    def from_metadata(session: Any) -> ModelSpec | None:
        um = read_metadata(session.metadata, session.source)
        if um is None or um.task != "semantic":
            return None
        return spec_from_metadata(um, "yolo_sem", session.inputs[0].shape, ignore_index=IGNORE_ID)

    @staticmethod
    def check(session: Any, spec: ModelSpec) -> ModelSpec:
        out = main_output(session.outputs)
        shape = list(out.shape)
        ids = is_integer_dtype(out.dtype) and (len(shape) in (2, 3) or (len(shape) == 4 and shape[1] == 1))
        logits = not is_integer_dtype(out.dtype) and len(shape) == 4 and (
            not isinstance(shape[1], int) or shape[1] in (1, spec.num_classes))
        if not (ids or logits):
            raise ModelError(f"yolo_sem needs class ids [1,H,W] / [H,W] (integer) or logits [1,{spec.num_classes},h,w] "
                             f"(float), got {out.name} {shape} {out.dtype}")
        return spec.replace(layout="ids" if ids else "logits") if not spec.layout else spec

    @staticmethod
    def explain(spec: ModelSpec) -> str:
        if spec.layout == "logits":
            return "logits [1,C,h,w]: letterbox cut as Ultralytics' scale_masks, bilinear, argmax"
        return ("class ids [1,H,W] (ArgMax in the graph): letterbox cut as Ultralytics' scale_masks, "
                "nearest-neighbour; no confidence map")

    preprocess = staticmethod(YoloSegAdapter.preprocess)  # Ultralytics' letterbox, as for its instance models
    outputs_read = staticmethod(YoloSegAdapter.outputs_read)

    @staticmethod
    def postprocess(outputs: dict[str, np.ndarray], transform: letterbox.Transform, spec: ModelSpec,
                    confidence: bool = False) -> Decoded:
        out = outputs.get("logits", next(iter(outputs.values())))
        if out.size == 0 or min(out.shape[-2:]) == 0:
            raise ModelError(f"{spec.name or 'model'}: output has an empty spatial size {list(out.shape)}")
        if out.dtype.kind in "iu":
            if confidence:
                raise ids_only_error(spec, out)
            return Decoded(ids_to_image(out.reshape(out.shape[-2:]), transform.src_hw, spec.num_classes))
        if out.ndim != 4:
            raise ModelError(f"{spec.name or 'model'}: expected logits (1, C, h, w), got {list(out.shape)}")
        ids, conf = logits_to_image(out[0], transform.src_hw, spec.num_classes, confidence)
        return Decoded(ids, conf)
