"""LabelMe: one JSON per image with polygon (and rectangle) shapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..annotations import LabelledSet, Object, Sample, SkipLog
from .common import polygon_from_flat, write_text

__all__ = ["read", "write", "document"]


def read(folder: Path, classes: tuple[str, ...] | None, log: SkipLog) -> LabelledSet:
    from ...errors import DatasetError

    files = sorted(folder.glob("*.json"))
    if not files:
        raise DatasetError(f"{folder}: no LabelMe JSON files")
    docs = []
    for f in files:
        try:
            docs.append((f, json.loads(f.read_text())))
        except json.JSONDecodeError as exc:
            log.fail(f"{f}: malformed JSON ({exc.msg} at line {exc.lineno})")
    names = tuple(classes) if classes else tuple(sorted({s["label"] for _, d in docs for s in d.get("shapes", [])}))
    samples = []
    for f, doc in docs:
        img = f.parent / doc.get("imagePath", f.with_suffix(".png").name)
        if not img.is_file():
            log.fail(f"{f}: image {img} not found")
            continue
        hw = (int(doc["imageHeight"]), int(doc["imageWidth"]))
        objects = []
        for k, shape in enumerate(doc.get("shapes", [])):
            where = f"{f}: shape {k} ({shape.get('label')!r})"
            if shape.get("label") not in names:
                log.fail(f"{where}: label is not in the class list")
                continue
            pts = shape.get("points", [])
            if shape.get("shape_type") == "rectangle" and len(pts) == 2:
                (x0, y0), (x1, y1) = pts
                pts = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
            poly = polygon_from_flat([v for p in pts for v in p], hw, where, log)
            if poly is not None:
                objects.append(Object(names.index(shape["label"]), [poly]))
        samples.append(Sample(img, hw, objects=objects, record=str(f)))
    return LabelledSet(names, samples)


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
