"""Panoptic quality (PQ), segmentation quality (SQ) and recognition quality (RQ), from the
definition of Kirillov et al., "Panoptic Segmentation" (CVPR 2019).

Per image, a predicted and a ground-truth segment of the same category *match* when their
IoU is above 0.5 (such a match is unique). With TP the matched pairs, FP the unmatched
predicted segments and FN the unmatched ground-truth segments of a category::

    PQ = sum(IoU over TP) / (|TP| + |FP| / 2 + |FN| / 2) = SQ * RQ
    SQ = sum(IoU over TP) / |TP|         RQ = |TP| / (|TP| + |FP| / 2 + |FN| / 2)

Void (ground-truth id 0: ignore labels, and regions the labels leave out) as in the paper:
void pixels are removed from the predicted segments before the IoU is computed, and a
predicted segment that is more than half void is not counted as a false positive.
Ground-truth segments marked ``iscrowd`` are never matched nor missed; a prediction of their
category that lies mostly on them and void is not a false positive either. Categories that
appear in neither the ground truth nor the predictions are left out of the averages; "things"
and "stuff" average over the thing and stuff categories separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ops.masks import CroppedMasks
from ..ops.panoptic import PanopticRule, merge

__all__ = ["PanopticQuality", "PQScores", "panoptic_from_labels", "MATCH_IOU"]

MATCH_IOU = 0.5


@dataclass(frozen=True)
class PQScores:
    """PQ, SQ, RQ in percent over ``n`` categories (0 when n is 0)."""

    pq: float
    sq: float
    rq: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return {"PQ": round(self.pq, 3), "SQ": round(self.sq, 3), "RQ": round(self.rq, 3), "n": self.n}


def panoptic_from_labels(label: np.ndarray, thing_ids: Sequence[int], num_classes: int, min_area: int = 1
                         ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Ground truth from a class map: one segment per stuff class present, one per connected
    region (8-connectivity) of a thing class of at least ``min_area`` pixels; ignore labels
    and smaller thing regions are void (0)."""
    stuff = [c for c in range(num_classes) if c not in set(thing_ids)]
    return merge(label, stuff, CroppedMasks.empty(label.shape), np.zeros(0, np.int32), np.zeros(0, np.float32),
                 thing_ids=thing_ids, rule=PanopticRule(min_area=min_area))


def _pair_areas(gt: np.ndarray, pred: np.ndarray) -> dict[tuple[int, int], int]:
    """Pixel counts of every (ground-truth id, predicted id) pair present."""
    base = int(pred.max(initial=0)) + 1
    joint = gt.astype(np.int64) * base + pred.astype(np.int64)
    keys, counts = np.unique(joint, return_counts=True)
    return {(int(k // base), int(k % base)): int(c) for k, c in zip(keys, counts)}


class PanopticQuality:
    """Accumulates TP, FP, FN and matched IoU per category over images; then PQ / SQ / RQ."""

    def __init__(self, num_classes: int, thing_ids: Sequence[int]) -> None:
        self.num_classes = num_classes
        self.thing_ids = tuple(int(t) for t in thing_ids)
        self.tp = np.zeros(num_classes, np.int64)
        self.fp = np.zeros(num_classes, np.int64)
        self.fn = np.zeros(num_classes, np.int64)
        self.iou = np.zeros(num_classes, np.float64)

    def update(self, gt: np.ndarray, gt_info: list[dict[str, Any]], pred: np.ndarray,
               pred_info: list[dict[str, Any]]) -> None:
        """One image: (H, W) segment-id maps (0 = void) and their ``segments_info``
        (``category_id`` = class id; ground truth may carry ``iscrowd``)."""
        if gt.shape != pred.shape:
            raise ValueError(f"prediction: expected segment map of {gt.shape}, got {pred.shape}")
        pairs = _pair_areas(gt, pred)
        gts = {s["id"]: s for s in gt_info}
        preds = {s["id"]: s for s in pred_info}
        g_area = {k: 0 for k in gts}
        p_area = {k: 0 for k in preds}
        for (g, p), n in pairs.items():
            g_area[g] = g_area.get(g, 0) + n
            p_area[p] = p_area.get(p, 0) + n
        matched_g, matched_p = self._match(pairs, gts, preds, g_area, p_area)
        crowd = {s["category_id"]: s["id"] for s in gt_info if s.get("iscrowd")}
        for g, s in gts.items():
            if g not in matched_g and not s.get("iscrowd"):
                self.fn[s["category_id"]] += 1
        for p, s in preds.items():
            if p in matched_p or p_area[p] == 0:
                continue
            ignored = pairs.get((0, p), 0) + pairs.get((crowd.get(s["category_id"], -1), p), 0)
            if ignored / p_area[p] <= 0.5:
                self.fp[s["category_id"]] += 1

    def _match(self, pairs: dict[tuple[int, int], int], gts: dict[int, dict], preds: dict[int, dict],
               g_area: dict[int, int], p_area: dict[int, int]) -> tuple[set[int], set[int]]:
        matched_g: set[int] = set()
        matched_p: set[int] = set()
        for (g, p), inter in pairs.items():
            if g not in gts or p not in preds or gts[g].get("iscrowd"):
                continue
            cat = gts[g]["category_id"]
            if cat != preds[p]["category_id"]:
                continue
            union = p_area[p] - pairs.get((0, p), 0) + g_area[g] - inter
            iou = inter / union if union else 0.0
            if iou > MATCH_IOU:
                self.tp[cat] += 1
                self.iou[cat] += iou
                matched_g.add(g)
                matched_p.add(p)
        return matched_g, matched_p

    def per_class(self) -> dict[int, PQScores]:
        """Scores of every category that occurs (in the ground truth or the predictions)."""
        out = {}
        for c in range(self.num_classes):
            tp, fp, fn = int(self.tp[c]), int(self.fp[c]), int(self.fn[c])
            if tp + fp + fn == 0:
                continue
            denom = tp + 0.5 * fp + 0.5 * fn
            iou = float(self.iou[c])
            out[c] = PQScores(100 * iou / denom, 100 * iou / tp if tp else 0.0, 100 * tp / denom, 1)
        return out

    def scores(self, which: str = "all") -> PQScores:
        """Averages over the categories: "all", "things" or "stuff"."""
        if which not in ("all", "things", "stuff"):
            raise ValueError(f"which must be 'all', 'things' or 'stuff', got {which!r}")
        things = set(self.thing_ids)
        keep = [s for c, s in self.per_class().items()
                if which == "all" or (c in things) == (which == "things")]
        if not keep:
            return PQScores(0.0, 0.0, 0.0, 0)
        return PQScores(float(np.mean([s.pq for s in keep])), float(np.mean([s.sq for s in keep])),
                        float(np.mean([s.rq for s in keep])), len(keep))

    def to_dict(self, classes: Sequence[str] | None = None) -> dict[str, Any]:
        name = (lambda c: classes[c]) if classes is not None else str
        return {**{k: self.scores(k).to_dict() for k in ("all", "things", "stuff")},
                "per_class": {name(c): s.to_dict() for c, s in self.per_class().items()}}
