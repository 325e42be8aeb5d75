"""``--backend auto``: the fastest installed backend + precision that keeps the model's answers.

Measured, never assumed. On first use of a model on a machine, every candidate path is
opened, warmed up with one run, and its bare model time is measured against ONNX Runtime at
the file's own precision (the baseline) in paired rounds with an early exit (see
:mod:`.race`: a candidate must be >= ``MARGIN`` faster in most of the rounds; one that can no
longer win stops being timed). Only the candidates that win are then checked, fastest first,
on a few check images (the packaged street scene and deterministic crops of it) through the
full predictor, against the baseline's results: semantic models must agree on >= 99.5% of
pixels, instance models must find the same detections (same class, box IoU >= 0.99). The
first that agrees is chosen, else the baseline. Paths the CPU cannot run faithfully are not
candidates (OpenVINO INT8 without VNNI, unless forced); OpenVINO is imported only when it is
a candidate. The choice, the measured agreement, the timings and the check's own phases are
cached as JSON, keyed by the model's sha256, the CPU's model name and flags, the package
versions and the requested backend/precision, so later loads only hash the model file and
read that JSON.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, PixelwiseError
from ..machine import cpu_info, has_vnni
from ..spec import ModelSpec
from . import race, selfcheck
from .backends import (
    BACKENDS,
    PRECISIONS,
    Backend,
    SessionConfig,
    backend_version,
    file_precision,
    installed_backends,
    open_backend,
)
from .selfcheck import MIN_BOX_IOU, MIN_PIXEL_AGREEMENT, agreement, check_images, with_precision

__all__ = ["open_model", "lookup", "forget", "AutoConfig", "Choice", "candidates", "refused_here", "agreement",
           "check_images", "choice_key", "select_backend", "cached_choice", "MIN_PIXEL_AGREEMENT",
           "MIN_BOX_IOU", "MARGIN"]

MARGIN = race.MARGIN  # a candidate must be >= 10% faster than the baseline to replace it
_DISTRIBUTIONS = {"onnxruntime": ("onnxruntime", "onnxruntime-gpu", "onnxruntime-openvino", "onnxruntime-directml"),
                  "openvino": ("openvino",)}
_KEY_VERSION = 3  # bumped when the measurement changes, so older cached choices are measured again


@dataclass(frozen=True)
class AutoConfig:
    """How ``auto`` measures: where its choices are cached, the check images, the writer.

    ``images`` returns RGB uint8 check images (called once per measurement: the first is
    the race's input, all of them the agreement check's); ``save(path, data)`` writes the
    cache file atomically; ``self_check`` False skips the measurement: a cached choice is
    still used, else the baseline path runs; ``rounds``: the paired timing rounds at most.
    """

    cache_dir: Path | None = None
    images: Callable[[], list[np.ndarray]] | None = None
    save: Callable[[Path, bytes], Any] | None = None
    self_check: bool = True
    rounds: int = race.ROUNDS


@dataclass(frozen=True)
class Choice:
    """The measured choice for one model on one machine."""

    backend: str
    precision: str
    reference: str
    agreement: dict[str, float] = field(default_factory=dict)  # "backend/precision" -> agreement with reference
    bare_ms: dict[str, float] = field(default_factory=dict)  # "backend/precision" -> median bare run
    rejected: dict[str, str] = field(default_factory=dict)  # "backend/precision" -> why not
    cpu: str = ""
    measured: bool = False
    key: str = ""
    speedup: dict[str, float] = field(default_factory=dict)  # median over rounds of baseline time / path time
    rounds: dict[str, int] = field(default_factory=dict)  # "backend/precision" -> paired rounds it was timed in
    check_ms: dict[str, float] = field(default_factory=dict)  # the self-check's phases and "total"

    @property
    def label(self) -> str:
        return f"{self.backend}/{self.precision}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Choice:
        return cls(**json.loads(text))

    def summary(self) -> str:
        if not self.measured:
            why = self.rejected.get("*")
            if why is None:
                skipped = "; ".join(f"{k}: {v}" for k, v in sorted(self.rejected.items()))
                why = f"the only path for this file here; {skipped}" if skipped else \
                    "the only installed path for this file"
            return f"{self.label} ({why})"
        times = ", ".join(f"{k} {v:.1f} ms" for k, v in sorted(self.bare_ms.items(), key=lambda kv: kv[1]))
        agree = ", ".join(f"{k} {v * 100:.2f}%" for k, v in sorted(self.agreement.items()))
        cost = f"; self-check {self.check_ms['total'] / 1e3:.1f} s" if "total" in self.check_ms else ""
        return f"{self.label} (measured; bare {times or '-'}; agreement with {self.reference}: {agree or '-'}{cost})"


def choice_key(model_sha256: str, backends: Sequence[str], scope: str = "auto/auto") -> str:
    """The cache key: model, CPU model and flags, package versions (read without importing
    the runtimes), and ``scope``, the backend/precision that was asked for."""
    cpu = cpu_info()
    versions = {b: _version(b) for b in backends}
    text = json.dumps({"model": model_sha256, "cpu": cpu["model"], "flags": cpu["flags"], "versions": versions,
                       "scope": scope, "pixelwise_auto": _KEY_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@functools.lru_cache(maxsize=None)
def _version(backend: str) -> str:
    """The installed package's version, from its metadata (once per process; nothing imported)."""
    from importlib import metadata

    for dist in _DISTRIBUTIONS.get(backend, (backend,)):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return backend_version(backend)  # installed some other way: ask the runtime itself


