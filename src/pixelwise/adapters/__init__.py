"""Model families. ``ADAPTERS`` is the one registry of names -> adapter classes.

Adding a family is one file (see ``base.py`` for what it provides) plus its entry here;
the contract tests in ``tests/adapters/test_contract.py`` then run over it.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from .base import KINDS, Adapter
from .semantic import Decoded, SemanticAdapter
from .yolo_seg import YoloSegAdapter
from .yolo_sem import YoloSemanticAdapter

__all__ = ["ADAPTERS", "KINDS", "Adapter", "get_adapter", "Decoded"]

# Values are adapter classes, each satisfying the Adapter protocol (tests/adapters/test_contract.py).
ADAPTERS: dict[str, Any] = {
    "semantic": SemanticAdapter,
    "yolo_sem": YoloSemanticAdapter,
    "yolo_seg": YoloSegAdapter,
}


def get_adapter(name: str) -> Any:  # an Adapter class
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ModelError(f"unknown adapter {name!r}; valid: {', '.join(sorted(ADAPTERS))}") from None
