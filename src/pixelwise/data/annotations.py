"""The common in-memory form of every dataset format.

A :class:`LabelledSet` is a class list plus samples; a :class:`Sample` is an image path,
its size, and either a semantic class map (mask formats) or objects (polygon / RLE
formats). Each format module reads into and writes from this form, so any format can be
converted to any other and trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..errors import DatasetError
from ..ops import masks as mask_ops
from .masks import MaskValues

__all__ = ["Object", "Sample", "LabelledSet", "SkipLog"]

T = TypeVar("T")


@dataclass
class Object:
    """One labelled region: polygons (list of (K, 2) float x, y) or a COCO RLE."""

    class_id: int
    polygons: list[np.ndarray] = field(default_factory=list)
    rle: dict | None = None
    iscrowd: bool = False
    score: float | None = None

    def mask(self, hw: tuple[int, int]) -> np.ndarray:
        if self.rle is not None:
            m = mask_ops.decode_rle([self.rle])[0]
            if m.shape != hw:
                raise DatasetError(f"RLE of size {m.shape} does not match the image size {hw}")
            return m
        return mask_ops.polygons_to_mask(self.polygons, hw)


@dataclass
class Sample:
    image: Path
    hw: tuple[int, int]
    objects: list[Object] | None = None
    semantic: np.ndarray | None = None  # (H, W) class ids, for mask formats
    record: str = ""  # where it came from (file:line, annotation id), for messages
    semantic_path: Path | None = None  # mask formats: the label PNG, read on demand
    mask_values: MaskValues | None = None  # mask formats: label_mapping and the class-id range check
    background: int | None = None  # polygon formats: the class of pixels no object covers (else ``fill``)

    def semantic_map(self, fill: int) -> np.ndarray:
        """(H, W) uint8 class ids: the mask itself, or the objects painted in order over the background."""
        if self.semantic is None and self.semantic_path is not None:
            return self._read_label()
        if self.semantic is not None:
            return self.semantic
        out = np.full(self.hw, fill if self.background is None else self.background, dtype=np.uint8)
        for obj in self.objects or []:
            out[obj.mask(self.hw)] = obj.class_id
        return out

    def _read_label(self) -> np.ndarray:
        from .checks import one_line_error
        from .masks import read_mask

        try:
            sem = read_mask(self.semantic_path, self.mask_values)  # type: ignore[arg-type]
            if sem.shape != self.hw:
                raise DatasetError(f"{self.semantic_path}: mask is {sem.shape[0]}x{sem.shape[1]} but the image "
                                   f"{self.image.name} is {self.hw[0]}x{self.hw[1]}")
        except DatasetError as exc:
            raise one_line_error(exc) from None
        return sem

    def instance_objects(self, class_ids: tuple[int, ...] | None = None, min_area: int = 1) -> list[Object]:
        """Objects as given, or connected regions of the semantic map (``class_ids``: which classes)."""
        if self.objects is not None:
            return self.objects
        sem = self.semantic_map(255)
        ids = class_ids if class_ids is not None else tuple(int(c) for c in np.unique(sem))
        _, cls, labels, _ = mask_ops.components(sem, ids, min_area)
        objects = []
        for i, cid in enumerate(cls):
            polys = mask_ops.mask_to_polygons(labels == i + 1)
            if polys:
                objects.append(Object(int(cid), polys))
        return objects


@dataclass
class LabelledSet:
    classes: tuple[str, ...]
    samples: list[Sample]
    colours: tuple[tuple[int, int, int], ...] = ()
    ignore_index: int | None = None
    things: tuple[str, ...] = ()
    skipped: list[str] = field(default_factory=list)
    background: int | None = None  # polygon formats: class id of pixels no object covers

    def check(self) -> None:
        """Class ids in range and unique image names (formats key files by name)."""
        names: dict[str, str] = {}
        for s in self.samples:
            if s.image.name in names and names[s.image.name] != str(s.image):
                raise DatasetError(f"{s.record or s.image}: duplicate image file name {s.image.name!r} "
                                   f"(also {names[s.image.name]})")
            names[s.image.name] = str(s.image)
            for obj in s.objects or []:
                if not 0 <= obj.class_id < len(self.classes):
                    raise DatasetError(f"{s.record or s.image}: class id {obj.class_id} outside the "
                                       f"{len(self.classes)} classes")


class SkipLog:
    """With ``skip_bad`` a DatasetError is recorded and the record skipped; without, it is raised."""

    def __init__(self, skip_bad: bool) -> None:
        self.skip_bad = skip_bad
        self.skipped: list[str] = []

    def fail(self, message: str) -> None:
        from .checks import one_line

        message = one_line(message)
        if not self.skip_bad:
            raise DatasetError(message)
        self.skipped.append(message)

    def guard(self, parse: Callable[..., T], *args: object) -> T | None:
        """``parse(*args)``; a DatasetError it raises is recorded (None returned) with skip_bad, else raised."""
        try:
            return parse(*args)
        except DatasetError as exc:
            self.fail(str(exc))
            return None
