"""Semantic models: one image in, per-pixel class scores (or ids) out.

Accepted outputs: ``(1, C, h, w)`` logits at any resolution (upsampled bilinearly to the
image), or ``(1, h, w)`` / ``(1, 1, h, w)`` integer class ids. A model exported by
pixelwise may add a second output ``labels`` (1, H, W) holding the argmax at the input
size; it is used when the image already has the input size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ops import letterbox, semantic
from ..result import Instances
from ..spec import ModelSpec

__all__ = ["SemanticAdapter", "Decoded"]


@dataclass
class Decoded:
    """What an adapter returns for one image (all at the source resolution)."""

    semantic: np.ndarray
    confidence: np.ndarray | None = None
    instances: Instances | None = None


class SemanticAdapter:
    name = "semantic"

    @staticmethod
    def accepts(output_shapes: list[tuple]) -> bool:
        """Whether raw output shapes look like a semantic model."""
        if not output_shapes:
            return False
        shape = output_shapes[0]
        return len(shape) in (3, 4)

    @staticmethod
    def preprocess(image: np.ndarray, spec: ModelSpec, input_hw: tuple[int, int]
                   ) -> tuple[np.ndarray, letterbox.Transform]:
        canvas, transform = letterbox.resize_to_input(image, input_hw, spec.resize)
        return letterbox.normalise_to_blob(canvas, spec.mean, spec.std), transform

    @staticmethod
    def postprocess(outputs: dict[str, np.ndarray], transform: letterbox.Transform, spec: ModelSpec,
                    confidence: bool = False) -> Decoded:
        src_hw = transform.src_hw
        n = spec.num_classes or None
        labels = outputs.get("labels")
        if labels is not None and not confidence and transform.src_hw == transform.input_hw:
            return Decoded(np.ascontiguousarray(labels.reshape(src_hw), dtype=semantic.labels_dtype(n or 256)))
        out = outputs.get("logits", next(iter(outputs.values())))
        if out.ndim == 4 and out.shape[1] == 1 and out.dtype.kind in "iu":
            out = out[:, 0]
        if out.ndim == 3 and out.dtype.kind in "iu":  # class ids
            ids = semantic.crop_to_content(out, transform)[0]
            ids = semantic.ids_to_source(ids.astype(semantic.labels_dtype(n or 256)), src_hw)
            return Decoded(ids)
        if out.ndim != 4:
            raise ValueError(f"semantic output must be (1, C, h, w) logits or (1, h, w) ids, got {out.shape}")
        logits = semantic.crop_to_content(out[0], transform)
        ids = semantic.upsample_argmax(logits, src_hw, n)
        conf = semantic.upsample_maps(semantic.softmax_max(logits), src_hw) if confidence else None
        return Decoded(ids, conf)
