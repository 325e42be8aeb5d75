"""run_batch: list inputs, skip what is complete, run an engine, keep the index."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PixelwiseRuntimeError
from ..io.image import atomic_write_bytes
from .index import BatchIndex, read_index
from .inputs import list_inputs
from .work import WorkConfig

__all__ = ["BatchConfig", "BatchSummary", "run_batch", "is_complete"]


@dataclass(frozen=True)
class BatchConfig:
    out: Path
    model: str = "default"
    engine: str = "local"  # "local" or "ray"
    workers: int = 0  # 0: one per core
    threads: int = 0  # ONNX Runtime threads per worker; 0: cores // workers
    overlay: bool = False
    force: bool = False
    ray_address: str | None = None
    progress: bool = True


@dataclass(frozen=True)
class BatchSummary:
    total: int
    skipped: int
    processed: int
    failed: int
    seconds: float
    errors: list[str]

    @property
    def images_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0


def is_complete(record: dict[str, Any] | None, out: Path) -> bool:
    """Done = an ok record whose mask exists with the recorded size (not just any file)."""
    if not record or record.get("status") != "ok" or not record.get("mask"):
        return False
    mask = out / record["mask"]
    return mask.is_file() and mask.stat().st_size == record.get("mask_bytes")


def _prepare_out(out: Path) -> None:
    try:
        (out / "masks").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PixelwiseRuntimeError(f"{out}: cannot create the output folder ({exc.strerror or exc})") from None
    atomic_write_bytes(out / ".pixelwise-write-test", b"ok")  # raises a clear error when unwritable
    os.unlink(out / ".pixelwise-write-test")
    for stale in list((out / "masks").glob(".*.tmp")) + list(out.glob("overlays/.*.tmp")):
        stale.unlink(missing_ok=True)  # temp files of a killed run; never a truncated PNG


def _close_quietly(engine, index: BatchIndex) -> None:  # noqa: ANN001
    """On the way out of a failure: stop the workers, keep what the index has, hide secondary errors."""
    engine.close()
    try:
        index.close()
    except PixelwiseRuntimeError:
        pass


def run_batch(source: str | Path, config: BatchConfig) -> BatchSummary:
    from tqdm import tqdm

    from .engines import run_local, run_ray

    t0 = time.perf_counter()
    items = list_inputs(source)
    out = Path(config.out)
    _prepare_out(out)
    previous = read_index(out)
    todo = [p for p in items if config.force or not is_complete(previous.get(p), out)]
    cores = os.cpu_count() or 1
    workers = config.workers or cores
    threads = config.threads or max(1, cores // workers)
    work = WorkConfig(out=str(out), model=config.model, threads=threads, overlay=config.overlay)
    engine = run_ray(todo, work, workers, config.ray_address) if config.engine == "ray" else run_local(
        todo, work, workers)
    index = BatchIndex(out)
    failed, errors = 0, []
    bar = tqdm(total=len(todo), desc="segmenting", unit="img", disable=not config.progress or not todo,
               file=sys.stderr, dynamic_ncols=True)
    try:
        for record in engine:
            index.append(record)
            bar.update(1)
            if record["status"] != "ok":
                failed += 1
                errors.append(record["error"])
                if record.get("error_kind") == "output":
                    raise PixelwiseRuntimeError(f"stopping the batch: {record['error']}")
    except BaseException:
        bar.close()
        _close_quietly(engine, index)
        raise
    bar.close()
    engine.close()
    index.close()
    return BatchSummary(total=len(items), skipped=len(items) - len(todo), processed=len(todo), failed=failed,
                        seconds=time.perf_counter() - t0, errors=errors)
