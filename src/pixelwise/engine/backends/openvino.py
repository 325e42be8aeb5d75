"""OpenVINO (``pip install 'pixelwise[openvino]'``): the only importer of ``openvino``.

It reads the same ``.onnx`` files directly (no conversion step), compiles them for the CPU
with a latency hint, ``INFERENCE_NUM_THREADS`` = the configured threads and
``INFERENCE_PRECISION_HINT`` from the precision (fp32 is pinned explicitly: on CPUs with
AMX/AVX512-BF16 OpenVINO would otherwise run bf16). Compiled models are cached in
``config.cache_dir`` (OpenVINO's ``CACHE_DIR``), so a second load is quick. bf16 and fp16
run only where the CPU plugin lists them in ``OPTIMIZATION_CAPABILITIES``; int8 means a
quantized model file, refused on CPUs without VNNI unless forced (see ``INT8_WITHOUT_VNNI``).

A model whose input height and width are dynamic is also compiled once per input shape it
meets, as a static-shape copy: OpenVINO plans memory and picks kernels for a known shape,
which is faster than the dynamic graph (``bench/backends.py`` measures both). A copy also
computes only the outputs a run asks for: the predictor skips a semantic model's ``labels``
(an in-graph upsample and argmax) where it would not read it. One copy per (input shapes,
outputs asked for), up to ``MAX_COPIES``; after that, or where a copy does not compile, the
model as loaded runs.
"""

from __future__ import annotations

import functools
import os
import threading
import warnings
from typing import Any

import numpy as np

from ...errors import ModelError
from ...machine import has_vnni
from .base import (
    SessionConfig,
    TensorInfo,
    describe_signature,
    file_precision,
    model_path,
    refuse_other_file_precision,
)

__all__ = ["OpenVinoSession", "cpu_precisions", "version", "is_available"]

MAX_COPIES = 4  # specialised copies compiled per session, one per (input shapes, outputs asked for)

_HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}
_DTYPES = {"f32": "tensor(float)", "f16": "tensor(float16)", "bf16": "tensor(bfloat16)", "u8": "tensor(uint8)",
           "i8": "tensor(int8)", "i32": "tensor(int32)", "i64": "tensor(int64)", "boolean": "tensor(bool)"}


def is_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def version() -> str:
    import openvino as ov

    return str(ov.get_version()).split("-")[0]


@functools.lru_cache(maxsize=1)
def _core() -> Any:
    import openvino as ov

    return ov.Core()


