"""A pipelined ("dual buffer") loop: capture and per-frame work run in their own threads.

    source thread --q_in (bounded)--> work thread --q_out (bounded)--> caller (draw/write/show)

ONNX Runtime and OpenCV release the GIL, so the three stages overlap on separate cores.
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

    def __init__(self, source: Iterable[T], work: Callable[[T], R], live: bool = False, depth: int = 2) -> None:
        self.source = source
        self.work = work
        self.live = live
        self.stats = PipelineStats()
        self._stop = threading.Event()
        self._q_in: queue.Queue = queue.Queue(maxsize=depth)
        self._q_out: queue.Queue = queue.Queue(maxsize=depth)
        self._threads = [threading.Thread(target=self._capture, name="pixelwise-capture", daemon=True),
                         threading.Thread(target=self._process, name="pixelwise-inference", daemon=True)]

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

    def _process(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._q_in.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if item is _END or isinstance(item, _Failure):
                self._put(self._q_out, item)
                return
            try:
                t = time.perf_counter()
                result = self.work(item)
                self.stats.work_s += time.perf_counter() - t
                self.stats.processed += 1
            except BaseException as exc:  # noqa: BLE001
                self._put(self._q_out, _Failure(exc))
                return
            if not self._put(self._q_out, result):
                return

    def __iter__(self) -> Iterator[R]:
        for t in self._threads:
            t.start()
        try:
            while True:
                try:
                    item = self._q_out.get(timeout=POLL_S)
                except queue.Empty:
                    if not any(t.is_alive() for t in self._threads) and self._q_out.empty():
                        return
                    continue
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop both threads (they finish their current item) and wait for them."""
        self._stop.set()
        for t in self._threads:
            if t.is_alive() and t is not threading.current_thread():
                t.join(timeout=10)


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
