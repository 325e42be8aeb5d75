"""run_batch: list inputs, skip what is complete, run an engine, keep the index."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, OptionError, PixelwiseRuntimeError
from ..io.download import DEFAULT_URL_TIMEOUT_S, check_timeout
from ..io.image import atomic_write_bytes, is_url, not_regular_error
from ..io.inputs import ImageItem, resolve_key
from ..options import PredictOptions
from .index import LOG, TABLE, BatchIndex, read_index
from .inputs import list_items
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
    timeout: float = DEFAULT_URL_TIMEOUT_S  # seconds for each URL download, overall
    options: PredictOptions = PredictOptions()  # imgsz, classes, thresholds: as for Segmenter(options=...)
    things: str | None = None  # an instance model merged over model's class map (Segmenter(things=...))
    things_map: str | None = None  # its class names -> model's: "person=pedestrian,..." or a .json/.yaml file
    things_score: float = 0.5
    panoptic: bool = False  # also write panoptic/KEY_panoptic.png + .json (COCO panoptic) per image

    def __post_init__(self) -> None:
        if self.engine not in ("local", "ray"):
            raise OptionError(f"engine must be 'local' or 'ray', got {self.engine!r}")
        for name, value, meaning in (("workers", self.workers, "one per core"),
                                     ("threads", self.threads, "cores / workers")):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise OptionError(f"{name} must be a whole number >= 0 (0: {meaning}), got {value!r}")
        check_timeout(self.timeout)
        if not isinstance(self.things_score, (int, float)) or not 0.0 <= self.things_score <= 1.0:
            raise OptionError(f"things_score must be between 0 and 1, got {self.things_score!r}")
        if self.things_map is not None and self.things is None:
            raise OptionError("things_map needs things (the instance model whose classes it maps)")


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


def is_complete(record: dict[str, Any] | None, out: Path, panoptic: bool = False) -> bool:
    """Done = an ok record whose mask exists with the recorded size (not just any file), and with
    ``panoptic`` its panoptic PNG and JSON too."""
    if not record or record.get("status") != "ok" or not record.get("mask"):
        return False
    if panoptic and not all(record.get(k) and (out / record[k]).is_file() for k in ("panoptic", "panoptic_json")):
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
    for stale in list((out / "masks").glob(".*.tmp")) + list(out.glob("overlays/.*.tmp")) + \
            list(out.glob("panoptic/.*.tmp")):
        stale.unlink(missing_ok=True)  # temp files of a killed run; never a truncated PNG
    for name in (LOG, TABLE):  # appending to a FIFO would wait for a reader forever
        if (out / name).exists() and (error := not_regular_error(str(out / name), (out / name).stat().st_mode)):
            raise InputError(f"{error}; the batch index must be a regular file (remove it)")


def _close_quietly(engine, index: BatchIndex) -> None:
    """On the way out of a failure: stop the workers, keep what the index has, hide secondary errors."""
    engine.close()
    try:
        index.close()
    except PixelwiseRuntimeError:
        pass


def _outside(items: list[ImageItem], out: Path) -> list[ImageItem]:
    """The inputs that are not the batch's own outputs (``--out`` inside the input folder: masks are not inputs)."""
    root = resolve_key(str(out)) + os.sep
    return [i for i in items if not i.key.startswith(root)]


def _error_record(item: ImageItem) -> dict[str, Any]:
    """The index record of an input the resolver refused (missing, a FIFO, ...): no worker sees it."""
    return {"path": item.key, "status": "error", "error": str(item.error), "error_kind": "input", "seconds": 0.0}


def _as_key(recorded: str) -> str:
    """A path an index recorded -> today's key (this version records resolved paths; older ones, as typed)."""
    if is_url(recorded) or (os.path.isabs(recorded) and os.path.normpath(recorded) == recorded):
        return recorded  # no realpath (a few syscalls) per record of a large index
    return resolve_key(recorded)


def _previous(out: Path) -> dict[str, dict[str, Any]]:
    """The index so far, keyed by resolved path."""
    return {_as_key(k): r for k, r in read_index(out).items()}


def _engine(config: BatchConfig, out: Path, paths: list[str]):  # a generator of records
    from .engines import run_local, run_ray

    cores = os.cpu_count() or 1
    workers = config.workers or cores
    threads = config.threads or max(1, cores // workers)
    work = WorkConfig(out=str(out), model=config.model, threads=threads, overlay=config.overlay,
                      timeout=config.timeout, options=config.options, things=config.things,
                      things_map=config.things_map, things_score=config.things_score, panoptic=config.panoptic)
    if config.engine == "ray":
        return run_ray(paths, work, workers, config.ray_address)
    return run_local(paths, work, workers)


def _stop_if_fatal(record: dict[str, Any]) -> None:
    """A worker that cannot start (model, options) or cannot write stops the whole batch."""
    if record.get("error_kind") == "setup":
        raise (InputError if record.get("exit_code") == 2 else PixelwiseRuntimeError)(record["error"])
    if record.get("error_kind") == "output":
        raise PixelwiseRuntimeError(f"stopping the batch: {record['error']}")


def run_batch(source: str | Path, config: BatchConfig) -> BatchSummary:
    from tqdm import tqdm

    t0 = time.perf_counter()
    out = Path(config.out)
    items = _outside(list_items(source), out)
    _prepare_out(out)
    previous = _previous(out)
    todo = [i for i in items if config.force or not is_complete(previous.get(i.key), out, config.panoptic)]
    refused = [_error_record(i) for i in todo if i.error is not None]
    engine = _engine(config, out, [i.key for i in todo if i.error is None])
    index = BatchIndex(out)
    for record in refused:
        index.append(record)
    errors = [r["error"] for r in refused]
    bar = tqdm(total=len(todo), initial=len(refused), desc="segmenting", unit="img", file=sys.stderr,
               disable=not config.progress or not todo, dynamic_ncols=True)
    try:
        for record in engine:
            if record.get("error_kind") != "setup":  # a setup error is no image's fault: not recorded
                index.append(record)
            _stop_if_fatal(record)
            bar.update(1)
            if record["status"] != "ok":
                errors.append(record["error"])
    except BaseException:
        bar.close()
        _close_quietly(engine, index)
        raise
    bar.close()
    engine.close()
    index.close()
    return BatchSummary(total=len(items), skipped=len(items) - len(todo), processed=len(todo), failed=len(errors),
                        seconds=time.perf_counter() - t0, errors=errors)
