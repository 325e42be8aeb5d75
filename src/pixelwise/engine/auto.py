"""``--backend auto``: the fastest installed backend + precision that keeps the model's answers.

Measured, never assumed. On first use of a model on a machine, every candidate path runs a
few check images (the packaged street scene and deterministic crops of it) through the full
predictor and is compared with ONNX Runtime at the file's own precision (the reference):
semantic models must agree on >= 99.5% of pixels, instance models must find the same
detections (same class, box IoU >= 0.99). The bare model time of each candidate is
measured in interleaved rounds, and a candidate replaces the reference only when it is at
least ``MARGIN`` faster in the median of paired rounds and in most rounds (each pair sees
the same background load). The choice, the measured
agreement and the timings are cached as JSON, keyed by the model's sha256, the CPU's model
name and flags, and the package versions, so later loads skip the check.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..adapters import get_adapter
from ..errors import ModelError
from ..ops import boxes as box_ops
from ..result import Result
from ..spec import ModelSpec
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

__all__ = ["open_model", "lookup", "AutoConfig", "Choice", "candidates", "agreement", "check_images", "cpu_info",
           "choice_key", "select_backend", "cached_choice", "MIN_PIXEL_AGREEMENT", "MIN_BOX_IOU", "MARGIN"]

MIN_PIXEL_AGREEMENT = 0.995
MIN_BOX_IOU = 0.99
MARGIN = 0.10  # a candidate must be >= 10% faster than the reference to replace it
_WANTED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16", "amx_tile",
                 "amx_bf16", "amx_int8", "amx_fp16")


@dataclass(frozen=True)
class AutoConfig:
    """How ``auto`` measures: where its choices are cached, the check images, the writer.

    ``images`` returns RGB uint8 check images (called only when a measurement is needed);
    ``save(path, data)`` writes the cache file atomically; ``self_check`` False skips the
    measurement: a cached choice is still used, else the reference path runs.
    """

    cache_dir: Path | None = None
    images: Callable[[], list[np.ndarray]] | None = None
    save: Callable[[Path, bytes], Any] | None = None
    self_check: bool = True
    rounds: int = 5


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
    speedup: dict[str, float] = field(default_factory=dict)  # median over rounds of reference time / path time

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
            return f"{self.label} ({self.rejected.get('*', 'the only installed path for this file')})"
        times = ", ".join(f"{k} {v:.1f} ms" for k, v in sorted(self.bare_ms.items(), key=lambda kv: kv[1]))
        agree = ", ".join(f"{k} {v * 100:.2f}%" for k, v in sorted(self.agreement.items()))
        how = "measured" if self.measured else "not measured"
        return f"{self.label} ({how}; bare {times or '-'}; agreement with {self.reference}: {agree or '-'})"


def cpu_info() -> dict[str, Any]:
    """The CPU's model name and its flags (Linux /proc/cpuinfo; elsewhere what platform knows)."""
    name, flags = platform.processor() or platform.machine(), list[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and name in ("", platform.processor() or platform.machine()):
                name = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = sorted(value.split())
    except OSError:
        pass
    return {"model": name, "flags": flags, "simd": [f for f in _WANTED_FLAGS if f in flags]}


def choice_key(model_sha256: str, backends: Sequence[str]) -> str:
    cpu = cpu_info()
    versions = {b: backend_version(b) for b in backends}
    text = json.dumps({"model": model_sha256, "cpu": cpu["model"], "flags": cpu["flags"], "versions": versions,
                       "pixelwise_auto": 1}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def candidates(file_prec: str, backend: str = "auto", precision: str | None = None) -> list[tuple[str, str]]:
    """(backend, precision) paths to try, the reference (ONNX Runtime at the file's precision) first."""
    found = [("onnxruntime", file_prec)]
    if "openvino" in installed_backends():
        from .backends.openvino import cpu_precisions

        extra = [p for p in ("bf16", "fp16") if p in cpu_precisions()] if file_prec == "fp32" else []
        found += [("openvino", p) for p in (file_prec, *extra)]
    return [(b, p) for b, p in found if backend in ("auto", b) and precision in (None, p)]


def check_images(image: np.ndarray) -> list[np.ndarray]:
    """The image and two deterministic crops of it (another aspect ratio, an odd size)."""
    h, w = image.shape[:2]
    return [image, np.ascontiguousarray(image[h // 8 : h // 8 + h * 3 // 4, w // 5 : w // 5 + w // 2]),
            np.ascontiguousarray(image[: h // 2 + 1, w // 3 : w - 1])]


def agreement(reference: Result, other: Result, kind: str) -> float:
    """Pixel agreement (semantic) or the share of detections matched at box IoU >= 0.99 (instance)."""
    if kind == "semantic":
        return float((reference.semantic == other.semantic).mean())
    a, b = reference.instances, other.instances
    if len(a) == 0 and len(b) == 0:
        return 1.0
    if len(a) == 0 or len(b) == 0:
        return 0.0
    iou = box_ops.box_iou(a.boxes_xyxy, b.boxes_xyxy)
    iou[a.class_ids[:, None] != b.class_ids[None, :]] = 0.0
    matched = 0
    while iou.size and iou.max() >= MIN_BOX_IOU:
        i, j = np.unravel_index(int(iou.argmax()), iou.shape)
        matched += 1
        iou[i, :], iou[:, j] = 0.0, 0.0
    return matched / max(len(a), len(b))


def _passes(value: float, kind: str) -> bool:
    return value >= (MIN_PIXEL_AGREEMENT if kind == "semantic" else 1.0)


def open_model(model: str | Path | bytes, config: SessionConfig = SessionConfig(),
               overrides: dict[str, Any] | None = None, backend: str = "auto", precision: str = "auto",
               auto: AutoConfig = AutoConfig()) -> tuple[Backend, ModelSpec, Choice]:
    """A model file -> (backend session, spec, how the backend was chosen).

    ``backend`` "auto" measures and picks (see module doc); so does "openvino" with
    precision "auto" (among OpenVINO's precisions). Any other pair is opened as asked.
    ``auto.cache_dir`` is the cache root: choices in ``auto/``, OpenVINO's compiled
    models in ``openvino/`` (unless ``config.cache_dir`` says otherwise).
    """
    from dataclasses import replace

    from .model import load_model

    if backend not in ("auto", *BACKENDS):
        raise ModelError(f"unknown backend {backend!r}; expected auto or one of {', '.join(BACKENDS)}")
    if precision not in ("auto", *PRECISIONS):
        raise ModelError(f"unknown precision {precision!r}; expected auto or one of {', '.join(PRECISIONS)}")
    ov_cache = str(Path(auto.cache_dir) / "openvino") if auto.cache_dir is not None else None
    config = replace(config, precision=None if precision == "auto" else precision,
                     cache_dir=config.cache_dir or ov_cache)
    measured = backend == "auto" or (backend == "openvino" and precision == "auto")
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
    """The cached choice at ``path``, or None if there is none (or it is unreadable)."""
    if path is None or not path.is_file():
        return None
    try:
        return Choice.from_json(path.read_text())
    except (OSError, ValueError, TypeError):
        return None


def lookup(model: Path, cache_root: Path) -> Choice | None:
    """The cached ``--backend auto`` choice for ``model`` on this machine, if it was measured."""
    cands = candidates(file_precision(model))
    if len(cands) < 2:
        return Choice(*cands[0], reference=f"{cands[0][0]}/{cands[0][1]}")
    return cached_choice(cache_file(model, AutoConfig(cache_dir=Path(cache_root) / "auto"),
                                    ["onnxruntime", *(b for b, _ in cands)]))


def cache_file(model: Path, auto: AutoConfig, backends: Sequence[str]) -> Path | None:
    if auto.cache_dir is None:
        return None
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    return Path(auto.cache_dir) / f"{model.stem}-{choice_key(digest, sorted(set(backends)))}.json"


def select_backend(model: Path, config: SessionConfig = SessionConfig(), auto: AutoConfig = AutoConfig(),
                   overrides: dict[str, Any] | None = None, backend: str = "auto"
                   ) -> tuple[Backend, ModelSpec, Choice]:
    """Open ``model`` on the fastest candidate path that agrees with the reference (see module doc).

    ``backend`` limits the candidates to one backend ("auto" = all installed);
    ``config.precision`` limits them to one precision (None = any).
    """
    from .model import spec_from_session

    file_prec = file_precision(model)
    cands = candidates(file_prec, backend, config.precision)
    if not cands:
        raise ModelError(f"{model}: no installed backend runs this {file_prec} file at {config.precision} on this "
                         f"CPU (installed: {', '.join(installed_backends())}); use --precision auto")
    if len(cands) == 1:
        session = open_backend(model, _with(config, cands[0][1]), cands[0][0])
        label = f"{cands[0][0]}/{cands[0][1]}"
        return session, spec_from_session(session, model, overrides), Choice(*cands[0], reference=label)
    path = cache_file(model, auto, ["onnxruntime", *(b for b, _ in cands)])
    cached = cached_choice(path)
    if cached is not None and (cached.backend, cached.precision) in cands:
        session = open_backend(model, _with(config, cached.precision), cached.backend)
        return session, spec_from_session(session, model, overrides), cached
    reference = open_backend(model, _with(config, file_prec), "onnxruntime")
    spec = spec_from_session(reference, model, overrides)
    ref_label = f"onnxruntime/{file_prec}"
    if not auto.self_check:
        return reference, spec, Choice("onnxruntime", file_prec, ref_label, rejected={"*": "self-check disabled"})
    choice, session = _measure(model, config, spec, reference, cands, auto)
    choice = Choice(**{**asdict(choice), "key": path.stem if path else ""})
    if path is not None and auto.save is not None:
        auto.save(path, choice.to_json().encode())
    return session, spec, choice


def _with(config: SessionConfig, precision: str) -> SessionConfig:
    from dataclasses import replace

    return replace(config, precision=precision)


def _measure(model: Path, config: SessionConfig, spec: ModelSpec, reference: Backend,
             cands: list[tuple[str, str]], auto: AutoConfig) -> tuple[Choice, Backend]:
    from .predictor import Predictor

    kind = get_adapter(spec.adapter).kind
    images = auto.images() if auto.images is not None else [_synthetic_image(spec.input_hw)]
    ref_label = f"{reference.backend}/{reference.precision}"
    expected = [Predictor(reference, spec)(im) for im in images]
    sessions: dict[str, Backend] = {ref_label: reference}
    agree: dict[str, float] = {}
    rejected: dict[str, str] = {}
    for b, p in cands:
        label = f"{b}/{p}"
        if label == ref_label:
            continue
        try:
            session = open_backend(model, _with(config, p), b)
        except ModelError as exc:
            rejected[label] = str(exc)
            continue
        predictor = Predictor(session, spec)
        agree[label] = round(min(agreement(e, predictor(im), kind) for e, im in zip(expected, images)), 6)
        if _passes(agree[label], kind):
            sessions[label] = session
        else:
            rejected[label] = f"agreement {agree[label] * 100:.2f}% with {ref_label} is below the bar"
    times = _time_bare(sessions, spec, images[0], auto.rounds)
    allowed = {f"{b}/{p}" for b, p in cands}
    eligible = [k for k in times if k in allowed]
    if not eligible:
        raise ModelError(f"{model}: no candidate path keeps the model's answers ({'; '.join(rejected.values())})")
    speedup = {k: round(float(np.median(np.divide(times[ref_label], times[k]))), 3) for k in times}
    best = _pick(eligible, speedup, times, ref_label)
    backend, precision = best.split("/")
    bare = {k: round(float(np.median(v)), 3) for k, v in times.items()}
    choice = Choice(backend, precision, ref_label, agree, bare, rejected, cpu=cpu_info()["model"], measured=True,
                    speedup=speedup)
    return choice, sessions[best]


def _pick(eligible: list[str], speedup: dict[str, float], times: dict[str, list[float]], ref_label: str) -> str:
    """The reference unless a candidate beats it by ``MARGIN`` in the median of paired rounds and in most rounds.

    Pairs (the two runs of one round) see the same background load, so a busy machine
    does not make a slower path look faster. Without the reference among the eligible
    paths, the one with the lowest median time.
    """
    if ref_label not in eligible:
        return min(eligible, key=lambda k: float(np.median(times[k])))
    need = 1 / (1 - MARGIN) if MARGIN < 1 else float("inf")  # MARGIN 0.10: at most 0.9x the reference's time
    best = ref_label
    for k in eligible:
        wins = float((np.divide(times[ref_label], times[k]) >= need).mean())  # rounds in which k was that fast
        if speedup[k] >= need and wins >= 0.75 and speedup[k] > speedup[best]:
            best = k
    return best


def _time_bare(sessions: dict[str, Backend], spec: ModelSpec, image: np.ndarray, rounds: int
               ) -> dict[str, list[float]]:
    """Bare ``run`` ms per session in interleaved rounds, the order reversed every other round
    (the agreement check warmed the sessions up)."""
    blob, _ = get_adapter(spec.adapter).preprocess(image, spec, spec.input_hw)
    times: dict[str, list[float]] = {k: [] for k in sessions}
    order = list(sessions)
    for r in range(max(1, rounds)):
        for name in order if r % 2 == 0 else order[::-1]:
            s = sessions[name]
            t0 = time.perf_counter()
            s.run({s.inputs[0].name: blob})
            times[name].append((time.perf_counter() - t0) * 1e3)
    return times


def _synthetic_image(hw: tuple[int, int]) -> np.ndarray:
    """A deterministic image of smooth colour blobs (when no check images are given)."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (max(2, hw[0] // 16), max(2, hw[1] // 16), 3), dtype=np.uint8)
    return np.repeat(np.repeat(small, 16, axis=0), 16, axis=1)[: hw[0], : hw[1]].copy()
