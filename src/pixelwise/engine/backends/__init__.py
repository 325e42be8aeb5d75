"""Engine backends behind one small interface (:class:`~.base.Backend`).

``onnxruntime`` (the reference, always installed), ``openvino`` (the ``openvino`` extra)
and ``opencv`` (OpenCV DNN). Each module is the only importer of its runtime, and is
imported only when that backend is opened.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from ...errors import ModelError
from .base import PRECISIONS, Backend, SessionConfig, TensorInfo, file_precision, is_quantized

__all__ = ["BACKENDS", "PRECISIONS", "Backend", "SessionConfig", "TensorInfo", "open_backend", "is_installed",
           "installed_backends", "backend_version", "file_precision", "is_quantized"]

BACKENDS = ("onnxruntime", "openvino", "opencv")
_MODULES = {"onnxruntime": ("onnxruntime", "OnnxSession", "onnxruntime"),
            "openvino": ("openvino", "OpenVinoSession", "openvino"),
            "opencv": ("opencv", "OpenCVSession", "cv2")}


def is_installed(backend: str) -> bool:
    return importlib.util.find_spec(_MODULES[backend][2]) is not None


def installed_backends() -> tuple[str, ...]:
    return tuple(b for b in BACKENDS if is_installed(b))


def backend_version(backend: str) -> str:
    return str(importlib.import_module(f"{__name__}.{_MODULES[backend][0]}").version())


def open_backend(model: str | os.PathLike[str] | bytes, config: SessionConfig = SessionConfig(),
                 backend: str = "onnxruntime") -> Backend:
    """Load ``model`` with one backend (``auto`` is resolved by :mod:`pixelwise.engine.auto`)."""
    if backend not in _MODULES:
        raise ModelError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)} or auto")
    if not is_installed(backend):
        raise ModelError(f"the {backend} backend is not installed: pip install 'pixelwise[{backend}]'")
    module, cls, _ = _MODULES[backend]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)(model, config)
