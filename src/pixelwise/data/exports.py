"""A Result in dataset formats, with the same code the dataset writers use, so a prediction
can be opened and corrected in LabelMe / CVAT / a COCO tool and fed back into training."""

from __future__ import annotations

import json
from pathlib import Path

from ..result import Result
from .annotations import Object, Sample
from .formats import coco, labelme, yolo
from .formats.common import write_text

__all__ = ["result_sample", "to_coco", "to_labelme", "write_labelme", "to_yolo"]


def result_sample(result: Result, image: Path | None = None) -> Sample:
    """The Result's instances as objects (RLE), with scores."""
    inst = result.instances
    objects = [Object(int(inst.class_ids[i]), rle=None, score=float(inst.scores[i]), polygons=inst.polygons(i))
               for i in range(len(inst))]
    return Sample(image or Path(result.path or "image.png"), result.hw, objects=objects)


def to_coco(result: Result, image_id: int = 1, masks: str = "rle") -> dict:
    """A one-image COCO document: images, annotations (with scores), categories."""
    sample = result_sample(result)
    anns = [coco.annotation(o, sample.hw, image_id, k + 1, masks) for k, o in enumerate(sample.objects or [])]
    return {"images": [{"id": image_id, "file_name": sample.image.name, "height": result.hw[0],
                        "width": result.hw[1]}],
            "annotations": anns,
            "categories": [{"id": k + 1, "name": n} for k, n in enumerate(result.names)]}


def to_labelme(result: Result) -> dict:
    """LabelMe JSON (polygons) of a Result; writes nothing."""
    image = Path(result.path) if result.path else Path("image.png")
    return labelme.document(result_sample(result, image), result.names, image.name)


def write_labelme(result: Result, path: str | Path | None = None) -> Path:
    """Write :func:`to_labelme` to ``path`` (default: beside the source image, ``.json``), atomically."""
    if path is None and not result.path:
        raise ValueError("write_labelme needs path= for a result that has no source file")
    doc = to_labelme(result)
    image = Path(result.path) if result.path else None
    target = Path(path) if path is not None else image.with_suffix(".json")  # type: ignore[union-attr]
    if image is not None and target.parent != image.parent:
        doc["imagePath"] = str(image.resolve())
    write_text(target, json.dumps(doc, indent=1))
    return target


def to_yolo(result: Result) -> str:
    """YOLO-seg label text (class x1 y1 ... normalised), one line per polygon."""
    rows = yolo.label_rows(result_sample(result), len(result.names))
    return "\n".join(rows) + ("\n" if rows else "")
