"""ONNX Runtime (the reference backend): the only importer of ``onnxruntime``.

One session per model, created once and reused (``InferenceSession.run`` is thread-safe).
Thread spinning is off by default: spinning workers stay busy after each run and slow
the pre/post-processing, decoding and drawing that share the CPU with inference.
The CPU provider runs a file at its own precision: FP32, or INT8 for a quantized file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError
from .base import SessionConfig, TensorInfo, describe_signature, file_precision, refuse_other_file_precision

__all__ = ["OnnxSession", "version", "check_precision"]


def version() -> str:
    import onnxruntime as ort

    return str(ort.__version__)


def check_precision(requested: str | None, actual: str, source: str) -> str:
    """The precision a file runs at with ONNX Runtime's CPU provider, or a clear refusal."""
    if requested is None or requested == actual:
        return actual
    refuse_other_file_precision(requested, actual, source)
    raise ModelError(f"{source}: ONNX Runtime's CPU provider runs this file in fp32 only, not {requested}; "
                     f"use --backend openvino --precision {requested} (pip install 'pixelwise[openvino]')")


class OnnxSession:
    """A loaded ONNX model: inputs, outputs, metadata, and ``run``."""

    backend = "onnxruntime"

    def __init__(self, model: str | os.PathLike[str] | bytes, config: SessionConfig = SessionConfig()) -> None:
        import onnxruntime as ort

        self.config = config
        self.source = "<bytes>" if isinstance(model, bytes) else str(model)
        if not isinstance(model, bytes) and not Path(model).is_file():
            raise ModelError(f"{model}: no such model file")
        self.precision = check_precision(config.precision, file_precision(model), self.source)
        available = ort.get_available_providers()
        providers = [p for p in config.providers if p in available] or ["CPUExecutionProvider"]
        try:
            self._session = ort.InferenceSession(model if isinstance(model, bytes) else str(model),
                                                 _session_options(ort, config), providers=providers)
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.source}: not a usable ONNX model ({first[:200]})") from None
        self.inputs = tuple(TensorInfo(i.name, tuple(i.shape), i.type) for i in self._session.get_inputs())
        self.outputs = tuple(TensorInfo(o.name, tuple(o.shape), o.type) for o in self._session.get_outputs())
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)

    def run(self, feed: dict[str, np.ndarray], outputs: list[str] | None = None) -> list[np.ndarray]:
        return self._session.run(outputs, feed)

    def describe(self) -> str:
        return describe_signature(self)

    @property
    def raw(self) -> Any:
        """The underlying ``onnxruntime.InferenceSession`` (for benchmarks)."""
        return self._session


def _session_options(ort: Any, config: SessionConfig) -> Any:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = config.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[config.optimization]
    opts.log_severity_level = 3
    if not config.spinning:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return opts
