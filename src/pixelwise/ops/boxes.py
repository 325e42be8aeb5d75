"""Box helpers: format conversion, IoU and non-maximum suppression (numpy)."""

from __future__ import annotations

import numpy as np

__all__ = ["xywh_to_xyxy", "box_iou", "nms", "batched_nms"]

CLASS_OFFSET = 7680.0  # class-aware NMS: boxes of different classes never overlap (as Ultralytics)


def xywh_to_xyxy(xywh: np.ndarray) -> np.ndarray:
    """(N, 4) centre-x, centre-y, width, height -> (N, 4) x0, y0, x1, y1."""
    out = np.empty_like(xywh)
    half = xywh[:, 2:4] / 2
    out[:, :2] = xywh[:, :2] - half
    out[:, 2:] = xywh[:, :2] + half
    return out


def box_iou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) -> (N, M) IoU."""
    tl = np.maximum(a_xyxy[:, None, :2], b_xyxy[None, :, :2])
    br = np.minimum(a_xyxy[:, None, 2:], b_xyxy[None, :, 2:])
    inter = np.clip(br - tl, 0, None).prod(axis=2)
    area_a = (a_xyxy[:, 2:] - a_xyxy[:, :2]).clip(0).prod(axis=1)
    area_b = (b_xyxy[:, 2:] - b_xyxy[:, :2]).clip(0).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy NMS (as ``torchvision.ops.nms``): indices kept, highest score first.

    A box is dropped when its IoU with a kept, higher-scoring box is greater than
    ``iou_threshold``.
    """
    order = np.argsort(-scores, kind="stable")
    boxes = boxes_xyxy[order].astype(np.float64)
    areas = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    alive = np.ones(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if not alive[i]:
            continue
        keep.append(order[i])
        rest = np.flatnonzero(alive[i + 1 :]) + i + 1
        if rest.size == 0:
            break
        tl = np.maximum(boxes[i, :2], boxes[rest, :2])
        br = np.minimum(boxes[i, 2:], boxes[rest, 2:])
        inter = (br - tl).clip(0).prod(axis=1)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-12)
        alive[rest[iou > iou_threshold]] = False
    return np.asarray(keep, dtype=np.int64)


def batched_nms(boxes_xyxy: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float
                ) -> np.ndarray:
    """Class-aware NMS: boxes only suppress boxes of their own class."""
    if len(boxes_xyxy) == 0:
        return np.zeros(0, dtype=np.int64)
    shifted = boxes_xyxy + (class_ids.astype(np.float64) * CLASS_OFFSET)[:, None]
    return nms(shifted, scores, iou_threshold)
