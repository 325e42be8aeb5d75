"""``auto``'s first-use self-check: open, warm up and race the candidates, then check agreement.

Every candidate path is opened and run once (its warm-up), then timed against the baseline
(the first candidate: ONNX Runtime at the file's precision; OpenVINO at it when only
OpenVINO's precisions are asked for) in paired rounds that drop a candidate as soon as it
can no longer win (:mod:`.race`). Only the winners are checked,
fastest first, on the check images through the full predictor against the reference's
results (ONNX Runtime at the file's precision): semantic models must agree on >=
``MIN_PIXEL_AGREEMENT`` of pixels, instance models must find every detection again (same
class, box IoU >= ``MIN_BOX_IOU``), compared at the low score threshold ``CHECK_CONF`` so that
the check sees detections even on a photo unlike the model's training data; a path at another
precision than the reference's is refused when the check images show no detection at all
(nothing would have been verified). The first that agrees is chosen, else the baseline. So
the agreement check costs nothing where no candidate is faster, and the reference's results
are computed once, image by image, only when a candidate needs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..adapters import get_adapter
from ..errors import ModelError
from ..options import PredictOptions
from ..result import Result
from ..spec import ModelSpec
from . import race
from .agreement import match_boxes
from .backends import Backend, SessionConfig, open_backend

__all__ = ["MIN_PIXEL_AGREEMENT", "MIN_BOX_IOU", "CHECK_CONF", "Measured", "measure", "check_images", "agreement",
           "passes", "phase", "synthetic_image", "with_precision"]

MIN_PIXEL_AGREEMENT = 0.995
MIN_BOX_IOU = 0.99
CHECK_CONF = 0.05  # instance models: the check's score threshold, below any usual --conf


@dataclass(frozen=True)
class Measured:
    """What the self-check found: the chosen path and its session, and the measurements."""

    best: str  # "backend/precision"
    session: Backend
    reference: str
    agreement: dict[str, float]  # the paths that were checked -> their agreement with the reference
    bare_ms: dict[str, float]  # median bare run, per timed path
    speedup: dict[str, float]  # median of baseline time / path time over the paired rounds
    rounds: dict[str, int]  # paired rounds each path was timed in
    rejected: dict[str, str]  # path -> why it was not chosen


def check_images(image: np.ndarray) -> list[np.ndarray]:
    """The image and two deterministic crops of it (another aspect ratio, an odd size)."""
    h, w = image.shape[:2]
    return [image, np.ascontiguousarray(image[h // 8 : h // 8 + h * 3 // 4, w // 5 : w // 5 + w // 2]),
            np.ascontiguousarray(image[: h // 2 + 1, w // 3 : w - 1])]


def agreement(reference: Result, other: Result, kind: str) -> float:
    """Pixel agreement (semantic), or the share of detections matched one-to-one with the same class
    at box IoU >= ``MIN_BOX_IOU`` (instance: 1.0 only when every detection on both sides is matched)."""
    if kind == "semantic":
        return float((reference.semantic == other.semantic).mean())
    a, b = reference.instances, other.instances
    if len(a) == 0 and len(b) == 0:
        return 1.0
    pairs = match_boxes(a.boxes_xyxy, a.class_ids, b.boxes_xyxy, b.class_ids, MIN_BOX_IOU)
    return len(pairs) / max(len(a), len(b))


def passes(value: float, kind: str) -> bool:
    return value >= (MIN_PIXEL_AGREEMENT if kind == "semantic" else 1.0)


@contextmanager
def phase(phases: dict[str, float], name: str) -> Iterator[None]:
    """Add the ms the block takes to ``phases[name]``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = round(phases.get(name, 0.0) + (time.perf_counter() - t0) * 1e3, 1)


def with_precision(config: SessionConfig, precision: str) -> SessionConfig:
    return replace(config, precision=precision)


def measure(model: Path, config: SessionConfig, spec: ModelSpec, reference: Backend, cands: list[tuple[str, str]],
            images: Callable[[], list[np.ndarray]], rounds: int = race.ROUNDS, margin: float = race.MARGIN,
            phases: dict[str, float] | None = None) -> Measured:
    """Open, warm up and race ``cands`` (the baseline first), then check the winners, fastest first."""
    phases = {} if phases is None else phases
    sessions, rejected = _open_candidates(model, config, reference, cands, phases)
    opened = [f"{b}/{p}" for b, p in cands if f"{b}/{p}" in sessions]
    if not opened:
        raise ModelError(f"{model}: no candidate path opens here ({'; '.join(rejected.values())}); "
                         "use --backend onnxruntime")
    baseline = opened[0]
    with phase(phases, "check images"):
        shown = images()
        blob, _ = get_adapter(spec.adapter).preprocess(shown[0], spec, spec.input_hw)
    runs = {k: _runner(sessions[k], blob) for k in opened}
    with phase(phases, "warm-up"):
        for run in runs.values():
            run()
    with phase(phases, "paired rounds"):
        times = race.paired_rounds(runs, baseline, rounds, margin)
    won = race.winners(times, baseline, rounds, margin)
    rest = sorted((k for k in opened if k not in won and k != baseline), key=lambda k: float(np.median(times[k])))
    best, agree = _first_agreeing(model, [*won, baseline, *rest], sessions, reference, spec, shown, rejected, phases)
    speedup = {k: round(float(np.median(race.ratios(times, baseline, k))), 3) for k in times}
    for k in opened:
        if k not in (best, baseline) and k not in rejected:
            rejected[k] = _why_not(k, best, baseline, k in won, times, speedup, rounds, margin)
    return Measured(best, sessions[best], f"{reference.backend}/{reference.precision}", agree,
                    {k: round(float(np.median(v)), 3) for k, v in times.items()}, speedup,
                    {k: len(v) for k, v in times.items()}, rejected)


