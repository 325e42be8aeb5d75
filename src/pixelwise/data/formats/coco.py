"""COCO instance / semantic JSON: polygons or RLE per annotation (RLE, area, bbox via pycocotools)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DatasetError
from ...ops import masks as mask_ops
from .. import checks
from ..annotations import LabelledSet, Object, Sample, SkipLog
from . import common
from .common import write_text

__all__ = ["read", "write", "load_json", "annotation"]


def load_json(path: Path) -> object:
    return checks.load_json(path)


def _categories(doc: dict, path: Path) -> list[tuple[int, str]]:
    cats = []
    for i, c in enumerate(checks.field(doc, "categories", str(path), list)):
        where = f"{path}: categories[{i}]"
        c = checks.mapping(c, where, "category")
        cats.append((checks.integer(checks.field(c, "id", where), where, "'id'"),
                     checks.text(checks.field(c, "name", where), where, "'name'")))
    ids, names = [c[0] for c in cats], [c[1] for c in cats]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        raise DatasetError(f"{path}: category ids and names must be unique, got {cats}")
    if not cats:
        raise DatasetError(f"{path}: 'categories' is empty")
    return sorted(cats)


def _image(im: object, k: int, path: Path, images_dir: Path) -> tuple[int, Sample]:
    where = f"{path}: images[{k}]"
    im = checks.mapping(im, where, "image record")
    image_id = checks.integer(checks.field(im, "id", where), where, "'id'")
    where = f"{path}: image id {image_id}"
    img = common.image_path(images_dir, checks.field(im, "file_name", where), where)
    hw = common.declared_hw(checks.field(im, "height", where), checks.field(im, "width", where), img, where)
    return image_id, Sample(img, hw, objects=[], record=where)


def read(path: Path, images_dir: Path, classes: tuple[str, ...] | None, log: SkipLog) -> LabelledSet:
    doc = checks.mapping(load_json(path), str(path), "COCO document")
    if not {"images", "annotations", "categories"} <= set(doc):
        raise DatasetError(f"{path}: not COCO (expected 'images', 'annotations' and 'categories')")
    cats = _categories(doc, path)
    names = tuple(n for _, n in cats)
    missing = [n for n in names if classes and n not in classes]
    if missing:
        raise DatasetError(f"{path}: categories {missing} are not in the dataset's classes")
    order = tuple(classes) if classes else names
    cat_to_class = {cid: order.index(n) for cid, n in cats}
    samples: dict[int, Sample] = {}
    for k, im in enumerate(checks.field(doc, "images", str(path), list)):
        got = log.guard(_image, im, k, path, images_dir)
        if got is not None:
            if got[0] in samples:
                log.fail(f"{path}: image id {got[0]} appears twice in 'images'")
                continue
            samples[got[0]] = got[1]
    for k, ann in enumerate(checks.field(doc, "annotations", str(path), list)):
        log.guard(_add_annotation, ann, k, path, samples, cat_to_class)
    return LabelledSet(order, list(samples.values()))


def _add_annotation(ann: object, k: int, path: Path, samples: dict[int, Sample], cat_to_class: dict) -> None:
    ann = checks.mapping(ann, f"{path}: annotations[{k}]", "annotation")
    where = f"{path}: annotation id {ann.get('id', f'#{k}')}"
    image_id = checks.integer(checks.field(ann, "image_id", where), where, "'image_id'")
    sample = samples.get(image_id)
    if sample is None:
        raise DatasetError(f"{where}: points at image id {image_id}, which is missing")
    cat = checks.integer(checks.field(ann, "category_id", where), where, "'category_id'")
    if cat not in cat_to_class:
        raise DatasetError(f"{where}: category id {cat} is not in 'categories'")
    obj = _object(ann, cat_to_class[cat], sample.hw, where)
    sample.objects.append(obj)  # type: ignore[union-attr]


def _object(ann: dict, class_id: int, hw: tuple[int, int], where: str) -> Object:
    seg = checks.field(ann, "segmentation", where)
    crowd = checks.integer(ann.get("iscrowd", 0), where, "'iscrowd'", 0, 1) == 1
    score = ann.get("score")
    score = None if score is None else checks.number(score, where, "'score'", 0, 1)
    if isinstance(seg, dict):
        return Object(class_id, rle=checks.rle(seg, hw, f"{where}: segmentation"), iscrowd=crowd, score=score)
    if isinstance(seg, list) and seg:
        polys = [checks.polygon(flat, hw, f"{where}: segmentation[{i}]") for i, flat in enumerate(seg)]
        return Object(class_id, polys, iscrowd=crowd, score=score)
    raise checks.fail(where, "'segmentation'", "a list of polygons or an RLE mapping", seg)


def write(ds: LabelledSet, out: Path, split: str, fill: int, masks: str = "polygons") -> str:
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for i, s in enumerate(ds.samples, 1):
        dst = out / "images" / split / s.image.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s.image, dst)
        images.append({"id": i, "file_name": f"{split}/{s.image.name}", "height": s.hw[0], "width": s.hw[1]})
        for obj in s.instance_objects(tuple(range(len(ds.classes)))):
            annotations.append(annotation(obj, s.hw, i, len(annotations) + 1, masks))
    cats = [{"id": k + 1, "name": n, "supercategory": "thing" if n in ds.things else "stuff"}
            for k, n in enumerate(ds.classes)]
    name = f"annotations/{split}.json"
    write_text(out / name, json.dumps({"images": images, "annotations": annotations, "categories": cats}))
    return name


def annotation(obj: Object, hw: tuple[int, int], image_id: int, ann_id: int, masks: str = "polygons") -> dict:
    """One COCO annotation (category ids are class ids + 1); area and bbox from pycocotools."""
    from pycocotools import mask as mask_utils

    rle = obj.rle if obj.rle is not None else mask_ops.encode_rle(obj.mask(hw)[None])[0]
    ann = {"id": ann_id, "image_id": image_id, "category_id": obj.class_id + 1, "iscrowd": int(obj.iscrowd),
           "area": int(mask_utils.area(_bytes(rle))),
           "bbox": [round(float(v), 2) for v in mask_utils.toBbox(_bytes(rle))]}
    if masks == "rle" or obj.rle is not None or not obj.polygons:
        ann["segmentation"] = rle
    else:
        ann["segmentation"] = [np.round(p, 2).reshape(-1).tolist() for p in obj.polygons]
    if obj.score is not None:
        ann["score"] = obj.score
    return ann


def _bytes(rle: dict) -> dict:
    return {"size": rle["size"], "counts": rle["counts"].encode("ascii")}
