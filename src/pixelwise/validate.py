"""Measuring a model on a labelled dataset through the real inference path (ONNX Runtime)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .data.config import DatasetConfig, load_dataset_config
from .data.formats import coco, read_split
from .errors import DatasetError
from .eval.coco_ap import mask_ap
from .eval.confusion import ConfusionMatrix, SemanticMetrics
from .eval.panoptic import PanopticQuality, panoptic_from_labels
from .io.image import read_image
from .segmenter import Segmenter

__all__ = ["ValidationReport", "validate"]


@dataclass(frozen=True)
class ValidationReport:
    classes: tuple[str, ...]
    metrics: SemanticMetrics
    images: int
    split: str
    confusion: np.ndarray | None = None
    instances: dict[str, float] | None = None  # mask AP / AP50 / AP75 over the thing classes
    panoptic: dict | None = None  # PQ / SQ / RQ (all, things, stuff, per class): eval/panoptic.py

    def to_dict(self) -> dict:
        out = {"split": self.split, "images": self.images, **self.metrics.to_dict(self.classes)}
        if self.instances is not None:
            out["instances"] = self.instances
        if self.panoptic is not None:
            out["panoptic"] = self.panoptic
        return out

    def table(self) -> str:
        rows = [f"{'class':<14}{'IoU':>8}"]
        rows += [f"{n:<14}{v:>8.2f}" for n, v in zip(self.classes, self.metrics.iou)]
        m = self.metrics
        rows.append(f"{'mIoU':<14}{m.miou:>8.2f}")
        rows.append(f"{'pixel acc':<14}{m.pixel_accuracy:>8.2f}")
        rows.append(f"{'fw IoU':<14}{m.fw_iou:>8.2f}")
        if self.instances is not None:
            rows += [f"{'mask ' + k:<14}{v:>8.2f}" for k, v in self.instances.items()]
        if self.panoptic is not None:
            rows.append(f"{'panoptic':<14}{'PQ':>8}{'SQ':>8}{'RQ':>8}{'N':>5}")
            rows += [f"{'  ' + k:<14}{v['PQ']:>8.2f}{v['SQ']:>8.2f}{v['RQ']:>8.2f}{v['n']:>5}"
                     for k, v in self.panoptic.items() if k != "per_class"]
        return "\n".join(rows)


def _check_classes(seg: Segmenter, cfg: DatasetConfig) -> None:
    last = cfg.num_classes - 1  # polygon datasets may end with a background class the model lacks: its
    if cfg.background == last and tuple(seg.names) == tuple(cfg.classes[:last]):  # 255 ("no object") counts there
        return
    if tuple(seg.names) != tuple(cfg.classes):
        raise DatasetError(f"{cfg.source}: the model's classes {list(seg.names)} differ from the dataset's "
                           f"{list(cfg.classes)}")


def validate(seg: Segmenter, data: str | Path, split: str = "val", progress: bool = True,
             limit: int | None = None, instances: bool = False, panoptic: bool = False) -> ValidationReport:
    """Confusion matrix of ``seg`` over a split (streaming: constant memory).

    ``instances=True`` also scores the objects of the thing classes with COCO mask AP
    (pycocotools); ground-truth objects are the dataset's own, or connected regions of
    the class maps for mask formats. ``panoptic=True`` also scores ``res.panoptic()`` with
    PQ / SQ / RQ against stuff classes plus those regions (eval/panoptic.py).
    """
    from tqdm import tqdm

    cfg = load_dataset_config(data)
    _check_classes(seg, cfg)
    samples = read_split(cfg, split).samples[:limit]
    fill = cfg.ignore_index if cfg.ignore_index is not None else 255
    cm = ConfusionMatrix(cfg.num_classes, fill)
    things = tuple(cfg.classes.index(t) for t in cfg.things)
    images: list[Any] = []
    gts: list[Any] = []
    dts: list[Any] = []
    pq = PanopticQuality(cfg.num_classes, things) if panoptic else None
    for k, sample in enumerate(tqdm(samples, desc=f"validating {split}", disable=not progress, file=sys.stderr,
                                    leave=False), 1):
        image = read_image(sample.image)
        label = sample.semantic_map(fill)
        if label.shape != image.shape[:2]:
            raise DatasetError(f"{sample.record}: label size {label.shape} differs from the image {image.shape[:2]}")
        res = seg.predict_array(image, classes=None)
        cm.update(label, res.semantic)
        if pq is not None:
            pq.update(*panoptic_from_labels(label, things, cfg.num_classes, seg.options.min_area), *res.panoptic())
        if instances and things:
            images.append({"id": k, "height": label.shape[0], "width": label.shape[1]})
            for obj in sample.instance_objects(things, min_area=seg.options.min_area):
                if obj.class_id in things:
                    gts.append(coco.annotation(obj, label.shape, k, len(gts) + 1, "rle"))
            dts += [{**a, "image_id": k} for a in res.to_coco(k)["annotations"] if a["category_id"] - 1 in things]
    ap = None
    if instances and things:
        cats = [{"id": c + 1, "name": cfg.classes[c]} for c in things]
        ap = mask_ap(images, gts, dts, cats)
    return ValidationReport(cfg.classes, cm.metrics(), len(samples), split, cm.counts.copy(), ap,
                            pq.to_dict(cfg.classes) if pq is not None else None)
