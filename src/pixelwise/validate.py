"""Measuring a model on a labelled dataset through the real inference path (ONNX Runtime)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .data.config import DatasetConfig, load_dataset_config
from .data.formats import read_split
from .io.image import read_image
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
    samples = read_split(cfg, split).samples[:limit]
    fill = cfg.ignore_index if cfg.ignore_index is not None else 255
    cm = ConfusionMatrix(cfg.num_classes, cfg.ignore_index if cfg.ignore_index is not None else 255)
    for sample in tqdm(samples, desc=f"validating {split}", disable=not progress, file=sys.stderr, leave=False):
        image = read_image(sample.image)
        label = sample.semantic_map(fill)
        if label.shape != image.shape[:2]:
            raise DatasetError(f"{sample.record}: label size {label.shape} differs from the image {image.shape[:2]}")
        cm.update(label, seg.predict_array(image, classes=None).semantic)
    return ValidationReport(cfg.classes, cm.metrics(), len(samples), split)
