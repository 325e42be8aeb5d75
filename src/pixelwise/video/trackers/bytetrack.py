"""ByteTrack from ``supervision`` (MIT) behind the project's tracker interface.

supervision's ``ByteTrack`` is deprecated since 0.28 and removed in 0.31 (it moved to the
``trackers`` package, which requires ``opencv-python`` and so clashes with the
``opencv-python-headless`` the project depends on); the extra ``pixelwise[track]`` therefore
asks for ``supervision>=0.30.9,<0.31``, which has ByteTrack and no OpenCV requirement.

ByteTrack is class-agnostic; this wrapper runs one per class (an object never changes class
by being matched to another's track) and gives the ids of all classes one numbering.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["ByteTracker", "load_bytetrack"]


def load_bytetrack() -> Any:  # the supervision module, or None
    """The ``supervision`` module if it has ByteTrack, else None."""
    try:
        import supervision
    except ImportError:
        return None
    return supervision if hasattr(supervision, "ByteTrack") else None


class ByteTracker:
    """One ByteTrack per class; ids (N,) int64 in the order of the frame's objects, 0 = no id yet.

    Args:
        lost_frames: frames a track stays alive unseen (then a returning object gets a new id).
        activation: objects scoring at least this start or continue tracks in the first
            association; lower-scoring ones (above 0.1) only continue tracks.
        match: ByteTrack's matching threshold (1 - IoU, fused with the score).
    """

    name = "bytetrack"

    def __init__(self, lost_frames: int = 30, activation: float = 0.25, match: float = 0.9, fps: float = 30.0) -> None:
        self._sv = load_bytetrack()
        if self._sv is None:
            from ...errors import OptionError

            raise OptionError("tracker 'bytetrack' needs supervision's ByteTrack: "
                              "pip install 'pixelwise[track]' (supervision>=0.30.9,<0.31)")
        self.lost_frames, self.activation, self.match, self.fps = lost_frames, activation, match, fps
        self._per_class: dict[int, Any] = {}
        self._global: dict[tuple[int, int], int] = {}

    def _for_class(self, class_id: int) -> Any:
        if class_id not in self._per_class:
            with warnings.catch_warnings():  # the deprecation notice: the pin above keeps ByteTrack
                warnings.simplefilter("ignore")
                self._per_class[class_id] = self._sv.ByteTrack(
                    track_activation_threshold=self.activation, lost_track_buffer=self.lost_frames,
                    minimum_matching_threshold=self.match, frame_rate=30)
        return self._per_class[class_id]

    def update(self, boxes_xyxy: np.ndarray, class_ids: np.ndarray,
               scores: np.ndarray | None = None) -> np.ndarray:
        boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
        classes = np.asarray(class_ids).reshape(-1)
        conf = np.ones(len(boxes), np.float32) if scores is None else np.asarray(scores, np.float32).reshape(-1)
        ids = np.zeros(len(boxes), np.int64)
        for cid in set(self._per_class) | {int(c) for c in classes}:  # every tracker sees every frame
            sel = np.flatnonzero(classes == cid)
            dets = self._sv.Detections(xyxy=boxes[sel].reshape(-1, 4), confidence=conf[sel],
                                       class_id=np.full(len(sel), cid), data={"index": sel})
            tracked = self._for_class(cid).update_with_detections(dets)
            for index, local in zip(tracked.data.get("index", []), tracked.tracker_id, strict=True):
                key = (cid, int(local))
                ids[int(index)] = self._global.setdefault(key, len(self._global) + 1)
        return ids
