"""Measuring a model on a labelled dataset through the real inference path (ONNX Runtime)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .data.config import DatasetConfig, load_dataset_config
from .data.masks import list_pairs, read_pair
from .errors import DatasetError
from .eval.confusion import ConfusionMatrix, SemanticMetrics
from .segmenter import Segmenter

__all__ = ["ValidationReport", "validate"]


@dataclass(frozen=True)
class ValidationReport:
    classes: tuple[str, ...]
    metrics: SemanticMetrics
    images: int
    split: str

    def to_dict(self) -> dict:
        return {"split": self.split, "images": self.images, **self.metrics.to_dict(self.classes)}

    def table(self) -> str:
        rows = [f"{'class':<14}{'IoU':>8}"]
        rows += [f"{n:<14}{v:>8.2f}" for n, v in zip(self.classes, self.metrics.iou)]
        m = self.metrics
        rows.append(f"{'mIoU':<14}{m.miou:>8.2f}")
        rows.append(f"{'pixel acc':<14}{m.pixel_accuracy:>8.2f}")
        rows.append(f"{'fw IoU':<14}{m.fw_iou:>8.2f}")
        return "\n".join(rows)


def _check_classes(seg: Segmenter, cfg: DatasetConfig) -> None:
    if tuple(seg.names) != tuple(cfg.classes):
        raise DatasetError(f"{cfg.source}: the model's classes {list(seg.names)} differ from the dataset's "
                           f"{list(cfg.classes)}")


def validate(seg: Segmenter, data: str | Path, split: str = "val", progress: bool = True,
             limit: int | None = None) -> ValidationReport:
    """Confusion matrix of ``seg`` over a split (streaming: constant memory)."""
    from tqdm import tqdm

    cfg = load_dataset_config(data)
    _check_classes(seg, cfg)
    split_path = getattr(cfg, split, None)
    if split_path is None:
        raise DatasetError(f"{cfg.source}: no {split!r} split")
    pairs = list_pairs(split_path, cfg.root)[:limit]
    cm = ConfusionMatrix(cfg.num_classes, cfg.ignore_index)
    for image_path, label_path in tqdm(pairs, desc=f"validating {split}", disable=not progress, file=sys.stderr,
                                       leave=False):
        image, label = read_pair(image_path, label_path)
        cm.update(label, seg.predict_array(image, classes=None).semantic)
    return ValidationReport(cfg.classes, cm.metrics(), len(pairs), split)
