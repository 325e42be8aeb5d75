"""YOLO-seg: ``images/SPLIT/*.jpg`` + ``labels/SPLIT/*.txt`` (class x1 y1 x2 y2 ... normalised)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from ...io.image import IMAGE_SUFFIXES
from .. import checks
from ..annotations import LabelledSet, Object, Sample, SkipLog
from ..masks import swap_component
from . import common
from .common import write_text

__all__ = ["read", "write", "labels_dir", "label_rows"]


def labels_dir(images: Path) -> Path:
    """Ultralytics' rule: the last ``images`` path component becomes ``labels``."""
    return swap_component(images, "images", "labels") or images.parent / "labels"


def image_files(split: Path) -> list[Path]:
    """The images of a split: a folder, or an Ultralytics list file (one image path per line)."""
    if split.is_dir():
        return sorted(p for p in split.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if split.is_file():
        lines = [ln.strip() for ln in checks.read_text(split, "image list").splitlines()]
        return [(split.parent / ln).resolve() if not Path(ln).is_absolute() else Path(ln)
                for ln in lines if ln and not ln.startswith("#")]
    raise DatasetError(f"{split}: YOLO split must be an image folder or a list file of image paths")


def read(images: Path, classes: tuple[str, ...], log: SkipLog) -> LabelledSet:
    samples = [s for s in (log.guard(_sample, img, classes, log) for img in image_files(images)) if s is not None]
    return LabelledSet(classes, samples)


def _sample(img: Path, classes: tuple[str, ...], log: SkipLog) -> Sample:
    hw = common.image_size(img, str(img))
    txt = labels_dir(img.parent) / f"{img.stem}.txt"
    lines = checks.read_text(txt, "label file").splitlines() if txt.exists() else []
    objects = []
    for lineno, line in enumerate(lines, 1):
        if line.strip():
            obj = log.guard(_object, line, f"{txt}:{lineno}", hw, len(classes))
            if obj is not None:
                objects.append(obj)
    return Sample(img, hw, objects=objects, record=str(txt))


def _object(line: str, where: str, hw: tuple[int, int], num_classes: int) -> Object:
    """``class x1 y1 x2 y2 ...`` (a polygon) or ``class cx cy w h`` (a box), normalised to [0, 1]."""
    parts = line.split()
    cid = checks.integer(parts[0], where, "class id", from_text=True)
    if not 0 <= cid < num_classes:
        raise DatasetError(f"{where}: class id {cid} outside the {num_classes} classes (0-{num_classes - 1})")
    values = parts[1:]
    if len(values) == 4:  # a detection box: the same rectangle as a polygon
        cx, cy, bw, bh = (checks.number(v, where, "box value", 0, 1, from_text=True) for v in values)
        x0, y0, x1, y1 = cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2
        values = [x0, y0, x1, y0, x1, y1, x0, y1]
    return Object(cid, [checks.polygon(values, hw, where, normalised=True, from_text=True)])


def label_rows(sample: Sample, num_classes: int) -> list[str]:
    """``class x1 y1 x2 y2 ...`` lines (normalised) of one sample; masks are traced to polygons."""
    from ...ops.masks import mask_to_polygons

    h, w = sample.hw
    rows = []
    for o in sample.instance_objects(tuple(range(num_classes))):
        for p in o.polygons or mask_to_polygons(o.mask(sample.hw)):
            norm = (np.asarray(p) / np.array([w, h])).reshape(-1)
            rows.append(f"{o.class_id} " + " ".join(f"{v:.6f}" for v in norm))
    return rows


def write(ds: LabelledSet, out: Path, split: str, fill: int) -> str:
    for s in ds.samples:
        dst = out / "images" / split / s.image.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s.image, dst)
        rows = label_rows(s, len(ds.classes))
        write_text(out / "labels" / split / f"{s.image.stem}.txt", "\n".join(rows) + ("\n" if rows else ""))
    return f"images/{split}"
