"""Panoptic merging: a semantic class map plus instance masks -> one segment per stuff class
and one per object (COCO panoptic style), as pure numpy functions.

The rule (documented in docs/panoptic.md):

1. Instances are mapped to the semantic model's classes (:func:`class_lut`); an instance
   whose class has no counterpart, or whose score is below ``rule.score``, is dropped.
2. The rest claim pixels in descending score order: a pixel belongs to the best-scoring
   instance that covers it. An instance keeps its segment only if the part it claims is at
   least ``rule.overlap`` of its own mask and at least ``rule.min_area`` pixels (otherwise
   its pixels fall back to the semantic map, as for a dropped one).
3. Pixels no instance claims keep their semantic class: each stuff class present is one
   segment. Pixels of a thing class (``rule.leftover``): with ``"absorb"`` (the default), a
   connected region of unclaimed pixels of a thing class joins the instance of that class it
   touches along most pixels (a semantic car region extends the car instance over it, rather
   than leaving a rim of its own); regions that touch no instance of their class become one
   segment each if they have at least ``rule.min_area`` pixels (the semantic model's own
   objects). ``"components"`` skips the absorbing; ``"void"`` leaves all those pixels void.
   Other values (ignore, no object) are void: id 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..errors import OptionError
from . import masks as mask_ops
from .masks import CroppedMasks

__all__ = ["PanopticRule", "class_lut", "claim", "merge", "segment_info", "LEFTOVERS"]

LEFTOVERS = ("components", "absorb", "void")
UNMATCHED = -1


@dataclass(frozen=True)
class PanopticRule:
    """How instances and a semantic map are merged (see the module docstring).

    Attributes:
        score: instances scoring below this are dropped (their pixels keep the semantic class).
        overlap: an instance keeps its segment only if it claims at least this share of its mask.
        min_area: smallest segment (pixels) an instance or a leftover thing region keeps.
        leftover: thing-class pixels no instance claims: "absorb" (regions an instance of
            their class touches join it, the others are segments), "components" (one segment
            per connected region) or "void".
    """

    score: float = 0.5
    overlap: float = 0.5
    min_area: int = 64
    leftover: str = "absorb"

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0 or not 0.0 <= self.overlap <= 1.0:
            raise OptionError(f"panoptic score and overlap must be in 0..1, got {self.score} and {self.overlap}")
        if self.min_area < 1:
            raise OptionError(f"panoptic min_area must be >= 1 pixel, got {self.min_area}")
        if self.leftover not in LEFTOVERS:
            raise OptionError(f"panoptic leftover must be one of {', '.join(LEFTOVERS)}, got {self.leftover!r}")


def class_lut(thing_names: Sequence[str], semantic_names: Sequence[str],
              mapping: Mapping[str, str] | None = None) -> np.ndarray:
    """(len(thing_names),) int32: the semantic class id of each things-model class, -1 if none.

    ``mapping`` pairs a things-model name with a semantic name (``{"person": "pedestrian"}``);
    names it does not mention map to the semantic class of the same name, if there is one.
    """
    mapping = dict(mapping or {})
    unknown = [k for k in mapping if k not in thing_names]
    if unknown:
        raise OptionError(f"things map: {unknown[0]!r} is not a class of the things model; "
                          f"its classes are: {', '.join(thing_names)}")
    bad = [v for v in mapping.values() if v not in semantic_names]
    if bad:
        raise OptionError(f"things map: {bad[0]!r} is not a class of the semantic model; "
                          f"its classes are: {', '.join(semantic_names)}")
    lut = np.full(len(thing_names), UNMATCHED, dtype=np.int32)
    for i, name in enumerate(thing_names):
        target = mapping.get(name, name)
        if target in semantic_names:
            lut[i] = list(semantic_names).index(target)
    return lut


def claim(masks: CroppedMasks, class_ids: np.ndarray, scores: np.ndarray, rule: PanopticRule
          ) -> tuple[np.ndarray, np.ndarray]:
    """Which instance owns each pixel: ((H, W) int32 instance index or -1, kept indices by score).

    ``class_ids`` are already in the semantic model's ids (-1 = unmatched, dropped).
    """
    owner = np.full(masks.hw, -1, dtype=np.int32)
    areas = masks.areas()
    kept = []
    for i in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable").tolist():
        if class_ids[i] < 0 or scores[i] < rule.score or areas[i] == 0:
            continue
        (y0, x0), patch = masks.offsets[i].tolist(), masks.patches[i]
        window = owner[y0 : y0 + patch.shape[0], x0 : x0 + patch.shape[1]]
        free = patch & (window < 0)
        visible = int(np.count_nonzero(free))
        if visible < rule.min_area or visible < rule.overlap * areas[i]:
            continue
        window[free] = i
        kept.append(i)
    return owner, np.asarray(kept, dtype=np.int64)


def segment_info(sid: int, category_id: int, isthing: bool, mask: np.ndarray) -> dict[str, Any]:
    """One COCO-panoptic ``segments_info`` entry; ``bbox`` is [x, y, width, height] pixels."""
    x0, y0, x1, y1 = mask_ops.masks_to_boxes(mask[None])[0].tolist()
    return {"id": sid, "category_id": int(category_id), "isthing": bool(isthing), "area": int(np.count_nonzero(mask)),
            "bbox": [x0, y0, x1 - x0, y1 - y0]}


def _absorb(owner: np.ndarray, labels: np.ndarray, comp_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Give each unclaimed thing region (``labels`` 1..K) that touches instances of its own class
    to the one it touches along most pixels (in place on ``owner``); (K,) bool: absorbed."""
    absorbed = np.zeros(len(comp_ids), dtype=bool)
    claimed = owner >= 0
    if not len(comp_ids) or not claimed.any():
        return absorbed
    near = cv2.dilate(labels.astype(np.float32), np.ones((3, 3), np.uint8))  # a neighbouring region's label
    touch = claimed & (near > 0)
    region, inst = near[touch].astype(np.int64) - 1, owner[touch].astype(np.int64)
    same = ids[inst] == comp_ids[region]
    best: dict[int, tuple[int, int]] = {}
    base = int(owner.max()) + 1
    keys, counts = np.unique(region[same] * base + inst[same], return_counts=True)
    for key, n in zip(keys.tolist(), counts.tolist()):
        r, i = divmod(key, base)
        if n > best.get(r, (-1, 0))[1]:
            best[r] = (i, n)
    if best:
        to = np.full(len(comp_ids) + 1, -1, dtype=np.int32)
        for r, (i, _) in best.items():
            to[r + 1] = i
            absorbed[r] = True
        free = labels > 0
        owner[free] = to[labels[free]]
    return absorbed


