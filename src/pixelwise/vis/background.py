"""Cut-outs and background effects from a semantic Result: alpha mattes, RGBA, blur, replace.

The matte is the probability that a pixel belongs to the foreground classes (for a
two-class model such as ``people`` it is exact: ``confidence`` where the winner is the
person, ``1 - confidence`` elsewhere), refined to the image's own edges with a guided
filter (He, Sun, Tang, "Guided Image Filtering", ECCV 2010). Colours at soft edges are
re-estimated from nearby foreground pixels, so a cut-out carries no halo of the old
background. Every function returns a NEW array; none draws in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..errors import InputError
from ..result import Result

__all__ = [
    "foreground_ids", "alpha_matte", "guided_filter", "cutout", "composite", "blur_background",
    "parse_colour", "AlphaSmoother", "BackgroundEffect", "blurred",
]

FOREGROUND_NAMES = ("person", "pedestrian")  # what "the person" is called in the known models


def foreground_ids(result: Result, classes: Sequence[str | int] | None = None) -> tuple[int, ...]:
    """Class ids of the foreground: ``classes`` by name or id, else the model's person class."""
    return foreground_ids_of(result.names, classes)


def foreground_ids_of(names: Sequence[str], classes: Sequence[str | int] | None = None) -> tuple[int, ...]:
    """:func:`foreground_ids` from the model's class names alone (to check before any frame is read)."""
    names = list(names)
    if classes is None:
        found = [names.index(n) for n in FOREGROUND_NAMES if n in names]
        if not found:
            raise InputError(f"this model has no person class ({', '.join(names)}); name the foreground classes "
                             "(classes=[...] / --classes)")
        return (found[0],)
    ids = []
    for c in classes:
        if isinstance(c, str) and not c.isdigit():
            if c not in names:
                raise InputError(f"unknown class {c!r}; the model's classes are: {', '.join(names)}")
            ids.append(names.index(c))
        elif not 0 <= int(c) < len(names):
            raise InputError(f"class id {c} out of range 0..{len(names) - 1}")
        else:
            ids.append(int(c))
    return tuple(ids)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float = 1e-3) -> np.ndarray:
    """Edge-aware smoothing of ``src`` (H, W) float32 0..1 following ``guide`` (H, W) float32 0..1."""
    size = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(src)
    var_i = box(guide * guide) - mean_i * mean_i
    cov_ip = box(guide * src) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box(a) * guide + box(b)


