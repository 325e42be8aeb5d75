"""LabelMe: one JSON per image with polygon (and rectangle) shapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .. import checks
from ..annotations import LabelledSet, Object, Sample, SkipLog
from . import common
from .common import write_text

__all__ = ["read", "write", "document"]


SHAPE_TYPES = ("polygon", "rectangle")


def read(folder: Path, classes: tuple[str, ...] | None, log: SkipLog) -> LabelledSet:
    from ...errors import DatasetError

    if not folder.is_dir():
        raise DatasetError(f"{folder}: LabelMe split must be a folder of JSON files")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise DatasetError(f"{folder}: no LabelMe JSON files")
    docs = [d for d in (log.guard(_document, f) for f in files) if d is not None]
    labels = {s["label"] for _, d in docs for s in d["shapes"]
              if isinstance(s, dict) and isinstance(s.get("label"), str)}
    names = tuple(classes) if classes else tuple(sorted(labels))
    samples = [s for s in (log.guard(_sample, f, doc, names, log) for f, doc in docs) if s is not None]
    return LabelledSet(names, samples)


def _document(f: Path) -> tuple[Path, dict]:
    doc = checks.mapping(checks.load_json(f, "LabelMe file"), str(f), "LabelMe document")
    checks.field(doc, "shapes", str(f), list, default=[])
    doc["shapes"] = doc.get("shapes") or []
    return f, doc


def _sample(f: Path, doc: dict, names: tuple[str, ...], log: SkipLog) -> Sample:
    where = str(f)
    img = common.image_path(f.parent, checks.field(doc, "imagePath", where, default=f.with_suffix(".png").name),
                            where, "'imagePath'")
    hw = common.declared_hw(checks.field(doc, "imageHeight", where), checks.field(doc, "imageWidth", where),
                            img, where)
    objects = []
    for k, shape in enumerate(doc["shapes"]):
        obj = log.guard(_shape, shape, f"{f}: shape {k}", names, hw)
        if obj is not None:
            objects.append(obj)
    return Sample(img, hw, objects=objects, record=where)


def _shape(shape: object, where: str, names: tuple[str, ...], hw: tuple[int, int]) -> Object:
    from ...errors import DatasetError

    shape = checks.mapping(shape, where, "shape")
    label = checks.text(checks.field(shape, "label", where), where, "'label'")
    where = f"{where} ({label!r})"
    if label not in names:
        raise DatasetError(f"{where}: label is not in the class list {list(names)}")
    kind = checks.field(shape, "shape_type", where, str, default="polygon")
    if kind not in SHAPE_TYPES:
        raise checks.fail(where, "'shape_type'", " or ".join(SHAPE_TYPES), kind)
    pts = checks.items(checks.field(shape, "points", where), where, "'points'")
    for p in pts:
        if not isinstance(p, list) or len(p) != 2:
            raise checks.fail(where, "point", "an [x, y] pair", p)
    if kind == "rectangle":
        if len(pts) != 2:
            raise DatasetError(f"{where}: a rectangle needs 2 corner points, got {len(pts)}")
        (x0, y0), (x1, y1) = pts
        pts = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    poly = checks.polygon([v for p in pts for v in p], hw, where)
    return Object(names.index(label), [poly])


def document(sample: Sample, classes: tuple[str, ...], image_name: str) -> dict:
    """The LabelMe JSON of one sample (polygons; masks are traced to polygons)."""
    shapes = [{"label": classes[o.class_id], "points": np.round(p, 2).tolist(), "group_id": None,
               "shape_type": "polygon", "flags": {}, **({"score": o.score} if o.score is not None else {})}
              for o in sample.instance_objects(tuple(range(len(classes)))) for p in (o.polygons or _polys(o, sample))]
    return {"version": "5.4.1", "flags": {}, "shapes": shapes, "imagePath": image_name, "imageData": None,
            "imageHeight": sample.hw[0], "imageWidth": sample.hw[1]}


def write(ds: LabelledSet, out: Path, split: str, fill: int) -> str:
    folder = out / split
    folder.mkdir(parents=True, exist_ok=True)
    for s in ds.samples:
        shutil.copyfile(s.image, folder / s.image.name)
        write_text(folder / f"{s.image.stem}.json", json.dumps(document(s, ds.classes, s.image.name), indent=1))
    return split


def _polys(obj: Object, sample: Sample) -> list[np.ndarray]:
    from ...ops.masks import mask_to_polygons

    return mask_to_polygons(obj.mask(sample.hw))
