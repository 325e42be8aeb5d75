"""How far two runs of a model agree, per class: an INT8 file vs its FP32 original, a backend vs another.

Semantic results: the share of equal pixels, and per class the IoU of the two class masks.
Instance results: per class the detections on each side, how many pair up (same class,
box IoU >= 0.5, greedy best-first) and how many of those at box IoU >= 0.99 (auto's bar).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..ops import boxes as box_ops
from ..result import Result

__all__ = ["ClassAgreement", "AgreementReport", "compare_results", "match_boxes"]


@dataclass(frozen=True)
class ClassAgreement:
    name: str
    reference: int  # pixels (semantic) or detections (instance) in the reference
    other: int
    iou: float | None  # semantic: IoU of the class masks; instance: mean box IoU of the matched pairs
    matched: int = 0  # instance: pairs at IoU >= 0.5
    exact: int = 0  # instance: pairs at IoU >= 0.99


@dataclass(frozen=True)
class AgreementReport:
    kind: str
    images: int
    overall: float  # semantic: pixel agreement; instance: share of detections matched at IoU >= 0.99
    classes: tuple[ClassAgreement, ...]

    def lines(self) -> list[str]:
        if self.kind == "semantic":
            head = [f"pixel agreement {self.overall * 100:.2f}% over {self.images} image(s)",
                    f"  {'class':<16}{'ref px':>10}{'other px':>10}{'IoU':>8}"]
            rows = [f"  {c.name:<16}{c.reference:>10}{c.other:>10}{_pct(c.iou):>8}" for c in self.classes]
        else:
            head = [f"detections matched at box IoU >= 0.99: {self.overall * 100:.1f}% over {self.images} image(s)",
                    f"  {'class':<16}{'ref':>6}{'other':>7}{'IoU>=.5':>9}{'IoU>=.99':>10}{'mean IoU':>10}"]
            rows = [f"  {c.name:<16}{c.reference:>6}{c.other:>7}{c.matched:>9}{c.exact:>10}{_pct(c.iou):>10}"
                    for c in self.classes]
        return head + rows


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}"


def match_boxes(a_xyxy: np.ndarray, a_cls: np.ndarray, b_xyxy: np.ndarray, b_cls: np.ndarray,
                min_iou: float = 0.5) -> list[tuple[int, int, float]]:
    """Greedy one-to-one pairs (i, j, iou) of the same class, best IoU first, IoU >= ``min_iou``."""
    if not len(a_xyxy) or not len(b_xyxy):
        return []
    iou = box_ops.box_iou(a_xyxy, b_xyxy)
    iou[a_cls[:, None] != b_cls[None, :]] = 0.0
    pairs = []
    while iou.max() >= min_iou:
        i, j = np.unravel_index(int(iou.argmax()), iou.shape)
        pairs.append((int(i), int(j), float(iou[i, j])))
        iou[i, :], iou[:, j] = -1.0, -1.0
    return pairs


def compare_results(reference: Sequence[Result], other: Sequence[Result], kind: str,
                    classes: Sequence[str]) -> AgreementReport:
    """Per-class agreement of two equally long lists of Results of the same images."""
    if kind == "semantic":
        return _semantic(reference, other, classes)
    return _instance(reference, other, classes)


def _semantic(reference: Sequence[Result], other: Sequence[Result], classes: Sequence[str]) -> AgreementReport:
    n = len(classes)
    inter, ref_px, oth_px = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    equal = total = 0
    for a, b in zip(reference, other):
        sa, sb = a.semantic.ravel().astype(np.int64), b.semantic.ravel().astype(np.int64)
        equal += int((sa == sb).sum())
        total += sa.size
        valid = (sa < n) & (sb < n)
        ref_px += np.bincount(sa[sa < n], minlength=n)
        oth_px += np.bincount(sb[sb < n], minlength=n)
        inter += np.bincount(sa[valid & (sa == sb)], minlength=n)
    union = ref_px + oth_px - inter
    rows = tuple(ClassAgreement(name, int(ref_px[c]), int(oth_px[c]),
                                float(inter[c] / union[c]) if union[c] else None) for c, name in enumerate(classes))
    return AgreementReport("semantic", len(reference), equal / max(total, 1), rows)


def _instance(reference: Sequence[Result], other: Sequence[Result], classes: Sequence[str]) -> AgreementReport:
    n = len(classes)
    ref_n, oth_n, matched, exact = (np.zeros(n, np.int64) for _ in range(4))
    ious: list[list[float]] = [[] for _ in range(n)]
    for a, b in zip(reference, other):
        ia, ib = a.instances, b.instances
        ref_n += np.bincount(ia.class_ids, minlength=n)[:n]
        oth_n += np.bincount(ib.class_ids, minlength=n)[:n]
        for i, _, iou in match_boxes(ia.boxes_xyxy, ia.class_ids, ib.boxes_xyxy, ib.class_ids):
            c = int(ia.class_ids[i])
            matched[c] += 1
            exact[c] += iou >= 0.99
            ious[c].append(iou)
    rows = tuple(ClassAgreement(name, int(ref_n[c]), int(oth_n[c]), float(np.mean(ious[c])) if ious[c] else None,
                                int(matched[c]), int(exact[c])) for c, name in enumerate(classes))
    most = int(np.maximum(ref_n, oth_n).sum())
    return AgreementReport("instance", len(reference), float(exact.sum() / most) if most else 1.0, rows)
