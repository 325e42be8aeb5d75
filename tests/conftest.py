"""Shared fixtures: tiny ONNX models built here, real CamVid data when ../shared exists."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.builders import RGB_CLASSES, make_semantic_onnx  # re-exported for older imports

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CAMVID = SHARED / "datasets" / "camvid"
CAMVID_YAML = REPO / "configs" / "camvid.yaml"



@pytest.fixture
def rgb_model(tmp_path: Path) -> Path:
    """Dynamic RGB-channel model with an embedded spec (things: red)."""
    spec = {"adapter": "semantic", "input_hw": [64, 96], "classes": list(RGB_CLASSES), "things": ["red"],
            "colours": [[255, 0, 0], [0, 255, 0], [0, 0, 255]], "dynamic": True, "name": "rgb"}
    return make_semantic_onnx(tmp_path / "rgb.onnx", spec=spec)


@pytest.fixture
def colour_image() -> np.ndarray:
    """(120, 160, 3) RGB: left half red, right half blue, a green square in the middle."""
    img = np.zeros((120, 160, 3), np.uint8)
    img[:, :80] = (250, 10, 10)
    img[:, 80:] = (10, 10, 250)
    img[40:80, 60:100] = (10, 250, 10)
    return img


def run_cli(*args: str, cwd=None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m pixelwise ARGS`` in a subprocess (as a user would)."""
    import sys

    return subprocess.run([sys.executable, "-m", "pixelwise", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def run_cli_in_process(*args: str, cwd=None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``pixelwise ARGS`` in this process: ``main(argv)`` with stdout/stderr captured and the
    exit code as a subprocess would give it (``--debug`` tracebacks go to the captured stderr, exit 1).
    ``timeout`` is accepted for symmetry with :func:`run_cli`; pytest-timeout bounds a test here."""
    import contextlib
    import io
    import os
    import traceback

    from pixelwise.cli.main import main

    def stream() -> io.TextIOWrapper:  # text with a .buffer, like sys.stdout
        return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)

    out, err, here = stream(), stream(), os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:  # what an uncaught exception does to a process
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(here)
    text = [s.buffer.getvalue().decode("utf-8", "replace") for s in (out, err)]  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(["pixelwise", *map(str, args)], code, text[0], text[1])


@pytest.fixture
def cli():
    """The CLI run in-process (fast; the default for CLI tests)."""
    return run_cli_in_process


@pytest.fixture
def cli_process():
    """The CLI in a real subprocess: for what only a process shows (import weight, signals, exit)."""
    return run_cli


@pytest.fixture
def camvid() -> Path:
    if not CAMVID.is_dir():
        pytest.skip(f"CamVid not found at {CAMVID} (../shared beside the repo; CI has it)")
    return CAMVID


@pytest.fixture
def default_model_path() -> Path:
    from pixelwise.registry import resolve_model

    try:
        return resolve_model("default")
    except Exception as exc:
        pytest.fail(f"the embedded default model is missing: {exc}")


@pytest.fixture
def person_model(tmp_path: Path) -> Path:
    """A person-style model: 'background' where red wins, 'person' where green wins ('other': blue)."""
    spec = {"adapter": "semantic", "input_hw": [64, 96], "classes": ["background", "person", "other"],
            "colours": [[0, 0, 0], [255, 0, 255], [0, 0, 255]], "dynamic": True, "name": "people-test"}
    return make_semantic_onnx(tmp_path / "people.onnx", spec=spec, pool=1)


@pytest.fixture
def person_photo() -> np.ndarray:
    """(120, 160, 3) RGB: a red background with a green 'person' rectangle."""
    img = np.zeros((120, 160, 3), np.uint8)
    img[:] = (220, 30, 30)
    img[30:100, 50:110] = (30, 220, 30)
    return img


@pytest.fixture(autouse=True, scope="session")
def _fresh_pixelwise_cache(tmp_path_factory):
    """``--backend auto`` caches its choices (and OpenVINO its compiled models) in the user's cache
    folder: give each test run a fresh one, so no run depends on what an earlier one left."""
    import os

    before = os.environ.get("PIXELWISE_CACHE")
    os.environ["PIXELWISE_CACHE"] = str(tmp_path_factory.mktemp("pixelwise-cache"))
    yield
    if before is None:
        os.environ.pop("PIXELWISE_CACHE", None)
    else:
        os.environ["PIXELWISE_CACHE"] = before
