"""Pascal VOC segmentation: JPEGImages/, SegmentationClass/ (palette PNGs), ImageSets/Segmentation/."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from .. import checks
from ..annotations import LabelledSet, Sample, SkipLog
from ..masks import MaskValues
from .common import image_size, write_text

__all__ = ["read", "write"]


def read(split: str, root: Path, classes: tuple[str, ...], log: SkipLog,
         values: MaskValues | None = None) -> LabelledSet:
    from ...errors import DatasetError

    lst = root / "ImageSets" / "Segmentation" / f"{split}.txt"
    if not lst.is_file():
        raise DatasetError(f"{lst}: VOC split list not found")
    samples = []
    for lineno, line in enumerate(checks.read_text(lst, "VOC split list").splitlines(), 1):
        stem = line.strip()
        if stem:
            sample = log.guard(_sample, stem, root, f"{lst}:{lineno}", values)
            if sample is not None:
                samples.append(sample)
    return LabelledSet(classes, samples)


def _sample(stem: str, root: Path, where: str, values: MaskValues | None) -> Sample:
    from ...errors import DatasetError

    if len(stem.split()) != 1 or "/" in stem or "\\" in stem:
        raise DatasetError(f"{where}: expected one image name per line, got {stem[:60]!r}")
    img = next((p for p in (root / "JPEGImages" / f"{stem}{e}" for e in (".jpg", ".png")) if p.is_file()),
               root / "JPEGImages" / f"{stem}.jpg")
    lab = root / "SegmentationClass" / f"{stem}.png"
    hw = image_size(img, where)
    if not lab.is_file():
        raise DatasetError(f"{where}: label {lab} not found")
    return Sample(img, hw, semantic_path=lab, record=where, mask_values=values)


def write(ds: LabelledSet, out: Path, split: str, fill: int) -> str:
    from PIL import Image

    from ...io.image import atomic_write_bytes

    palette = np.zeros((256, 3), np.uint8)
    palette[: len(ds.colours)] = np.asarray(ds.colours, np.uint8)
    palette[255] = (224, 224, 192)  # VOC's void colour
    stems = []
    for s in ds.samples:
        dst = out / "JPEGImages" / s.image.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s.image, dst)
        png = Image.fromarray(s.semantic_map(fill), mode="P")
        png.putpalette(palette.reshape(-1).tolist())
        import io

        buf = io.BytesIO()
        png.save(buf, "PNG")
        atomic_write_bytes(out / "SegmentationClass" / f"{s.image.stem}.png", buf.getvalue())
        stems.append(s.image.stem)
    write_text(out / "ImageSets" / "Segmentation" / f"{split}.txt", "\n".join(stems) + "\n")
    return split
