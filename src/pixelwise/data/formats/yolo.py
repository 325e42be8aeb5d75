"""YOLO-seg: ``images/SPLIT/*.jpg`` + ``labels/SPLIT/*.txt`` (class x1 y1 x2 y2 ... normalised)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ...io.image import IMAGE_SUFFIXES
from ..annotations import LabelledSet, Object, Sample, SkipLog
from .common import image_size, polygon_from_flat, write_text

__all__ = ["read", "write", "labels_dir", "label_rows"]


def labels_dir(images: Path) -> Path:
    """Ultralytics' rule: the last ``images`` path component becomes ``labels``."""
    parts = list(images.parts)
    idx = len(parts) - 1 - parts[::-1].index("images") if "images" in parts else None
    if idx is None:
        return images.parent / "labels"
    parts[idx] = "labels"
    return Path(*parts)


def read(images: Path, classes: tuple[str, ...], log: SkipLog) -> LabelledSet:
    labels = labels_dir(images)
    samples = []
    for img in sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        hw = image_size(img, str(img), log)
        if hw is None:
            continue
        txt = labels / f"{img.stem}.txt"
        objects = []
        lines = txt.read_text().splitlines() if txt.is_file() else []
        for lineno, line in enumerate(lines, 1):
            where = f"{txt}:{lineno}"
            parts = line.split()
            if not parts:
                continue
            try:
                cid, values = int(parts[0]), [float(v) for v in parts[1:]]
            except ValueError:
                log.fail(f"{where}: expected 'class x1 y1 x2 y2 ...', got {line[:60]!r}")
                continue
            if not 0 <= cid < len(classes):
                log.fail(f"{where}: class id {cid} outside the {len(classes)} classes")
                continue
            poly = polygon_from_flat(values, hw, where, log, normalised=True)
            if poly is not None:
                objects.append(Object(cid, [poly]))
        samples.append(Sample(img, hw, objects=objects, record=str(txt)))
    return LabelledSet(classes, samples)


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
