"""Semantic post-processing: logits -> class ids / confidence at the source resolution.

Upsampling is bilinear with half-pixel centres (as ``torch.nn.functional.interpolate``
with ``align_corners=False`` and OpenCV's ``INTER_LINEAR``). Large outputs are produced in
row strips so memory stays bounded (a 12000x12000 image never materialises 12000x12000xC
floats).
"""

from __future__ import annotations

import cv2
import numpy as np

from .letterbox import Transform

__all__ = [
    "crop_to_content", "upsample_argmax", "argmax_hwc", "upsample_maps", "resize_hwc", "softmax_max", "ids_to_source",
    "labels_dtype",
]

STRIP_ELEMENTS = 8_000_000  # floats per strip (32 MB)


def labels_dtype(num_classes: int) -> type:
    return np.uint8 if num_classes <= 255 else np.int32


def crop_to_content(maps: np.ndarray, transform: Transform) -> np.ndarray:
    """Crop (C, h, w) maps (at any scale of the canvas) to the unpadded image region."""
    if transform.pad_tl == (0, 0) and transform.content_hw == transform.input_hw:
        return maps
    _, h, w = maps.shape
    fy, fx = h / transform.input_hw[0], w / transform.input_hw[1]
    top, left = transform.pad_tl
    ch, cw = transform.content_hw
    y0, x0 = int(round(top * fy)), int(round(left * fx))
    y1, x1 = max(y0 + 1, int(round((top + ch) * fy))), max(x0 + 1, int(round((left + cw) * fx)))
    return maps[:, y0:y1, x0:x1]


def _argmax_channels_last(hwc: np.ndarray, dtype: type) -> np.ndarray:
    return hwc.argmax(axis=2).astype(dtype, copy=False)


def _vertical_weights(out_rows: np.ndarray, src_h: int, dst_h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = (out_rows + 0.5) * (src_h / dst_h) - 0.5
    y = np.clip(y, 0, src_h - 1)
    y0 = np.floor(y).astype(np.int64)
    y1 = np.minimum(y0 + 1, src_h - 1)
    return y0, y1, (y - y0).astype(np.float32)


def upsample_argmax(logits: np.ndarray, out_hw: tuple[int, int], num_classes: int | None = None) -> np.ndarray:
    """(C, h, w) logits -> (H, W) class ids, bilinear upsampling then argmax."""
    c, h, w = logits.shape
    dtype = labels_dtype(num_classes or c)
    H, W = out_hw
    hwc = np.ascontiguousarray(logits.transpose(1, 2, 0), dtype=np.float32)
    if (h, w) == (H, W):
        return argmax_hwc(hwc, dtype)
    if H * W * c <= STRIP_ELEMENTS:
        return argmax_hwc(resize_hwc(hwc, (H, W)), dtype)
    out = np.empty((H, W), dtype=dtype)
    rows = max(1, STRIP_ELEMENTS // (W * c))
    for r0 in range(0, H, rows):
        r = np.arange(r0, min(H, r0 + rows))
        y0, y1, wy = _vertical_weights(r, h, H)
        strip = hwc[y0] * (1 - wy)[:, None, None] + hwc[y1] * wy[:, None, None]  # (rows, w, C)
        out[r0 : r0 + len(r)] = argmax_hwc(resize_hwc(strip, (len(r), W)), dtype)
    return out


def argmax_hwc(hwc: np.ndarray, dtype: type = np.uint8) -> np.ndarray:
    """Argmax over the last axis of (H, W, C); ties go to the lower id, as ``np.argmax``.

    A running maximum over channel planes is about 1.5x faster than ``argmax(axis=2)``.
    """
    c = hwc.shape[2]
    if c > 64:
        return hwc.argmax(axis=2).astype(dtype, copy=False)
    best = hwc[..., 0].copy()
    ids = np.zeros(best.shape, dtype=dtype)
    mask = np.empty(best.shape, dtype=bool)
    for k in range(1, c):
        plane = hwc[..., k]
        np.greater(plane, best, out=mask)
        np.maximum(best, plane, out=best)
        np.putmask(ids, mask, k)
    return ids


def resize_hwc(hwc: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of an (h, w, C) float32 array (any C; OpenCV takes 128 at a time)."""
    H, W = out_hw
    c = hwc.shape[2]
    if c <= 128:
        return cv2.resize(hwc, (W, H), interpolation=cv2.INTER_LINEAR).reshape(H, W, c)
    parts = [resize_hwc(np.ascontiguousarray(hwc[..., i : i + 128]), out_hw) for i in range(0, c, 128)]
    return np.concatenate(parts, axis=2)


def upsample_maps(maps: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """(h, w) float map -> (H, W), bilinear (e.g. a confidence map)."""
    H, W = out_hw
    if maps.shape == (H, W):
        return maps
    return cv2.resize(maps, (W, H), interpolation=cv2.INTER_LINEAR)


def softmax_max(logits: np.ndarray) -> np.ndarray:
    """(C, h, w) logits -> (h, w) float32 probability of the winning class."""
    m = logits.max(axis=0)
    e = np.exp(logits - m[None])
    return (1.0 / e.sum(axis=0)).astype(np.float32)


def ids_to_source(ids: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an (h, w) id map (models that output ids, not logits)."""
    H, W = out_hw
    if ids.shape == (H, W):
        return ids
    return cv2.resize(ids, (W, H), interpolation=cv2.INTER_NEAREST)
