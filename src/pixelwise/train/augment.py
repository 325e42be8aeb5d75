"""Training-time augmentation: pure numpy/OpenCV functions on uint8 RGB + uint8 labels.

Three photometric levels: ``basic`` (brightness/contrast/saturation +-30%, the recipe of the
first default models), ``strong`` (aimed at new streets and lighting: gamma, white
balance, hue, low light with sensor noise, blur, noise, JPEG artefacts, plus a small
rotation) and ``mixed`` (the strong geometry; each crop gets the strong or the basic
photometric changes with even odds, so half of the training sees ordinary daylight colours).
Copy-paste (``AugmentConfig.paste``): a share of the crops get the pixels of the rarer classes
(``rare_classes``) from another image's crop, so thin and rare things appear in new surroundings.
Every random draw comes from the ``rng`` passed in, so a batch depends only on (seed, epoch).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "AugmentConfig", "PHOTOMETRIC_LEVELS", "augment_pair", "random_scale", "random_crop", "random_rotate",
    "photometric", "strong_photometric", "augment_triple", "augment_views", "augment_sample", "SOFT_PAD",
    "rare_classes", "paste_pixels", "Crop", "saturate", "IMAGE_PAD",
]

from .choices import PHOTOMETRIC_LEVELS

IMAGE_PAD = 0  # grey level where an image is smaller than its crop; exports carry it as the spec's pad_value


@dataclass(frozen=True)
class AugmentConfig:
    crop_hw: tuple[int, int] = (320, 320)
    scale_range: tuple[float, float] = (0.5, 2.0)
    hflip: bool = True
    jitter: float = 0.3  # brightness/contrast/saturation strength (0 disables)
    level: str = "basic"  # "basic", "strong" or "mixed" (see the module docstring)
    rotate_deg: float = 0.0  # max |angle| of a random rotation (strong and mixed levels use 5 when 0)
    paste: float = 0.0  # chance that a crop gets the pixels of ``paste_classes`` from another image's crop
    paste_classes: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in PHOTOMETRIC_LEVELS:
            raise ValueError(f"augmentation level must be one of {PHOTOMETRIC_LEVELS}, got {self.level!r}")
        if not 0.0 <= self.paste <= 1.0:
            raise ValueError(f"paste is a probability between 0 and 1, got {self.paste}")


def rare_classes(counts: np.ndarray) -> tuple[int, ...]:
    """The classes with fewer labelled pixels than the median class (of those present): what
    copy-paste copies (on CamVid the thin classes, on a person dataset the person)."""
    counts = np.asarray(counts)
    present = counts > 0
    if not present.any():
        return ()
    median = np.median(counts[present])
    return tuple(int(c) for c in np.flatnonzero(present & (counts < median)))


Crop = tuple[np.ndarray, np.ndarray, np.ndarray | None]  # image, label, soft map (or None) of one crop


def paste_pixels(target: Crop, source: Crop, classes: tuple[int, ...]) -> Crop:
    """Copy-paste between two crops of one size: where the source's label is one of ``classes``,
    its image, label and soft map replace the target's (a target soft map gets "no target"
    where the source has none)."""
    image, label, soft = target
    src_image, src_label, src_soft = source
    mask = np.isin(src_label, classes)
    if not mask.any():
        return target
    image, label = image.copy(), label.copy()
    image[mask] = src_image[mask]
    label[mask] = src_label[mask]
    if soft is not None:
        soft = soft.copy()
        soft[mask] = SOFT_PAD if src_soft is None else src_soft[mask]
    return image, label, soft


def random_scale(image: np.ndarray, label: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = label.shape
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return (
        cv2.resize(image, (nw, nh), interpolation=interp),
        cv2.resize(label, (nw, nh), interpolation=cv2.INTER_NEAREST),
    )


def _pad_to(array: np.ndarray, hw: tuple[int, int], value: int) -> np.ndarray:
    ph, pw = max(hw[0] - array.shape[0], 0), max(hw[1] - array.shape[1], 0)
    if not (ph or pw):
        return array
    fill = (value,) * 3 if array.ndim == 3 else value
    return cv2.copyMakeBorder(array, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=fill)


def _crop_all(arrays: list[tuple[np.ndarray, int]], crop_hw: tuple[int, int], rng: np.random.Generator
              ) -> list[np.ndarray]:
    """Crop arrays of one size at one random window, padding each with its own value first."""
    ch, cw = crop_hw
    padded = [_pad_to(a, crop_hw, v) for a, v in arrays]
    h, w = padded[0].shape[:2]
    y = int(rng.integers(0, h - ch + 1))
    x = int(rng.integers(0, w - cw + 1))
    return [a[y : y + ch, x : x + cw] for a in padded]


def random_crop(
    image: np.ndarray, label: np.ndarray, crop_hw: tuple[int, int], ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Crop (padding with ``IMAGE_PAD`` / ``ignore`` where the image is smaller than the crop)."""
    image, label = _crop_all([(image, IMAGE_PAD), (label, ignore)], crop_hw, rng)
    return image, label


