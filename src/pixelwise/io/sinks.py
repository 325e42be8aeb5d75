"""Writing results: overlay images, class-id mask PNGs, JSON (all atomic)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from ..result import Result
from .image import IMAGE_SUFFIXES, atomic_write_bytes, encode_png, write_image

__all__ = ["save_result", "write_mask", "write_json"]


def write_mask(path: str | os.PathLike[str], result: Result) -> Path:
    """The class-id map as a single-channel PNG (uint8 ids; 16-bit PNG beyond 255 classes)."""
    import numpy as np

    sem = result.semantic
    if sem.dtype != np.uint8:
        sem = sem.astype(np.uint16)
    return atomic_write_bytes(path, encode_png(sem))


def write_json(path: str | os.PathLike[str], result: Result, masks: str = "rle") -> Path:
    return atomic_write_bytes(path, result.to_json(masks=masks, indent=1).encode())


def save_result(result: Result, path: str | os.PathLike[str], alpha: float = 0.5) -> Path:
    """By name: ``*.json`` JSON, ``*.npy`` the class map, ``*mask.png`` the id PNG, else the overlay."""
    import numpy as np

    p = Path(path)
    name = p.name.lower()
    if name.endswith(".json"):
        return write_json(p, result)
    if name.endswith(".npy"):
        import io

        buf = io.BytesIO()
        np.save(buf, result.semantic)
        return atomic_write_bytes(p, buf.getvalue())
    if name.endswith(("mask.png", "_mask.png", ".mask.png")):
        return write_mask(p, result)
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise InputError(f"{p}: cannot tell what to save from the suffix; use .png/.jpg (overlay), "
                         "NAME_mask.png (class ids), .json or .npy")
    return write_image(p, result.plot(alpha=alpha))
