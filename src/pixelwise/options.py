"""PredictOptions: every prediction option in one frozen, validated record.

The Segmenter's keywords, its per-call options, the CLI flags (``cli/options.py`` builds
them from the fields below) and batch settings all go through this record, so an option
has one name, one default and one error everywhere. Two steps:

- construction checks what needs no model (types, ranges, the pixel budget of sizes):
  ``PredictOptions(input_hw=(0, 5))`` raises :class:`~pixelwise.errors.OptionError`;
- :meth:`PredictOptions.resolve` checks what needs the model's spec (class names and ids,
  a fixed input size) and returns the record the predictor runs with (class ids only).

Sizes are limited to :data:`MAX_INPUT_PIXELS` (16.8 MP, 4096x4096): the model input and a
tile are allocated as float32 tensors of 3 x H x W plus the model's activations, so a
20000x20000 input asks for gigabytes and minutes before failing. Larger *images* are fine
(they are resized, or tiled with ``tile_hw``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .errors import OptionError
from .spec import ModelSpec

__all__ = ["MAX_INPUT_PIXELS", "PredictOptions", "cli_fields", "label", "option_names"]

MAX_INPUT_PIXELS = 4096 * 4096  # the pixel budget of a model input size (imgsz) or a tile

ALIASES = {"imgsz": "input_hw", "tile": "tile_hw"}  # the Segmenter's keyword names


def _cli(flag: str, kind: str, help: str, metavar: str | None = None, api: str | None = None
         ) -> dict[str, Any]:
    """How the CLI spells a field: its flag, the kind of value (size, classes, float, int, switch), help."""
    return {"flag": flag, "kind": kind, "help": help, "metavar": metavar, "api": api}


@dataclass(frozen=True)
class PredictOptions:
    """Prediction options; ``input_hw``/``tile_hw`` None = the model's own size / no tiling.

    ``classes`` holds ids or names until :meth:`resolve`, ids after it.
    """

    input_hw: tuple[int, int] | None = field(default=None, metadata=_cli(
        "--imgsz", "size", "input size for dynamic models (rows x cols; at most 16.8 MP, e.g. 4096x4096)", "HxW",
        api="imgsz"))
    confidence: bool = False
    classes: tuple[int | str, ...] | None = field(default=None, metadata=_cli(
        "--classes", "classes", "keep only these classes: ids or names, comma-separated"))
    min_area: int = field(default=64, metadata=_cli(
        "--min-area", "int", "smallest region (pixels) that counts as an object"))
    conf: float = field(default=0.25, metadata=_cli("--conf", "float", "score threshold (instance models)"))
    iou: float = field(default=0.7, metadata=_cli("--iou", "float", "NMS IoU threshold (instance models)"))
    max_det: int = field(default=300, metadata=_cli("--max-det", "int", "detections kept per image (instance models)"))
    output_filter: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # e.g. temporal smoothing
    tile_hw: tuple[int, int] | None = field(default=None, metadata=_cli(
        "--tile", "size", "tiled inference for images larger than HxW (full-resolution tiles, stitched)", "HxW",
        api="tile"))
    low_res_masks: bool = field(default=False, metadata=_cli(
        "--low-res-masks", "switch", "instance models: blocky masks from the model's 1/4-resolution grid, faster"))
    min_conf: float | None = field(default=None, metadata=_cli(
        "--min-conf", "float", "semantic models: leave pixels below this confidence (0..1) unlabelled", "P"))
    flip: bool = field(default=False, metadata=_cli(
        "--flip", "switch", "semantic models: average the class probabilities of the image and its mirror image "
        "(twice the inference; about +0.5-1 mIoU on the default model)"))

    def __post_init__(self) -> None:
        for name, check in _CHECKS.items():
            object.__setattr__(self, name, check(name, getattr(self, name)))

    @classmethod
    def from_keywords(cls, options: PredictOptions | None = None, **keywords: Any) -> PredictOptions:
        """The record of the Segmenter's prediction keywords, or ``options`` when they are all at their defaults."""
        built = cls().updated(**keywords)
        if options is None:
            return built
        if not isinstance(options, PredictOptions):
            raise OptionError(f"options must be a PredictOptions record, got {type(options).__name__}")
        if built != cls():
            changed = [f.name for f in fields(cls) if getattr(built, f.name) != f.default]
            raise OptionError(f"give prediction options either as options= or as keywords, not both "
                              f"(keywords given: {', '.join(changed)})")
        return options

    def updated(self, **changes: Any) -> PredictOptions:
        """A copy with ``changes`` (field names, or the Segmenter's ``imgsz``/``tile``), validated."""
        if not changes:
            return self
        named = {ALIASES.get(k, k): v for k, v in changes.items()}
        unknown = sorted(set(named) - set(option_names()))
        if unknown:
            raise OptionError(f"unknown prediction option {', '.join(map(repr, unknown))}; "
                              f"the options are: {', '.join(option_names())}")
        return replace(self, **named)

    def resolve(self, spec: ModelSpec) -> PredictOptions:
        """The record for ``spec``'s model: class names -> ids (checked), sizes the model accepts."""
        if self.input_hw is not None and self.input_hw != tuple(spec.input_hw) and not spec.dynamic:
            raise OptionError(f"model {spec.name or '(unnamed)'} has a fixed input size "
                              f"{spec.input_hw[0]}x{spec.input_hw[1]}; imgsz (--imgsz) cannot change it")
        if (self.confidence or self.min_conf is not None) and not spec.gives_confidence:
            raise OptionError(f"model {spec.name or '(unnamed)'} outputs class ids only, so it has no confidence "
                              "map; drop confidence / min_conf (--confidence / --min-conf)")
        if self.flip and (spec.adapter != "semantic" or not spec.gives_confidence):
            raise OptionError(f"model {spec.name or '(unnamed)'} has no class scores to average; flip (--flip) is "
                              "for semantic models that output logits")
        if self.classes is None:
            return self
        return replace(self, classes=tuple(_class_id(c, spec) for c in self.classes))


