"""`pixelwise serve` as a user runs it: bad models and busy ports are refused at start-up (exit 2)."""

import socket
import subprocess
import sys

import httpx
import pytest

from tests.conftest import run_cli_in_process as run_cli  # refused before serving: no process needed
from tests.serve.conftest import served_url, wait_ready


def _one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_a_bad_second_model_is_refused_at_start(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx model")
    r = run_cli("serve", "--port", "0", "--model", "default", "--model", str(bad), timeout=60)
    assert r.returncode == 2, r.stderr
    line = _one_line_error(r)
    assert "model 'bad'" in line and str(bad) in line


def test_a_missing_model_is_refused_at_start(tmp_path):
    r = run_cli("serve", "--port", "0", "--model", f"x={tmp_path / 'missing.onnx'}", timeout=60)
    assert r.returncode == 2, r.stderr
    assert "missing.onnx" in _one_line_error(r)


@pytest.mark.parametrize("models, message", [
    (["a=default", "a=default-int8"], "model name 'a' is given twice"),
    (["=default"], "expected NAME=MODEL"),
    (["a="], "expected NAME=MODEL"),
])
def test_bad_model_arguments_are_exit_2(models, message):
    args = [a for m in models for a in ("--model", m)]
    r = run_cli("serve", "--port", "0", *args, timeout=60)
    assert r.returncode == 2, r.stderr
    assert message in _one_line_error(r)


def test_a_port_in_use_is_exit_2_naming_the_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_cli("serve", "--port", str(port), timeout=60)
    assert r.returncode == 2, r.stderr
    line = _one_line_error(r)
    assert f"127.0.0.1:{port}" in line and "in use" in line


def test_models_are_loaded_at_start_so_a_deleted_file_is_still_served(tmp_path, rgb_model):
    with subprocess.Popen([sys.executable, "-m", "pixelwise", "serve", "--port", "0", "--model", "default",
                           "--model", f"rgb={rgb_model}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            _check_deleted_model_is_served(proc, rgb_model)
        finally:
            proc.terminate()
            proc.communicate(timeout=30)


def _check_deleted_model_is_served(proc, rgb_model) -> None:
    url = served_url(proc)  # printed once the socket is bound: the real port
    rgb_model.unlink()
    wait_ready(url, proc)
    r = httpx.post(f"{url}/v1/segment?model=rgb", content=b"\x89PNG", headers={"Content-Type": "image/png"},
                   timeout=60)
    assert r.status_code == 415, r.text  # the model is there (loaded at start); the body is not an image


@pytest.mark.parametrize("args, message", [
    (["--max-imgsz-mp", "100"], "above the library's 16.8 MP"),
    (["--workers", "0"], "expected a whole number >= 1"),
    (["--head-timeout", "-1"], "expected a number > 0"),
    (["--port", "70000"], "expected a port number"),
])
def test_bad_server_settings_are_exit_2(args, message):
    r = run_cli("serve", *args, timeout=60)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