def _leftover_regions(semantic: np.ndarray, owner: np.ndarray, ids: np.ndarray, thing_ids: tuple[int, ...],
                      rule: PanopticRule) -> tuple[np.ndarray, np.ndarray]:
    """(labels (H, W) int32 of leftover thing regions 1..K, their (K,) class ids): the connected
    regions of unclaimed thing pixels of at least ``rule.min_area`` pixels; "absorb" first hands
    those that touch instances of their class to those instances."""
    none = np.zeros(semantic.shape, np.int32), np.zeros(0, np.int32)
    if rule.leftover == "void" or not thing_ids:
        return none
    rest = np.where(owner < 0, semantic, np.iinfo(semantic.dtype).max).astype(semantic.dtype)
    _, comp_ids, labels, areas = mask_ops.components(rest, thing_ids, 1)
    if not len(comp_ids):
        return none
    absorbed = _absorb(owner, labels, comp_ids, ids) if rule.leftover == "absorb" else np.zeros(len(comp_ids), bool)
    keep = ~absorbed & (areas >= rule.min_area)
    remap = np.zeros(len(comp_ids) + 1, dtype=np.int32)
    remap[1:][keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return remap[labels], comp_ids[keep]


def merge(semantic: np.ndarray, stuff_ids: Sequence[int], masks: CroppedMasks, class_ids: np.ndarray,
          scores: np.ndarray, *, thing_ids: Sequence[int] = (), lut: np.ndarray | None = None,
          rule: PanopticRule = PanopticRule()) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Semantic map + instances -> ((H, W) int32 segment ids, 0 = void; ``segments_info``).

    Args:
        semantic: (H, W) integer class ids of the semantic model.
        stuff_ids: semantic classes that are stuff (one segment each).
        masks, class_ids, scores: N instances (masks on the same (H, W) image).
        thing_ids: semantic classes that are things (their unclaimed pixels: ``rule.leftover``).
        lut: things-model class -> semantic class (:func:`class_lut`); None = already mapped.
        rule: the merging rule.

    Stuff segments come first (in class id order), then the instances by score, then the
    leftover thing regions.
    """
    if semantic.shape != tuple(masks.hw):
        raise ValueError(f"instance masks: expected masks of {semantic.shape}, got {masks.hw}")
    ids = np.asarray(class_ids, dtype=np.int64).reshape(-1)
    if lut is not None:
        lut = np.asarray(lut, dtype=np.int64).reshape(-1)
        known = (ids >= 0) & (ids < len(lut))
        mapped = np.full_like(ids, UNMATCHED)
        mapped[known] = lut[ids[known]]
        ids = mapped
    owner, kept = claim(masks, ids, np.asarray(scores, dtype=np.float32).reshape(-1), rule)
    labels, comp_ids = _leftover_regions(semantic, owner, ids, tuple(int(t) for t in thing_ids), rule)
    seg = np.zeros(semantic.shape, dtype=np.int32)
    info: list[dict[str, Any]] = []
    free = owner < 0

    def add(mask: np.ndarray, category: int, isthing: bool) -> None:
        seg[mask] = len(info) + 1
        info.append(segment_info(len(info) + 1, category, isthing, mask))

    for cid in sorted(set(int(c) for c in stuff_ids)):
        m = free & (semantic == cid)
        if m.any():
            add(m, cid, False)
    for i in kept.tolist():
        add(owner == i, int(ids[i]), True)
    for k, cid in enumerate(comp_ids.tolist()):
        m = free & (labels == k + 1)
        if np.count_nonzero(m) >= rule.min_area:
            add(m, cid, True)
    return seg, info