def option_names() -> list[str]:
    return [f.name for f in fields(PredictOptions)]


def cli_fields() -> list[tuple[str, dict[str, Any], Any]]:
    """(field name, CLI metadata, default) of every option the command line offers."""
    return [(f.name, dict(f.metadata), f.default) for f in fields(PredictOptions) if f.metadata.get("flag")]


def label(name: str) -> str:
    """How messages name an option: the API keyword and the CLI flag, e.g. ``imgsz (--imgsz)``."""
    meta: Mapping[str, Any] = next((f.metadata for f in fields(PredictOptions) if f.name == name), {})
    api = meta.get("api") or name
    return f"{api} ({meta['flag']})" if meta.get("flag") else api


def _class_id(c: int | str, spec: ModelSpec) -> int:
    valid = ", ".join(f"{k} {n}" for k, n in enumerate(spec.classes))
    if isinstance(c, str) and not c.strip().isdigit():
        if c not in spec.classes:
            raise OptionError(f"unknown class {c!r}; the model's classes are: {', '.join(spec.classes)}")
        return spec.classes.index(c)
    cid = int(c)
    if not 0 <= cid < spec.num_classes:
        raise OptionError(f"class id {cid} out of range 0..{spec.num_classes - 1}; the model's classes are: {valid}")
    return cid


def _size(name: str, value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, str):  # "360x480" would read as 3 digits; the CLI parses HxW text
        raise OptionError(f"{label(name)} must be (height, width) with both >= 1, got {value!r}")
    try:
        h, w = (int(v) for v in value)
        ok = all(float(v) == int(v) for v in value)
    except (TypeError, ValueError):
        ok = False
    if not ok or h < 1 or w < 1:
        raise OptionError(f"{label(name)} must be (height, width) with both >= 1, got {value!r}")
    if h * w > MAX_INPUT_PIXELS:
        raise OptionError(f"{label(name)} {h}x{w} has {h * w / 1e6:.1f} MP, more than the budget of "
                          f"{MAX_INPUT_PIXELS / 1e6:.1f} MP (4096x4096); use a smaller size")
    return h, w


def _fraction(name: str, value: Any, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        raise OptionError(f"{label(name)} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _count(minimum: int) -> Callable[[str, Any], int]:
    def check(name: str, value: Any) -> int:
        whole = isinstance(value, numbers.Integral) or (
            isinstance(value, numbers.Real) and math.isfinite(value) and value == int(value))
        if isinstance(value, bool) or not whole or value < minimum:
            raise OptionError(f"{label(name)} must be a whole number >= {minimum}, got {value!r}")
        return int(value)

    return check


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"{label(name)} must be True or False, got {value!r}")
    return value


def _classes(name: str, value: Any) -> tuple[int | str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, (str, int)) else value
    if not isinstance(items, Iterable):
        raise OptionError(f"{label(name)} must be class ids or names, got {value!r}")
    out = tuple(items)
    bad = [c for c in out if isinstance(c, bool) or not isinstance(c, (numbers.Integral, str))]
    if bad or not out:
        raise OptionError(f"{label(name)} must be one or more class ids or names, got {value!r}")
    return tuple(c if isinstance(c, str) else int(c) for c in out)


def _callable(name: str, value: Any) -> Any:
    if value is not None and not callable(value):
        raise OptionError(f"{name} must be a function of the raw outputs, got {type(value).__name__}")
    return value


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "input_hw": _size, "tile_hw": _size, "confidence": _flag, "low_res_masks": _flag, "flip": _flag,
    "classes": _classes,
    "conf": _fraction, "iou": _fraction, "min_conf": lambda n, v: _fraction(n, v, optional=True),
    "min_area": _count(0), "max_det": _count(1), "output_filter": _callable,
}
