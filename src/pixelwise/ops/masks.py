"""Mask helpers: box-cropped mask sets, connected components, boxes, polygons and COCO RLE
(via pycocotools)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CroppedMasks",
    "components",
    "masks_to_boxes",
    "mask_to_polygons",
    "polygons_to_mask",
    "encode_rle",
    "decode_rle",
]


@dataclass(frozen=True, eq=False)
class CroppedMasks:
    """N boolean masks on an (H, W) image, each stored only inside its box.

    An object covers a small part of the image, so N dense (H, W) masks cost N x H x W
    bytes that areas, polygons, drawing and the class map never need: they work on the
    patches, and ``dense()`` makes the (N, H, W) array only when it is asked for.
    ``offsets`` holds each patch's (top, left) corner in image pixels.
    """

    hw: tuple[int, int]
    offsets: np.ndarray  # (N, 2) int64 (y0, x0)
    patches: tuple[np.ndarray, ...]  # N (h_i, w_i) bool arrays inside the image

    def __post_init__(self) -> None:
        object.__setattr__(self, "offsets", np.asarray(self.offsets, dtype=np.int64).reshape(-1, 2))
        if len(self.offsets) != len(self.patches):
            raise ValueError(f"{len(self.offsets)} offsets for {len(self.patches)} patches")
        H, W = self.hw
        for (y0, x0), p in zip(self.offsets.tolist(), self.patches):
            if p.ndim != 2 or y0 < 0 or x0 < 0 or y0 + p.shape[0] > H or x0 + p.shape[1] > W:
                raise ValueError(f"mask patch {p.shape} at ({y0}, {x0}) is outside the {H}x{W} image")

    @classmethod
    def empty(cls, hw: tuple[int, int]) -> CroppedMasks:
        return cls(hw, np.zeros((0, 2), np.int64), ())

    @classmethod
    def from_dense(cls, masks: np.ndarray) -> CroppedMasks:
        """(N, H, W) bool -> the same masks cropped to their bounding boxes."""
        boxes = masks_to_boxes(masks).astype(np.int64)
        patches = tuple(m[y0:y1, x0:x1] for m, (x0, y0, x1, y1) in zip(masks, boxes.tolist()))
        return cls((masks.shape[1], masks.shape[2]), boxes[:, [1, 0]], patches)

    @classmethod
    def from_labels(cls, labels: np.ndarray, boxes_xyxy: np.ndarray) -> CroppedMasks:
        """Masks ``labels == i + 1`` of a label image, cropped to the given integer boxes."""
        boxes = np.asarray(boxes_xyxy, dtype=np.int64).reshape(-1, 4)
        patches = tuple(labels[y0:y1, x0:x1] == i + 1 for i, (x0, y0, x1, y1) in enumerate(boxes.tolist()))
        return cls(labels.shape[:2], boxes[:, [1, 0]], patches)

    def __len__(self) -> int:
        return len(self.patches)

    def __getitem__(self, index: Any) -> CroppedMasks:
        keep = np.arange(len(self))[index].reshape(-1)
        return CroppedMasks(self.hw, self.offsets[keep], tuple(self.patches[i] for i in keep.tolist()))

    def mask(self, i: int) -> np.ndarray:
        """Mask ``i`` as an (H, W) bool array."""
        out = np.zeros(self.hw, dtype=bool)
        (y0, x0), p = self.offsets[i].tolist(), self.patches[i]
        out[y0 : y0 + p.shape[0], x0 : x0 + p.shape[1]] = p
        return out

    def dense(self) -> np.ndarray:
        """All masks as one (N, H, W) bool array."""
        out = np.zeros((len(self), *self.hw), dtype=bool)
        for i, ((y0, x0), p) in enumerate(zip(self.offsets.tolist(), self.patches)):
            out[i, y0 : y0 + p.shape[0], x0 : x0 + p.shape[1]] = p
        return out

    def areas(self) -> np.ndarray:
        """(N,) int64 pixel counts."""
        return np.array([int(np.count_nonzero(p)) for p in self.patches], dtype=np.int64)

    def polygons(self, i: int, min_points: int = 3, epsilon: float = 0.0) -> list[np.ndarray]:
        """Outer contours of mask ``i`` in image (x, y) pixels, as :func:`mask_to_polygons`."""
        y0, x0 = self.offsets[i].tolist()
        return [poly + np.array([x0, y0], np.float32)
                for poly in mask_to_polygons(self.patches[i], min_points=min_points, epsilon=epsilon)]

    def paint(self, canvas: np.ndarray, values: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
        """Write ``values[i]`` where mask ``i`` is set, in ``order`` (later ones win); in place."""
        for i in (range(len(self)) if order is None else order.tolist()):
            (y0, x0), p = self.offsets[i].tolist(), self.patches[i]
            canvas[y0 : y0 + p.shape[0], x0 : x0 + p.shape[1]][p] = values[i]
        return canvas


def components(semantic: np.ndarray, class_ids: tuple[int, ...], min_area: int = 1
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Connected regions (8-connectivity) of the given classes in an (H, W) class map.

    Returns ``(boxes_xyxy (N, 4) float32, class_ids (N,) int32, labels (H, W) int32,
    areas (N,) int64)``: ``labels`` holds 1..N for the regions kept, 0 elsewhere, so masks
    can be made on demand (``labels == i + 1``) instead of materialising N full masks.
    """
    import cv2  # lazy: a Result is usable without OpenCV loaded

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
    import cv2

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
    import cv2

    mask = np.zeros(hw, dtype=np.uint8)
    pts = [np.round(np.asarray(p, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2) for p in polygons]
    if pts:
        cv2.fillPoly(mask, pts, 1)
    return mask.astype(bool)


def encode_rle(masks: np.ndarray | CroppedMasks) -> list[dict]:
    """(N, H, W) bool (or cropped masks, one at a time) -> COCO compressed RLE dicts
    (``counts`` as str, ``size`` [H, W])."""
    from pycocotools import mask as mask_utils

    if len(masks) == 0:
        return []
    if isinstance(masks, CroppedMasks):
        return [encode_rle(masks.mask(i)[None])[0] for i in range(len(masks))]
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
