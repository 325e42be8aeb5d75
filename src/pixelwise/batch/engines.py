"""Engines run the per-image Worker over many inputs and yield records as they finish.

local: a process pool (``spawn``), one Worker (one ONNX Runtime session) per process, a
bounded number of images in flight; the workers end with the parent process, however it
ends (see ``lifeline``). ray: Ray Data, ``from_items`` -> ``map_batches`` with
an actor pool, one Worker per actor.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from ..errors import InputError
from .lifeline import die_with_parent
from .work import WorkConfig, start_worker

__all__ = ["run_local", "run_ray"]

_PROCESS_WORKER: Callable[[str], dict[str, Any]] | None = None  # one per worker process (the pool initializer)


def _init(config: WorkConfig, parent_pid: int) -> None:
    global _PROCESS_WORKER
    die_with_parent(parent_pid)  # before loading the model: a dead parent's worker does no work
    _PROCESS_WORKER = start_worker(config)


def _process(source: str) -> dict[str, Any]:
    assert _PROCESS_WORKER is not None
    return _PROCESS_WORKER(source)


def run_local(items: list[str], config: WorkConfig, workers: int, in_flight: int = 4) -> Iterator[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init,
                             initargs=(config, os.getpid())) as pool:
        pending: set[Future] = set()
        it = iter(items)
        try:
            while True:
                while len(pending) < workers * in_flight:
                    source = next(it, None)
                    if source is None:
                        break
                    pending.add(pool.submit(_process, source))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        finally:
            for fut in pending:
                fut.cancel()


class _RayWorker:
    def __init__(self, config: dict) -> None:
        self.worker = start_worker(WorkConfig(**config))

    def __call__(self, batch: dict) -> dict:
        return {"record": [json.dumps(self.worker(str(p))) for p in batch["path"]]}


def run_ray(items: list[str], config: WorkConfig, workers: int, address: str | None = None,
            batch_size: int = 8) -> Iterator[dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'pixelwise[scale]'") from None
    from dataclasses import asdict

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False,
                 **({} if address else {"num_cpus": max(workers, 1)}))
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ds = ray.data.from_items([{"path": p} for p in items])
        ds = ds.map_batches(_RayWorker, fn_constructor_kwargs={"config": asdict(config)}, batch_size=batch_size,
                            concurrency=workers, num_cpus=1, batch_format="numpy")
        for row in ds.iter_rows():
            yield json.loads(row["record"])
    finally:
        if started:
            ray.shutdown()
