"""Semantic models: one image in, per-pixel class scores (or ids) out.

Accepted outputs: ``(1, C, h, w)`` logits at any resolution (upsampled bilinearly to the
image), or ``(1, h, w)`` / ``(1, 1, h, w)`` / ``(h, w)`` integer class ids (resized
nearest-neighbour; such a model has no confidence map, so asking for one is an error). A model exported by
pixelwise may add a second output ``labels`` (1, H, W) holding the argmax at the input
size; it is used when the image already has the input size (``uses_labels``), and the
predictor does not fetch it otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, ModelError
from ..ops import letterbox, semantic
from ..result import Instances
from ..spec import ModelSpec

__all__ = ["SemanticAdapter", "Decoded", "ids_only_error", "main_output", "is_integer_dtype", "uses_labels",
           "outputs_read"]


@dataclass
class Decoded:
    """What an adapter returns for one image (all at the source resolution)."""

    semantic: np.ndarray
    confidence: np.ndarray | None = None
    instances: Instances | None = None


def is_integer_dtype(dtype: str) -> bool:
    """Whether an ONNX Runtime type string (``tensor(uint8)``) is an integer type."""
    return "int" in str(dtype)


def uses_labels(transform: letterbox.Transform, confidence: bool) -> bool:
    """Whether a ``labels`` output (the argmax at the input size) is the answer as it stands.

    It is when the image already has the model's input size and no confidence map is asked for.
    """
    return not confidence and transform.src_hw == transform.input_hw


def outputs_read(names: list[str], transform: letterbox.Transform, confidence: bool) -> list[str]:
    """The outputs to fetch for a semantic model: all of them, except a pixelwise export's ``labels``
    (beside ``logits``) where postprocess does not read it, i.e. unless the image has the input size and
    no confidence is asked (``uses_labels``). ``logits`` is always fetched: an output filter (the
    stream's temporal smoothing) works on it and drops ``labels``."""
    if {"labels", "logits"} <= set(names) and not uses_labels(transform, confidence):
        return [n for n in names if n != "labels"]
    return list(names)


def main_output(outputs: Any) -> Any:  # TensorInfo-like objects
    """The output that carries the prediction: ``logits`` if named so, else the first."""
    return next((o for o in outputs if o.name == "logits"), outputs[0])


def ids_only_error(spec: ModelSpec, out: np.ndarray) -> InputError:
    what = spec.name or "this model"
    return InputError(f"{what}: the model outputs class ids only ({out.dtype} {list(out.shape)}), so it has no "
                      "confidence map; drop --confidence / --min-conf (or export the model with its logits)")


def _check_spatial(out: np.ndarray, spec: ModelSpec) -> None:
    if out.size == 0 or min(out.shape[-2:]) == 0:
        raise ModelError(f"{spec.name or 'model'}: output has an empty spatial size {list(out.shape)}; "
                         "expected logits [1,C,h,w] or class ids [1,h,w] with h, w > 0")


class SemanticAdapter:
    """Any semantic model: logits or class ids, stretch or letterbox (the spec says which)."""

    name = "semantic"
    kind = "semantic"
    logits = True
    options = ("confidence",)

    @staticmethod
    def accepts(output_shapes: list[tuple]) -> bool:
        """Whether raw output shapes look like a semantic model."""
        if not output_shapes:
            return False
        shape = output_shapes[0]
        return len(shape) in (2, 3, 4)

    @staticmethod
    def from_metadata(session: Any) -> ModelSpec | None:
        return None  # generic models are read from their signature (engine.model)

    @staticmethod
    def check(session: Any, spec: ModelSpec) -> ModelSpec:
        out = main_output(session.outputs)
        ok = len(out.shape) == 4 or (is_integer_dtype(out.dtype) and len(out.shape) in (2, 3))
        if not ok:
            raise ModelError("semantic needs logits [1,C,h,w] or integer class ids [1,h,w] / [h,w], "
                             f"got {out.name} {list(out.shape)} {out.dtype}")
        ids = is_integer_dtype(out.dtype)
        return spec.replace(layout="ids") if ids and spec.layout != "ids" else spec

    @staticmethod
    def explain(spec: ModelSpec) -> str:
        if spec.layout == "ids":
            return f"class ids [1,h,w] (nearest-neighbour to the image; no confidence map); resize {spec.resize}"
        return f"logits [1,C,h,w] (argmax after bilinear upsampling); resize {spec.resize}"

    @staticmethod
    def preprocess(image: np.ndarray, spec: ModelSpec, input_hw: tuple[int, int]
                   ) -> tuple[np.ndarray, letterbox.Transform]:
        canvas, transform = letterbox.resize_to_input(image, input_hw, spec.resize, stride=spec.stride,
                                                      auto=spec.dynamic, pad_value=spec.pad_value)
        return letterbox.normalise_to_blob(canvas, spec.mean, spec.std), transform

    outputs_read = staticmethod(outputs_read)

    @staticmethod
    def postprocess(outputs: dict[str, np.ndarray], transform: letterbox.Transform, spec: ModelSpec,
                    confidence: bool = False) -> Decoded:
        src_hw = transform.src_hw
        n = spec.num_classes or None
        labels = outputs.get("labels")
        if labels is not None and uses_labels(transform, confidence):
            return Decoded(np.ascontiguousarray(labels.reshape(src_hw), dtype=semantic.labels_dtype(n or 256)))
        out = outputs.get("logits", next(iter(outputs.values())))
        if out.dtype.kind in "iu" and (out.ndim == 2 or (out.ndim == 4 and out.shape[1] == 1)):
            out = out.reshape((1,) + out.shape[-2:])
        if out.ndim in (3, 4):
            _check_spatial(out, spec)
        if out.ndim == 3 and out.dtype.kind in "iu":  # class ids
            if confidence:
                raise ids_only_error(spec, out)
            ids = semantic.crop_to_content(out, transform)[0]
            ids = semantic.ids_to_source(ids.astype(semantic.labels_dtype(n or 256)), src_hw)
            return Decoded(ids)
        if out.ndim != 4:
            raise ValueError(f"semantic output must be (1, C, h, w) logits or (1, h, w) ids, got {out.shape}")
        logits = semantic.crop_to_content(out[0], transform)
        ids = semantic.upsample_argmax(logits, src_hw, n)
        conf = semantic.upsample_maps(semantic.softmax_max(logits), src_hw) if confidence else None
        return Decoded(ids, conf)
