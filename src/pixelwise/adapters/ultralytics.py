"""Ultralytics' ONNX export metadata (``task``, ``names``, ``imgsz``, ``stride``, ``end2end``).

Ultralytics writes Python literals (``"{0: 'car', 1: 'person'}"``, ``"[320, 320]"``,
``"True"``) into the ONNX ``metadata_props``; :func:`read_metadata` parses them into one
record, or None when the file was not written by Ultralytics.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError
from ..spec import ModelSpec

__all__ = ["UltralyticsMeta", "read_metadata", "spec_from_metadata", "KEYS"]

KEYS = ("task", "names", "imgsz", "stride", "end2end", "version", "description", "license")


@dataclass(frozen=True)
class UltralyticsMeta:
    """The parts of Ultralytics' metadata pixelwise uses."""

    task: str
    classes: tuple[str, ...]
    imgsz_hw: tuple[int, int]
    stride: int
    end2end: bool | None  # None: the key is absent
    version: str
    description: str
    licence: str
    keys: tuple[str, ...]  # which of KEYS the file carries


def _literal(meta: dict[str, str], key: str, default: Any, source: str) -> Any:
    if key not in meta:
        return default
    try:
        return ast.literal_eval(meta[key])
    except (ValueError, SyntaxError):
        raise ModelError(f"{source}: Ultralytics metadata {key!r} is not a Python literal: "
                         f"{meta[key][:60]!r}") from None


def read_metadata(meta: dict[str, str], source: str = "model") -> UltralyticsMeta | None:
    """Ultralytics' metadata of a model, or None if it has no ``task`` and ``names``."""
    if "task" not in meta or "names" not in meta:
        return None
    names = _literal(meta, "names", {}, source)
    if isinstance(names, dict):
        classes = tuple(str(names[k]) for k in sorted(names))
    elif isinstance(names, (list, tuple)):
        classes = tuple(str(n) for n in names)
    else:
        raise ModelError(f"{source}: Ultralytics metadata 'names' must be a dict or list, got {type(names).__name__}")
    imgsz = _literal(meta, "imgsz", [640, 640], source)
    imgsz = (imgsz, imgsz) if isinstance(imgsz, int) else tuple(imgsz)
    stride = _literal(meta, "stride", 32, source)
    end2end = _literal(meta, "end2end", None, source)
    return UltralyticsMeta(task=str(meta["task"]), classes=classes, imgsz_hw=(int(imgsz[0]), int(imgsz[1])),
                           stride=int(max(stride) if isinstance(stride, (list, tuple)) else stride),
                           end2end=None if end2end is None else bool(end2end), version=meta.get("version", "?"),
                           description=meta.get("description", ""), licence=meta.get("license", ""),
                           keys=tuple(k for k in KEYS if k in meta))


def spec_from_metadata(um: UltralyticsMeta, adapter: str, input_shape: tuple, **fields: Any) -> ModelSpec:
    """A spec for an Ultralytics export: letterbox, pixels / 255, names and size from the metadata."""
    dynamic = not all(isinstance(d, int) and d > 0 for d in input_shape[2:])
    return ModelSpec(adapter=adapter, input_hw=um.imgsz_hw, classes=um.classes, mean=(0.0, 0.0, 0.0),
                     std=(1.0, 1.0, 1.0), resize="letterbox", dynamic=dynamic, stride=um.stride,
                     name=(um.description or f"ultralytics-{um.task}")[:80],
                     provenance={"exporter": f"Ultralytics {um.version}", "licence": um.licence}, **fields)
