"""Model families. ``ADAPTERS`` is the one registry of names -> adapter classes."""

from __future__ import annotations

from ..errors import ModelError
from .semantic import Decoded, SemanticAdapter
from .yolo_seg import YoloSegAdapter

__all__ = ["ADAPTERS", "get_adapter", "Decoded"]

ADAPTERS = {
    "semantic": SemanticAdapter,
    "yolo_seg": YoloSegAdapter,
}


def get_adapter(name: str) -> type:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ModelError(f"unknown adapter {name!r}; valid: {', '.join(sorted(ADAPTERS))}") from None
