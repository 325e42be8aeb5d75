"""Start `pixelwise serve` as a user would, for the benchmarks (``python bench/NAME.py`` finds this)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx

__all__ = ["running_server"]


@contextlib.contextmanager
def running_server(*args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yield (base URL, process) once ``/readyz`` answers 200; terminate the server afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tempfile.TemporaryFile()  # not a pipe: a server that logs a lot must never block on it
    proc = subprocess.Popen([sys.executable, "-m", "pixelwise", "serve", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"pixelwise serve exited: {log.read().decode()[-500:]}")
            time.sleep(0.1)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
