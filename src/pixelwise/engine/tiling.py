"""Tiled inference for very large images (semantic models with dynamic input).

The image is covered by overlapping tiles of the model's native size; each tile runs at
full resolution, its logits are averaged into one low-resolution canvas (memory: C x H/4 x
W/4 floats for a model with 1/4 outputs), and the canvas is upsampled to the image in row
strips. Small objects in a 6000x4000 photo keep their pixels instead of being shrunk to
360x480.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ops.letterbox import normalise_to_blob

__all__ = ["tile_windows", "tiled_logits"]


def tile_windows(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets covering ``length`` with windows of ``tile`` overlapping by ``overlap``."""
    if length <= tile:
        return [0]
    step = max(1, tile - overlap)
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]


def tiled_logits(image: np.ndarray, tile_hw: tuple[int, int], mean: tuple[float, float, float],
                 std: tuple[float, float, float], run: Callable[[np.ndarray], np.ndarray],
                 overlap: float = 0.25) -> np.ndarray:
    """(H, W, 3) RGB -> (C, h, w) averaged logits on a canvas at the model's output scale."""
    H, W = image.shape[:2]
    th, tw = min(tile_hw[0], H), min(tile_hw[1], W)
    canvas = weight = None
    for y in tile_windows(H, th, int(th * overlap)):
        for x in tile_windows(W, tw, int(tw * overlap)):
            logits = run(normalise_to_blob(image[y : y + th, x : x + tw], mean, std))[0]
            c, oh, ow = logits.shape
            fy, fx = oh / th, ow / tw
            if canvas is None:
                canvas = np.zeros((c, int(round(H * fy)), int(round(W * fx))), np.float32)
                weight = np.zeros(canvas.shape[1:], np.float32)
            y0, x0 = int(round(y * fy)), int(round(x * fx))
            y1, x1 = min(canvas.shape[1], y0 + oh), min(canvas.shape[2], x0 + ow)
            canvas[:, y0:y1, x0:x1] += logits[:, : y1 - y0, : x1 - x0]
            weight[y0:y1, x0:x1] += 1.0
    assert canvas is not None and weight is not None
    return canvas / np.maximum(weight, 1.0)[None]
