"""Timing helpers shared by the benchmark scripts (``python bench/NAME.py`` finds this module)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["median_ms", "interleaved_ms", "cpu_line"]


def median_ms(fn: Callable[[], object], runs: int, warmup: int = 0) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``runs`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def interleaved_ms(fns: dict[str, Callable[[], object]], runs: int, warmup: int = 0) -> dict[str, float]:
    """Median wall time in ms of each function, timed in rounds that call every function once, in an
    order that rotates each round: a slow spell of a shared machine falls on all of them alike, so
    their ratios hold even when the absolute times drift."""
    keys = list(fns)
    for _ in range(warmup):
        for key in keys:
            fns[key]()
    times: dict[str, list[float]] = {key: [] for key in keys}
    for r in range(runs):
        shift = r % len(keys)
        for key in keys[shift:] + keys[:shift]:
            t = time.perf_counter()
            fns[key]()
            times[key].append(time.perf_counter() - t)
    return {key: statistics.median(v) * 1e3 for key, v in times.items()}


def cpu_line() -> str:
    """'N cores of MODEL (SIMD flags)' (pixelwise.machine): every benchmark prints it."""
    import os

    from pixelwise.machine import cpu_info

    cpu = cpu_info()
    return f"{os.cpu_count()} cores of {cpu['model']} ({' '.join(cpu['simd']) or 'no AVX2'})"
