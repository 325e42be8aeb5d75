"""Mask-PNG folders: a list file or ``images/SPLIT`` + ``masks/SPLIT`` (single-channel class ids)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..annotations import LabelledSet, Sample, SkipLog
from ..masks import MaskValues, list_pairs
from .common import image_size

__all__ = ["read", "write"]


def read(split: Path, root: Path, classes: tuple[str, ...], log: SkipLog, masks_dir: str | None = None,
         values: MaskValues | None = None) -> LabelledSet:
    samples = []
    for img, lab in list_pairs(split, root, masks_dir):
        hw = log.guard(image_size, img, str(img))
        if hw is not None:
            samples.append(Sample(img, hw, semantic_path=lab, record=str(lab), mask_values=values))
    return LabelledSet(classes, samples)


def write(ds: LabelledSet, out: Path, split: str, fill: int) -> str:
    """Ultralytics' semantic layout: ``images/SPLIT/NAME`` + ``masks/SPLIT/STEM.png`` (class ids, 255 = ignore)."""
    from ...io.image import atomic_write_bytes, encode_png

    old_ignore = ds.ignore_index if ds.ignore_index is not None and ds.ignore_index != fill else None
    for s in ds.samples:
        img = out / "images" / split / s.image.name
        img.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s.image, img)
        sem = s.semantic_map(fill)
        if old_ignore is not None:
            sem = np.where(sem == old_ignore, np.uint8(fill), sem)
        atomic_write_bytes(out / "masks" / split / f"{s.image.stem}.png", encode_png(sem))
    return f"images/{split}"
