"""Stream: a frame source + per-frame work, run pipelined (default) or sequentially.

``STREAM_DEFAULTS`` and :func:`resolve_workers` are the one source of the stream defaults
that ``Segmenter.stream`` and ``pixelwise stream`` share.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ..errors import InputError
from .pipeline import Pipeline, PipelineStats, sequential

if TYPE_CHECKING:
    from ..io.video import Frame, FrameSource

__all__ = ["Stream", "StreamDefaults", "STREAM_DEFAULTS", "resolve_workers", "threads_per_worker", "usable_cores"]

R = TypeVar("R")


@dataclass(frozen=True)
class StreamDefaults:
    """How a stream runs unless told otherwise (the API and the CLI read these).

    Attributes:
        workers: frames in the model at once; 0 = automatic (:func:`resolve_workers`).
        depth: capacity of each bounded queue (results made ahead of the caller).
        dual_buffer: overlap capture, inference and the caller (False: one plain loop).
        spinning: ONNX Runtime threads spin between runs (off: spinning threads slow the
            decoding, drawing and encoding that share the cores).
    """

    workers: int = 0
    depth: int = 2
    dual_buffer: bool = True
    spinning: bool = False


STREAM_DEFAULTS = StreamDefaults()


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_workers(workers: int, *, dual_buffer: bool = True, in_order: bool = False,
                    cores: int | None = None) -> int:
    """Frames in the model at once: ``workers`` if given (> 0), else 2 on 2+ cores, and 1 for a
    plain loop, one core, or work that must see the frames in order (``in_order``, e.g. smoothing).

    On 2 cores, two single-threaded runs at once gave 1.28-1.44x the frames per second of
    the sequential loop, one two-threaded run 1.08-1.18x (bench/stream.py)."""
    if workers < 0:
        raise InputError(f"workers must be >= 0 (0 = automatic), got {workers}")
    if workers:
        return workers
    cores = usable_cores() if cores is None else cores
    return 1 if (in_order or not dual_buffer or cores < 2) else 2


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Inference threads for each of ``workers`` frame-parallel runs: the cores shared out."""
    return max(1, (usable_cores() if cores is None else cores) // max(workers, 1))


class Stream(Generic[R]):
    """Iterate to get ``finish(work(frame))`` for each selected frame, in order.

    Args:
        source: where frames come from (closed when the iteration ends or stops).
        work: the per-frame function (e.g. a Segmenter call and drawing); runs in the worker
            threads, several frames at once with ``workers`` > 1.
        every: process one frame in ``every`` (the others are read and skipped).
        max_frames: stop after this many processed frames.
        dual_buffer: overlap capture, work and the caller (True) or run one loop (False).
        depth: capacity of each bounded queue.
        workers: frames in the work function at once (pipelined loop only); results still
            come in frame order.
        finish: applied to each result in frame order, in one thread (state that must see
            the frames in order, e.g. a tracker; writing a video).
        end: called once when the stream stops, in the thread that ran ``finish`` (close
            what ``finish`` writes), whether it ended, failed or was stopped.
        stats: where the stage counts and times go (a new record by default).
    """

    def __init__(self, source: FrameSource, work: Callable[[Frame], R], every: int = 1,
                 max_frames: int | None = None, dual_buffer: bool = STREAM_DEFAULTS.dual_buffer,
                 depth: int = STREAM_DEFAULTS.depth, workers: int = 1, finish: Callable[[R], R] | None = None,
                 end: Callable[[], None] | None = None, stats: PipelineStats | None = None) -> None:
        if workers < 1:
            raise InputError(f"--workers must be >= 1, got {workers}")
        if every < 1:
            raise InputError(f"--every must be >= 1, got {every}")
        if max_frames is not None and max_frames < 1:
            raise InputError(f"--max-frames must be >= 1, got {max_frames}")
        if depth < 1:
            raise InputError(f"depth must be >= 1, got {depth}")
        self.source = source
        self.work = work
        self.every = every
        self.max_frames = max_frames
        self.dual_buffer = dual_buffer
        self.depth = depth
        self.workers = workers
        self.finish = finish
        self.end = end
        self.stats = stats if stats is not None else PipelineStats()
        self._pipe: Pipeline | None = None
        self._stopped = False  # a plain flag: set from signal handlers

    def _frames(self) -> Iterator[Frame]:
        frames = itertools.islice(self.source.frames(), 0, None, self.every)
        return itertools.islice(frames, self.max_frames) if self.max_frames else frames

    def stop(self) -> None:
        """End the iteration now, even if no further frame comes (a stalled camera; a plain
        loop stops after the frame in hand): the caller's loop gets no more results, ``end``
        still runs. Safe from a signal handler, also before the iteration has started."""
        self._stopped = True
        if self._pipe is not None:
            self._pipe.stop()

    def alive(self) -> list[str]:
        """Names of the stream's threads still running (empty once it has closed)."""
        return self._pipe.alive() if self._pipe is not None else []

    def __iter__(self) -> Iterator[R]:
        results: Generator[R, None, None] | None = None
        try:
            if self.dual_buffer:
                self._pipe = Pipeline(self._frames(), self.work, live=self.source.live, depth=self.depth,
                                      workers=self.workers, finish=self.finish, end=self.end, stats=self.stats)
                results = iter(self._pipe)
                if self._stopped:  # stopped before the pipeline existed
                    self._pipe.stop()
            else:
                results = sequential(self._frames(), self.work, self.stats, self.finish, self.end)
            for res in results:
                if self._stopped:
                    break
                yield res
        finally:
            if results is not None:
                results.close()  # a caller that stops early stops the pipeline's threads now
            elif self.end is not None:
                self.end()
            self.source.close()