def refused_here(file_prec: str, force: bool = False) -> dict[str, str]:
    """Paths that are installed but not candidates on this CPU, and why (no runtime is imported)."""
    if file_prec == "int8" and not force and "openvino" in installed_backends() and not has_vnni():
        return {"openvino/int8": "OpenVINO's INT8 kernels need VNNI, which this CPU lacks (they do not reproduce "
                                 "the model without it); --force runs it anyway"}
    return {}


def _backends(file_prec: str, backend: str = "auto", force: bool = False) -> list[str]:
    """The backends that may have candidate paths, decided without importing any runtime.

    Under ``auto`` a path refused on this CPU is left out; asked for by name, the backend
    itself refuses it with its reason.
    """
    found = ["onnxruntime"]
    refused = refused_here(file_prec, force) if backend == "auto" else {}
    if "openvino" in installed_backends() and f"openvino/{file_prec}" not in refused:
        found.append("openvino")
    return [b for b in found if backend in ("auto", b)]


def candidates(file_prec: str, backend: str = "auto", precision: str | None = None,
               force: bool = False) -> list[tuple[str, str]]:
    """(backend, precision) paths to try, the baseline (ONNX Runtime at the file's precision) first.

    OpenVINO's bf16/fp16 paths (FP32 files only) are listed where its CPU plugin offers
    them; asking for that is what imports OpenVINO, so it is done only when it can matter.
    """
    found = [("onnxruntime", file_prec)]
    if "openvino" in _backends(file_prec, backend, force):
        extra: list[str] = []
        if file_prec == "fp32" and precision in (None, "bf16", "fp16"):
            from .backends.openvino import cpu_precisions

            extra = [p for p in ("bf16", "fp16") if p in cpu_precisions()]
        found += [("openvino", p) for p in (file_prec, *extra)]
    return [(b, p) for b, p in found if backend in ("auto", b) and precision in (None, p)]


