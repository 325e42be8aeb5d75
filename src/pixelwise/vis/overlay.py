"""Overlays: class colours blended over the image, instance boxes and a legend."""

from __future__ import annotations

import cv2
import numpy as np

from ..result import Result

__all__ = ["colour_lut", "colourise", "blend", "draw_result", "draw_legend"]


def colour_lut(colours: tuple[tuple[int, int, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(256, 3) uint8 RGB lookup and (256,) bool "has a colour" for ids 0..255."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    valid = np.zeros(256, dtype=bool)
    n = min(len(colours), 256)
    if n:
        lut[:n] = np.asarray(colours[:n], dtype=np.uint8)
        valid[:n] = True
    return lut, valid


def colourise(semantic: np.ndarray, colours: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """(H, W) ids -> (H, W, 3) RGB colour image (ids without a colour are black)."""
    lut, _ = colour_lut(colours)
    return lut[np.clip(semantic, 0, 255).astype(np.uint8)]


def blend(image: np.ndarray, semantic: np.ndarray, colours: tuple[tuple[int, int, int], ...],
          alpha: float) -> np.ndarray:
    """Colours blended over ``image`` with opacity ``alpha`` where a class is present."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in 0..1, got {alpha}")
    lut, valid = colour_lut(colours)
    ids = np.clip(semantic, 0, 255).astype(np.uint8)
    coloured = lut[ids]
    mixed = cv2.addWeighted(image, 1.0 - alpha, coloured, alpha, 0.0)
    keep = ~valid[ids]
    if keep.any():
        mixed[keep] = image[keep]
    return mixed


def draw_legend(image: np.ndarray, names: list[str], colours: list[tuple[int, int, int]]) -> np.ndarray:
    """A legend box (top-left) listing the given classes with their colours."""
    if not names:
        return image
    out = image.copy()
    scale = max(0.4, min(1.2, image.shape[0] / 900))
    line = int(22 * scale) + 4
    width = int(max(cv2.getTextSize(n, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] for n in names)) + line + 12
    height = line * len(names) + 8
    sub = out[:height, :width]
    sub[:] = (sub.astype(np.uint16) // 3).astype(np.uint8)
    for i, (name, colour) in enumerate(zip(names, colours)):
        y = 4 + i * line
        cv2.rectangle(out, (6, y + 3), (6 + line - 8, y + line - 5), tuple(int(c) for c in colour), -1)
        cv2.putText(out, name, (line + 4, y + line - 7), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return out


def draw_result(result: Result, alpha: float = 0.5, legend: bool = True, boxes: bool = True) -> np.ndarray:
    """The standard overlay of a Result as a new (H, W, 3) uint8 RGB image."""
    colours = result.spec.colours
    out = blend(result.image, result.semantic, colours, alpha)
    # a tracked stream (--track) labels the objects of semantic models too (their thing regions, or a
    # --things model's objects), with their ids; untracked semantic results do not compute objects here
    tracked = result.instances.track_ids is not None
    if boxes and (result.spec.kind != "semantic" or tracked):
        inst = result.instances
        for i in range(len(inst)):
            x0, y0, x1, y1 = (int(round(v)) for v in inst.boxes_xyxy[i])
            colour = tuple(int(c) for c in colours[inst.class_ids[i] % len(colours)])
            cv2.rectangle(out, (x0, y0), (x1, y1), colour, 2)
            label = f"{result.names[inst.class_ids[i]]} {inst.scores[i]:.2f}"
            if inst.track_ids is not None:
                label = f"#{inst.track_ids[i]} {label}"
            cv2.putText(out, label, (x0, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    if legend:
        present = result.areas()
        names = list(present)
        out = draw_legend(out, names, [colours[present[n]["id"]] for n in names])
    return out
