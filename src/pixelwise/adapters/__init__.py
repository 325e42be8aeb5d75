"""Model families. ``ADAPTERS`` is the one registry of names -> adapter classes."""

from __future__ import annotations

from ..errors import ModelError
from .semantic import Decoded, SemanticAdapter

__all__ = ["ADAPTERS", "get_adapter", "Decoded"]

ADAPTERS = {
    "semantic": SemanticAdapter,
}


def get_adapter(name: str) -> type:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ModelError(f"unknown adapter {name!r}; valid: {', '.join(sorted(ADAPTERS))}") from None
