"""Predictions as a dataset: ``predict --format coco|yolo|labelme|voc|masks|cvat``.

The Results of a run become one :class:`~pixelwise.data.annotations.LabelledSet` (split
``train``), written by the same :func:`~pixelwise.data.formats.write_dataset` that
``pixelwise convert`` uses, so a folder of predictions opens in LabelMe, CVAT or
Ultralytics for correction and is read back by ``train``, ``val`` and ``convert``.

Semantic models (also with ``--things``) give each image's class map (read on demand from
the class-id PNG predict writes, so a long run holds no maps in memory); the polygon
formats get its connected regions per class, largest first: readers paint objects in
order, so a region inside another (a car on the road) is painted after it and survives the
round trip although polygons have no holes. Instance models give their objects' polygons
(with scores).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DatasetError
from ..result import Result
from .annotations import LabelledSet, Object, Sample
from .exports import result_sample
from .masks import MaskValues

__all__ = ["PredictionSet"]


@dataclass
class PredictionSet:
    """Collects a run's predictions (one per :meth:`add`) and writes them in dataset formats.

    Args:
        staging: a folder for copies of images that are no local file (URLs) or whose file
            name another image already has (dataset formats key files by name).
    """

    staging: Path
    polygons: bool = True  # also keep each semantic map's regions as polygons (polygon formats)
    samples: list[Sample] = field(default_factory=list)
    _spec: object = None
    _names: set[str] = field(default_factory=set)

    def _image_file(self, result: Result, stem: str) -> Path:
        src = Path(result.path) if result.path and Path(result.path).is_file() else None
        if src is not None and src.name not in self._names and src.stem == stem:
            return src
        from ..io.image import write_image

        self.staging.mkdir(parents=True, exist_ok=True)
        if src is not None:
            target = self.staging / f"{stem}{src.suffix}"
            shutil.copyfile(src, target)
            return target
        return write_image(self.staging / f"{stem}.png", result.image)

    def add(self, result: Result, stem: str, mask_png: Path) -> None:
        """One image's prediction; ``mask_png``: its class-id PNG (predict's ``<stem>_mask.png``)."""
        if self._spec is None:
            self._spec = result.spec
        elif result.spec.classes != self._spec.classes:  # type: ignore[attr-defined]
            raise DatasetError(f"{result.path}: predicted with other classes than the images before it")
        image = self._image_file(result, stem)
        self._names.add(image.name)
        if result.spec.kind == "semantic":
            values = MaskValues(len(result.names), result.spec.ignore_index)
            objects = _regions(result) if self.polygons else None
            sample = Sample(image, result.hw, objects=objects, semantic_path=mask_png, mask_values=values)
        else:
            sample = result_sample(result, image)
        self.samples.append(sample)

    def labelled_set(self) -> LabelledSet:
        spec = self._spec
        if spec is None:
            raise DatasetError("no image was segmented: no dataset to write")
        semantic = spec.kind == "semantic"  # type: ignore[attr-defined]
        return LabelledSet(spec.classes, list(self.samples), colours=spec.colours,  # type: ignore[attr-defined]
                           ignore_index=spec.ignore_index if semantic else None,  # type: ignore[attr-defined]
                           things=spec.things)  # type: ignore[attr-defined]

    def write(self, fmt: str, out: Path) -> Path:
        """The dataset in ``fmt`` under ``out`` (images, labels, ``dataset.yaml``); the YAML's path."""
        from .formats import write_dataset

        return write_dataset({"train": self.labelled_set()}, fmt, out)


def _regions(result: Result) -> list[Object]:
    """The connected regions of every class of a class map, as polygons, largest first."""
    from ..ops import masks as mask_ops

    sem = result.semantic
    _, cls, labels, areas = mask_ops.components(sem, tuple(range(len(result.names))), 1)
    objects = []
    for i in sorted(range(len(cls)), key=lambda k: -int(areas[k])):
        polys = mask_ops.mask_to_polygons(labels == i + 1)
        if polys:
            objects.append(Object(int(cls[i]), polys))
    return objects
