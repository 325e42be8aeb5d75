"""Model sessions: the only place that imports onnxruntime (and runs OpenCV DNN).

One session per model, created once and reused (``InferenceSession.run`` is thread-safe).
Thread spinning is off by default: spinning workers stay busy after each run and slow
the pre/post-processing, decoding and drawing that share the CPU with inference.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

__all__ = ["SessionConfig", "TensorInfo", "OnnxSession", "OpenCVSession", "open_session", "BACKENDS"]

BACKENDS = ("onnxruntime", "opencv")


@dataclass(frozen=True)
class SessionConfig:
    """How to run a model. ``threads`` = 0 lets ONNX Runtime choose (all cores)."""

    threads: int = 0
    spinning: bool = False
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    optimization: str = "all"  # "basic", "extended" or "all"


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int | str | None, ...]
    dtype: str

    def describe(self) -> str:
        dims = ", ".join("?" if d is None or isinstance(d, str) else str(d) for d in self.shape)
        return f"{self.name} [{dims}] {self.dtype}"


class OnnxSession:
    """A loaded ONNX model: inputs, outputs, metadata, and ``run``."""

    def __init__(self, model: str | os.PathLike[str] | bytes, config: SessionConfig = SessionConfig()) -> None:
        import onnxruntime as ort

        self.config = config
        self.source = "<bytes>" if isinstance(model, bytes) else str(model)
        if not isinstance(model, bytes):
            path = Path(model)
            if not path.is_file():
                raise ModelError(f"{path}: no such model file")
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
        available = ort.get_available_providers()
        providers = [p for p in config.providers if p in available] or ["CPUExecutionProvider"]
        try:
            self._session = ort.InferenceSession(model if isinstance(model, bytes) else str(model), opts,
                                                 providers=providers)
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.source}: not a usable ONNX model ({first[:200]})") from None
        self.inputs = tuple(TensorInfo(i.name, tuple(i.shape), i.type) for i in self._session.get_inputs())
        self.outputs = tuple(TensorInfo(o.name, tuple(o.shape), o.type) for o in self._session.get_outputs())
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)

    def run(self, feed: dict[str, np.ndarray], outputs: list[str] | None = None) -> list[np.ndarray]:
        return self._session.run(outputs, feed)

    def describe(self) -> str:
        ins = "; ".join(i.describe() for i in self.inputs)
        outs = "; ".join(o.describe() for o in self.outputs)
        return f"inputs: {ins}; outputs: {outs}"

    @property
    def raw(self) -> Any:
        """The underlying ``onnxruntime.InferenceSession`` (for benchmarks)."""
        return self._session


class OpenCVSession:
    """The same model run by OpenCV DNN (``cv2.dnn.readNetFromONNX``), as OpenCV's samples do.

    The signature and metadata are read with ONNX Runtime (OpenCV does not expose them);
    ``run`` is serialised with a lock because an OpenCV ``Net`` is not thread-safe.
    """

    def __init__(self, model: str | os.PathLike[str], config: SessionConfig = SessionConfig()) -> None:
        import threading

        import cv2

        probe = OnnxSession(model, SessionConfig(threads=1, optimization="basic"))
        self.config = config
        self.source, self.inputs, self.outputs = probe.source, probe.inputs, probe.outputs
        self.metadata = probe.metadata
        del probe
        try:
            self._net = cv2.dnn.readNetFromONNX(str(model))
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
        return OnnxSession.describe(self)  # type: ignore[arg-type]


def open_session(model: str | os.PathLike[str] | bytes, config: SessionConfig = SessionConfig(),
                 backend: str = "onnxruntime") -> OnnxSession | OpenCVSession:
    if backend == "onnxruntime":
        return OnnxSession(model, config)
    if backend == "opencv":
        if isinstance(model, bytes):
            raise ModelError("the OpenCV backend needs a model file, not bytes")
        return OpenCVSession(model, config)
    raise ModelError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
