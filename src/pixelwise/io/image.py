"""Reading and writing still images.

Every image leaves this module as ``uint8`` HxWx3 **RGB**. Decoding goes through Pillow,
which reports truncated and corrupt files instead of returning half an image; EXIF
orientation is applied, 16-bit images are scaled to 8 bits, grey and palette images are
expanded to RGB, and an alpha channel is dropped (the colour channels are kept as
they are).
"""

from __future__ import annotations

import io as _io
import os
import urllib.request
import uuid
import warnings
from pathlib import Path

import numpy as np

from ..errors import ImageReadError, PixelwiseRuntimeError

__all__ = [
    "IMAGE_SUFFIXES",
    "DEFAULT_MAX_PIXELS",
    "is_url",
    "read_image",
    "decode_image",
    "to_rgb_array",
    "write_image",
    "encode_png",
    "atomic_write_bytes",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_MAX_PIXELS = 200_000_000  # 200 MP: a 14000x14000 photo; larger ones are refused
URL_TIMEOUT_S = 30.0


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


def _fetch(url: str, max_bytes: int = 256 * 1024 * 1024) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as response:  # noqa: S310 (user URL)
            data = response.read(max_bytes + 1)
    except Exception as exc:  # urllib raises many types; report one line
        raise ImageReadError(f"{url}: cannot download ({exc})") from None
    if len(data) > max_bytes:
        raise ImageReadError(f"{url}: larger than {max_bytes // 2**20} MB")
    return data


def read_image(source: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file or http(s) URL as ``uint8`` (H, W, 3) RGB.

    Raises:
        ImageReadError: the file is missing, not an image, corrupt or truncated, or has
            more than ``max_pixels`` pixels. The message names the file.
    """
    name = str(source)
    if is_url(name):
        return decode_image(_fetch(name), name, max_pixels)
    path = Path(source)
    if not path.exists():
        raise ImageReadError(f"{name}: no such file")
    if path.is_dir():
        raise ImageReadError(f"{name}: is a directory, not an image")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageReadError(f"{name}: cannot read ({exc.strerror or exc})") from None
    return decode_image(data, name, max_pixels)


def decode_image(data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes (PNG, JPEG, ...) to ``uint8`` (H, W, 3) RGB."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageReadError(f"{name}: empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = None  # we apply our own limit below, before decoding
            img = Image.open(_io.BytesIO(data))
            w, h = img.size
            if w * h > max_pixels:
                raise ImageReadError(
                    f"{name}: {h}x{w} image has {w * h / 1e6:.0f} MP, more than the limit of "
                    f"{max_pixels / 1e6:.0f} MP; downscale it or raise max_pixels"
                )
            img.load()
            img = ImageOps.exif_transpose(img)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{name}: not an image (unrecognised format)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"{name}: corrupt or truncated image ({exc})") from None
    except Image.DecompressionBombError as exc:  # pragma: no cover - limit disabled above
        raise ImageReadError(f"{name}: {exc}") from None
    return _pil_to_rgb(img)


def _pil_to_rgb(img) -> np.ndarray:  # noqa: ANN001 (PIL image)
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img)
        arr = (arr.astype(np.uint32) >> 8) if arr.max(initial=0) > 255 else arr
        arr = arr.clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(arr[..., None], 3, axis=2))
    if mode == "F":
        arr = np.asarray(img)
        arr = np.clip(arr, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(arr[..., None], 3, axis=2))
    if mode != "RGB":
        img = img.convert("RGBA" if mode in ("P", "PA", "LA") and "transparency" in img.info else img.mode)
        img = img.convert("RGB")
    return np.array(img, dtype=np.uint8)


def to_rgb_array(image: object, name: str = "<array>") -> np.ndarray:
    """Validate an in-memory image (numpy RGB or PIL) and return ``uint8`` (H, W, 3) RGB.

    numpy arrays are taken as **RGB** (as PIL and Hugging Face). (H, W) grey and (H, W, 4)
    RGBA are accepted; float arrays must be in 0..1; uint16 is scaled to 8 bits.
    """
    if hasattr(image, "mode") and hasattr(image, "size") and hasattr(image, "convert"):
        return _pil_to_rgb(image)
    if not isinstance(image, np.ndarray):
        raise ImageReadError(f"{name}: expected a path, URL, numpy array or PIL image, got {type(image).__name__}")
    arr = image
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise ImageReadError(f"{name}: expected an array of shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageReadError(f"{name}: empty image of shape {image.shape}")
    if arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ImageReadError(f"{name}: float image contains NaN or infinity")
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        raise ImageReadError(f"{name}: unsupported dtype {arr.dtype}; use uint8, uint16 or float in 0..1")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 4:
        arr = arr[..., :3]
    return np.ascontiguousarray(arr)


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A killed process leaves either the old file or the new one, never half of one (plus, at
    worst, a hidden ``.NAME.*.tmp`` file). Permissions follow the umask, like ``open``.
    """
    path = Path(path)
    tmp = _temp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise PixelwiseRuntimeError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise
    return path


def encode_png(array: np.ndarray, compression: int = 1) -> bytes:
    """Encode an (H, W) or (H, W, 3) RGB uint8 array as PNG bytes (fast compression)."""
    import cv2

    if array.ndim == 3:
        array = array[..., ::-1]  # RGB -> BGR for OpenCV
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array), [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:  # pragma: no cover - OpenCV fails only on invalid arrays
        raise PixelwiseRuntimeError("PNG encoding failed")
    return buf.tobytes()


def write_image(path: str | os.PathLike[str], image: np.ndarray, quality: int = 95) -> Path:
    """Write an RGB (H, W, 3) or single-channel (H, W) uint8 image; format from the suffix."""
    import cv2

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ImageReadError(f"{path}: unsupported image suffix {suffix!r}; use one of {', '.join(IMAGE_SUFFIXES)}")
    arr = image[..., ::-1] if image.ndim == 3 else image
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if suffix in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(suffix, np.ascontiguousarray(arr), params)
    if not ok:  # pragma: no cover
        raise PixelwiseRuntimeError(f"{path}: encoding failed")
    return atomic_write_bytes(path, buf.tobytes())
