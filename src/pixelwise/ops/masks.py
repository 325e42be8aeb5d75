"""Mask helpers: connected components, boxes, polygons and COCO RLE (via pycocotools)."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "components",
    "masks_to_boxes",
    "mask_to_polygons",
    "polygons_to_mask",
    "encode_rle",
    "decode_rle",
]


def components(semantic: np.ndarray, class_ids: tuple[int, ...], min_area: int = 1
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Connected regions (8-connectivity) of the given classes in an (H, W) class map.

    Returns ``(boxes_xyxy (N, 4) float32, class_ids (N,) int32, labels (H, W) int32,
    areas (N,) int64)``: ``labels`` holds 1..N for the regions kept, 0 elsewhere, so masks
    can be made on demand (``labels == i + 1``) instead of materialising N full masks.
    """
    h, w = semantic.shape
    labels = np.zeros((h, w), dtype=np.int32)
    boxes, ids, areas = [], [], []
    for cid in class_ids:
        binary = (semantic == cid).view(np.uint8)
        if not binary.any():
            continue
        n, lab, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=cv2.CV_32S)
        remap = np.zeros(n, dtype=np.int32)
        for k in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[k])
            if area < min_area:
                continue
            boxes.append((x, y, x + bw, y + bh))
            ids.append(cid)
            areas.append(area)
            remap[k] = len(boxes)
        labels += remap[lab]  # classes are disjoint, so regions never overlap
    return (
        np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        np.asarray(ids, dtype=np.int32),
        labels,
        np.asarray(areas, dtype=np.int64),
    )


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """(N, H, W) bool -> (N, 4) float32 xyxy boxes (exclusive max); empty masks give zeros."""
    boxes = np.zeros((len(masks), 4), dtype=np.float32)
    for i, m in enumerate(masks):
        rows = np.flatnonzero(m.any(axis=1))
        cols = np.flatnonzero(m.any(axis=0))
        if rows.size:
            boxes[i] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    return boxes


def mask_to_polygons(mask: np.ndarray, min_points: int = 3, epsilon: float = 0.0) -> list[np.ndarray]:
    """Outer contours of a boolean mask as a list of (K, 2) float32 (x, y) polygons.

    ``epsilon`` > 0 simplifies each polygon (Douglas-Peucker, in pixels).
    """
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        if epsilon > 0:
            c = cv2.approxPolyDP(c, epsilon, True)
        if len(c) >= min_points:
            polys.append(c.reshape(-1, 2).astype(np.float32))
    return polys


def polygons_to_mask(polygons: list[np.ndarray], hw: tuple[int, int]) -> np.ndarray:
    """Fill (K, 2) (x, y) polygons into an (H, W) bool mask."""
    mask = np.zeros(hw, dtype=np.uint8)
    pts = [np.round(np.asarray(p, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2) for p in polygons]
    if pts:
        cv2.fillPoly(mask, pts, 1)
    return mask.astype(bool)


def encode_rle(masks: np.ndarray) -> list[dict]:
    """(N, H, W) bool -> COCO compressed RLE dicts (``counts`` as str, ``size`` [H, W])."""
    from pycocotools import mask as mask_utils

    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
    for r in rles:
        r["counts"] = r["counts"].decode("ascii")
    return rles


def decode_rle(rles: list[dict]) -> np.ndarray:
    """COCO RLE dicts -> (N, H, W) bool."""
    from pycocotools import mask as mask_utils

    if not rles:
        return np.zeros((0, 0, 0), dtype=bool)
    fixed = [{"size": r["size"], "counts": r["counts"].encode("ascii") if isinstance(r["counts"], str) else r["counts"]}
             for r in rles]
    return mask_utils.decode(fixed).transpose(2, 0, 1).astype(bool)
