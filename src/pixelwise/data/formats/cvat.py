"""CVAT for images 1.1 XML: ``<image name width height><polygon label points="x,y;x,y"/></image>``."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from ..annotations import LabelledSet, Object, Sample, SkipLog
from .common import polygon_from_flat, write_text

__all__ = ["read", "write"]


def read(path: Path, images_dir: Path, classes: tuple[str, ...] | None, log: SkipLog) -> LabelledSet:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DatasetError(f"{path}: malformed CVAT XML ({exc})") from None
    labels = tuple(n.text or "" for n in root.iter("label") for n in [n.find("name")] if n is not None)
    names = tuple(classes) if classes else labels
    samples = []
    for im in root.iter("image"):
        where = f"{path}: image id {im.get('id')}"
        img = images_dir / (im.get("name") or "")
        if not img.is_file():
            log.fail(f"{where}: file {img} not found")
            continue
        hw = (int(im.get("height", 0)), int(im.get("width", 0)))
        objects = []
        for shape in im:
            if shape.tag not in ("polygon", "box"):
                continue
            label = shape.get("label")
            if label not in names:
                log.fail(f"{where}: label {label!r} is not in the class list")
                continue
            if shape.tag == "box":
                x0, y0, x1, y1 = (float(shape.get(k, 0)) for k in ("xtl", "ytl", "xbr", "ybr"))
                flat = [x0, y0, x1, y0, x1, y1, x0, y1]
            else:
                flat = [float(v) for pt in (shape.get("points") or "").split(";") if pt for v in pt.split(",")]
            poly = polygon_from_flat(flat, hw, f"{where}, {shape.tag} {label!r}", log)
            if poly is not None:
                objects.append(Object(names.index(label), [poly]))
        samples.append(Sample(img, hw, objects=objects, record=where))
    return LabelledSet(names, samples)


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
