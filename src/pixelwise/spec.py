"""ModelSpec: what a model needs to be used, travelling inside the model file.

The spec is stored as JSON under the ONNX metadata key ``pixelwise.spec`` (see
``docs/decisions.md``). Sizes are height x width.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .errors import ModelError

__all__ = ["SPEC_KEY", "SPEC_VERSION", "IMAGENET_MEAN", "IMAGENET_STD", "ModelSpec", "default_colours"]

SPEC_KEY = "pixelwise.spec"
SPEC_VERSION = 1
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# adapter name -> the kind of result it gives ("semantic": a class per pixel; "instance":
# objects with boxes and masks). The adapters carry the same ``kind``; a contract test
# keeps the two in step (spec is a leaf module and cannot import the adapters).
ADAPTER_KINDS = {"semantic": "semantic", "yolo_sem": "semantic", "yolo_seg": "instance"}
ADAPTERS = tuple(ADAPTER_KINDS)
RESIZE_MODES = ("stretch", "letterbox")


def default_colours(n: int) -> tuple[tuple[int, int, int], ...]:
    """A distinct, deterministic RGB colour per class (the PASCAL VOC bit pattern)."""
    out = []
    for i in range(n):
        r = g = b = 0
        c = i + 1
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        out.append((r, g, b))
    return tuple(out)


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to pre-process, decode and present a model's output.

    Attributes:
        adapter: model family that decodes the outputs ("semantic", "yolo_sem" or "yolo_seg").
        input_hw: (height, width) the model was trained at; dynamic models accept others.
        classes: class names, index = class id.
        colours: RGB colour per class.
        things: names of classes whose connected regions become instances.
        mean, std: per-channel RGB normalisation applied to pixels scaled to 0..1.
        resize: "stretch" (plain resize) or "letterbox" (keep aspect, pad).
        pad_value: the grey level (0-255, every channel) of letterbox padding: Ultralytics'
            114 unless the model learnt another (pixelwise's training pads crops with 0).
        dynamic: whether the model accepts input sizes other than ``input_hw``.
        stride: the model's largest downsampling factor; a dynamic letterbox model gets
            the smallest canvas that fits the image and is a multiple of it (rectangular
            inference, as Ultralytics runs dynamic exports).
        layout: the adapter's output layout when it has several ("" = its default; yolo_seg:
            "classic" or "end2end"; semantic models: "ids" when they output class ids only).
        ignore_index: label id ignored in training and metrics (None if none).
        provenance: free-form training record (command, seed, data, date).
        scores: measured scores (e.g. {"val_miou": 61.2, "val_iou": {...}}).
    """

    adapter: str = "semantic"
    input_hw: tuple[int, int] = (360, 480)
    classes: tuple[str, ...] = ()
    colours: tuple[tuple[int, int, int], ...] = ()
    things: tuple[str, ...] = ()
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    resize: str = "stretch"
    pad_value: int = 114  # = ops.letterbox.PAD_VALUE (a contract test keeps the two in step)
    dynamic: bool = False
    stride: int = 32
    ignore_index: int | None = None
    layout: str = ""
    name: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)
    spec_version: int = SPEC_VERSION

    def __post_init__(self) -> None:
        if self.adapter not in ADAPTERS:
            raise ModelError(f"unknown adapter {self.adapter!r}; expected one of {', '.join(ADAPTERS)}")
        if self.resize not in RESIZE_MODES:
            raise ModelError(f"unknown resize mode {self.resize!r}; expected one of {', '.join(RESIZE_MODES)}")
        if not isinstance(self.pad_value, int) or isinstance(self.pad_value, bool) or not 0 <= self.pad_value <= 255:
            raise ModelError(f"pad_value must be a whole grey level 0-255, got {self.pad_value!r}")
        hw = tuple(int(v) for v in self.input_hw)
        if len(hw) != 2 or min(hw) < 1:
            raise ModelError(f"input_hw must be (height, width) > 0, got {self.input_hw!r}")
        object.__setattr__(self, "input_hw", hw)
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        colours = tuple(tuple(int(v) for v in c) for c in self.colours) or default_colours(len(self.classes))
        if len(colours) < len(self.classes):
            colours = colours + default_colours(len(self.classes))[len(colours):]
        object.__setattr__(self, "colours", colours)
        object.__setattr__(self, "things", tuple(self.things))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        unknown = [t for t in self.things if t not in self.classes]
        if unknown:
            raise ModelError(f"thing classes {unknown} are not in the class list {list(self.classes)}")

    @property
    def kind(self) -> str:
        """"semantic" (a class per pixel) or "instance" (objects), from the adapter."""
        return ADAPTER_KINDS[self.adapter]

    @property
    def gives_confidence(self) -> bool:
        """Whether the outputs carry scores: False for models that output class ids only
        (``layout`` "ids"), which have no confidence map (``confidence`` / ``min_conf``)."""
        return self.layout != "ids"

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def thing_ids(self) -> tuple[int, ...]:
        return tuple(self.classes.index(t) for t in self.things)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_hw"] = list(self.input_hw)
        d["colours"] = [list(c) for c in self.colours]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "ModelSpec":
        version = int(values.get("spec_version", SPEC_VERSION))
        if version > SPEC_VERSION:
            raise ModelError(
                f"model spec version {version} is newer than this pixelwise understands ({SPEC_VERSION}); "
                "upgrade pixelwise"
            )
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> "ModelSpec":
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(f"model spec is not valid JSON: {exc}") from None
        if not isinstance(values, dict):
            raise ModelError("model spec must be a JSON object")
        return cls.from_dict(values)

    def replace(self, **changes: Any) -> "ModelSpec":
        return replace(self, **changes)
