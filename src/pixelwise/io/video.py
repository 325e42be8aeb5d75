"""Frame sources (video files, cameras, network streams, image sequences) and video sinks.

Sources yield :class:`Frame` objects with RGB images. Live sources (cameras, RTSP/HTTP
streams) reconnect with backoff when reading fails and end cleanly after ``retries``
failed attempts; files and sequences end at their last frame. Undecodable frames of a
sequence are skipped and counted.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImageReadError, InputError, PixelwiseRuntimeError
from .files import PendingFile
from .image import read_image

__all__ = ["Frame", "SourceStats", "FrameSource", "open_source", "VideoSink", "VIDEO_SUFFIXES"]

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")
LIVE_PREFIXES = ("rtsp://", "rtmp://", "http://", "https://", "udp://", "tcp://")


@dataclass
class Frame:
    index: int
    timestamp: float  # seconds: position in a file, or since the start for live sources
    image: np.ndarray  # (H, W, 3) uint8 RGB


@dataclass
class SourceStats:
    frames: int = 0
    skipped: int = 0  # undecodable frames
    reconnects: int = 0
    ended: str = ""  # why the source ended ("end of file", "disconnected after 3 retries", ...)
    errors: list[str] = field(default_factory=list)


class FrameSource:
    """Iterate with ``frames()``; ``live`` tells whether stale frames may be dropped."""

    live = False
    fps = 30.0
    name = ""

    def __init__(self) -> None:
        self.stats = SourceStats()

    def frames(self) -> Iterator[Frame]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass


class CaptureSource(FrameSource):
    """A ``cv2.VideoCapture`` (file, camera index or stream URL); reconnects when live."""

    def __init__(self, target: int | str, live: bool, retries: int = 3, backoff_s: float = 0.5,
                 capture_factory: Callable[[Any], Any] | None = None) -> None:
        super().__init__()
        import cv2

        self.target = target
        self.name = str(target)
        self.live = live
        self.retries = retries
        self.backoff_s = backoff_s
        self._factory = capture_factory or cv2.VideoCapture
        self._cap = self._open()
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else 30.0

    def _open(self) -> Any:
        cap = self._factory(self.target)
        if not cap.isOpened():
            raise InputError(f"{self.name}: cannot open video source")
        return cap

    def _reconnect(self) -> bool:
        for attempt in range(1, self.retries + 1):
            time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                self._cap.release()
                self._cap = self._open()
                self.stats.reconnects += 1
                return True
            except InputError as exc:
                self.stats.errors.append(f"reconnect {attempt}: {exc}")
        return False

    def frames(self) -> Iterator[Frame]:
        import cv2

        t0 = time.monotonic()
        index = 0
        failures = 0  # consecutive failed reads
        while True:
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                if not self.live:
                    self.stats.ended = "end of file"
                    return
                failures += 1
                if failures > self.retries or not self._reconnect():
                    self.stats.ended = f"disconnected (gave up after {self.retries} retries)"
                    return
                continue
            failures = 0
            if self.live:
                ts = time.monotonic() - t0
            else:
                pos = self._cap.get(cv2.CAP_PROP_POS_MSEC)
                ts = pos / 1000.0 if pos and pos > 0 else index / self.fps
            self.stats.frames += 1
            yield Frame(index, ts, np.ascontiguousarray(bgr[..., ::-1]))
            index += 1

    def close(self) -> None:
        self._cap.release()


class SequenceSource(FrameSource):
    """A folder or glob of images, in name order; unreadable images are skipped and counted."""

    def __init__(self, paths: list[Path], fps: float = 30.0) -> None:
        super().__init__()
        self.paths = paths
        self.fps = fps
        self.name = str(paths[0].parent) if paths else ""

    def frames(self) -> Iterator[Frame]:
        for index, path in enumerate(self.paths):
            try:
                image = read_image(path)
            except ImageReadError as exc:
                self.stats.skipped += 1
                self.stats.errors.append(str(exc))
                continue
            self.stats.frames += 1
            yield Frame(index, index / self.fps, image)
        self.stats.ended = "end of sequence"


def open_source(source: int | str | os.PathLike[str], retries: int = 3, backoff_s: float = 0.5) -> FrameSource:
    """A camera index (``0``), a video file, a stream URL, a folder or a glob of images."""
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
        return CaptureSource(int(source), live=True, retries=retries, backoff_s=backoff_s)
    name = str(source)
    if name.startswith(LIVE_PREFIXES):
        return CaptureSource(name, live=True, retries=retries, backoff_s=backoff_s)
    path = Path(name)
    if path.is_dir() or glob.has_magic(name):
        from .inputs import resolve_inputs  # the one resolver: regular image files, sorted

        images = [Path(item.source) for item in resolve_inputs([name]) if item.error is None]
        if not images:
            raise InputError(f"{name}: no images to stream")
        return SequenceSource(images)
    if not path.is_file():
        raise InputError(f"{name}: no such video file, folder or camera")
    return CaptureSource(name, live=False)


class VideoSink:
    """Writes RGB frames to a video file (``mp4v`` in .mp4 by default).

    Frames go to a temporary file that is renamed into place on :meth:`close`, so an
    interrupted run that still closes (Ctrl-C, SIGTERM, a lost camera) leaves a playable file.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, size_hw: tuple[int, int], fourcc: str = "mp4v"
                 ) -> None:
        import cv2

        self.path = Path(path)
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            raise InputError(f"{self.path}: unsupported video suffix; use .mp4 (or {', '.join(VIDEO_SUFFIXES)})")
        self._pending = PendingFile(self.path, keep_suffix=True)  # OpenCV picks the container by suffix
        self._tmp = self._pending.tmp
        h, w = size_hw
        self._writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter.fourcc(*fourcc), float(fps), (w, h))
        if not self._writer.isOpened():
            raise PixelwiseRuntimeError(f"{self.path}: cannot open a video writer ({fourcc})")
        self.size_hw = size_hw
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape[:2] != self.size_hw:
            raise PixelwiseRuntimeError(
                f"{self.path}: frame {rgb.shape[:2]} differs from the video size {self.size_hw}")
        self._writer.write(np.ascontiguousarray(rgb[..., ::-1]))
        self.frames += 1

    def close(self) -> Path:
        self._writer.release()
        if self._tmp.exists():
            self._pending.commit()
        return self.path
