"""Reading and writing still images.

Every image leaves this module as ``uint8`` HxWx3 **RGB**. Decoding goes through Pillow,
which reports truncated and corrupt files instead of returning half an image; EXIF
orientation is applied, 16-bit images are scaled to 8 bits, grey and palette images are
expanded to RGB, and an alpha channel is dropped (the colour channels are kept as
they are).
"""

from __future__ import annotations

import io as _io
import numbers
import os
import re
import stat
import warnings
from pathlib import Path

import numpy as np

from ..errors import (
    ImageDecodeError,
    ImageNotFoundError,
    ImageReadError,
    ImageTooLargeError,
    NotAnImageError,
    NotRegularFileError,
    OptionError,
)
from .codecs import encode, encode_png
from .download import DEFAULT_URL_TIMEOUT_S, fetch_url
from .files import atomic_write_bytes

__all__ = [
    "IMAGE_SUFFIXES",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_URL_TIMEOUT_S",
    "check_max_pixels",
    "is_url",
    "file_error",
    "not_regular_error",
    "read_file_bytes",
    "read_image",
    "decode_image",
    "to_rgb_array",
    "write_image",
    "encode_png",
    "atomic_write_bytes",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_MAX_PIXELS = 200_000_000  # 200 MP: a 14000x14000 photo; larger ones are refused


def check_max_pixels(value: object) -> int:
    """An image size limit in pixels: a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise OptionError(f"max_pixels must be a whole number of pixels >= 1, got {value!r}")
    return int(value)


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


_NOT_REGULAR = ((stat.S_ISDIR, "is a directory, not an image"), (stat.S_ISFIFO, "is a FIFO (named pipe)"),
                (stat.S_ISCHR, "is a character device"), (stat.S_ISBLK, "is a block device"),
                (stat.S_ISSOCK, "is a socket"))


def not_regular_error(name: str, mode: int) -> NotRegularFileError | None:
    """The error for a file of this ``st_mode`` that is not read (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    why = next((why for test, why in _NOT_REGULAR if test(mode)), "is not a regular file")
    hint = "" if stat.S_ISDIR(mode) else "; only regular image files are read"
    return NotRegularFileError(f"{name}: {why}{hint}")


def file_error(name: str, missing: str = "no such file") -> ImageReadError | None:
    """Why ``name`` cannot be read as an image file (missing, not regular), from ``stat`` alone; None if it can."""
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        return ImageNotFoundError(f"{name}: {missing}")
    except OSError as exc:
        return ImageReadError(f"{name}: cannot read ({exc.strerror or exc})")
    return not_regular_error(name, mode)


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file; a FIFO, device, socket or directory is refused, never opened for reading.

    The file is opened non-blocking (opening a FIFO would otherwise wait for a writer) and
    checked on the open descriptor, so a path swapped after a check cannot slip through.
    """
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ImageNotFoundError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise NotRegularFileError(f"{name}: is a directory, not an image") from None
    except OSError as exc:
        raise ImageReadError(f"{name}: cannot read ({exc.strerror or exc})") from None
    try:
        error = not_regular_error(name, os.fstat(fd).st_mode)
        if error is not None:
            raise error
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as exc:
        raise ImageReadError(f"{name}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def read_image(source: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS,
               timeout: float = DEFAULT_URL_TIMEOUT_S) -> np.ndarray:
    """Read an image file or http(s) URL as ``uint8`` (H, W, 3) RGB.

    Only regular files are read; a URL must download within ``timeout`` seconds overall.

    Raises:
        ImageReadError: the file is missing, not a regular file, not an image, corrupt or
            truncated, or has more than ``max_pixels`` pixels; the URL cannot be downloaded
            in time. The subclass says which (see ``pixelwise.errors``); the message names
            the file.
    """
    name = str(source)
    if is_url(name):
        return decode_image(fetch_url(name, timeout), name, max_pixels)
    return decode_image(read_file_bytes(source), name, max_pixels)


def _bomb_limit() -> int | None:
    """Pillow's own refusal threshold (2x ``Image.MAX_IMAGE_PIXELS``), as the application left it."""
    from PIL import Image

    return None if Image.MAX_IMAGE_PIXELS is None else 2 * int(Image.MAX_IMAGE_PIXELS)


def _too_large(name: str, pixels: int | None, limit: int, hw: tuple[int, int] | None = None) -> ImageTooLargeError:
    size = f"{hw[0]}x{hw[1]} image has " if hw else "image has "
    count = f"{pixels / 1e6:.0f} MP" if pixels is not None else "too many MP"
    return ImageTooLargeError(f"{name}: {size}{count}, more than the limit of {limit / 1e6:.0f} MP; "
                              "downscale it or raise max_pixels")


def decode_image(data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes (PNG, JPEG, ...) to ``uint8`` (H, W, 3) RGB.

    Two limits apply: ``max_pixels`` (checked from the header, before decoding) and Pillow's
    process-wide decompression-bomb guard (``PIL.Image.MAX_IMAGE_PIXELS``), which this
    function leaves as it is.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageDecodeError(f"{name}: empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides
            img: Image.Image = Image.open(_io.BytesIO(data))
            w, h = img.size
            if w * h > max_pixels:
                raise _too_large(name, w * h, max_pixels, (h, w))
            img.load()
            img = ImageOps.exif_transpose(img)
    except ImageReadError:
        raise
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        limit = min(max_pixels, _bomb_limit() or max_pixels)
        raise _too_large(name, int(found.group(1)) if found else None, limit) from None
    except UnidentifiedImageError:
        raise NotAnImageError(f"{name}: not an image (unrecognised format)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(f"{name}: corrupt or truncated image ({exc})") from None
    return _pil_to_rgb(img)


def _pil_to_rgb(img) -> np.ndarray:  # PIL image
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


def write_image(path: str | os.PathLike[str], image: np.ndarray, quality: int = 95) -> Path:
    """Write an RGB (H, W, 3), RGBA (H, W, 4) or single-channel (H, W) uint8 image; format from the suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ImageReadError(f"{path}: unsupported image suffix {suffix!r}; use one of {', '.join(IMAGE_SUFFIXES)}")
    if image.ndim == 3 and image.shape[2] == 4 and suffix != ".png":
        raise ImageReadError(f"{path}: an image with transparency needs a .png name, got {suffix!r}")
    return atomic_write_bytes(path, encode(image, suffix, quality=quality, what=str(path)))
