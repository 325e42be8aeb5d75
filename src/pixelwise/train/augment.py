"""Training-time augmentation: pure numpy/OpenCV functions on uint8 RGB + uint8 labels."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["AugmentConfig", "augment_pair", "random_scale", "random_crop", "photometric"]


@dataclass(frozen=True)
class AugmentConfig:
    crop_hw: tuple[int, int] = (320, 320)
    scale_range: tuple[float, float] = (0.5, 2.0)
    hflip: bool = True
    jitter: float = 0.3  # brightness/contrast/saturation strength (0 disables)


def random_scale(image: np.ndarray, label: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = label.shape
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return (
        cv2.resize(image, (nw, nh), interpolation=interp),
        cv2.resize(label, (nw, nh), interpolation=cv2.INTER_NEAREST),
    )


def random_crop(
    image: np.ndarray, label: np.ndarray, crop_hw: tuple[int, int], ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Crop (padding with 0 / ``ignore`` where the image is smaller than the crop)."""
    ch, cw = crop_hw
    h, w = label.shape
    ph, pw = max(ch - h, 0), max(cw - w, 0)
    if ph or pw:
        image = cv2.copyMakeBorder(image, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        label = cv2.copyMakeBorder(label, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=ignore)
        h, w = label.shape
    y = int(rng.integers(0, h - ch + 1))
    x = int(rng.integers(0, w - cw + 1))
    return image[y : y + ch, x : x + cw], label[y : y + ch, x : x + cw]


def photometric(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Random brightness, contrast and saturation, each in [1 - s, 1 + s]."""
    img = image.astype(np.float32)
    b, c, s = rng.uniform(1 - strength, 1 + strength, size=3)
    img = img * b
    mean = img.mean()
    img = (img - mean) * c + mean
    grey = img.mean(axis=2, keepdims=True)
    img = (img - grey) * s + grey
    return np.clip(img, 0, 255).astype(np.uint8)


def augment_pair(
    image: np.ndarray, label: np.ndarray, cfg: AugmentConfig, ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    scale = float(rng.uniform(*cfg.scale_range))
    image, label = random_scale(image, label, scale)
    image, label = random_crop(image, label, cfg.crop_hw, ignore, rng)
    if cfg.hflip and rng.random() < 0.5:
        image, label = image[:, ::-1], label[:, ::-1]
    if cfg.jitter > 0:
        image = photometric(image, cfg.jitter, rng)
    return np.ascontiguousarray(image), np.ascontiguousarray(label)
