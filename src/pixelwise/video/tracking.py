"""Stable IDs for objects across the frames of a stream, behind one small interface.

:func:`make_tracker` gives a :class:`Tracker`: ``update(boxes_xyxy, class_ids, scores) -> ids``
once per frame, in frame order. Two implementations:

* ``"bytetrack"``: ByteTrack (Kalman-predicted boxes, a second association with low-score
  objects, lost tracks kept ``lost_frames`` frames) from ``supervision`` (MIT), the optional
  extra ``pixelwise[track]``; see ``trackers/bytetrack.py``.
* ``"iou"``: the fallback without extra packages: each frame's objects are matched greedily,
  highest IoU first, to the live tracks of the same class; unmatched objects start new tracks;
  tracks unseen for ``max_age`` frames end. No motion model, so an object that moves more
  than its size between frames, or crosses another of its class, changes id.

``"auto"`` (the default of ``stream --track``) is ByteTrack when supervision's ByteTrack can
be imported, else the IoU matcher. Id 0 means "no id yet": ByteTrack confirms an object
that appears after the first frame on its second frame (a one-frame false detection never
gets an id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..errors import OptionError
from ..ops.boxes import box_iou

__all__ = ["IouTracker", "Tracker", "TRACKERS", "make_tracker", "bytetrack_available"]

TRACKERS = ("auto", "bytetrack", "iou")


class Tracker(Protocol):
    name: str

    def update(self, boxes_xyxy: np.ndarray, class_ids: np.ndarray,
               scores: np.ndarray | None = None) -> np.ndarray:
        """Track ids (N,) int64 for this frame's objects, in their order (0: no id yet)."""


@dataclass
class _Track:
    track_id: int
    class_id: int
    box: np.ndarray
    missed: int = 0


@dataclass
class IouTracker:
    iou_threshold: float = 0.3
    max_age: int = 5
    name: str = "iou"
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1

    def update(self, boxes_xyxy: np.ndarray, class_ids: np.ndarray,
               scores: np.ndarray | None = None) -> np.ndarray:  # the interface's
        """Track ids (N,) int64 for this frame's objects, in their order."""
        ids = np.zeros(len(boxes_xyxy), dtype=np.int64)
        matched_tracks: set[int] = set()
        if len(boxes_xyxy) and self._tracks:
            iou = box_iou(boxes_xyxy, np.stack([t.box for t in self._tracks]))
            same = class_ids[:, None] == np.array([t.class_id for t in self._tracks])[None, :]
            iou = np.where(same, iou, 0.0)
            for flat in np.argsort(-iou, axis=None):
                i, j = divmod(int(flat), iou.shape[1])
                if iou[i, j] < self.iou_threshold:
                    break
                if ids[i] or j in matched_tracks:
                    continue
                ids[i] = self._tracks[j].track_id
                self._tracks[j].box, self._tracks[j].missed = boxes_xyxy[i], 0
                matched_tracks.add(j)
        for j, t in enumerate(self._tracks):
            if j not in matched_tracks:
                t.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_age]
        for i in np.flatnonzero(ids == 0):
            ids[i] = self._next_id
            self._tracks.append(_Track(self._next_id, int(class_ids[i]), boxes_xyxy[i]))
            self._next_id += 1
        return ids


def bytetrack_available() -> bool:
    """Whether supervision's ByteTrack can be imported (``pip install 'pixelwise[track]'``)."""
    from .trackers.bytetrack import load_bytetrack

    return load_bytetrack() is not None


def make_tracker(kind: str = "auto", fps: float = 30.0) -> Tracker:
    """A new tracker: ``"auto"`` (ByteTrack if installed, else IoU), ``"bytetrack"`` or ``"iou"``.

    Raises:
        OptionError: an unknown kind, or ``"bytetrack"`` without supervision installed.
    """
    if kind not in TRACKERS:
        raise OptionError(f"tracker: expected one of {', '.join(TRACKERS)}, got {kind!r}")
    if kind == "iou" or (kind == "auto" and not bytetrack_available()):
        return IouTracker()
    from .trackers.bytetrack import ByteTracker

    return ByteTracker(fps=fps)
