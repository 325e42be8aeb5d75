"""A split decoded once into memory, and a background batch producer."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..data.config import DatasetConfig
from ..data.formats import read_split
from ..errors import DatasetError
from ..io.image import read_image
from .augment import AugmentConfig, Crop, augment_sample

__all__ = ["SplitArrays", "load_split", "batches"]


@dataclass
class SplitArrays:
    """Images (N, H, W, 3) uint8 RGB and labels (N, H, W) uint8 of one split (same size)."""

    images: list[np.ndarray]
    labels: list[np.ndarray]
    names: list[str]
    soft: list[np.ndarray] | None = None  # teacher targets, (H, W) uint8 probability x 254 (255 = none)

    def __len__(self) -> int:
        return len(self.images)

    def label_counts(self, num_classes: int) -> np.ndarray:
        counts = np.zeros(num_classes, dtype=np.int64)
        for lab in self.labels:
            counts += np.bincount(lab.reshape(-1), minlength=256)[:num_classes]
        return counts


def load_split(cfg: DatasetConfig, split: str, skip_bad: bool = False) -> SplitArrays:
    """Decode a split ("train" or "val") of any dataset format into memory."""
    ds = read_split(cfg, split, skip_bad)
    for message in ds.skipped:
        print(f"pixelwise: skipped: {message}", file=sys.stderr)
    fill = cfg.ignore_index if cfg.ignore_index is not None else 255
    images, labels, names = [], [], []
    for sample in ds.samples:
        image = read_image(sample.image)
        label = sample.semantic_map(fill)
        if image.shape[:2] != label.shape:
            raise DatasetError(f"{sample.record or sample.image}: label is {label.shape[0]}x{label.shape[1]} but "
                               f"the image is {image.shape[0]}x{image.shape[1]}")
        bad = np.unique(label)
        bad = bad[(bad >= cfg.num_classes) & (bad != fill)]
        if bad.size:
            raise DatasetError(f"{sample.record or sample.image}: label ids {bad.tolist()} are outside the "
                               f"{cfg.num_classes} classes")
        images.append(image)
        labels.append(label)
        names.append(sample.image.name)
    return SplitArrays(images, labels, names)


# clean crop (H, W, 3) uint8 -> what a teacher says of it: one or more (h, w, C) maps (train/teacher.py crop_targets)
CropTargetsFn = Callable[[np.ndarray], tuple[np.ndarray, ...]]


def _make_batch(
    data: SplitArrays, idx: np.ndarray, aug: AugmentConfig, ignore: int, rng: np.random.Generator,
    teacher: CropTargetsFn | None = None,
) -> tuple[np.ndarray, ...]:
    """(images, labels[, soft targets][, each of the teacher's maps of the crops before their photometric
    changes])."""
    crops = [augment_sample(*_sample(data, i), aug, ignore, rng, _paste_source(data, aug, rng)) for i in idx]
    xs, ys, ss, clean = zip(*crops)
    out = [np.stack(xs), np.stack(ys)]
    if data.soft is not None:
        out.append(np.stack(ss))
    if teacher is not None:
        said = [teacher(c) for c in clean]
        out += [np.stack([s[k] for s in said]) for k in range(len(said[0]))]
    return tuple(out)


def _sample(data: SplitArrays, i: int) -> Crop:
    return data.images[i], data.labels[i], None if data.soft is None else data.soft[i]


def _paste_source(data: SplitArrays, aug: AugmentConfig, rng: np.random.Generator) -> Crop | None:
    """With copy-paste on, for ``aug.paste`` of the crops: a random training image to paste from
    (no draws at all when it is off, so the batches stay those of earlier runs)."""
    if aug.paste <= 0 or rng.random() >= aug.paste:
        return None
    return _sample(data, int(rng.integers(len(data))))


def batches(
    data: SplitArrays, batch: int, aug: AugmentConfig, ignore: int, seed: int, epoch: int,
    teacher: CropTargetsFn | None = None,
) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield augmented (images NHWC uint8, labels NHW uint8[, soft targets NHW uint8][, teacher maps]) batches
    of one epoch: soft targets when ``data`` has them; with ``teacher``, each of its maps of each crop
    before its photometric changes (N, h, w, C each), computed in the background thread.

    A background thread prepares the next batches (bounded queue of 4). The order and
    the augmentation depend only on (seed, epoch), so a resumed run repeats them.
    """
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(data))
    chunks = [order[i : i + batch] for i in range(0, len(order) - batch + 1, batch)]
    q: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                item = _make_batch(data, chunk, aug, ignore, rng, teacher)
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(None)
        except BaseException as exc:  # re-raised in the consumer
            q.put(exc)

    worker = threading.Thread(target=produce, daemon=True, name="pixelwise-batches")
    worker.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