def open_model(model: str | Path | bytes, config: SessionConfig = SessionConfig(),
               overrides: dict[str, Any] | None = None, backend: str = "auto", precision: str = "auto",
               auto: AutoConfig = AutoConfig()) -> tuple[Backend, ModelSpec, Choice]:
    """A model file -> (backend session, spec, how the backend was chosen).

    ``backend`` "auto" measures and picks (see module doc); so does "openvino" with
    precision "auto" (among OpenVINO's precisions) or "int8" (checked against ONNX Runtime).
    Any other pair is opened as asked.
    ``auto.cache_dir`` is the cache root: choices in ``auto/``, OpenVINO's compiled
    models in ``openvino/`` (unless ``config.cache_dir`` says otherwise).
    """
    from .model import load_model

    if backend not in ("auto", *BACKENDS):
        raise ModelError(f"unknown backend {backend!r}; expected auto or one of {', '.join(BACKENDS)}")
    if precision not in ("auto", *PRECISIONS):
        raise ModelError(f"unknown precision {precision!r}; expected auto or one of {', '.join(PRECISIONS)}")
    ov_cache = str(Path(auto.cache_dir) / "openvino") if auto.cache_dir is not None else None
    config = replace(config, precision=None if precision == "auto" else precision,
                     cache_dir=config.cache_dir or ov_cache)
    # OpenVINO's INT8 kernels reproduce some quantized files and not others (measured in docs/backends.md):
    # asked for by name, they are checked against ONNX Runtime like every measured path
    measured = backend == "auto" or (backend == "openvino" and precision in ("auto", "int8"))
    if not measured or isinstance(model, bytes):
        session, spec = load_model(model, config, overrides, "onnxruntime" if backend == "auto" else backend)
        label = f"{session.backend}/{session.precision}"
        return session, spec, Choice(session.backend, session.precision, reference=label)
    if Path(model).suffix.lower() not in (".onnx", ".ort"):
        raise ModelError(f"{model}: expected an .onnx model file")
    if not Path(model).is_file():
        raise ModelError(f"{model}: no such model file")
    choices = replace(auto, cache_dir=Path(auto.cache_dir) / "auto") if auto.cache_dir is not None else auto
    return select_backend(Path(model), config, choices, overrides, backend)


def cached_choice(path: Path | None) -> Choice | None:
    """The cached choice at ``path``, or None if there is none or it is unreadable (corrupt,
    truncated, another layout): then auto measures afresh and overwrites it."""
    if path is None or not path.is_file():
        return None
    try:
        choice = Choice.from_json(path.read_text())
    except (OSError, ValueError, TypeError):  # TypeError: JSON that is not an object of Choice's fields
        return None
    return choice if choice.backend in BACKENDS and choice.precision in PRECISIONS and choice.measured else None


def lookup(model: Path, cache_root: Path) -> Choice | None:
    """The cached ``--backend auto`` choice for ``model`` on this machine, if it was measured."""
    data = model.read_bytes()
    file_prec = file_precision(data)
    backends = _backends(file_prec)
    if "openvino" not in backends:
        return _unmeasured(("onnxruntime", file_prec), file_prec)
    return cached_choice(cache_file(model, AutoConfig(cache_dir=Path(cache_root) / "auto"), backends, data=data))


def forget(model: Path, cache_root: Path) -> bool:
    """Delete this machine's cached ``--backend auto`` choice for ``model``, so that its next load
    measures again (e.g. after a check that ran while other work loaded the CPU); True if one was cached."""
    data = model.read_bytes()
    backends = _backends(file_precision(data))
    if "openvino" not in backends:
        return False
    path = cache_file(model, AutoConfig(cache_dir=Path(cache_root) / "auto"), backends, data=data)
    if path is None or not path.is_file():
        return False
    path.unlink()
    return True


def cache_file(model: Path, auto: AutoConfig, backends: Sequence[str], scope: str = "auto/auto",
               data: bytes | None = None) -> Path | None:
    """Where the choice for ``model`` (its bytes: ``data``, else read) is cached; None without a cache."""
    if auto.cache_dir is None:
        return None
    digest = hashlib.sha256(model.read_bytes() if data is None else data).hexdigest()
    key = choice_key(digest, sorted({"onnxruntime", *backends}), scope)
    return Path(auto.cache_dir) / f"{model.stem}-{key}.json"


