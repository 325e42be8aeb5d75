"""Resizing an image to a model's input, and the record that undoes it.

Two modes: ``stretch`` (plain resize to the input size) and ``letterbox`` (keep the aspect
ratio, pad to the input size, as Ultralytics does: scale ``r = min(H_in/H, W_in/W)``,
padding split between both sides with the same rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Transform", "resize_to_input", "normalise_to_blob", "content_window"]

PAD_VALUE = 114  # Ultralytics' letterbox grey


@dataclass(frozen=True)
class Transform:
    """How a source image (src_hw) was mapped onto the model canvas (input_hw).

    ``scale_hw`` is canvas pixels per source pixel along each axis, and ``pad_tl`` the
    (top, left) padding in canvas pixels; ``content_hw`` the resized image inside the
    padding. For "stretch" there is no padding and the scales differ per axis.
    """

    src_hw: tuple[int, int]
    input_hw: tuple[int, int]
    scale_hw: tuple[float, float]
    pad_tl: tuple[int, int]
    content_hw: tuple[int, int]

    def boxes_to_source(self, boxes_xyxy: np.ndarray) -> np.ndarray:
        """Map (N, 4) xyxy boxes from canvas pixels back to source pixels, clipped."""
        out = boxes_xyxy.astype(np.float32, copy=True)
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_tl[1]) / self.scale_hw[1]
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_tl[0]) / self.scale_hw[0]
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.src_hw[1])
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.src_hw[0])
        return out


def resize_to_input(image: np.ndarray, input_hw: tuple[int, int], mode: str = "stretch",
                    stride: int = 32, auto: bool = False, pad_value: int = PAD_VALUE) -> tuple[np.ndarray, Transform]:
    """Resize an (H, W, 3) uint8 image to the model canvas; returns (canvas, transform).

    ``auto=True`` (letterbox only) pads to the smallest multiple of ``stride`` instead of
    the full canvas, as Ultralytics does for rectangular inference with dynamic models.
    ``pad_value`` is the grey level of the padding (letterbox only).
    """
    h, w = image.shape[:2]
    ih, iw = input_hw
    if mode == "stretch":
        canvas = image if (h, w) == (ih, iw) else cv2.resize(
            image, (iw, ih), interpolation=cv2.INTER_AREA if ih * iw < h * w else cv2.INTER_LINEAR)
        return canvas, Transform((h, w), (ih, iw), (ih / h, iw / w), (0, 0), (ih, iw))
    if mode != "letterbox":
        raise ValueError(f"unknown resize mode {mode!r}; expected 'stretch' or 'letterbox'")
    r = min(ih / h, iw / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = iw - nw, ih - nh
    if auto:
        dw, dh = dw % stride, dh % stride
    dw2, dh2 = dw / 2, dh / 2
    top, bottom = int(round(dh2 - 0.1)), int(round(dh2 + 0.1))
    left, right = int(round(dw2 - 0.1)), int(round(dw2 + 0.1))
    resized = image if (nh, nw) == (h, w) else cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = cv2.copyMakeBorder(resized, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                value=(pad_value, pad_value, pad_value))
    return canvas, Transform((h, w), canvas.shape[:2], (r, r), (top, left), (nh, nw))


def normalise_to_blob(canvas: np.ndarray, mean: tuple[float, float, float],
                      std: tuple[float, float, float]) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (1, 3, H, W) float32, ``(x / 255 - mean) / std``."""
    if canvas.ndim != 3 or canvas.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {canvas.shape}")
    scale = (1.0 / (255.0 * np.asarray(std, dtype=np.float32))).astype(np.float32)
    shift = (np.asarray(mean, dtype=np.float32) / np.asarray(std, dtype=np.float32)).astype(np.float32)
    blob = np.empty((1, 3) + canvas.shape[:2], dtype=np.float32)
    for c, plane in enumerate(cv2.split(np.ascontiguousarray(canvas))):  # 2-3x faster than strided canvas[..., c]
        np.multiply(plane, scale[c], out=blob[0, c], casting="unsafe")
        blob[0, c] -= shift[c]
    return blob


def content_window(map_hw: tuple[int, int], src_hw: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the image inside a letterboxed (h, w) map, as Ultralytics' ``scale_masks``.

    The padding is worked out from the map's own size (any scale of the canvas):
    ``gain = min(h / H, w / W)``, half the spare rows/columns on each side, the top/left
    rounded with ``round(pad - 0.1)`` and the bottom/right with ``round(pad + 0.1)``. The
    padding comes from the unrounded content size ``H * gain``, so where the letterbox
    rounded the content down (a 101x37 image on 64x64: content columns 20..43) the window
    keeps one row/column of padding (20..44), exactly as Ultralytics does.
    """
    h, w = map_hw
    H, W = src_hw
    gain = min(h / H, w / W)
    pad_w, pad_h = (w - W * gain) / 2, (h - H * gain) / 2
    top, left = round(pad_h - 0.1), round(pad_w - 0.1)
    bottom, right = h - round(pad_h + 0.1), w - round(pad_w + 0.1)
    return max(top, 0), max(bottom, top + 1), max(left, 0), max(right, left + 1)
