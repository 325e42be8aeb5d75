"""Panoptic overlay: stuff in its class colours, each object in a colour of its own with its
outline and a ``label #id`` tag (the id of its segment in ``Result.panoptic()``)."""

from __future__ import annotations

import colorsys
from typing import Any

import cv2
import numpy as np

from ..result import Result

__all__ = ["segment_colour", "draw_panoptic"]

GOLDEN = 0.618033988749895


def segment_colour(segment_id: int) -> tuple[int, int, int]:
    """A bright RGB colour per segment id, far from its neighbours' (golden-ratio hue steps)."""
    hue = (segment_id * GOLDEN) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def _tag(out: np.ndarray, text: str, x: int, y: int, colour: tuple[int, int, int]) -> None:
    scale = max(0.35, min(0.8, out.shape[0] / 900))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x = int(np.clip(x, 0, max(out.shape[1] - tw - 2, 0)))
    y = int(np.clip(y, th + base + 1, out.shape[0] - 1))
    cv2.rectangle(out, (x, y - th - base - 1), (x + tw + 2, y), colour, -1)
    cv2.putText(out, text, (x + 1, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)


def draw_panoptic(result: Result, alpha: float = 0.5, labels: bool = True,
                  panoptic: tuple[np.ndarray, list[dict[str, Any]]] | None = None) -> np.ndarray:
    """A new (H, W, 3) uint8 RGB image of ``result.panoptic()`` (or the ``panoptic`` given) over the photo.

    Void pixels (id 0) show the photo as it is.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in 0..1, got {alpha}")
    seg, info = panoptic if panoptic is not None else result.panoptic()
    lut = np.zeros((max(int(seg.max(initial=0)), *(s["id"] for s in info), 0) + 1, 3), np.uint8)
    for s in info:
        lut[s["id"]] = segment_colour(s["id"]) if s["isthing"] else result.spec.colours[s["category_id"]]
    colours = lut[seg]
    out = result.image.copy()
    painted = seg > 0
    out[painted] = (out[painted] * (1.0 - alpha) + colours[painted] * alpha + 0.5).astype(np.uint8)
    objects = [s for s in info if s["isthing"]]
    for s in objects:
        mask = (seg == s["id"]).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, segment_colour(s["id"]), 2, cv2.LINE_AA)
    for s in sorted(objects, key=lambda s: s["area"]) if labels else ():  # big objects' tags on top
        x, y = int(s["bbox"][0]), int(s["bbox"][1])
        _tag(out, f"{result.names[s['category_id']]} #{s['id']}", x, y - 2, segment_colour(s["id"]))
    return out