def select_backend(model: Path, config: SessionConfig = SessionConfig(), auto: AutoConfig = AutoConfig(),
                   overrides: dict[str, Any] | None = None, backend: str = "auto"
                   ) -> tuple[Backend, ModelSpec, Choice]:
    """Open ``model`` on the fastest candidate path that agrees with the reference (see module doc).

    ``backend`` limits the candidates to one backend ("auto" = all installed);
    ``config.precision`` limits them to one precision (None = any). A cached choice costs
    hashing the model file and reading one JSON file; no runtime is imported for it.
    """
    from .model import spec_from_session

    start, phases = time.perf_counter(), dict[str, float]()
    data = model.read_bytes()
    file_prec = file_precision(data)
    backends = _backends(file_prec, backend, config.force)
    scope = f"{backend}/{config.precision or 'auto'}{'/forced' if config.force else ''}"
    path = cache_file(model, auto, backends, scope, data) if "openvino" in backends else None
    found = _open_cached(model, config, overrides, cached_choice(path), backends)
    if found is not None:
        return found
    phases["cache lookup"] = round((time.perf_counter() - start) * 1e3, 1)
    if not auto.self_check and backend == "auto" and config.precision in (None, file_prec):
        cands = [("onnxruntime", file_prec)]  # the baseline, known without asking OpenVINO
    else:
        with selfcheck.phase(phases, "candidates"):  # imports OpenVINO to ask for its CPU precisions
            cands = candidates(file_prec, backend, config.precision, config.force)
    if not cands:
        raise ModelError(f"{model}: no installed backend runs this {file_prec} file at {config.precision} on this "
                         f"CPU (installed: {', '.join(installed_backends())}); use --precision auto")
    if (len(cands) == 1 and cands[0][0] == "onnxruntime") or not auto.self_check:  # the reference needs no check
        session = open_backend(model, with_precision(config, cands[0][1]), cands[0][0])
        choice = _unmeasured(cands[0], file_prec, config.force, "" if auto.self_check else "self-check disabled")
        return session, spec_from_session(session, model, overrides), choice
    return _measure(model, config, auto, overrides, cands, path, start, phases)


def _measure(model: Path, config: SessionConfig, auto: AutoConfig, overrides: dict[str, Any] | None,
             cands: list[tuple[str, str]], path: Path | None, start: float, phases: dict[str, float]
             ) -> tuple[Backend, ModelSpec, Choice]:
    """The self-check (:func:`.selfcheck.measure`), its choice cached at ``path``."""
    from .model import spec_from_session

    file_prec = cands[0][1]  # the baseline runs at the file's own precision, as the reference does
    with selfcheck.phase(phases, f"open onnxruntime/{file_prec}"):
        reference = open_backend(model, with_precision(config, file_prec), "onnxruntime")
    spec = spec_from_session(reference, model, overrides)
    images = auto.images if auto.images is not None else (lambda: [selfcheck.synthetic_image(spec.input_hw)])
    m = selfcheck.measure(model, config, spec, reference, cands, images, auto.rounds, MARGIN, phases)
    phases["total"] = round((time.perf_counter() - start) * 1e3, 1)
    backend, precision = m.best.split("/")
    choice = Choice(backend, precision, m.reference, m.agreement, m.bare_ms, m.rejected, cpu=cpu_info()["model"],
                    measured=True, key=path.stem if path else "", speedup=m.speedup, rounds=m.rounds, check_ms=phases)
    _save(auto, path, choice)
    return m.session, spec, choice


def _open_cached(model: Path, config: SessionConfig, overrides: dict[str, Any] | None, cached: Choice | None,
                 backends: list[str]) -> tuple[Backend, ModelSpec, Choice] | None:
    """The cached path opened, or None when there is none, it is not what was asked, or it fails to open."""
    from .model import spec_from_session

    if cached is None or cached.backend not in backends or config.precision not in (None, cached.precision):
        return None
    try:
        session = open_backend(model, with_precision(config, cached.precision), cached.backend)
    except ModelError:
        return None  # e.g. the runtime changed under the same version: measure again
    return session, spec_from_session(session, model, overrides), cached


def _unmeasured(path: tuple[str, str], file_prec: str, force: bool = False, why: str = "") -> Choice:
    label = f"{path[0]}/{path[1]}"
    return Choice(*path, reference=label, rejected={"*": why} if why else refused_here(file_prec, force))


def _save(auto: AutoConfig, path: Path | None, choice: Choice) -> None:
    """Cache the choice (the writer is atomic); a cache that cannot be written costs a new check next time."""
    if path is None or auto.save is None:
        return
    try:
        auto.save(path, choice.to_json().encode())
    except (OSError, PixelwiseError) as exc:
        warnings.warn(f"auto's choice is not cached ({exc}); it is measured again on the next load", UserWarning,
                      stacklevel=4)