def random_rotate(
    image: np.ndarray, label: np.ndarray, max_deg: float, ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rotate both by one angle in [-max_deg, max_deg]; uncovered label pixels become ``ignore``."""
    h, w = label.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-max_deg, max_deg)), 1.0)
    image = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    label = cv2.warpAffine(label, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=ignore)
    return image, label


def photometric(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Random brightness, contrast and saturation, each in [1 - s, 1 + s]."""
    img = image.astype(np.float32)
    b, c, s = rng.uniform(1 - strength, 1 + strength, size=3)
    img = img * b
    mean = img.mean()
    img = (img - mean) * c + mean
    img = saturate(img, s)
    return np.clip(img, 0, 255).astype(np.uint8)


def saturate(img: np.ndarray, s: float) -> np.ndarray:
    """``(img - grey) * s + grey`` with grey the mean of the three channels, channel by channel: the
    same numbers as numpy's broadcast over a trailing axis of one, in a tenth of its time."""
    grey = (img[..., 0] + img[..., 1] + img[..., 2]) / 3
    out = np.empty_like(img)
    for ch in range(3):
        out[..., ch] = (img[..., ch] - grey) * s + grey
    return out


def _gamma_lut(gamma: float) -> np.ndarray:
    return np.clip(((np.arange(256) / 255.0) ** gamma) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _hue_shift(image: np.ndarray, degrees: float) -> np.ndarray:
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + int(round(degrees / 2))) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else image


def strong_photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """New-street and new-light robustness: each step is applied with its own probability.

    Gamma 0.5-2.0, white balance (per-channel gains 0.75-1.25), hue +-12 degrees, low light
    (x0.25-0.6 with sensor noise), brightness/contrast/saturation +-40%, blur, noise, JPEG.
    """
    img = image
    if rng.random() < 0.5:
        img = cv2.LUT(img, _gamma_lut(float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))))
    if rng.random() < 0.3:
        img = _hue_shift(img, float(rng.uniform(-12, 12)))
    f = img.astype(np.float32)
    if rng.random() < 0.5:
        f *= rng.uniform(0.75, 1.25, size=3).astype(np.float32)
    b, c, s = rng.uniform(0.6, 1.4, size=3)
    f *= b
    mean = f.mean()
    f = saturate((f - mean) * c + mean, s)
    noise = 0.0
    if rng.random() < 0.15:  # low light: dark, and the sensor's noise shows
        f *= rng.uniform(0.25, 0.6)
        noise = rng.uniform(3, 8)
    elif rng.random() < 0.2:
        noise = rng.uniform(2, 8)
    if noise:
        f += rng.normal(0.0, noise, size=f.shape).astype(np.float32)
    img = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.2:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.5, 1.5)))
    if rng.random() < 0.2:
        img = _jpeg(img, int(rng.integers(30, 91)))
    return img


