"""Mask-PNG folder datasets: images plus single-channel class-id PNGs.

A split is either a list file with one ``image label`` pair per line (paths relative to
the dataset root, as CamVid's ``train.txt``), or a folder of images with a sibling
folder of labels: ``images/`` + ``labels/`` (or ``NAME`` + ``NAMEannot``), matched by
file stem.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ..io.image import IMAGE_SUFFIXES, read_image

__all__ = ["list_pairs", "read_mask", "read_pair"]


def _pairs_from_list(list_file: Path, root: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for lineno, line in enumerate(list_file.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise DatasetError(f"{list_file}:{lineno}: expected 'image label', got {line!r}")
        pairs.append((root / parts[0], root / parts[1]))
    return pairs


def _label_dir_for(images: Path) -> Path:
    for candidate in (images.parent / "labels", images.parent / "masks", images.with_name(images.name + "annot")):
        if candidate.is_dir():
            return candidate
    raise DatasetError(f"{images}: no label folder found (looked for labels/, masks/ and {images.name}annot/)")


def _pairs_from_dir(images: Path) -> list[tuple[Path, Path]]:
    labels = _label_dir_for(images)
    by_stem = {p.stem: p for p in labels.iterdir() if p.suffix.lower() == ".png"}
    pairs = []
    for img in sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        if img.stem not in by_stem:
            raise DatasetError(f"{img}: no label PNG named {img.stem}.png in {labels}")
        pairs.append((img, by_stem[img.stem]))
    return pairs


def list_pairs(split: Path, root: Path) -> list[tuple[Path, Path]]:
    """(image, label) paths of a split given as a list file or an image folder."""
    if split.is_file():
        pairs = _pairs_from_list(split, root)
    elif split.is_dir():
        pairs = _pairs_from_dir(split)
    else:
        raise DatasetError(f"{split}: split is neither a list file nor a folder")
    if not pairs:
        raise DatasetError(f"{split}: no image/label pairs")
    missing = [str(p) for pair in pairs for p in pair if not p.is_file()]
    if missing:
        raise DatasetError(f"{split}: {len(missing)} listed file(s) missing, first: {missing[0]}")
    return pairs


def read_mask(path: Path) -> np.ndarray:
    """Read a single-channel class-id PNG as ``uint8`` (H, W) (palette indices kept)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            if img.mode not in ("L", "P", "I;16", "I"):
                raise DatasetError(f"{path}: label must be a single-channel PNG, got mode {img.mode}")
            arr = np.asarray(img)
    except DatasetError:
        raise
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read label ({exc})") from None
    if arr.max(initial=0) > 255:
        raise DatasetError(f"{path}: label ids above 255 are not supported")
    return arr.astype(np.uint8)


def read_pair(image_path: Path, label_path: Path) -> tuple[np.ndarray, np.ndarray]:
    image = read_image(image_path)
    label = read_mask(label_path)
    if image.shape[:2] != label.shape:
        raise DatasetError(
            f"{label_path}: label is {label.shape[0]}x{label.shape[1]} but image {image_path.name} is "
            f"{image.shape[0]}x{image.shape[1]}"
        )
    return image, label
