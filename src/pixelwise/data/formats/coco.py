"""COCO instance / semantic JSON: polygons or RLE per annotation (RLE, area, bbox via pycocotools)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from ...ops import masks as mask_ops
from ..annotations import LabelledSet, Object, Sample, SkipLog
from .common import polygon_from_flat, write_text

__all__ = ["read", "write", "load_json", "annotation"]


def load_json(path: Path) -> object:
    if not path.is_file():
        raise DatasetError(f"{path}: no such annotation file")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def read(path: Path, images_dir: Path, classes: tuple[str, ...] | None, log: SkipLog) -> LabelledSet:
    doc = load_json(path)
    if not isinstance(doc, dict) or not {"images", "annotations", "categories"} <= set(doc):
        raise DatasetError(f"{path}: not COCO (expected 'images', 'annotations' and 'categories')")
    cats = sorted(doc["categories"], key=lambda c: c["id"])
    names = tuple(c["name"] for c in cats)
    if classes and tuple(classes) != names:
        missing = [n for n in names if n not in classes]
        if missing:
            raise DatasetError(f"{path}: categories {missing} are not in the dataset's classes")
    order = tuple(classes) if classes else names
    cat_to_class = {c["id"]: order.index(c["name"]) for c in cats}
    samples: dict[int, Sample] = {}
    for im in doc["images"]:
        img = images_dir / im["file_name"]
        if not img.is_file():
            log.fail(f"{path}: image id {im['id']}: file {img} not found")
            continue
        samples[im["id"]] = Sample(img, (int(im["height"]), int(im["width"])), objects=[],
                                   record=f"{path}: image id {im['id']}")
    for ann in doc["annotations"]:
        where = f"{path}: annotation id {ann.get('id')}"
        sample = samples.get(ann.get("image_id"))
        if sample is None:
            log.fail(f"{where}: points at image id {ann.get('image_id')}, which is missing")
            continue
        if ann.get("category_id") not in cat_to_class:
            log.fail(f"{where}: category id {ann.get('category_id')} is not in 'categories'")
            continue
        obj = _object(ann, cat_to_class[ann["category_id"]], sample.hw, where, log)
        if obj is not None:
            sample.objects.append(obj)  # type: ignore[union-attr]
    return LabelledSet(order, list(samples.values()))


def _object(ann: dict, class_id: int, hw: tuple[int, int], where: str, log: SkipLog) -> Object | None:
    seg = ann.get("segmentation")
    crowd = bool(ann.get("iscrowd", 0))
    if isinstance(seg, dict):
        counts = seg.get("counts")
        if list(seg.get("size", [])) != list(hw):
            log.fail(f"{where}: RLE size {seg.get('size')} differs from the image size {list(hw)}")
            return None
        if isinstance(counts, list):  # uncompressed RLE
            from pycocotools import mask as mask_utils

            seg = mask_utils.frPyObjects(seg, hw[0], hw[1])
            seg["counts"] = seg["counts"].decode("ascii")
        return Object(class_id, rle=seg, iscrowd=crowd, score=ann.get("score"))
    if isinstance(seg, list):
        polys = [p for p in (polygon_from_flat(flat, hw, where, log) for flat in seg) if p is not None]
        return Object(class_id, polys, iscrowd=crowd, score=ann.get("score")) if polys else None
    log.fail(f"{where}: unsupported segmentation {type(seg).__name__}")
    return None


def write(ds: LabelledSet, out: Path, split: str, fill: int, masks: str = "polygons") -> str:
    images, annotations = [], []
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
