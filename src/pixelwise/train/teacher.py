"""The training-time teacher: DeepLab v3 MobileNetV2 (PASCAL VOC, TFLite) run by ai-edge-litert.

It never ships and never runs at inference: it measures what a pre-trained model reaches on
our data (a yardstick) and can give soft person targets for distillation. Input: the long
side resized to 257 and the rest padded; output logits (257, 257, 21), padding cropped off,
resized back to the image.

``features()`` gives the teacher's ASPP output (33 x 33 x 256, after the ImageNet + COCO
pre-training a from-scratch student cannot have) for feature distillation on any dataset;
``crop_targets()`` gives it and the teacher's whole class distribution on the same grid, for
distilling what it knows of all 21 VOC classes (animals, furniture, vehicles) on any dataset.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError

__all__ = ["Teacher", "VOC_PERSON", "VOC_ANIMALS", "VOC_CLASSES", "FEATURE_CHANNELS", "grid_probabilities"]

VOC_PERSON = 15
VOC_ANIMALS = (3, 8, 10, 12, 13, 17)  # bird, cat, cow, dog, horse, sheep
SIDE = 257
FEATURE_TENSOR = "concat_projection/Relu"  # the ASPP projection, (1, 33, 33, 256)
FEATURE_CHANNELS = 256
GRID = 33  # the teacher's stride-8 grid at 257 x 257, corners aligned: its features' and logits' resolution
VOC_CLASSES = 21


def _scaled(image: np.ndarray) -> np.ndarray:
    """uint8 RGB to the teacher's input range [-1, 1], float32."""
    return image.astype(np.float32) / 127.5 - 1


def grid_probabilities(logits: np.ndarray) -> np.ndarray:
    """(257, 257, 21) output logits to (33, 33, 21) float16 class probabilities on the teacher's own grid.

    The output is its 33 x 33 logits upsampled bilinearly with aligned corners (exactly, to float
    precision), so every 8th row and column are those logits themselves.
    """
    step = (SIDE - 1) // (GRID - 1)
    grid = logits[::step, ::step]
    grid = np.exp(grid - grid.max(axis=2, keepdims=True))
    return (grid / grid.sum(axis=2, keepdims=True)).astype(np.float16)


class Teacher:
    """``Teacher(path)(image_rgb) -> (H, W) float32`` probability of the VOC class (person)."""

    def __init__(self, path: str | Path, class_id: int = VOC_PERSON, threads: int = 2, features: bool = False) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise InputError(f"the teacher needs ai-edge-litert: pip install 'pixelwise[train]' ({exc})") from None
        if not Path(path).is_file():
            raise InputError(f"{path}: no such teacher model")
        with warnings.catch_warnings():  # keeping intermediate tensors is what feature distillation needs
            warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors", category=UserWarning)
            self.interpreter = Interpreter(model_path=str(path), num_threads=threads,
                                           experimental_preserve_all_tensors=features)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.class_id = class_id
        self.path = Path(path)
        self.lock = threading.Lock()  # one interpreter: one invocation at a time
        self.feature = -1
        if features:
            found = [d["index"] for d in self.interpreter.get_tensor_details() if d["name"] == FEATURE_TENSOR]
            if not found:
                raise InputError(f"{path}: no {FEATURE_TENSOR!r} tensor: feature distillation needs the DeepLab v3 "
                                 "MobileNetV2 teacher")
            self.feature = found[0]

    def features(self, image: np.ndarray) -> np.ndarray:
        """(33, 33, 256) float16 ASPP features of ``image`` resized (not padded) to 257 x 257."""
        return self.crop_targets(image, features=True)[0]

    def crop_targets(self, image: np.ndarray, features: bool = False, classes: bool = False) -> tuple[np.ndarray, ...]:
        """What the teacher says of a training crop, from one run on it resized (not padded) to
        257 x 257: its (33, 33, 256) ASPP features if ``features``, then its VOC class probabilities
        if ``classes`` (the softmax of its logits on the same 33 x 33 grid, from which its 257 x 257
        output is upsampled), both float16.

        The whole image maps onto the whole grid, so both follow any resize of the image (a
        student's map of another size is a resize away). The grid's corners are the image's
        corners (its points are 8 pixels apart at 257 x 257).
        """
        if not (features or classes):
            raise InputError("Teacher.crop_targets() needs features=True, classes=True or both")
        if features and self.feature < 0:
            raise InputError(f"{self.path}: the teacher's features need Teacher(path, features=True)")
        canvas = _scaled(cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_AREA))
        out = []
        with self.lock:
            self.interpreter.set_tensor(self.input, canvas[None])
            self.interpreter.invoke()
            if features:
                out.append(self.interpreter.get_tensor(self.feature)[0].astype(np.float16))
            logits = self.interpreter.get_tensor(self.output)[0].astype(np.float32) if classes else None
        if logits is not None:
            out.append(grid_probabilities(logits))
        return tuple(out)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        logits = self._logits(image)
        logits -= logits.max(axis=2, keepdims=True)
        prob = np.exp(logits)
        return (prob[..., self.class_id] / prob.sum(axis=2)).astype(np.float32)

    def classes(self, image: np.ndarray) -> np.ndarray:
        """(H, W) uint8: the teacher's most likely VOC class (0 background .. 20) at each pixel."""
        return self._logits(image).argmax(axis=2).astype(np.uint8)

    def _logits(self, image: np.ndarray) -> np.ndarray:
        """(H, W, 21) float32 logits of ``image``: its long side at 257, padded, resized back."""
        h, w = image.shape[:2]
        scale = SIDE / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        canvas = np.zeros((SIDE, SIDE, 3), np.float32)
        canvas[:nh, :nw] = _scaled(cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA))
        with self.lock:
            self.interpreter.set_tensor(self.input, canvas[None])
            self.interpreter.invoke()
            logits = self.interpreter.get_tensor(self.output)[0, :nh, :nw].astype(np.float32)
        return cv2.resize(logits, (w, h), interpolation=cv2.INTER_LINEAR)
