"""A pipelined ("dual buffer") loop: capture and per-frame work run in their own threads.

    source thread --q_in (bounded)--> work thread(s) --q_out (bounded)--> caller (draw/write/show)

ONNX Runtime and OpenCV release the GIL, so the three stages overlap on separate cores.
With ``workers`` > 1, several frames are in the model at once (frame-parallel: each run
single-threaded is cheaper per frame than one run spread over all cores) and the caller
still gets the results in capture order.
Live sources keep only the newest frames: when ``q_in`` is full the oldest waiting frame
is dropped (and counted). Files are processed completely and in order. Queues are
bounded, so memory stays flat; a stop event and timed puts let every thread finish when
the caller stops early, and an exception in a worker is re-raised in the caller.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["PipelineStats", "Pipeline", "sequential"]

T = TypeVar("T")
R = TypeVar("R")

_END = object()
POLL_S = 0.05


@dataclass
class PipelineStats:
    captured: int = 0
    processed: int = 0
    dropped: int = 0
    capture_s: float = 0.0
    work_s: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def per_frame_ms(self) -> dict[str, float]:
        return {"capture": 1e3 * self.capture_s / max(self.captured, 1),
                "inference": 1e3 * self.work_s / max(self.processed, 1)}


@dataclass
class _Failure:
    exc: BaseException


class Pipeline(Generic[T, R]):
    """Iterate to get ``work(item)`` for the items of ``source``, computed in background threads."""

    def __init__(self, source: Iterable[T], work: Callable[[T], R], live: bool = False, depth: int = 2,
                 workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.source = source
        self.work = work
        self.live = live
        self.stats = PipelineStats()
        self._stop = threading.Event()
        self._q_in: queue.Queue = queue.Queue(maxsize=max(depth, workers))
        self._q_out: queue.Queue = queue.Queue(maxsize=max(depth, workers))
        self._take = threading.Lock()  # a frame and its sequence number are taken together
        self._count = threading.Lock()  # stats from several workers (not _take: that one waits on q_in)
        self._seq = 0
        self._workers = workers
        self._threads = [threading.Thread(target=self._capture, name="pixelwise-capture", daemon=True)]
        self._threads += [threading.Thread(target=self._process, name=f"pixelwise-inference-{k}", daemon=True)
                          for k in range(workers)]

    def _put(self, q: queue.Queue, item: object) -> bool:
        while not self._stop.is_set():
            try:
                q.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _put_newest(self, item: object) -> None:
        """Live sources: never wait; replace the oldest waiting frame instead."""
        while not self._stop.is_set():
            try:
                self._q_in.put_nowait(item)
                return
            except queue.Full:
                try:
                    self._q_in.get_nowait()
                    self.stats.dropped += 1
                except queue.Empty:
                    pass

    def _capture(self) -> None:
        try:
            it = iter(self.source)
            while not self._stop.is_set():
                t = time.perf_counter()
                item = next(it, _END)
                if item is _END:
                    break
                self.stats.capture_s += time.perf_counter() - t
                self.stats.captured += 1
                if self.live:
                    self._put_newest(item)
                elif not self._put(self._q_in, item):
                    return
            self._put(self._q_in, _END)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self._put(self._q_in, _Failure(exc))

    def _next_input(self) -> tuple[int, object] | None:
        with self._take:
            try:
                item = self._q_in.get(timeout=POLL_S)
            except queue.Empty:
                return None
            if item is _END or isinstance(item, _Failure):
                self._q_in.put(item)  # leave it for the other workers (the queue has room: we took one)
                return -1, item
            self._seq += 1
            return self._seq - 1, item

    def _process(self) -> None:
        while not self._stop.is_set():
            taken = self._next_input()
            if taken is None:
                continue
            seq, item = taken
            if seq < 0:
                self._put(self._q_out, (seq, item))
                return
            try:
                t = time.perf_counter()
                result = self.work(item)
                with self._count:
                    self.stats.work_s += time.perf_counter() - t
                    self.stats.processed += 1
            except BaseException as exc:  # noqa: BLE001
                self._put(self._q_out, (-1, _Failure(exc)))
                return
            if not self._put(self._q_out, (seq, result)):
                return

    def __iter__(self) -> Iterator[R]:
        for t in self._threads:
            t.start()
        pending: dict[int, R] = {}  # results that overtook an earlier frame
        next_seq, finished = 0, 0
        try:
            while True:
                while next_seq in pending:
                    yield pending.pop(next_seq)
                    next_seq += 1
                if finished == self._workers or self._stop.is_set():
                    return
                try:
                    seq, item = self._q_out.get(timeout=POLL_S)
                except queue.Empty:
                    if not any(t.is_alive() for t in self._threads) and self._q_out.empty():
                        return
                    continue
                if isinstance(item, _Failure):
                    raise item.exc
                if item is _END:
                    finished += 1
                else:
                    pending[seq] = item
        finally:
            self.close()

    def stop(self) -> None:
        """Ask every thread to stop (safe from a signal handler): the iteration ends at once,
        frames still in flight are dropped; ``close`` waits for the threads."""
        self._stop.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the threads (they finish their current item) and wait for them, at most
        ``timeout`` seconds in all: a thread stuck in a source that no longer delivers (a
        camera that hangs in its read) is a daemon and is left behind."""
        self._stop.set()
        deadline = time.perf_counter() + timeout
        for t in self._threads:
            if t.is_alive() and t is not threading.current_thread():
                t.join(timeout=max(deadline - time.perf_counter(), 0.0))


def sequential(source: Iterable[T], work: Callable[[T], R], stats: PipelineStats | None = None) -> Iterator[R]:
    """The same loop without threads (for comparison and tiny devices)."""
    stats = stats or PipelineStats()
    it = iter(source)
    while True:
        t = time.perf_counter()
        item = next(it, _END)
        if item is _END:
            return
        t1 = time.perf_counter()
        stats.capture_s += t1 - t
        stats.captured += 1
        result = work(item)
        stats.work_s += time.perf_counter() - t1
        stats.processed += 1
        yield result
