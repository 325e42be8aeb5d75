"""Dataset formats: read any split into a LabelledSet, write a LabelledSet in any format.

| format | a split is | reads / writes |
| --- | --- | --- |
| masks | a list file ("image label" per line) or an image folder with labels/ beside it | class-id PNGs |
| voc | a split name (ImageSets/Segmentation/NAME.txt) | palette PNGs in SegmentationClass/ |
| coco | an instances JSON file (images under the YAML's `images` folder) | polygons or RLE |
| labelme | a folder of LabelMe JSON files (images beside them) | polygons, rectangles |
| yolo | an images folder (labels/ found the Ultralytics way) | normalised polygons |
| cvat | a CVAT for images 1.1 XML file (images under `images`) | polygons, boxes |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import DatasetError
from ..annotations import LabelledSet, SkipLog
from ..config import DatasetConfig
from . import coco, cvat, labelme, masks_format, voc, yolo

__all__ = ["FORMATS", "read_split", "write_dataset"]

FORMATS = ("masks", "voc", "coco", "labelme", "yolo", "cvat")


def read_split(cfg: DatasetConfig, split: str, skip_bad: bool = False) -> LabelledSet:
    """Read the ``split`` ("train" or "val") of a dataset YAML in whatever format it is."""
    path: Path | None = getattr(cfg, split, None)
    if path is None:
        raise DatasetError(f"{cfg.source}: no {split!r} split")
    log = SkipLog(skip_bad)
    images = cfg.root / str(cfg.extra.get("images", "."))
    readers = {
        "masks": lambda: masks_format.read(path, cfg.root, cfg.classes, log),
        "voc": lambda: voc.read(path.name, cfg.root, cfg.classes, log),
        "coco": lambda: coco.read(path, images, cfg.classes, log),
        "labelme": lambda: labelme.read(path, cfg.classes, log),
        "yolo": lambda: yolo.read(path, cfg.classes, log),
        "cvat": lambda: cvat.read(path, images, cfg.classes, log),
    }
    ds = readers[cfg.format]()
    ds.colours, ds.ignore_index, ds.things = cfg.colours, cfg.ignore_index, cfg.things
    ds.skipped = log.skipped
    if not skip_bad:
        ds.check()
    if not ds.samples:
        raise DatasetError(f"{path}: no usable samples")
    return ds


def write_dataset(splits: dict[str, LabelledSet], fmt: str, out: Path) -> Path:
    """Write every split in ``fmt`` under ``out`` plus a ``dataset.yaml`` that reads them back."""
    import yaml

    if fmt not in FORMATS:
        raise DatasetError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    writers = {"masks": masks_format.write, "voc": voc.write, "coco": coco.write, "labelme": labelme.write,
               "yolo": yolo.write, "cvat": cvat.write}
    first = next(iter(splits.values()))
    fill = first.ignore_index if first.ignore_index is not None else 255
    doc: dict[str, Any] = {"format": fmt, "root": "."}
    for name, ds in splits.items():
        doc[name] = writers[fmt](ds, out, name, fill)
    if fmt in ("coco", "cvat"):
        doc["images"] = "images"
    doc.update(ignore_index=first.ignore_index, things=list(first.things),
               classes=[{"id": i, "name": n, "colour": list(c)} for i, (n, c) in
                        enumerate(zip(first.classes, first.colours or [(0, 0, 0)] * len(first.classes)))])
    if fmt == "yolo":  # Ultralytics reads the same file: path + names
        doc["path"] = "."
        doc["names"] = dict(enumerate(first.classes))
    from ...io.image import atomic_write_bytes

    return atomic_write_bytes(out / "dataset.yaml", yaml.safe_dump(doc, sort_keys=False).encode())
