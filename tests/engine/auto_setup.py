"""What the ``--backend auto`` tests share: the OpenVINO marker, a measuring AutoConfig, a slowed session."""

from __future__ import annotations

import time

import numpy as np
import pytest

from pixelwise.engine.auto import AutoConfig
from pixelwise.engine.backends import is_installed
from pixelwise.engine.selfcheck import check_images
from pixelwise.io.image import atomic_write_bytes

__all__ = ["HAS_OPENVINO", "needs_openvino", "auto_config", "block_scene", "slowed"]

HAS_OPENVINO = is_installed("openvino")
needs_openvino = pytest.mark.skipif(not HAS_OPENVINO,
                                    reason="openvino not installed (pip install 'pixelwise[openvino]')")


def auto_config(tmp_path, images=None, **kw) -> tuple[AutoConfig, list[int]]:
    """An AutoConfig caching under ``tmp_path/auto``, and the list its image callback appends 1 to per call."""
    calls: list[int] = []

    def imgs():
        calls.append(1)
        return images if images is not None else check_images(block_scene())

    return AutoConfig(cache_dir=tmp_path / "auto", images=imgs, save=atomic_write_bytes, **kw), calls


def block_scene() -> np.ndarray:
    """A 60x90 RGB image of three colour blocks."""
    img = np.zeros((60, 90, 3), np.uint8)
    img[:, :45] = (240, 20, 20)
    img[:, 45:] = (20, 20, 240)
    img[20:40, 30:60] = (20, 240, 20)
    return img


def slowed(session, seconds: float):
    """A real session whose every run takes ``seconds`` longer (for the race only)."""
    run = session.run

    def slow_run(feed, outputs=None):
        time.sleep(seconds)
        return run(feed, outputs)

    session.run = slow_run
    return session
