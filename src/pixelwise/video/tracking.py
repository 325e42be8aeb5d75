"""Stable IDs for objects across the frames of a stream: IoU matching of boxes, per class.

No maintained tracker library fits the project's constraints (norfair pins numpy < 2,
which breaks OpenCV 5; boxmot is AGPL; supervision is excluded by the project's
decisions), so this is a small tracker in the spirit of SORT/ByteTrack's association step
without motion models: each frame's objects are matched greedily, highest IoU first, to
the live tracks of the same class; unmatched objects start new tracks; tracks unseen for
``max_age`` frames end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ops.boxes import box_iou

__all__ = ["IouTracker"]


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
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1

    def update(self, boxes_xyxy: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
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
