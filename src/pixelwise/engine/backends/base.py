"""The one small interface every engine backend implements, and what they share.

A backend session has ``inputs``/``outputs`` (:class:`TensorInfo`), the model's
``metadata``, a ``source``, the ``backend`` name, the ``precision`` it runs at, and
``run(feed, outputs=None) -> list[np.ndarray]``. Each backend module is the only
importer of its runtime.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ...errors import ModelError

__all__ = ["SessionConfig", "TensorInfo", "Backend", "PRECISIONS", "describe_signature", "is_quantized",
           "model_path", "file_precision", "refuse_other_file_precision"]

PRECISIONS = ("fp32", "bf16", "fp16", "int8")
_QUANT_OPS = (b"DequantizeLinear", b"QLinearConv", b"QLinearMatMul", b"ConvInteger", b"MatMulInteger")


@dataclass(frozen=True)
class SessionConfig:
    """How to run a model.

    ``threads`` = 0 lets the runtime choose (all cores). ``precision`` None = the file's
    own (fp32, or int8 for a quantized file). ``cache_dir``: where OpenVINO keeps compiled
    models (None = no cache). ``force``: run a combination known to lose accuracy
    (OpenCV DNN on an INT8 file) instead of refusing it.
    """

    threads: int = 0
    spinning: bool = False
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    optimization: str = "all"  # "basic", "extended" or "all"
    precision: str | None = None
    cache_dir: str | None = None
    force: bool = False

    def __post_init__(self) -> None:
        if self.precision is not None and self.precision not in PRECISIONS:
            raise ModelError(f"unknown precision {self.precision!r}; expected one of {', '.join(PRECISIONS)} or auto")


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int | str | None, ...]
    dtype: str

    def describe(self) -> str:
        dims = ", ".join("?" if d is None or isinstance(d, str) else str(d) for d in self.shape)
        return f"{self.name} [{dims}] {self.dtype}"


class Backend(Protocol):
    """What the predictor needs from a loaded model."""

    backend: str
    precision: str
    source: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    metadata: dict[str, str]

    def run(self, feed: dict[str, np.ndarray], outputs: list[str] | None = None) -> list[np.ndarray]: ...

    def describe(self) -> str: ...


def describe_signature(session: Backend) -> str:
    ins = "; ".join(i.describe() for i in session.inputs)
    outs = "; ".join(o.describe() for o in session.outputs)
    return f"inputs: {ins}; outputs: {outs}"


def model_path(model: str | os.PathLike[str] | bytes, backend: str) -> Path:
    """The model as a file path (backends other than ONNX Runtime need a file)."""
    if isinstance(model, bytes):
        raise ModelError(f"the {backend} backend needs a model file, not bytes")
    path = Path(model)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    return path


def is_quantized(model: str | os.PathLike[str] | bytes) -> bool:
    """True for a quantized (INT8 QDQ or QOperator) ONNX model: its graph has (de)quantize ops."""
    data = model if isinstance(model, bytes) else Path(model).read_bytes()
    return any(op in data for op in _QUANT_OPS)


def file_precision(model: str | os.PathLike[str] | bytes) -> str:
    return "int8" if is_quantized(model) else "fp32"


def refuse_other_file_precision(requested: str, actual: str, source: str) -> None:
    """The refusals every backend shares: int8 asked of an FP32 file, another precision of an INT8 file."""
    if requested == "int8":
        raise ModelError(f"{source}: --precision int8 needs a quantized model file; make one with "
                         "'pixelwise quantize MODEL.onnx --calib DIR' (or use --int8 for the default model)")
    if actual == "int8":
        raise ModelError(f"{source}: this file is quantized (INT8); for {requested} use its FP32 model file")
