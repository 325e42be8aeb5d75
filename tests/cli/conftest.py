import subprocess
import sys

import pytest


def run_cli(*args: str, cwd=None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m pixelwise ARGS`` in a subprocess (as a user would)."""
    return subprocess.run([sys.executable, "-m", "pixelwise", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli
