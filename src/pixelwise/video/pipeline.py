"""A pipelined ("dual buffer") loop: capture, per-frame work and in-order work run in their own threads.

    capture --q_in--> work x N (any order) --q_done--> order (in order) --q_out--> caller

ONNX Runtime, OpenCV and numpy release the GIL, so the stages overlap on separate cores.
``work`` runs in ``workers`` threads at once (frame-parallel: several frames in the model,
each run single-threaded, is cheaper per frame than one run spread over all cores); put
per-frame work that needs no order there (inference, drawing). The order thread puts the
results back in capture order and applies ``finish`` to each (state that must see the
frames in order, e.g. a tracker, or a video writer), then ``end`` once when it stops
(finalise a file: the thread that writes also closes). The caller gets finished results
from a bounded queue, so work runs ahead while the caller handles a result.
Live sources keep only the newest frames: when ``q_in`` is full the oldest waiting frame
is dropped (and counted). Files are processed completely and in order. Every queue is
bounded, so memory stays flat; a stop event and timed puts let every thread finish when
the caller stops early, and an exception in any stage is re-raised in the caller.
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
    """Counts and summed seconds per stage; stages are "capture", "work", "finish" and any
    the per-frame functions add with :meth:`add` (e.g. "infer", "draw", "encode")."""

    finished: int = 0  # results through the in-order stage (e.g. frames written); one thread counts
    dropped: int = 0  # stale frames of a live source; the capture thread counts
    stage_s: dict[str, float] = field(default_factory=dict)
    stage_n: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, stage: str, seconds: float) -> None:
        """Count one item of ``stage`` that took ``seconds`` (thread-safe)."""
        with self._lock:
            self.stage_s[stage] = self.stage_s.get(stage, 0.0) + seconds
            self.stage_n[stage] = self.stage_n.get(stage, 0) + 1

    @property
    def captured(self) -> int:
        return self.stage_n.get("capture", 0)

    @property
    def processed(self) -> int:
        return self.stage_n.get("work", 0)

    @property
    def capture_s(self) -> float:
        return self.stage_s.get("capture", 0.0)

    @property
    def work_s(self) -> float:
        return self.stage_s.get("work", 0.0)

    def per_frame_ms(self) -> dict[str, float]:
        """Mean milliseconds per item of each stage."""
        with self._lock:
            return {k: 1e3 * s / max(self.stage_n.get(k, 0), 1) for k, s in self.stage_s.items()}


class _Flag:
    """A stop flag without a lock: set from a signal handler, which may run in the middle of
    any code of the main thread (a ``threading.Event`` there can deadlock on its own lock)."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


@dataclass
class _Failure:
    exc: BaseException


