"""Expanding what a user names (files, folders, globs, URLs) into image items."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImageReadError, InputError
from .image import IMAGE_SUFFIXES, is_url

__all__ = ["ImageItem", "expand_sources"]


@dataclass(frozen=True)
class ImageItem:
    """One image to process, or the reason a named source yielded none (``error``)."""

    source: str
    error: InputError | None = None


def _images_in(folder: Path, recursive: bool) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def expand_sources(sources: Iterable[str | os.PathLike[str]], recursive: bool = False) -> list[ImageItem]:
    """Each source -> image items; a source that gives none becomes an item with an error.

    Files are taken whatever their suffix (reading reports non-images); folders and globs
    keep files with image suffixes, sorted by name.
    """
    items: list[ImageItem] = []
    for src in sources:
        name = str(src)
        if is_url(name):
            items.append(ImageItem(name))
            continue
        path = Path(name)
        if path.is_dir():
            found = _images_in(path, recursive)
            if not found:
                has_files = any(p.is_file() for p in path.iterdir())
                why = "contains no images" if has_files else "is empty"
                items.append(ImageItem(name, ImageReadError(
                    f"{name}: directory {why} (looked for {', '.join(IMAGE_SUFFIXES)})")))
            items.extend(ImageItem(str(p)) for p in found)
        elif path.is_file():
            items.append(ImageItem(name))
        elif glob.has_magic(name):
            found = sorted(Path(p) for p in glob.glob(name, recursive=True))
            found = [p for p in found if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
            if not found:
                items.append(ImageItem(name, ImageReadError(f"{name}: pattern matches no images")))
            items.extend(ImageItem(str(p)) for p in found)
        else:
            items.append(ImageItem(name, ImageReadError(f"{name}: no such file or directory")))
    return items
