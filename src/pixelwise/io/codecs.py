"""Image encoding, written once: RGB(A)/grey uint8 arrays -> PNG, JPEG (or any suffix OpenCV
knows) bytes. The RGB -> BGR turn OpenCV needs happens here and nowhere else."""

from __future__ import annotations

import numpy as np

from ..errors import PixelwiseRuntimeError

__all__ = ["encode", "encode_jpeg", "encode_png", "to_bgr"]


def to_bgr(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB -> BGR, (H, W, 4) RGBA -> BGRA, (H, W) grey unchanged; C-contiguous."""
    if image.ndim == 3:
        image = image[..., [2, 1, 0, 3]] if image.shape[2] == 4 else image[..., ::-1]
    return np.ascontiguousarray(image)


def encode(image: np.ndarray, suffix: str, quality: int = 95, compression: int | None = None,
           what: str = "image") -> bytes:
    """``image`` (RGB, RGBA or grey uint8) as the bytes of a ``suffix`` file (".png", ".jpg", ...);
    ``quality`` for JPEG, ``compression`` (0..9) for PNG. ``what`` names it in the error."""
    import cv2

    suffix = suffix.lower()
    params: list[int] = []
    if suffix in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif suffix == ".png" and compression is not None:
        params = [cv2.IMWRITE_PNG_COMPRESSION, compression]
    ok, buf = cv2.imencode(suffix, to_bgr(image), params)
    if not ok:  # pragma: no cover - OpenCV fails only on invalid arrays
        raise PixelwiseRuntimeError(f"{what}: {suffix.lstrip('.').upper()} encoding failed")
    return buf.tobytes()


def encode_png(array: np.ndarray, compression: int = 1) -> bytes:
    """An (H, W), (H, W, 3) RGB or (H, W, 4) RGBA uint8 array as PNG bytes (fast compression)."""
    return encode(array, ".png", compression=compression, what="PNG")


def encode_jpeg(rgb: np.ndarray, quality: int = 90, what: str = "image") -> bytes:
    """An (H, W, 3) RGB uint8 array as JPEG bytes."""
    return encode(rgb, ".jpg", quality=quality, what=what)
