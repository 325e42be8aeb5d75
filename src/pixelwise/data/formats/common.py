"""Checks shared by the format readers: polygons, image files and sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...io.image import atomic_write_bytes
from ..annotations import SkipLog

__all__ = ["polygon_from_flat", "image_size", "write_text"]


def polygon_from_flat(values: list[float], hw: tuple[int, int], where: str, log: SkipLog,
                      normalised: bool = False) -> np.ndarray | None:
    """[x0, y0, x1, y1, ...] -> (K, 2) float32; None (after ``log.fail``) when unusable."""
    if len(values) % 2 or len(values) < 6:
        log.fail(f"{where}: polygon needs at least 3 points (x, y pairs), got {len(values)} numbers")
        return None
    pts = np.asarray(values, dtype=np.float32).reshape(-1, 2)
    if normalised:
        pts = pts * np.array([hw[1], hw[0]], np.float32)
    h, w = hw
    tol = 1.0
    x, y = pts[:, 0], pts[:, 1]
    if (x < -tol).any() or (y < -tol).any() or (x > w + tol).any() or (y > h + tol).any():
        log.fail(f"{where}: polygon outside the {h}x{w} image")
        return None
    return np.clip(pts, 0, [w, h])


def image_size(path: Path, where: str, log: SkipLog) -> tuple[int, int] | None:
    from PIL import Image

    if not path.is_file():
        log.fail(f"{where}: image {path} not found")
        return None
    try:
        with Image.open(path) as im:
            w, h = im.size
    except OSError as exc:
        log.fail(f"{where}: cannot read image {path} ({exc})")
        return None
    return h, w


def write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode())
