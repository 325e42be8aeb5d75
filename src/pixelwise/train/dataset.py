"""A split decoded once into memory, and a background batch producer."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.config import DatasetConfig
from ..data.masks import list_pairs, read_pair
from ..errors import DatasetError
from .augment import AugmentConfig, augment_pair

__all__ = ["SplitArrays", "load_split", "batches"]


@dataclass
class SplitArrays:
    """Images (N, H, W, 3) uint8 RGB and labels (N, H, W) uint8 of one split (same size)."""

    images: list[np.ndarray]
    labels: list[np.ndarray]
    names: list[str]

    def __len__(self) -> int:
        return len(self.images)

    def label_counts(self, num_classes: int) -> np.ndarray:
        counts = np.zeros(num_classes, dtype=np.int64)
        for lab in self.labels:
            counts += np.bincount(lab.reshape(-1), minlength=256)[:num_classes]
        return counts


def load_split(cfg: DatasetConfig, split: Path | None) -> SplitArrays:
    if cfg.format != "masks":
        raise DatasetError(f"{cfg.source}: training reads the 'masks' format; convert with 'pixelwise convert'")
    if split is None:
        raise DatasetError(f"{cfg.source}: the split to load is not set")
    images, labels, names = [], [], []
    for img_path, lab_path in list_pairs(split, cfg.root):
        image, label = read_pair(img_path, lab_path)
        bad = np.unique(label)
        bad = bad[(bad >= cfg.num_classes) & (bad != (cfg.ignore_index if cfg.ignore_index is not None else -1))]
        if bad.size:
            raise DatasetError(f"{lab_path}: label ids {bad.tolist()} are outside the {cfg.num_classes} classes")
        images.append(image)
        labels.append(label)
        names.append(img_path.name)
    return SplitArrays(images, labels, names)


def _make_batch(
    data: SplitArrays, idx: np.ndarray, aug: AugmentConfig, ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = zip(*(augment_pair(data.images[i], data.labels[i], aug, ignore, rng) for i in idx))
    return np.stack(xs), np.stack(ys)


def batches(
    data: SplitArrays, batch: int, aug: AugmentConfig, ignore: int, seed: int, epoch: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield augmented (images NHWC uint8, labels NHW uint8) batches of one epoch.

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
                item = _make_batch(data, chunk, aug, ignore, rng)
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
