"""Fixtures of the engine tests."""

from __future__ import annotations

import pytest

from pixelwise.engine.backends import is_installed


@pytest.fixture
def cpu_without_bf16(monkeypatch):
    """OpenVINO's CPU plugin offers no bf16/fp16 (as on an AVX2-only CPU), whatever this machine has, so
    that the candidates of auto's tests are the same on every CPU; a test may offer them again."""
    if is_installed("openvino"):
        from pixelwise.engine.backends import openvino as ov_backend

        real = ov_backend.cpu_precisions()
        monkeypatch.setattr(ov_backend, "cpu_precisions", lambda: tuple(p for p in real if p not in ("bf16", "fp16")))
