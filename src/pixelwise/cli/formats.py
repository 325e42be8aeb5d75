"""predict --format coco|yolo|labelme|voc|masks|cvat: the predictions as datasets (data/predictions.py).

Each format goes to ``OUT/dataset-FORMAT/`` with its ``dataset.yaml`` (split ``train``), the
files ``pixelwise convert --to FORMAT`` writes, so the folder opens in LabelMe, CVAT or
Ultralytics and comes back into ``pixelwise train --data OUT/dataset-FORMAT``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .convert_cmd import FORMATS

if TYPE_CHECKING:
    from ..data.predictions import PredictionSet
    from ..result import Result

__all__ = ["add_format_options", "FormatWriter"]


def add_format_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", action="append", choices=FORMATS, default=None, dest="formats", metavar="FORMAT",
                   help=f"also write the predictions as a dataset ({', '.join(FORMATS)}; repeatable) in "
                        "OUT/dataset-FORMAT/ with a dataset.yaml, as `pixelwise convert` writes it")


class FormatWriter:
    """Collects predict's Results (nothing when no --format was given) and writes the datasets at the end."""

    def __init__(self, formats: list[str] | None, out: Path) -> None:
        self.formats = list(dict.fromkeys(formats or ()))
        self.out = out
        self._tmp = tempfile.TemporaryDirectory(prefix="pixelwise-formats-") if self.formats else None
        self.collected: PredictionSet | None = None
        if self._tmp is not None:
            from ..data.predictions import PredictionSet

            polygons = bool(set(self.formats) - {"masks", "voc"})  # the class-map formats need no polygons
            self.collected = PredictionSet(Path(self._tmp.name), polygons=polygons)

    def add(self, result: Result, stem: str) -> None:
        if self.collected is not None:
            self.collected.add(result, stem, self.out / f"{stem}_mask.png")

    def write(self) -> list[Path]:
        """One dataset per format; the dataset.yaml paths (none without --format or images)."""
        if self.collected is None or not self.collected.samples:
            return []
        try:
            return [self.collected.write(fmt, self.out / f"dataset-{fmt}") for fmt in self.formats]
        finally:
            self.close()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