def alpha_matte(result: Result, classes: Sequence[str | int] | None = None, refine: bool = True) -> np.ndarray:
    """(H, W) float32 alpha in 0..1: the foreground's probability, refined to the image's edges.

    All zeros when no pixel is the foreground's (a photo with no person gives a fully
    transparent cut-out, not a faint ghost of a two-class model's low probabilities)."""
    fg = np.isin(result.semantic, foreground_ids(result, classes))
    if not fg.any():
        return np.zeros(fg.shape, np.float32)
    if result.confidence is None:
        alpha = fg.astype(np.float32)
    else:
        conf = result.confidence.astype(np.float32)
        prob = np.where(fg, conf, 1.0 - conf) if len(result.names) == 2 else np.where(fg, conf, 0.0)
        alpha = np.clip((prob - 0.1) / 0.8, 0.0, 1.0)  # sure pixels (p > 0.9 or < 0.1) are fully in or out
    if refine:
        grey = cv2.cvtColor(result.image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        radius = max(2, min(result.image.shape[:2]) // 120)
        alpha = guided_filter(grey, alpha.astype(np.float32), radius)
        alpha = np.where(alpha > 0.98, 1.0, np.where(alpha < 0.02, 0.0, alpha))
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def _foreground_colours(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Colours of soft-edge pixels taken from nearby sure-foreground pixels (no background halo)."""
    sure = (alpha > 0.95).astype(np.float32)
    if not sure.any():
        return image
    k = max(3, (min(image.shape[:2]) // 60) | 1)
    weight = cv2.GaussianBlur(sure, (k, k), 0)
    spread = cv2.GaussianBlur(image.astype(np.float32) * sure[..., None], (k, k), 0)
    estimate = spread / np.maximum(weight, 1e-6)[..., None]
    edge = (alpha < 0.95) & (weight > 1e-3)
    out = image.copy()
    out[edge] = np.clip(estimate[edge] + 0.5, 0, 255).astype(np.uint8)
    return out


def cutout(result: Result, classes: Sequence[str | int] | None = None, refine: bool = True,
           alpha: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 4) uint8 RGBA: the foreground with its matte (``alpha``, else made here) as alpha;
    fully transparent if none."""
    alpha = alpha_matte(result, classes, refine) if alpha is None else alpha
    rgb = _foreground_colours(result.image, alpha)
    a8 = (alpha * 255.0 + 0.5).astype(np.uint8)
    return np.dstack([rgb, a8])


def _over(image: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    mixed = image.astype(np.float32) * a + background.astype(np.float32) * (1.0 - a)
    out = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    sure = alpha >= 1.0
    out[sure] = image[sure]  # person pixels stay exactly the photo's
    return out


def parse_colour(text: str) -> tuple[int, int, int]:
    """``"#00ff00"``, ``"0,255,0"`` or a few names -> an RGB triple."""
    names = {"white": (255, 255, 255), "black": (0, 0, 0), "green": (0, 177, 64), "blue": (0, 71, 187),
             "grey": (128, 128, 128), "gray": (128, 128, 128)}
    t = text.strip().lower()
    if t in names:
        return names[t]
    try:
        if t.startswith("#") and len(t) == 7:
            return int(t[1:3], 16), int(t[3:5], 16), int(t[5:7], 16)
        parts = [int(p) for p in t.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise InputError(f"expected a colour as #rrggbb, R,G,B (0-255) or one of {', '.join(names)}, got {text!r}")
    return parts[0], parts[1], parts[2]


def composite(result: Result, background: np.ndarray | tuple[int, int, int], classes: Sequence[str | int] | None = None,
              alpha: np.ndarray | None = None) -> np.ndarray:
    """The foreground over a new background: an RGB image (resized to fit) or a colour."""
    matte = alpha_matte(result, classes) if alpha is None else alpha
    h, w = result.image.shape[:2]
    if isinstance(background, np.ndarray):
        if background.ndim != 3 or background.shape[2] != 3:
            raise InputError(f"background must be an (H, W, 3) RGB image, got shape {background.shape}")
        bg = cv2.resize(background, (w, h), interpolation=cv2.INTER_AREA)
    else:
        bg = np.empty_like(result.image)
        bg[:] = background
    return _over(_foreground_colours(result.image, matte), matte, bg)


def blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of (H, W, 3) uint8 with ``sigma`` pixels; large sigmas run on a downscaled copy
    (factor sigma / 4, then upscaled): the same look at a fraction of the cost (sigma 15 on
    360x480: 33 -> about 1 ms)."""
    factor = int(sigma // 4)
    if factor < 2:
        return cv2.GaussianBlur(image, (0, 0), float(sigma))
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), float(sigma) / factor)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blur_background(result: Result, sigma: float = 15.0, classes: Sequence[str | int] | None = None,
                    alpha: np.ndarray | None = None) -> np.ndarray:
    """The photo with everything but the foreground blurred (Gaussian ``sigma`` in pixels)."""
    if sigma <= 0:
        raise InputError(f"blur sigma must be > 0, got {sigma}")
    matte = alpha_matte(result, classes) if alpha is None else alpha
    return _over(result.image, matte, blurred(result.image, sigma))


class AlphaSmoother:
    """Exponential average of mattes over video frames, so edges do not flicker.

    ``weight`` in [0, 1) is the share of the past; a new scene size restarts the average.
    """

    def __init__(self, weight: float = 0.5) -> None:
        if not 0.0 <= weight < 1.0:
            raise InputError(f"smoothing weight must be in [0, 1), got {weight}")
        self.weight = weight
        self._state: np.ndarray | None = None

    def __call__(self, alpha: np.ndarray) -> np.ndarray:
        if self._state is None or self._state.shape != alpha.shape:
            self._state = alpha.astype(np.float32)
        else:
            self._state = (self.weight * self._state + (1.0 - self.weight) * alpha).astype(np.float32)
        # within rounding of 0 or 1 means out or in: a still person stays exactly the photo's pixels
        return np.where(self._state > 0.999, 1.0, np.where(self._state < 0.001, 0.0, self._state)).astype(np.float32)


class BackgroundEffect:
    """A video drawing: the person kept, the background blurred or replaced, the matte smoothed
    over frames so its edges do not flicker.

    Give it to ``Segmenter.stream(plot=...)``: each frame's matte and new background are made in
    the pipeline's worker threads (:meth:`prepare`), the smoothing and compositing in frame order
    (``__call__``; ``in_order`` tells the pipeline), and ``res.plotted`` (also what ``out=``
    writes) is the effect. It may also be called on each Result of your own loop, in frame order.
    One effect per stream: it keeps the smoothed matte.

    Args:
        blur: Gaussian sigma in pixels of the background blur; or
        background: an (H, W, 3) RGB image (resized to each frame) or an (R, G, B) colour.
        smooth: weight of the past matte in [0, 1) (0 = none).
        classes: the foreground classes by name or id (default: the model's person class).
    """

    in_order = True  # __call__ must see the frames in order (the smoothed matte)
    wants_confidence = True  # soft edges come from the class probabilities

    def __init__(self, *, blur: float | None = None, background: np.ndarray | tuple[int, int, int] | None = None,
                 smooth: float = 0.5, classes: Sequence[str | int] | None = None) -> None:
        if (blur is None) == (background is None):
            raise InputError("a background effect takes either blur=SIGMA or background=IMAGE|COLOUR")
        if blur is not None and not (isinstance(blur, (int, float)) and blur > 0):
            raise InputError(f"blur sigma must be a number > 0, got {blur!r}")
        if isinstance(background, np.ndarray) and (background.ndim != 3 or background.shape[2] != 3):
            raise InputError(f"background must be an (H, W, 3) RGB image, got shape {background.shape}")
        self.blur, self.background, self.classes = blur, background, classes
        self.smoother = AlphaSmoother(smooth)

    def check(self, names: Sequence[str]) -> None:
        """Raise InputError now if a model with these classes has no foreground to keep."""
        foreground_ids_of(names, self.classes)

    def prepare(self, result: Result) -> tuple[np.ndarray, np.ndarray]:
        """(matte (H, W) float32, new background (H, W, 3) uint8) of one frame: any thread, any order."""
        alpha = alpha_matte(result, self.classes)
        if self.blur is not None:
            return alpha, blurred(result.image, self.blur)
        h, w = result.hw
        if isinstance(self.background, np.ndarray):
            return alpha, cv2.resize(self.background, (w, h), interpolation=cv2.INTER_AREA)
        backdrop = np.empty_like(result.image)
        backdrop[:] = self.background
        return alpha, backdrop

    def __call__(self, result: Result, prepared: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """(H, W, 3) uint8 RGB: this frame with the effect (frames in order)."""
        alpha, backdrop = self.prepare(result) if prepared is None else prepared
        alpha = self.smoother(alpha)
        person = result.image if self.blur is not None else _foreground_colours(result.image, alpha)
        return _over(person, alpha, backdrop)
