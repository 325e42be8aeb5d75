"""The training-time teacher: DeepLab v3 MobileNetV2 (PASCAL VOC, TFLite) run by ai-edge-litert.

It never ships and never runs at inference: it measures what a pre-trained model reaches on
our data (a yardstick) and can give soft person targets for distillation. Input: the long
side resized to 257 and the rest padded; output logits (257, 257, 21), padding cropped off,
resized back to the image.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError

__all__ = ["Teacher", "VOC_PERSON"]

VOC_PERSON = 15
SIDE = 257


class Teacher:
    """``Teacher(path)(image_rgb) -> (H, W) float32`` probability of the VOC class (person)."""

    def __init__(self, path: str | Path, class_id: int = VOC_PERSON, threads: int = 2) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise InputError(f"the teacher needs ai-edge-litert: pip install 'pixelwise[train]' ({exc})") from None
        if not Path(path).is_file():
            raise InputError(f"{path}: no such teacher model")
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.class_id = class_id

    def __call__(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        scale = SIDE / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        canvas = np.zeros((SIDE, SIDE, 3), np.float32)
        canvas[:nh, :nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1
        self.interpreter.set_tensor(self.input, canvas[None])
        self.interpreter.invoke()
        logits = self.interpreter.get_tensor(self.output)[0, :nh, :nw].astype(np.float32)
        logits = cv2.resize(logits, (w, h), interpolation=cv2.INTER_LINEAR)
        logits -= logits.max(axis=2, keepdims=True)
        prob = np.exp(logits)
        return (prob[..., self.class_id] / prob.sum(axis=2)).astype(np.float32)