class Pipeline(Generic[T, R]):
    """Iterate to get ``finish(work(item))`` for the items of ``source`` in order, computed in
    background threads (see the module docstring)."""

    def __init__(self, source: Iterable[T], work: Callable[[T], R], live: bool = False, depth: int = 2,
                 workers: int = 1, finish: Callable[[R], R] | None = None, end: Callable[[], None] | None = None,
                 stats: PipelineStats | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.source, self.work, self.finish, self.end = source, work, finish, end
        self.live = live
        self.stats = stats if stats is not None else PipelineStats()
        self._stop = _Flag()
        self._q_in: queue.Queue = queue.Queue(maxsize=max(depth, workers))
        self._q_done: queue.Queue = queue.Queue(maxsize=max(depth, workers))
        self._q_out: queue.Queue = queue.Queue(maxsize=depth)
        self._take = threading.Lock()  # a frame and its sequence number are taken together
        # frames between a worker taking them and their in-order delivery: however uneven the
        # workers, results that overtook a slow frame cannot pile up
        self._slots = threading.BoundedSemaphore(workers + depth)
        self._seq = 0
        self._workers = workers
        # joined in this order by close(): the order thread finalises what it writes
        self._threads = [threading.Thread(target=self._order, name="pixelwise-order", daemon=True)]
        self._threads += [threading.Thread(target=self._process, name=f"pixelwise-inference-{k}", daemon=True)
                          for k in range(workers)]
        self._threads.append(threading.Thread(target=self._capture, name="pixelwise-capture", daemon=True))
        self._started = False

    # -- stages ------------------------------------------------------------------------
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
                self.stats.add("capture", time.perf_counter() - t)
                if self.live:
                    self._put_newest(item)
                elif not self._put(self._q_in, item):
                    return
            self._put(self._q_in, _END)
        except BaseException as exc:  # handed to the caller
            self._put(self._q_in, _Failure(exc))

    def _next_input(self) -> tuple[int, object] | None:
        if not self._slots.acquire(timeout=POLL_S):
            return None
        with self._take:
            try:
                item = self._q_in.get(timeout=POLL_S)
            except queue.Empty:
                self._slots.release()
                return None
            if item is _END or isinstance(item, _Failure):
                self._q_in.put(item)  # leave it for the other workers (the queue has room: we took one)
                self._slots.release()
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
                self._put(self._q_done, (seq, item))
                return
            try:
                t = time.perf_counter()
                result = self.work(item)
                self.stats.add("work", time.perf_counter() - t)
            except BaseException as exc:
                self._put(self._q_done, (-1, _Failure(exc)))
                return
            if not self._put(self._q_done, (seq, result)):
                return

    def _in_order(self) -> Iterator[object]:
        """The workers' results in capture order (a failure is yielded, not raised)."""
        pending: dict[int, object] = {}  # results that overtook an earlier frame
        next_seq, finished = 0, 0
        while not self._stop.is_set():
            while next_seq in pending:
                item = pending.pop(next_seq)
                self._slots.release()
                yield item
                next_seq += 1
            if finished == self._workers:
                return
            try:
                seq, item = self._q_done.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if isinstance(item, _Failure):
                yield item
                return
            if item is _END:
                finished += 1
            else:
                pending[seq] = item

    def _order(self) -> None:
        outcome: object = _END
        try:
            for item in self._in_order():
                if isinstance(item, _Failure):
                    outcome = item
                    break
                if self.finish is not None:
                    t = time.perf_counter()
                    item = self.finish(item)
                    self.stats.add("finish", time.perf_counter() - t)
                self.stats.finished += 1
                if not self._put(self._q_out, item):
                    break
        except BaseException as exc:
            outcome = _Failure(exc)
        try:
            if self.end is not None:
                self.end()
        except BaseException as exc:
            outcome = outcome if isinstance(outcome, _Failure) else _Failure(exc)
        self._put(self._q_out, outcome)

    # -- the caller's side ---------------------------------------------------------------
    def __iter__(self) -> Iterator[R]:
        if self._started:
            raise RuntimeError("a Pipeline can be iterated only once")
        self._started = True
        for t in self._threads:
            t.start()
        try:
            while not self._stop.is_set():
                try:
                    item = self._q_out.get(timeout=POLL_S)
                except queue.Empty:
                    if not self._threads[0].is_alive() and self._q_out.empty():
                        return
                    continue
                if isinstance(item, _Failure):
                    raise item.exc
                if item is _END:
                    return
                yield item  # type: ignore[misc]
        finally:
            self.close()

    def stop(self) -> None:
        """Ask every thread to stop (safe from a signal handler): the iteration ends at once,
        frames in flight are dropped, ``end`` still runs; ``close`` waits for the threads."""
        self._stop.set()

    def alive(self) -> list[str]:
        """Names of this pipeline's threads still running."""
        return [t.name for t in self._threads if t.is_alive()]

    def close(self, timeout: float = 5.0) -> None:
        """Stop the threads (they finish their current item; the order thread runs ``end``) and
        wait for them, at most ``timeout`` seconds in all: a thread stuck in a source that no
        longer delivers (a camera that hangs in its read) is a daemon and is left behind."""
        self._stop.set()
        deadline = time.perf_counter() + timeout
        for t in self._threads:
            if t.is_alive() and t is not threading.current_thread():
                t.join(timeout=max(deadline - time.perf_counter(), 0.0))
        if not self._started and self.end is not None:
            self._started = True
            self.end()


def sequential(source: Iterable[T], work: Callable[[T], R], stats: PipelineStats | None = None,
               finish: Callable[[R], R] | None = None, end: Callable[[], None] | None = None) -> Iterator[R]:
    """The same loop without threads (for comparison and tiny devices)."""
    stats = stats if stats is not None else PipelineStats()
    it = iter(source)
    try:
        while True:
            t = time.perf_counter()
            item = next(it, _END)
            if item is _END:
                return
            t1 = time.perf_counter()
            stats.add("capture", t1 - t)
            result = work(item)
            t2 = time.perf_counter()
            stats.add("work", t2 - t1)
            if finish is not None:
                result = finish(result)
                stats.add("finish", time.perf_counter() - t2)
            stats.finished += 1
            yield result
    finally:
        if end is not None:
            end()
