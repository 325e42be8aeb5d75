"""Stream: a frame source + per-frame work, run pipelined (default) or sequentially."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterator
from typing import Generic, TypeVar

from ..errors import InputError
from ..io.video import Frame, FrameSource
from .pipeline import Pipeline, PipelineStats, sequential

__all__ = ["Stream"]

R = TypeVar("R")


class Stream(Generic[R]):
    """Iterate to get ``work(frame)`` for each selected frame, in order.

    Args:
        source: where frames come from (closed when the iteration ends or stops).
        work: the per-frame function (e.g. a Segmenter call); runs in its own thread.
        every: process one frame in ``every`` (the others are read and skipped).
        max_frames: stop after this many processed frames.
        dual_buffer: overlap capture, work and the caller (True) or run one loop (False).
        depth: capacity of each bounded queue.
        workers: frames in the work function at once (pipelined loop only); results still
            come in frame order.
        finish: applied to each result in frame order, in the caller's thread (state that
            must see the frames in order, e.g. a tracker).
    """

    def __init__(self, source: FrameSource, work: Callable[[Frame], R], every: int = 1,
                 max_frames: int | None = None, dual_buffer: bool = True, depth: int = 2, workers: int = 1,
                 finish: Callable[[R], R] | None = None) -> None:
        if workers < 1:
            raise InputError(f"--workers must be >= 1, got {workers}")
        if every < 1:
            raise InputError(f"--every must be >= 1, got {every}")
        if max_frames is not None and max_frames < 1:
            raise InputError(f"--max-frames must be >= 1, got {max_frames}")
        self.source = source
        self.work = work
        self.every = every
        self.max_frames = max_frames
        self.dual_buffer = dual_buffer
        self.depth = depth
        self.workers = workers
        self.finish = finish
        self.stats = PipelineStats()
        self._pipe: Pipeline | None = None

    def _frames(self) -> Iterator[Frame]:
        frames = itertools.islice(self.source.frames(), 0, None, self.every)
        return itertools.islice(frames, self.max_frames) if self.max_frames else frames

    def stop(self) -> None:
        """End a pipelined iteration now, even if no further frame comes (a stalled camera):
        the caller's loop gets no more results. Safe to call from a signal handler."""
        if self._pipe is not None:
            self._pipe.stop()

    def __iter__(self) -> Iterator[R]:
        results: Generator[R, None, None] | None = None
        try:
            if self.dual_buffer:
                pipe = Pipeline(self._frames(), self.work, live=self.source.live, depth=self.depth,
                                workers=self.workers)
                self.stats, self._pipe = pipe.stats, pipe
                results = iter(pipe)
            else:
                results = sequential(self._frames(), self.work, self.stats)
            for res in results:
                yield self.finish(res) if self.finish is not None else res
        finally:
            if results is not None:
                results.close()  # a caller that stops early stops the pipeline's threads now
            self.source.close()
