"""OpenCV DNN (``cv2.dnn.readNetFromONNX``), as OpenCV's samples run a model.

The signature and metadata are read with ONNX Runtime (OpenCV does not expose them);
``run`` is serialised with a lock because an OpenCV ``Net`` is not thread-safe.
OpenCV DNN runs quantized (INT8 QDQ) files with its own arithmetic, which can lose
accuracy (one PWNet INT8 file: val mIoU 59.50 vs 69.48 with ONNX Runtime; the current
default INT8 file keeps 80.06 vs 80.07), so it refuses one unless forced.
"""

from __future__ import annotations

import os
import threading
import warnings

import numpy as np

from ...errors import ModelError
from .base import SessionConfig, describe_signature, file_precision, model_path
from .onnxruntime import OnnxSession

__all__ = ["OpenCVSession", "INT8_LOSS", "version"]

INT8_LOSS = ("OpenCV DNN runs INT8 (QDQ) models with a different quantized arithmetic that can lose accuracy "
             "(a PWNet INT8 file: val mIoU 59.50 vs 69.48 with ONNX Runtime; measure yours with "
             "'pixelwise val --backend opencv --force')")


def version() -> str:
    import cv2

    return str(cv2.__version__)


class OpenCVSession:
    """The same model run by OpenCV DNN."""

    backend = "opencv"

    def __init__(self, model: str | os.PathLike[str] | bytes, config: SessionConfig = SessionConfig()) -> None:
        import cv2

        path = model_path(model, self.backend)
        self.precision = _check_precision(config, file_precision(path), str(path))
        probe = OnnxSession(path, SessionConfig(threads=1, optimization="basic"))
        self.config = config
        self.source, self.inputs, self.outputs = probe.source, probe.inputs, probe.outputs
        self.metadata = probe.metadata
        del probe
        try:
            self._net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise ModelError(f"{self.source}: OpenCV DNN cannot load this model ({str(exc).strip()[:200]}); "
                             "use --backend onnxruntime") from None
        self._lock = threading.Lock()

    def run(self, feed: dict[str, np.ndarray], outputs: list[str] | None = None) -> list[np.ndarray]:
        names = outputs or [o.name for o in self.outputs]
        with self._lock:
            for name, value in feed.items():
                self._net.setInput(value, name)
            result = self._net.forward(names)
        return [np.asarray(r) for r in result]

    def describe(self) -> str:
        return describe_signature(self)


def _check_precision(config: SessionConfig, actual: str, source: str) -> str:
    if config.precision not in (None, actual):
        if config.precision in ("bf16", "fp16"):
            raise ModelError(f"{source}: OpenCV DNN runs fp32 on the CPU, not {config.precision}; "
                             f"use --backend openvino --precision {config.precision}")
        raise ModelError(f"{source}: this file runs at {actual}, not {config.precision}; pick the matching model file")
    if actual == "int8":
        if not config.force:
            raise ModelError(f"{source}: refusing to run an INT8 model with OpenCV DNN: {INT8_LOSS}; "
                             "use --backend onnxruntime (or --force to run it anyway)")
        warnings.warn(f"{source}: {INT8_LOSS}; running it because it was forced", UserWarning, stacklevel=3)
    return actual
