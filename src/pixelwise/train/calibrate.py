"""Calibration inputs for INT8 quantization: normalised blobs from a dataset's train split."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.config import load_dataset_config
from ..data.formats import read_split
from ..io.image import read_image
from ..ops.letterbox import normalise_to_blob, resize_to_input
from ..spec import ModelSpec

__all__ = ["calibration_blobs"]


def calibration_blobs(data: Path, spec: ModelSpec, count: int = 64, seed: int = 0) -> list[np.ndarray]:
    """``count`` train images prepared exactly as the model sees them (its size, mean, std)."""
    cfg = load_dataset_config(data)
    samples = read_split(cfg, "train").samples
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(samples), size=min(count, len(samples)), replace=False)
    blobs = []
    for i in sorted(chosen):
        canvas, _ = resize_to_input(read_image(samples[i].image), spec.input_hw, spec.resize, stride=spec.stride,
                                    auto=spec.dynamic, pad_value=spec.pad_value)
        blobs.append(normalise_to_blob(canvas, spec.mean, spec.std))
    return blobs
