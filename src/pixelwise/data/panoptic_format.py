"""The COCO panoptic format: a PNG whose colour encodes the segment id, plus a JSON document.

Segment ``id = R + 256 * G + 256**2 * B`` (0 = void, unlabelled). The JSON has ``images``,
``annotations`` (one per image: ``image_id``, ``file_name`` of the PNG, ``segments_info``
with ``id``, ``category_id``, ``area``, ``bbox`` [x, y, w, h], ``iscrowd``) and
``categories`` (``id``, ``name``, ``supercategory``, ``isthing`` 0/1, ``color``). Category
ids are class id + 1, as in :func:`pixelwise.data.exports.to_coco`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DatasetError
from ..result import Result
from ..spec import ModelSpec

__all__ = ["CocoPanoptic", "ids_to_rgb", "rgb_to_ids", "categories", "to_coco_panoptic", "write_coco_panoptic",
           "read_coco_panoptic", "MAX_SEGMENT_ID"]

MAX_SEGMENT_ID = 256**3 - 1


@dataclass(frozen=True)
class CocoPanoptic:
    """One image in COCO panoptic form: ``png`` (H, W, 3) uint8 RGB ids and the JSON ``doc``."""

    png: np.ndarray
    doc: dict[str, Any]


def ids_to_rgb(segments: np.ndarray) -> np.ndarray:
    """(H, W) integer segment ids -> (H, W, 3) uint8 RGB, ``id = R + 256 G + 256^2 B``."""
    ids = np.asarray(segments, dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() > MAX_SEGMENT_ID):
        raise ValueError(f"segment ids must be in 0..{MAX_SEGMENT_ID}, got {ids.min()}..{ids.max()}")
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)


def rgb_to_ids(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) int32 segment ids."""
    c = np.asarray(rgb, dtype=np.int32)
    return c[..., 0] + 256 * c[..., 1] + 65536 * c[..., 2]


def categories(spec: ModelSpec) -> list[dict[str, Any]]:
    """Every class of ``spec`` as a COCO panoptic category (id = class id + 1)."""
    things = set(spec.thing_ids)
    return [{"id": k + 1, "name": name, "supercategory": "thing" if k in things else "stuff",
             "isthing": int(k in things), "color": list(spec.colours[k])} for k, name in enumerate(spec.classes)]


def to_coco_panoptic(result: Result, image_id: int = 1, file_name: str | None = None) -> CocoPanoptic:
    """A Result's ``panoptic()`` in COCO panoptic form (nothing is written).

    ``file_name`` names the PNG in the JSON (default: the source's stem + ``_panoptic.png``).
    """
    seg, info = result.panoptic()
    stem = Path((result.path or "image").split("?")[0]).stem or "image"
    png_name = file_name or f"{stem}_panoptic.png"
    segments = [{"id": s["id"], "category_id": s["category_id"] + 1, "area": s["area"], "bbox": s["bbox"],
                 "iscrowd": 0, "isthing": int(s["isthing"])} for s in info]
    h, w = result.hw
    doc = {"info": {"description": f"pixelwise panoptic prediction ({result.spec.name or 'model'})"},
           "images": [{"id": image_id, "file_name": Path(result.path).name if result.path else f"{stem}.png",
                       "height": h, "width": w}],
           "annotations": [{"image_id": image_id, "file_name": png_name, "segments_info": segments}],
           "categories": categories(result.spec)}
    return CocoPanoptic(ids_to_rgb(seg), doc)


def write_coco_panoptic(out: str | os.PathLike[str], stem: str, result: Result) -> list[Path]:
    """Write ``STEM_panoptic.png`` and ``STEM_panoptic.json`` into ``out`` (atomic writes)."""
    from ..io.image import atomic_write_bytes, encode_png

    folder = Path(out)
    pan = to_coco_panoptic(result, file_name=f"{stem}_panoptic.png")
    png = atomic_write_bytes(folder / f"{stem}_panoptic.png", encode_png(pan.png))
    doc = atomic_write_bytes(folder / f"{stem}_panoptic.json", json.dumps(pan.doc, indent=1).encode())
    return [png, doc]


def read_coco_panoptic(json_path: str | os.PathLike[str]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """A one-image COCO panoptic JSON and its PNG (beside it) -> (segment ids, segments_info)."""
    from ..io.image import read_image

    path = Path(json_path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ann = doc["annotations"][0]
        png = path.parent / ann["file_name"]
        segments = list(ann["segments_info"])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise DatasetError(f"{path}: not a COCO panoptic document ({type(exc).__name__}: {exc})") from None
    return rgb_to_ids(read_image(png)), segments
