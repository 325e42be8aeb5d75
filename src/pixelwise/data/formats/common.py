"""Pieces the format readers and writers share: image sizes, declared-size checks, text output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ...errors import DatasetError
from ...io.image import atomic_write_bytes
from .. import checks

__all__ = ["image_size", "declared_hw", "image_path", "write_text"]


def image_size(path: Path, where: str) -> tuple[int, int]:
    """(H, W) of an image file from its header (regular files only; nothing is decoded)."""
    from PIL import Image

    try:
        mode = os.stat(path).st_mode
    except OSError:
        raise DatasetError(f"{where}: image {path} not found") from None
    if not stat.S_ISREG(mode):
        raise DatasetError(f"{where}: image {path} is not a regular file")
    try:
        with Image.open(path) as im:
            w, h = im.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DatasetError(f"{where}: cannot read image {path} ({exc})") from None
    return checks.image_hw(h, w, f"{where}: image {path.name}")


def declared_hw(height: object, width: object, image: Path, where: str, from_text: bool = False) -> tuple[int, int]:
    """An annotation's declared (H, W), checked and compared with the image file's own size."""
    hw = checks.image_hw(height, width, where, from_text)
    actual = image_size(image, where)
    if hw != actual:
        raise DatasetError(f"{where}: declares a {hw[0]}x{hw[1]} image but {image.name} is {actual[0]}x{actual[1]}")
    return hw


def image_path(folder: Path, name: object, where: str, what: str = "file_name") -> Path:
    """``folder / name`` for a file name from an annotation (absolute names are used as they are;
    Windows separators, as LabelMe writes them on Windows, are read as ``/``)."""
    path = folder / checks.text(name, where, what)
    if "\\" in str(name) and not path.exists():
        path = folder / str(name).replace("\\", "/")
    return path


def write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode())
