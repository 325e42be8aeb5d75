"""Model sessions: the backend interface's names as the rest of the engine has used them.

The sessions live in :mod:`pixelwise.engine.backends` (one module per runtime, each the
only importer of it); this module keeps the names ``OnnxSession``, ``OpenCVSession``,
``SessionConfig``, ``TensorInfo`` and ``open_session`` for callers and benchmarks.
"""

from __future__ import annotations

from .backends import BACKENDS, Backend, SessionConfig, TensorInfo, open_backend
from .backends.onnxruntime import OnnxSession
from .backends.opencv import OpenCVSession

__all__ = ["SessionConfig", "TensorInfo", "OnnxSession", "OpenCVSession", "open_session", "BACKENDS", "Backend"]

open_session = open_backend
