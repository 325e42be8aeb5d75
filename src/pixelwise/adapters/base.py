"""What every model family (adapter) provides: the protocol the loader and predictor use.

An adapter is a class of static methods, numpy only (testable without onnxruntime):

- ``name``: the spec's ``adapter`` value; ``kind``: "semantic" (a class per pixel) or
  "instance" (objects with boxes and masks), the data other code asks instead of
  comparing names; ``logits``: its raw output is per-class logits (tiled inference stitches
  them; its spec's ``ignore_index`` marks unlabelled pixels); ``options``: the keyword
  arguments its ``postprocess`` takes.
- ``accepts(output_shapes)``: whether raw output shapes can belong to this family.
- ``from_metadata(session)``: a spec from a foreign exporter's own metadata, or None.
- ``check(session, spec)``: the spec completed from the outputs (e.g. the layout), or a
  ``ModelError`` saying what the outputs should look like (the loader names the file).
- ``explain(spec)``: one line on the output layout, for ``pixelwise models``.
- ``preprocess(image, spec, input_hw)`` -> (blob, transform),
  ``outputs_read(names, transform, confidence)`` -> the outputs to fetch for this image, in the
  session's order: those ``postprocess`` or an output filter may read (a backend may then skip
  computing the others), and
  ``postprocess(outputs, transform, spec, **options)`` -> :class:`Decoded`.

``session`` is anything with ``source``, ``metadata`` (dict), ``inputs`` and ``outputs``
(each with ``name``, ``shape``, ``dtype``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np

from ..ops import letterbox
from ..spec import ModelSpec
from .semantic import Decoded

__all__ = ["Adapter", "KINDS", "Decoded"]

KINDS = ("semantic", "instance")


class Adapter(Protocol):
    name: ClassVar[str]
    kind: ClassVar[str]
    logits: ClassVar[bool]
    options: ClassVar[tuple[str, ...]]

    @staticmethod
    def accepts(output_shapes: list[tuple]) -> bool: ...

    @staticmethod
    def from_metadata(session: Any) -> ModelSpec | None: ...

    @staticmethod
    def check(session: Any, spec: ModelSpec) -> ModelSpec: ...

    @staticmethod
    def explain(spec: ModelSpec) -> str: ...

    @staticmethod
    def preprocess(image: np.ndarray, spec: ModelSpec, input_hw: tuple[int, int]
                   ) -> tuple[np.ndarray, letterbox.Transform]: ...

    @staticmethod
    def outputs_read(names: list[str], transform: letterbox.Transform, confidence: bool) -> list[str]: ...

    @staticmethod
    def postprocess(outputs: dict[str, np.ndarray], transform: letterbox.Transform, spec: ModelSpec,
                    **options: Any) -> Decoded: ...