def _open_candidates(model: Path, config: SessionConfig, reference: Backend, cands: list[tuple[str, str]],
                     phases: dict[str, float]) -> tuple[dict[str, Backend], dict[str, str]]:
    ref_label = f"{reference.backend}/{reference.precision}"
    sessions: dict[str, Backend] = {}
    rejected: dict[str, str] = {}
    for b, p in cands:
        label = f"{b}/{p}"
        if label == ref_label:
            sessions[label] = reference
            continue
        try:
            with phase(phases, f"open {label}"):
                sessions[label] = open_backend(model, with_precision(config, p), b)
        except ModelError as exc:
            rejected[label] = str(exc)
    return sessions, rejected


def _why_not(label: str, best: str, baseline: str, won: bool, times: dict[str, list[float]],
             speedup: dict[str, float], rounds: int, margin: float) -> str:
    """Why a timed path that no check refused was not chosen: a faster winner agreed, or it lost the race."""
    if won:
        return f"{best} is faster and agrees ({speedup[best]:.2f}x {baseline}'s speed, this path {speedup[label]:.2f}x)"
    return (f"{margin:.0%} faster than {baseline} in {race.wins(times, baseline, label, margin)} of "
            f"{len(times[label])} paired rounds, {race.required_wins(rounds)} of {rounds} needed "
            f"(median {speedup[label]:.2f}x)")


def _runner(session: Backend, blob: np.ndarray) -> Callable[[], object]:
    feed = {session.inputs[0].name: blob}
    return lambda: session.run(feed)


def _first_agreeing(model: Path, order: list[str], sessions: dict[str, Backend], reference: Backend,
                    spec: ModelSpec, images: list[np.ndarray], rejected: dict[str, str], phases: dict[str, float]
                    ) -> tuple[str, dict[str, float]]:
    """The first path in ``order`` that keeps the reference's answers on every check image.

    The reference's results are computed once, image by image, only when a candidate is
    checked; a candidate's check stops at the first image that fails it.
    """
    from .predictor import Predictor

    kind = get_adapter(spec.adapter).kind
    options = PredictOptions(conf=CHECK_CONF) if kind == "instance" else PredictOptions()
    ref_label = f"{reference.backend}/{reference.precision}"
    expected: list[Result] = []
    agree: dict[str, float] = {}
    for label in order:
        if label == ref_label:
            return label, agree
        predictor, value = Predictor(sessions[label], spec), 1.0
        for i, image in enumerate(images):
            if i == len(expected):
                with phase(phases, "reference results"):
                    expected.append(Predictor(reference, spec)(image, options))
            with phase(phases, f"agreement {label}"):
                value = min(value, agreement(expected[i], predictor(image, options), kind))
            if not passes(value, kind):
                break
        agree[label] = round(value, 6)
        if passes(value, kind) and _unverified(expected, kind, label, reference.precision):
            rejected[label] = (f"the check images show no detection (score >= {CHECK_CONF}), so its "
                               f"{label.split('/')[1]} answers could not be compared with {ref_label}'s")
        elif passes(value, kind):
            return label, agree
        else:
            rejected[label] = f"agreement {value * 100:.2f}% with {ref_label} is below the bar"
    raise ModelError(f"{model}: no candidate path keeps the model's answers ({'; '.join(rejected.values())}); "
                     "use --backend onnxruntime")


def _unverified(expected: list[Result], kind: str, label: str, reference_precision: str) -> bool:
    """An instance path at another precision than the reference's, checked on images with no detection."""
    return (kind == "instance" and label.split("/")[1] != reference_precision
            and all(r.instances is None or len(r.instances) == 0 for r in expected))


def synthetic_image(hw: tuple[int, int]) -> np.ndarray:
    """A deterministic image of smooth colour blobs (when no check images are given)."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (max(2, hw[0] // 16), max(2, hw[1] // 16), 3), dtype=np.uint8)
    return np.repeat(np.repeat(small, 16, axis=0), 16, axis=1)[: hw[0], : hw[1]].copy()
