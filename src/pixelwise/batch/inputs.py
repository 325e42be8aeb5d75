"""What a batch processes: a directory (with sub-folders), a glob, an image, or a manifest.

The expansion is :func:`pixelwise.io.inputs.resolve_inputs`; a batch keys each image by its
resolved path (or URL), so ``batch ../in`` after ``batch /abs/in`` finds the same images
already complete, and an image listed twice is processed once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import ImageNotFoundError, InputError
from ..io.inputs import MANIFEST_SUFFIXES, ImageItem, resolve_inputs

__all__ = ["MANIFEST_SUFFIXES", "list_items", "list_inputs", "output_key"]


def list_items(source: str | Path) -> list[ImageItem]:
    """The images of ``source`` in a stable order (manifest order, else sorted), one per resolved path.

    Items of a manifest that cannot be read (missing, a FIFO, ...) keep their error.

    Raises:
        InputError: ``source`` itself gives no image (missing, empty, unreadable manifest).
    """
    name = str(source)
    items = resolve_inputs([name], recursive=True, manifests=True)
    if len(items) == 1 and items[0].error is not None and items[0].source == name:
        err = items[0].error
        if isinstance(err, ImageNotFoundError):
            raise InputError(f"{name}: no such directory, glob, manifest or image") from None
        raise err
    unique: dict[str, ImageItem] = {}
    for item in items:
        unique.setdefault(item.key, item)
    return list(unique.values())


def list_inputs(source: str | Path) -> list[str]:
    """The resolved paths (or URLs) a batch of ``source`` processes, in order."""
    return [item.key for item in list_items(source)]


def output_key(source: str) -> str:
    """A stable, unique file stem for an input: its name plus a short hash of its resolved path."""
    stem = Path(source.split("?")[0]).stem or "image"
    return f"{stem}-{hashlib.sha1(source.encode()).hexdigest()[:10]}"