def cpu_precisions() -> tuple[str, ...]:
    """Precisions the OpenVINO CPU plugin can run on this machine (from OPTIMIZATION_CAPABILITIES)."""
    caps = set(_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    names = {"FP32": "fp32", "BF16": "bf16", "FP16": "fp16", "INT8": "int8"}
    return tuple(p for cap, p in names.items() if cap in caps)


INT8_WITHOUT_VNNI = ("OpenVINO's INT8 kernels on a CPU without VNNI do not reproduce the model (the default INT8 "
                     "model: 21.8% pixel agreement with FP32 on an AVX2-only AMD EPYC, ONNX Runtime 99.4%)")


def _check_precision(requested: str | None, actual: str, source: str, force: bool = False) -> str:
    if actual == "int8" and requested in (None, "int8") and not has_vnni():
        if not force:
            raise ModelError(f"{source}: refusing to run an INT8 model with OpenVINO here: {INT8_WITHOUT_VNNI}; "
                             "use --backend onnxruntime (or --force to run it anyway)")
        warnings.warn(f"{source}: {INT8_WITHOUT_VNNI}; running it because it was forced", UserWarning, stacklevel=4)
    if requested is None or requested == actual:
        return actual
    refuse_other_file_precision(requested, actual, source)
    if requested not in cpu_precisions():
        raise ModelError(f"{source}: this CPU cannot run {requested} with OpenVINO (its CPU plugin offers "
                         f"{', '.join(cpu_precisions())}; bf16 needs AVX512-BF16 or AMX, fp16 needs AVX512-FP16 "
                         "or AMX-FP16); use --precision fp32")
    return requested


class OpenVinoSession:
    """A model compiled by OpenVINO for the CPU: inputs, outputs, metadata and ``run``.

    Thread-safe: each calling thread gets its own infer request.
    """

    backend = "openvino"

    def __init__(self, model: str | os.PathLike[str] | bytes, config: SessionConfig = SessionConfig(),
                 max_copies: int = MAX_COPIES) -> None:
        path = model_path(model, self.backend)
        self.config = config
        self.source = str(path)
        self.precision = _check_precision(config.precision, file_precision(path), self.source, config.force)
        self._model = self._compile_guarded(lambda: _core().read_model(str(path)))  # the source of every copy
        self._compiled = self._compile_guarded(lambda: self._compile(self._model))
        self.inputs = tuple(_tensor_info(p) for p in self._model.inputs)
        self.outputs = tuple(_tensor_info(p) for p in self._model.outputs)
        self.metadata = _metadata(self._model)
        self._ports = {o.name: i for i, o in enumerate(self.outputs)}
        self._local = threading.local()
        self._dynamic = any(d is None for i in self.inputs for d in i.shape)
        self._copies_left = max_copies
        # (input shapes, outputs asked for or None for all) -> (compiled copy, output name -> its position)
        self._copies: dict[tuple, tuple[Any, dict[str, int]]] = {}
        self._failed: set[tuple] = set()  # keys whose copy would not compile: the model as loaded runs them
        self._lock = threading.Lock()

    @property
    def compiled_shapes(self) -> tuple[tuple[tuple[int, ...], ...], ...]:
        """The input shapes (one per input) this session has compiled a static-shape copy for."""
        with self._lock:
            keys = list(self._copies)
        return tuple(dict.fromkeys(shapes for shapes, _ in keys)) if self._dynamic else ()

    def run(self, feed: dict[str, np.ndarray], outputs: list[str] | None = None) -> list[np.ndarray]:
        names = tuple(outputs or (o.name for o in self.outputs))
        unknown = [n for n in names if n not in self._ports]
        if unknown:
            raise ModelError(f"{self.source}: no output named {unknown[0]!r}; it has {', '.join(self._ports)}")
        compiled, ports = self._copy_for(tuple(tuple(int(d) for d in v.shape) for v in feed.values()), names)
        requests = getattr(self._local, "requests", None)
        if requests is None:
            requests = self._local.requests = {}
        request = requests.get(id(compiled))
        if request is None:
            request = requests[id(compiled)] = compiled.create_infer_request()
        # the inputs are read in place (no copy); the outputs are the request's own buffers, reused by
        # its next call, so they are copied once here
        values = list(request.infer(feed, share_inputs=True, share_outputs=True).values())
        return [np.array(values[ports[n]], copy=True) for n in names]

    def describe(self) -> str:
        return describe_signature(self)

    def _copy_for(self, shapes: tuple[tuple[int, ...], ...], names: tuple[str, ...]) -> tuple[Any, dict[str, int]]:
        """The compiled model for these input shapes and outputs, and where each output is in its results.

        A dynamic model gets a static-shape copy per set of input shapes, and a copy computes only
        the outputs asked for (the predictor skips a semantic model's ``labels`` where it does not
        read it); up to ``max_copies`` copies, then the model as loaded runs (all its outputs).
        """
        prune = len(set(names)) < len(self.outputs)
        if not (self._dynamic or prune):
            return self._compiled, self._ports
        key = (shapes, names if prune else None)
        found = self._copies.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._copies and key not in self._failed and self._copies_left:
                try:
                    compiled = self._compile(self._specialised(shapes, names, prune))
                    self._copies[key] = (compiled, {n: i for i, n in enumerate(names)} if prune else self._ports)
                    self._copies_left -= 1
                except RuntimeError:  # e.g. a shape the graph cannot take statically: the model as loaded runs it
                    self._failed.add(key)
            return self._copies.get(key, (self._compiled, self._ports))

    def _specialised(self, shapes: tuple[tuple[int, ...], ...], names: tuple[str, ...], prune: bool) -> Any:
        import openvino as ov

        ov_model = self._model.clone()
        if self._dynamic:
            ov_model.reshape({port.get_any_name(): list(shape) for port, shape in zip(ov_model.inputs, shapes)})
        if prune:
            results = ov_model.get_results()
            ov_model = ov.Model([results[self._ports[n]] for n in names], ov_model.get_parameters(), "pixelwise")
        return ov_model

    def _compile(self, ov_model: Any) -> Any:
        return _core().compile_model(ov_model, "CPU", _compile_config(self.config, self.precision))

    def _compile_guarded(self, make: Any) -> Any:
        try:
            return make()
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.source}: OpenVINO cannot load this model ({first[:200]}); "
                             "use --backend onnxruntime") from None


def _compile_config(config: SessionConfig, precision: str) -> dict[str, Any]:
    props: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
    if config.threads > 0:
        props["INFERENCE_NUM_THREADS"] = config.threads
    if precision in _HINTS:
        props["INFERENCE_PRECISION_HINT"] = _HINTS[precision]
    if config.cache_dir:
        os.makedirs(config.cache_dir, exist_ok=True)
        props["CACHE_DIR"] = str(config.cache_dir)
    return props


def _tensor_info(port: Any) -> TensorInfo:
    shape = tuple(d.get_length() if d.is_static else None for d in port.get_partial_shape())
    kind = port.get_element_type().get_type_name()
    return TensorInfo(port.get_any_name(), shape, _DTYPES.get(kind, f"tensor({kind})"))


def _metadata(ov_model: Any) -> dict[str, str]:
    """ONNX metadata_props, which OpenVINO keeps in the model's rt_info under 'framework'."""
    info = ov_model.get_rt_info()
    if "framework" not in info:
        return {}
    return {str(k): v.astype(str) if hasattr(v, "astype") else str(v) for k, v in info["framework"].items()}
