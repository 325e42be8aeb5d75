"""The CPU this process runs on: its model name and feature flags, read once per process.

A leaf every layer may import: the backend choice (``engine``) keys its cache by them, INT8
choices ask ``has_vnni``, and training (``train``) records them for each stretch of a run.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["cpu_flags", "cpu_info", "cpu_name", "has_vnni", "SIMD_FLAGS"]

SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16", "amx_tile",
              "amx_bf16", "amx_int8", "amx_fp16")


def _cpuinfo_value(keys: tuple[str, ...]) -> str | None:
    """The first non-empty value of one of ``keys`` in /proc/cpuinfo (Linux), else None."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in keys and value.strip():
                return value.strip()
    except OSError:
        pass
    return None


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere)."""
    return frozenset((_cpuinfo_value(("flags", "Features")) or "").split())


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU's model name (Linux /proc/cpuinfo; elsewhere what ``platform`` knows)."""
    return _cpuinfo_value(("model name",)) or platform.processor() or platform.machine()


def cpu_info() -> dict[str, Any]:
    """The CPU's model name, all its flags, and those of them that matter for speed (``simd``)."""
    flags = sorted(cpu_flags())
    return {"model": cpu_name(), "flags": flags, "simd": [f for f in SIMD_FLAGS if f in flags]}


def has_vnni(flags: Iterable[str] | None = None) -> bool:
    """True where int8 dot products sum in 32 bits (AVX512-VNNI, AVX-VNNI or AMX-INT8): 8-bit
    weights are safe there, and INT8 models are fast. ``flags``: this CPU's unless given."""
    return bool((cpu_flags() if flags is None else set(flags)) & {"avx512_vnni", "avx_vnni", "amx_int8"})
