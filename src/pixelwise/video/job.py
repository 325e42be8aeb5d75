"""The per-frame work of a segmentation stream, split by where it runs in the pipeline.

* ``work`` (the worker threads, several frames at once): inference, and the drawing
  (``plot``) when nothing before it must see the frames in order;
* ``finish`` (the order thread, frame order): tracking, the drawing after tracking (the
  labels show the track ids) or a drawing that keeps state across frames (``in_order``, e.g. a
  background effect with a smoothed matte; its ``prepare`` part runs in the workers), writing
  the video (``out``) and the mask PNGs;
* ``end`` (the order thread, once): finalising the video.

The caller's loop then only gets finished results, made ahead into a bounded queue.
Results are the frozen records the predictor makes: the frame's index, time and drawing
are added with ``dataclasses.replace``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.video import VIDEO_SUFFIXES, Frame, VideoSink
from .jsonl import JsonlSink
from .pipeline import PipelineStats
from .tracking import make_tracker

__all__ = ["FrameJob", "drawer_for", "PLOT_OPTIONS"]

PLOT_OPTIONS = ("alpha", "legend", "boxes")
Drawer = Callable[[Any], np.ndarray]
PlotArg = bool | Mapping[str, Any] | Callable[[Any], np.ndarray] | None


def drawer_for(plot: PlotArg, writing: bool) -> Drawer | None:
    """What ``stream(plot=...)`` asks for -> a function result -> (H, W, 3) uint8 RGB, or None.

    ``plot``: True (the standard overlay), a dict of ``Result.plot`` options (``alpha``,
    ``legend``, ``boxes``), or your own function of the Result; False = no drawing, unless
    ``writing`` a video (then the standard overlay)."""
    if callable(plot):
        return plot
    if isinstance(plot, Mapping):
        unknown = sorted(set(plot) - set(PLOT_OPTIONS))
        if unknown:
            raise InputError(f"plot: unknown drawing option(s) {', '.join(unknown)}; "
                             f"expected {', '.join(PLOT_OPTIONS)}")
        alpha = plot.get("alpha", 0.5)
        if not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
            raise InputError(f"plot: alpha must be a number in [0, 1], got {alpha!r}")
        style = dict(plot)
        return lambda res: res.plot(**style)
    if plot is True or (writing and plot in (False, None)):
        return lambda res: res.plot()
    if plot in (False, None):
        return None
    raise InputError(f"plot: expected True, False, a dict of {'/'.join(PLOT_OPTIONS)} or a function of the "
                     f"Result, got {type(plot).__name__}")


def check_video_path(out: str | os.PathLike[str]) -> Path:
    path = Path(out)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"{path}: unsupported video suffix; use .mp4 (or {', '.join(VIDEO_SUFFIXES)})")
    return path


def _checked(drawing: object) -> np.ndarray:
    if not (isinstance(drawing, np.ndarray) and drawing.dtype == np.uint8 and drawing.ndim == 3
            and drawing.shape[2] == 3):
        got = f"{drawing.dtype} array of shape {drawing.shape}" if isinstance(drawing, np.ndarray) else \
            type(drawing).__name__
        raise InputError(f"stream plot function: expected an (H, W, 3) uint8 RGB array, got {got}")
    return drawing


@dataclass(frozen=True)
class _Prepared:
    """A worker's result on its way to ``finish``: the Result and its ordered drawing's prepared part."""

    result: Any
    prepared: Any


class FrameJob:
    """Per-frame work of a stream (see the module docstring).

    Args:
        predict: RGB image -> Result (thread-safe; several frames at once).
        draw: Result -> drawing (from :func:`drawer_for`), or None.
        track: give the objects ``track_ids`` that stay the same across frames (True: the
            "auto" tracker, or "bytetrack"/"iou", see video/tracking.py).
        save_json: write one JSON line per frame here (video/jsonl.py), in frame order.
        out: write the drawings to this video file (``fps`` frames per second).
        masks_dir: write each frame's class-id PNG here (``000123.png``).
        stats: where the stage times go ("infer", "draw", "track", "encode", "masks").
    """

    def __init__(self, predict: Callable[[np.ndarray], Any], *, draw: Drawer | None = None, track: bool | str = False,
                 out: str | os.PathLike[str] | None = None, fps: float = 30.0,
                 masks_dir: str | os.PathLike[str] | None = None, stats: PipelineStats | None = None,
                 save_json: str | os.PathLike[str] | None = None) -> None:
        self.predict = predict
        self.draw = draw if draw is not None or out is None else drawer_for(True, True)
        # a drawing with state across frames (e.g. vis.background.BackgroundEffect) runs in frame order;
        # its optional prepare(result) part runs in the worker threads
        self.ordered_draw = bool(getattr(self.draw, "in_order", False))
        self.tracker = make_tracker("auto" if track is True else track, fps) if track else None
        self.jsonl = JsonlSink(save_json) if save_json is not None else None
        self.out = check_video_path(out) if out is not None else None
        self.fps = fps
        self.masks_dir = Path(masks_dir) if masks_dir is not None else None
        self.stats = stats if stats is not None else PipelineStats()
        self.sink: VideoSink | None = None

    @property
    def in_order(self) -> bool:
        """Whether ``finish`` has anything to do."""
        return (self.tracker is not None or self.out is not None or self.masks_dir is not None or self.ordered_draw
                or self.jsonl is not None)

    def _timed(self, stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        t = time.perf_counter()
        value = fn(*args)
        self.stats.add(stage, time.perf_counter() - t)
        return value

    def work(self, frame: Frame) -> Any:
        res = self._timed("infer", self.predict, frame.image)
        plotted = None
        if self.draw is not None and self.tracker is None and not self.ordered_draw:
            plotted = _checked(self._timed("draw", self.draw, res))
        res = replace(res, frame_index=frame.index, timestamp=frame.timestamp, plotted=plotted)
        if self.ordered_draw and hasattr(self.draw, "prepare"):
            return _Prepared(res, self._timed("matte", self.draw.prepare, res))
        return res

    def finish(self, res: Any) -> Any:
        prepared = ()
        if isinstance(res, _Prepared):
            res, prepared = res.result, (res.prepared,)
        if self.tracker is not None:
            inst = res.instances
            ids = self._timed("track", self.tracker.update, inst.boxes_xyxy, inst.class_ids, inst.scores)
            res = replace(res, instances=inst.with_track_ids(ids))
        if self.draw is not None and (self.tracker is not None or self.ordered_draw):
            res = replace(res, plotted=_checked(self._timed("draw", self.draw, res, *prepared)))
        if self.out is not None:
            if self.sink is None:
                self.sink = VideoSink(self.out, self.fps, res.plotted.shape[:2])
            self._timed("encode", self.sink.write, res.plotted)
        if self.masks_dir is not None:
            from ..io.sinks import write_mask

            self._timed("masks", write_mask, self.masks_dir / f"{res.frame_index:06d}.png", res)
        if self.jsonl is not None:
            self._timed("json", self.jsonl.write, res)
        return res

    def end(self) -> None:
        """Finalise the video and the frame records (called once, by the thread that wrote them)."""
        if self.jsonl is not None:
            self.jsonl.close()
        if self.sink is not None:
            sink, self.sink = self.sink, None
            sink.close()
