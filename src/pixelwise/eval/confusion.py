"""Semantic-segmentation metrics from one confusion matrix.

The matrix is accumulated once (streaming, constant memory); every metric is derived
from its counts: rows are ground truth, columns predictions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ConfusionMatrix", "SemanticMetrics"]


@dataclass(frozen=True)
class SemanticMetrics:
    iou: np.ndarray  # (C,) float64, NaN for classes absent from both truth and prediction
    miou: float
    pixel_accuracy: float
    mean_accuracy: float
    fw_iou: float

    def to_dict(self, classes: tuple[str, ...] | list[str] | None = None) -> dict:
        names = list(classes) if classes is not None else [str(i) for i in range(len(self.iou))]
        return {
            "miou": self.miou,
            "pixel_accuracy": self.pixel_accuracy,
            "mean_accuracy": self.mean_accuracy,
            "fw_iou": self.fw_iou,
            "iou": {n: (None if np.isnan(v) else float(v)) for n, v in zip(names, self.iou)},
        }


class ConfusionMatrix:
    """Accumulates a (C, C) confusion matrix, skipping ``ignore_index`` in the truth."""

    def __init__(self, num_classes: int, ignore_index: int | None = None) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.counts = np.zeros((num_classes, num_classes), dtype=np.int64)

    def update(self, truth: np.ndarray, pred: np.ndarray) -> None:
        if truth.shape != pred.shape:
            raise ValueError(f"truth and prediction shapes differ: {truth.shape} vs {pred.shape}")
        t = truth.reshape(-1).astype(np.int64)
        p = pred.reshape(-1).astype(np.int64)
        keep = (t >= 0) & (t < self.num_classes)
        if self.ignore_index is not None:
            keep &= t != self.ignore_index
        t, p = t[keep], p[keep]
        p = np.clip(p, 0, self.num_classes - 1)
        self.counts += np.bincount(t * self.num_classes + p, minlength=self.num_classes**2).reshape(
            self.num_classes, self.num_classes
        )

    def merge(self, other: "ConfusionMatrix") -> None:
        self.counts += other.counts

    def metrics(self) -> SemanticMetrics:
        c = self.counts.astype(np.float64)
        tp = np.diag(c)
        gt = c.sum(axis=1)
        pr = c.sum(axis=0)
        union = gt + pr - tp
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = np.where(union > 0, tp / union, np.nan)
            acc = np.where(gt > 0, tp / gt, np.nan)
        total = c.sum()
        freq = gt / total if total else gt
        valid = ~np.isnan(iou)
        return SemanticMetrics(
            iou=iou * 100.0,
            miou=float(np.nanmean(iou) * 100.0) if valid.any() else 0.0,
            pixel_accuracy=float(tp.sum() / total * 100.0) if total else 0.0,
            mean_accuracy=float(np.nanmean(acc) * 100.0) if (~np.isnan(acc)).any() else 0.0,
            fw_iou=float((freq[valid] * iou[valid]).sum() * 100.0),
        )
