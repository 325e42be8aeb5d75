"""Mask-PNG folder datasets: images plus single-channel class-id PNGs.

A split is either a list file with one ``image label`` pair per line (paths relative to
the dataset root, as CamVid's ``train.txt``), or a folder of images whose masks are
found by file stem: in Ultralytics' semantic layout the last ``images`` path component
is replaced by ``masks_dir`` (``images/train/a.jpg`` -> ``masks/train/a.png``); without
that, a sibling ``labels/`` or ``masks/`` folder (or ``NAME`` + ``NAMEannot``) is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ..io.image import IMAGE_SUFFIXES, read_image
from . import checks

__all__ = ["MaskValues", "list_pairs", "read_mask", "read_pair", "swap_component"]

MASK_SUFFIXES = (".png", ".bmp", ".tif", ".tiff")  # lossless only: JPEG would change class ids
IGNORE = 255  # Ultralytics' (and VOC's) ignore label


@dataclass(frozen=True)
class MaskValues:
    """How label values become class ids: an optional source -> class id mapping, then a range check.

    ``mapping`` pairs are (source value, class id or 255 = ignore), as Ultralytics'
    ``label_mapping``; unmapped values stay as they are. After mapping every value must be
    a class id, the ignore index or 255.
    """

    num_classes: int
    ignore: int | None = None
    mapping: tuple[tuple[int, int], ...] = ()

    def apply(self, raw: np.ndarray, path: Path) -> np.ndarray:
        out = raw
        if self.mapping:
            lut = np.arange(256, dtype=np.uint8)
            for src, dst in self.mapping:
                lut[src] = dst
            out = lut[raw]
        valid = np.zeros(256, bool)
        valid[: self.num_classes] = True
        valid[IGNORE] = True
        if self.ignore is not None:
            valid[self.ignore] = True
        present = np.flatnonzero(np.bincount(out.reshape(-1), minlength=256))
        bad = present[~valid[present]]
        if bad.size:
            ign = f", {self.ignore}" if self.ignore is not None and self.ignore != IGNORE else ""
            raise DatasetError(f"{path}: label values {bad[:8].tolist()} are not class ids 0-{self.num_classes - 1} "
                               f"(or ignore{ign}, 255); fix the mask or map them with label_mapping")
        return out


def _pairs_from_list(list_file: Path, root: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for lineno, line in enumerate(checks.read_text(list_file, "list file").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise DatasetError(f"{list_file}:{lineno}: expected 'image label', got {line[:80]!r}")
        pairs.append((root / parts[0], root / parts[1]))
    return pairs


def swap_component(path: Path, old: str, new: str) -> Path | None:
    """``path`` with its last ``old`` component replaced by ``new`` (Ultralytics' images -> labels rule)."""
    parts = list(path.parts)
    if old not in parts:
        return None
    parts[len(parts) - 1 - parts[::-1].index(old)] = new
    return Path(*parts)


def _label_dir_for(images: Path, masks_dir: str | None) -> Path:
    if masks_dir is not None:
        swapped = swap_component(images, "images", masks_dir)
        candidates = [swapped] if swapped is not None else [images.parent / masks_dir]
    else:
        candidates = [swap_component(images, "images", "masks"), swap_component(images, "images", "labels"),
                      images.parent / "labels", images.parent / "masks", images.with_name(images.name + "annot")]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir() and candidate != images:
            return candidate
    looked = ", ".join(str(c) for c in candidates if c is not None)
    raise DatasetError(f"{images}: no mask folder found (looked for {looked})")


def _pairs_from_dir(images: Path, masks_dir: str | None) -> list[tuple[Path, Path]]:
    labels = _label_dir_for(images, masks_dir)
    by_stem: dict[str, Path] = {}
    for p in sorted(labels.iterdir()):
        if p.suffix.lower() in MASK_SUFFIXES and (p.stem not in by_stem or p.suffix.lower() == ".png"):
            by_stem[p.stem] = p
    pairs = []
    for img in sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        if img.stem not in by_stem:
            raise DatasetError(f"{img}: no mask named {img.stem}.png in {labels}")
        pairs.append((img, by_stem[img.stem]))
    return pairs


def list_pairs(split: Path, root: Path, masks_dir: str | None = None) -> list[tuple[Path, Path]]:
    """(image, label) paths of a split given as a list file or an image folder."""
    if split.is_file():
        pairs = _pairs_from_list(split, root)
    elif split.is_dir():
        pairs = _pairs_from_dir(split, masks_dir)
    else:
        raise DatasetError(f"{split}: split is neither a list file nor a folder")
    if not pairs:
        raise DatasetError(f"{split}: no image/label pairs")
    missing = [str(p) for pair in pairs for p in pair if not p.is_file()]
    if missing:
        raise DatasetError(f"{split}: {len(missing)} listed file(s) missing, first: {missing[0]}")
    return pairs


def read_mask(path: Path, values: MaskValues | None = None) -> np.ndarray:
    """Read a single-channel class-id PNG as ``uint8`` (H, W) (palette indices kept); ``values`` maps and checks."""
    import io

    from PIL import Image

    data = checks.read_bytes(path, "label")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.mode not in ("L", "P", "I;16", "I"):
                raise DatasetError(f"{path}: label must be a single-channel PNG, got mode {img.mode}")
            w, h = img.size
            if w * h > checks.MAX_PIXELS:
                raise DatasetError(f"{path}: label is {h}x{w}, above the {checks.MAX_PIXELS:,} pixel budget")
            arr = np.asarray(img)
    except DatasetError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:  # PIL's errors on bad files
        raise DatasetError(f"{path}: cannot read label ({exc})") from None
    if arr.min(initial=0) < 0 or arr.max(initial=0) > 255:
        raise DatasetError(f"{path}: label ids outside 0-255 are not supported")
    arr = arr.astype(np.uint8)
    return values.apply(arr, path) if values is not None else arr


def read_pair(image_path: Path, label_path: Path) -> tuple[np.ndarray, np.ndarray]:
    image = read_image(image_path)
    label = read_mask(label_path)
    if image.shape[:2] != label.shape:
        raise DatasetError(
            f"{label_path}: label is {label.shape[0]}x{label.shape[1]} but image {image_path.name} is "
            f"{image.shape[0]}x{image.shape[1]}"
        )
    return image, label
