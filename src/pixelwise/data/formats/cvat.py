"""CVAT for images 1.1 XML: ``<image name width height><polygon label points="x,y;x,y"/></image>``."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from .. import checks
from ..annotations import LabelledSet, Object, Sample, SkipLog
from . import common
from .common import write_text

__all__ = ["read", "write"]


def _root(path: Path) -> ET.Element:
    body = checks.read_text(path, "CVAT XML file")
    if not body.strip():
        raise DatasetError(f"{path}: CVAT XML file is empty")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise DatasetError(f"{path}: malformed CVAT XML ({exc})") from None
    if root.tag != "annotations":
        raise DatasetError(f"{path}: expected CVAT for images 1.1 (<annotations> at the top), got <{root.tag}>")
    return root


def read(path: Path, images_dir: Path, classes: tuple[str, ...] | None, log: SkipLog) -> LabelledSet:
    root = _root(path)
    labels = tuple(n.text or "" for n in root.iter("label") for n in [n.find("name")] if n is not None)
    names = tuple(classes) if classes else labels
    samples = [s for s in (log.guard(_image, im, k, path, images_dir, names, log)
                           for k, im in enumerate(root.iter("image"))) if s is not None]
    return LabelledSet(names, samples)


def _image(im: ET.Element, k: int, path: Path, images_dir: Path, names: tuple[str, ...], log: SkipLog) -> Sample:
    where = f"{path}: image id {im.get('id', f'#{k}')}"
    img = common.image_path(images_dir, im.get("name"), where, "'name'")
    hw = common.declared_hw(_attr(im, "height", where), _attr(im, "width", where), img, where, True)
    objects = []
    for shape in im:
        if shape.tag in ("polygon", "box"):
            obj = log.guard(_shape, shape, f"{where}, {shape.tag} {shape.get('label')!r}", names, hw)
            if obj is not None:
                objects.append(obj)
    return Sample(img, hw, objects=objects, record=where)


def _attr(el: ET.Element, key: str, where: str) -> str:
    value = el.get(key)
    if value is None:
        raise DatasetError(f"{where}: missing attribute {key!r}")
    return value


def _shape(shape: ET.Element, where: str, names: tuple[str, ...], hw: tuple[int, int]) -> Object:
    label = shape.get("label")
    if label not in names:
        raise DatasetError(f"{where}: label is not in the class list {list(names)}")
    if shape.tag == "box":
        x0, y0, x1, y1 = (checks.number(_attr(shape, k, where), where, k, from_text=True)
                          for k in ("xtl", "ytl", "xbr", "ybr"))
        flat: list[object] = [x0, y0, x1, y0, x1, y1, x0, y1]
    else:
        pairs = [pt.split(",") for pt in _attr(shape, "points", where).split(";") if pt.strip()]
        if any(len(p) != 2 for p in pairs):
            raise DatasetError(f"{where}: points must be 'x,y;x,y;...', got {shape.get('points', '')[:60]!r}")
        flat = [v for p in pairs for v in p]
    return Object(names.index(label), [checks.polygon(flat, hw, where, from_text=True)])


def write(ds: LabelledSet, out: Path, split: str, fill: int) -> str:
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    task = ET.SubElement(ET.SubElement(root, "meta"), "task")
    labels = ET.SubElement(task, "labels")
    for name in ds.classes:
        ET.SubElement(ET.SubElement(labels, "label"), "name").text = name
    for i, s in enumerate(ds.samples):
        dst = out / "images" / split / s.image.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s.image, dst)
        el = ET.SubElement(root, "image", id=str(i), name=f"{split}/{s.image.name}", width=str(s.hw[1]),
                           height=str(s.hw[0]))
        for o in s.instance_objects(tuple(range(len(ds.classes)))):
            for p in o.polygons or []:
                pts = ";".join(f"{x:.2f},{y:.2f}" for x, y in np.asarray(p))
                ET.SubElement(el, "polygon", label=ds.classes[o.class_id], points=pts, occluded="0", z_order="0")
    name = f"annotations/{split}.xml"
    write_text(out / name, ET.tostring(root, encoding="unicode"))
    return name
