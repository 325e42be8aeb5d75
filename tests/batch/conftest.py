"""Batch tests leave nothing running: a Ray cluster a test started is shut down even when it fails."""

import sys

import pytest


@pytest.fixture(autouse=True)
def _no_ray_cluster_left():
    yield
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()
