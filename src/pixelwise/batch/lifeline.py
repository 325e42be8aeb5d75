"""Worker processes end with their parent, however the parent ends (SIGKILL included).

Two mechanisms, both set up in the worker itself: on Linux the kernel's parent-death
signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), and everywhere a daemon thread that checks
twice a second whether the parent is still the process that started the worker.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent", "set_parent_death_signal"]

_PR_SET_PDEATHSIG = 1
POLL_S = 0.5


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os._exit(1)  # the parent is gone: nobody will read our results


def die_with_parent(parent_pid: int) -> None:
    """Call first thing in a worker process started by ``parent_pid``."""
    set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="pixelwise-lifeline", daemon=True).start()
