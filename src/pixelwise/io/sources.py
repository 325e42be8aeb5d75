"""Expanding what a user names into image items: the resolver lives in :mod:`pixelwise.io.inputs`.

``expand_sources`` is kept as the name callers already use; it is
``resolve_inputs(sources, recursive=recursive)`` (no manifests).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from .inputs import ImageItem, resolve_inputs

__all__ = ["ImageItem", "expand_sources"]


def expand_sources(sources: Iterable[str | os.PathLike[str]], recursive: bool = False) -> list[ImageItem]:
    """Files, folders, globs and URLs -> image items (see :func:`pixelwise.io.inputs.resolve_inputs`)."""
    return resolve_inputs(sources, recursive=recursive)
