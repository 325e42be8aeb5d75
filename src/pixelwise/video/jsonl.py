"""``stream --save-json FILE.jsonl``: one JSON line per frame, in frame order.

Each line is the Result's one schema (``Result.to_dict(masks="none")``: classes present,
areas by class name, instances with ``track_id`` when tracking, ``frame_index``) plus the
frame's ``timestamp`` in seconds. The file is line-buffered: the pipeline's order thread
writes and flushes each frame's line as it finishes it (so a stream that is killed keeps
the frames so far; a last line cut short is the only damage), and syncs it at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from ..errors import InputError, PixelwiseRuntimeError

__all__ = ["JsonlSink", "frame_record", "check_jsonl_path"]


def frame_record(result: Any) -> dict[str, Any]:  # a Result
    """One frame's line: the Result's dict (no masks) with its frame index and timestamp."""
    record = result.to_dict(masks="none")
    record["frame_index"] = result.frame_index
    record["timestamp"] = None if result.timestamp is None else round(float(result.timestamp), 6)
    return record


def check_jsonl_path(path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    if out.suffix.lower() not in (".jsonl", ".ndjson"):
        raise InputError(f"{out}: --save-json writes JSON Lines; name the file .jsonl")
    if out.is_dir():
        raise InputError(f"{out}: is a directory; --save-json takes a file name (frames.jsonl)")
    return out


class JsonlSink:
    """Appends one line per frame to a new file (replacing an old one), flushing each line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_jsonl_path(path)
        self._file: IO[str] | None = None

    def write(self, result: Any) -> None:  # a Result
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("w", encoding="utf-8", buffering=1)
            self._file.write(json.dumps(frame_record(result), separators=(",", ":")) + "\n")
        except OSError as exc:
            why = exc.strerror or exc
            raise PixelwiseRuntimeError(f"{self.path}: cannot write the frame records ({why})") from None

    def close(self) -> None:
        if self._file is not None:
            f, self._file = self._file, None
            try:
                f.flush()
                os.fsync(f.fileno())
            finally:
                f.close()