SOFT_PAD = 255  # a soft-target map (uint8, probability x 254) uses 255 for "no target" (padding)


def _geometric(image: np.ndarray, label: np.ndarray, soft: np.ndarray | None, cfg: AugmentConfig, ignore: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Scale, crop, flip and rotate image, label and (if given) the soft map with the same draws."""
    scale = float(rng.uniform(*cfg.scale_range))
    image, label = random_scale(image, label, scale)
    arrays = [(image, IMAGE_PAD), (label, ignore)]
    if soft is not None:
        arrays.append((cv2.resize(soft, label.shape[::-1], interpolation=cv2.INTER_LINEAR), SOFT_PAD))
    image, label, *rest = _crop_all(arrays, cfg.crop_hw, rng)
    soft = rest[0] if rest else None
    if cfg.hflip and rng.random() < 0.5:
        image, label = image[:, ::-1], label[:, ::-1]
        soft = soft[:, ::-1] if soft is not None else None
    rotate = cfg.rotate_deg or (0.0 if cfg.level == "basic" else 5.0)
    if rotate > 0 and rng.random() < 0.3:
        state = rng.bit_generator.state
        image, label = random_rotate(np.ascontiguousarray(image), np.ascontiguousarray(label), rotate, ignore, rng)
        if soft is not None:  # the same angle: replay the generator's state
            rng.bit_generator.state = state
            _, soft = random_rotate(image, np.ascontiguousarray(soft), rotate, SOFT_PAD, rng)
    return image, label, soft


def augment_sample(
    image: np.ndarray, label: np.ndarray, soft: np.ndarray | None, cfg: AugmentConfig, ignore: int,
    rng: np.random.Generator, source: Crop | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """One training crop: (image after its photometric changes, label, soft map moved with the label
    or None without one, the crop before its photometric changes: what a teacher sees).

    With ``source`` (another image, label and soft map), a crop of it made with its own
    geometric draws gives its ``cfg.paste_classes`` pixels to this crop before the photometric
    changes. The random draws do not depend on ``soft``, so adding a teacher does not change the batches.
    """
    image, label, soft_out = _geometric(image, label, soft, cfg, ignore, rng)
    if source is not None and cfg.paste_classes:
        pasted = _geometric(*source, cfg, ignore, rng)
        image, label, soft_out = paste_pixels((image, label, soft_out), pasted, cfg.paste_classes)
    clean = np.ascontiguousarray(image)
    soft_out = None if soft_out is None else np.ascontiguousarray(soft_out)
    return _photometric(clean, cfg, rng), np.ascontiguousarray(label), soft_out, clean


def augment_pair(
    image: np.ndarray, label: np.ndarray, cfg: AugmentConfig, ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    crop, crop_label, _, _ = augment_sample(image, label, None, cfg, ignore, rng)
    return crop, crop_label


def augment_views(
    image: np.ndarray, label: np.ndarray, cfg: AugmentConfig, ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As augment_pair, plus the crop before its photometric changes (what a teacher sees)."""
    crop, crop_label, _, clean = augment_sample(image, label, None, cfg, ignore, rng)
    return crop, crop_label, clean


def augment_triple(
    image: np.ndarray, label: np.ndarray, soft: np.ndarray, cfg: AugmentConfig, ignore: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As augment_pair, plus a soft-target map (uint8 probability x 254, 255 = none) moved with the label."""
    crop, crop_label, soft_out, _ = augment_sample(image, label, soft, cfg, ignore, rng)
    assert soft_out is not None
    return crop, crop_label, soft_out


def _photometric(image: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    if cfg.level == "strong" or (cfg.level == "mixed" and rng.random() < 0.5):
        return strong_photometric(np.ascontiguousarray(image), rng)
    if cfg.jitter > 0:
        return photometric(np.ascontiguousarray(image), cfg.jitter, rng)
    return np.ascontiguousarray(image)
