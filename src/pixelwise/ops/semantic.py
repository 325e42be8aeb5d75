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
    "crop_to_content", "upsample_argmax", "argmax_chw", "upsample_maps", "resize_hwc", "softmax_max", "ids_to_source",
    "labels_dtype", "softmax", "mean_log_probs",
]

STRIP_ELEMENTS = 4_000_000  # output pixels per strip (16 MB per float plane)


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


def _vertical_weights(out_rows: np.ndarray, src_h: int, dst_h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = (out_rows + 0.5) * (src_h / dst_h) - 0.5
    y = np.clip(y, 0, src_h - 1)
    y0 = np.floor(y).astype(np.int64)
    y1 = np.minimum(y0 + 1, src_h - 1)
    return y0, y1, (y - y0).astype(np.float32)


def upsample_argmax(logits: np.ndarray, out_hw: tuple[int, int], num_classes: int | None = None) -> np.ndarray:
    """(C, h, w) logits -> (H, W) class ids: bilinear upsampling, then argmax.

    Each class plane is upsampled on its own (contiguous, fast in OpenCV) and folded into
    a running maximum, so only two full-size float planes exist at a time; beyond
    ``STRIP_ELEMENTS`` output pixels the planes are produced in row strips. Two classes need
    one plane: bilinear weights are linear, so the upsampled difference ``l1 - l0`` is above
    zero exactly where the upsampled ``l1`` beats ``l0`` (up to float rounding on near-ties).
    """
    c, h, w = logits.shape
    dtype = labels_dtype(num_classes or c)
    H, W = out_hw
    planes = np.ascontiguousarray(logits, dtype=np.float32)
    if (h, w) == (H, W):
        return argmax_chw(planes, dtype)
    two = c == 2
    if two:
        planes = (planes[1] - planes[0])[None]
    out: np.ndarray = np.empty((H, W), dtype=dtype)
    rows = H if H * W <= STRIP_ELEMENTS else max(1, STRIP_ELEMENTS // W)
    for r0 in range(0, H, rows):
        r1 = min(H, r0 + rows)
        if r1 - r0 == H:
            up = (cv2.resize(p, (W, H), interpolation=cv2.INTER_LINEAR) for p in planes)
        else:  # rows r0..r1 only: interpolate vertically here, horizontally in OpenCV
            y0, y1, wy = _vertical_weights(np.arange(r0, r1), h, H)
            up = (cv2.resize(p[y0] * (1 - wy)[:, None] + p[y1] * wy[:, None], (W, r1 - r0),
                             interpolation=cv2.INTER_LINEAR) for p in planes)
        out[r0:r1] = next(up) > 0 if two else _running_argmax(up, (r1 - r0, W), dtype)
    return out


def _running_argmax(planes, hw: tuple[int, int], dtype: type) -> np.ndarray:  # iterable
    """Argmax over an iterable of (H, W) float planes; ties go to the lower id, as ``np.argmax``."""
    it = iter(planes)
    best = np.array(next(it), dtype=np.float32, copy=True)
    ids: np.ndarray = np.zeros(hw, dtype=dtype)
    mask = np.empty(hw, dtype=bool)
    for k, plane in enumerate(it, 1):
        np.greater(plane, best, out=mask)
        np.maximum(best, plane, out=best)
        ids[mask] = k
    return ids


def argmax_chw(chw: np.ndarray, dtype: type = np.uint8) -> np.ndarray:
    """Argmax over the first axis of (C, H, W); ties go to the lower id."""
    if chw.shape[0] > 64:
        return chw.argmax(axis=0).astype(dtype, copy=False)
    return _running_argmax(chw, chw.shape[1:], dtype)


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


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities of logits (..., C, h, w), over the class axis."""
    e = np.exp(logits - logits.max(axis=-3, keepdims=True))
    return e / e.sum(axis=-3, keepdims=True)


def mean_log_probs(*logits: np.ndarray) -> np.ndarray:
    """Logits (..., C, h, w) of several views of one image -> the log of their mean class probabilities
    (float32): a softmax of the result is the average of the views' softmaxes."""
    assert logits, "mean_log_probs needs at least one view"
    total = sum(softmax(z) for z in logits)
    return np.log(np.maximum(total / len(logits), 1e-30)).astype(np.float32)


def ids_to_source(ids: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an (h, w) id map (models that output ids, not logits)."""
    H, W = out_hw
    if ids.shape == (H, W):
        return ids
    return cv2.resize(ids, (W, H), interpolation=cv2.INTER_NEAREST)
