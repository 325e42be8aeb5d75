"""Mask-PNG folders: ``images/`` + ``labels/`` (single-channel class ids) + a list file."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..annotations import LabelledSet, Sample, SkipLog
from ..masks import list_pairs
from .common import image_size, write_text

__all__ = ["read", "write"]


def read(split: Path, root: Path, classes: tuple[str, ...], log: SkipLog) -> LabelledSet:
    samples = []
    for img, lab in list_pairs(split, root):
        hw = image_size(img, str(img), log)
        if hw is None:
            continue
        samples.append(Sample(img, hw, semantic_path=lab, record=str(lab)))
    return LabelledSet(classes, samples)


def write(ds: LabelledSet, out: Path, split: str, fill: int) -> str:
    from ...io.image import atomic_write_bytes, encode_png

    lines = []
    for s in ds.samples:
        img = out / "images" / split / s.image.name
        img.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s.image, img)
        lab = out / "labels" / split / f"{s.image.stem}.png"
        atomic_write_bytes(lab, encode_png(s.semantic_map(fill)))
        lines.append(f"{img.relative_to(out)} {lab.relative_to(out)}")
    write_text(out / f"{split}.txt", "\n".join(lines) + "\n")
    return f"{split}.txt"
