"""Dataset formats: read any split into a LabelledSet, write a LabelledSet in any format.

| format | a split is | reads / writes |
| --- | --- | --- |
| masks | a list file ("image label" per line) or an image folder (masks/ as Ultralytics finds them) | class-id PNGs |
| voc | a split name (ImageSets/Segmentation/NAME.txt) | palette PNGs in SegmentationClass/ |
| coco | an instances JSON file (images under the YAML's `images` folder) | polygons or RLE |
| labelme | a folder of LabelMe JSON files (images beside them) | polygons, rectangles |
| yolo | an images folder or list file (labels/ found the Ultralytics way) | normalised polygons |
| cvat | a CVAT for images 1.1 XML file (images under `images`) | polygons, boxes |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import DatasetError, PixelwiseError
from ..annotations import LabelledSet, SkipLog
from ..checks import one_line_error
from ..config import FORMATS, DatasetConfig
from ..masks import IGNORE, MaskValues
from . import coco, cvat, labelme, masks_format, voc, yolo

__all__ = ["FORMATS", "read_split", "write_dataset"]

# Exceptions a reader may still meet on input nobody foresaw; they become one line naming the file.
_UNFORESEEN = (KeyError, TypeError, ValueError, AttributeError, IndexError, UnicodeError, OverflowError,
               RecursionError)


def _read_one(cfg: DatasetConfig, path: Path, log: SkipLog) -> LabelledSet:
    images = cfg.root / str(cfg.extra.get("images", "."))
    values = MaskValues(cfg.num_classes, cfg.ignore_index, cfg.label_mapping)
    readers = {
        "masks": lambda: masks_format.read(path, cfg.root, cfg.classes, log, cfg.masks_dir, values),
        "voc": lambda: voc.read(path.name, cfg.root, cfg.classes, log, values),
        "coco": lambda: coco.read(path, images, cfg.classes, log),
        "labelme": lambda: labelme.read(path, cfg.classes, log),
        "yolo": lambda: yolo.read(path, cfg.classes, log),
        "cvat": lambda: cvat.read(path, images, cfg.classes, log),
    }
    try:
        return readers[cfg.format]()
    except PixelwiseError:
        raise
    except _UNFORESEEN as exc:
        raise DatasetError(f"{path}: unreadable {cfg.format} data ({type(exc).__name__}: {exc}); "
                           "run with --debug for the traceback") from exc


def read_split(cfg: DatasetConfig, split: str, skip_bad: bool = False) -> LabelledSet:
    """Read the ``split`` ("train" or "val") of a dataset YAML in whatever format it is."""
    paths = cfg.paths(split)
    if not paths:
        raise DatasetError(f"{cfg.source}: no {split!r} split")
    log = SkipLog(skip_bad)
    try:
        parts = [_read_one(cfg, p, log) for p in paths]
    except DatasetError as exc:
        raise one_line_error(exc) from None
    ds = LabelledSet(parts[0].classes, [s for part in parts for s in part.samples])
    for s in ds.samples:
        s.background = cfg.background
    ds.colours, ds.ignore_index, ds.things = cfg.colours, cfg.ignore_index, cfg.things
    ds.background = cfg.background
    ds.skipped = log.skipped
    if not skip_bad:
        ds.check()
    if not ds.samples:
        raise DatasetError(f"{paths[0]}: no usable samples")
    return ds


def _classes_doc(ds: LabelledSet) -> list[dict]:
    colours = ds.colours or ((0, 0, 0),) * len(ds.classes)
    return [{"id": i, "name": n, "colour": list(c)} for i, (n, c) in enumerate(zip(ds.classes, colours))]


def write_dataset(splits: dict[str, LabelledSet], fmt: str, out: Path) -> Path:
    """Write every split in ``fmt`` under ``out`` plus a ``dataset.yaml`` that reads them back.

    ``masks`` and ``yolo`` are written in Ultralytics' layouts (``images/SPLIT`` with
    ``masks/SPLIT`` or ``labels/SPLIT``); their ``dataset.yaml`` also carries the keys
    Ultralytics reads (``train``, ``val``, ``names``, ``masks_dir``), and ``data.yaml``
    holds those keys alone, so the folder is an Ultralytics dataset as well.
    """
    from ...io.image import atomic_write_bytes
    from ..ultralytics import data_yaml_keys

    if fmt not in FORMATS:
        raise DatasetError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    writers = {"masks": masks_format.write, "voc": voc.write, "coco": coco.write, "labelme": labelme.write,
               "yolo": yolo.write, "cvat": cvat.write}
    first = next(iter(splits.values()))
    fill = first.ignore_index if first.ignore_index is not None else IGNORE
    ignore = first.ignore_index
    if fmt == "masks" and ignore is not None and ignore >= len(first.classes):
        fill = ignore = IGNORE  # Ultralytics' semantic layout: 255 = ignore (the writer maps the old value)
    doc: dict[str, Any] = {"format": fmt, "root": "."}
    for name, ds in splits.items():
        doc[name] = writers[fmt](ds, out, name, fill)
    if fmt in ("coco", "cvat"):
        doc["images"] = "images"
    if fmt == "masks":
        doc["masks_dir"] = "masks"
    if first.background is not None:
        doc["background"] = first.classes[first.background]
    doc.update(ignore_index=ignore, things=list(first.things), classes=_classes_doc(first))
    if fmt in ("masks", "yolo"):
        names = first.classes  # Ultralytics appends the background of polygon datasets itself
        if fmt == "yolo" and first.background == len(names) - 1:
            names = names[:-1]
        ultralytics = data_yaml_keys(names, {k: doc[k] for k in splits}, doc.get("masks_dir"))
        doc.update(ultralytics)
        atomic_write_bytes(out / "data.yaml", _dump(ultralytics))  # Ultralytics' keys alone, for `yolo data=`
    return atomic_write_bytes(out / "dataset.yaml", _dump(doc))


def _dump(doc: dict) -> bytes:
    import yaml

    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode()
