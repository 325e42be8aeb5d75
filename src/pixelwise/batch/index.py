"""The batch index: one record per image, appended in durable chunks.

``index.jsonl`` is the append-only log (flushed and fsynced per chunk; a line cut short by
a kill is ignored when reading). ``index.parquet`` (when pyarrow is installed) is the
de-duplicated table written atomically at the end of each run: one row per image, the
latest record winning.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from ..errors import PixelwiseRuntimeError
from ..io.image import atomic_write_bytes

__all__ = ["BatchIndex", "read_index", "read_log"]

LOG = "index.jsonl"
TABLE = "index.parquet"


def read_log(out: Path) -> list[dict[str, Any]]:
    path = out / LOG
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the tail of a killed run
    return records


def read_index(out: str | Path) -> dict[str, dict[str, Any]]:
    """The latest record per source path."""
    return {r["path"]: r for r in read_log(Path(out))}


class BatchIndex:
    def __init__(self, out: Path, chunk: int = 32) -> None:
        self.out = out
        self.chunk = chunk
        self._pending: list[str] = []
        out.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        self._file = (out / LOG).open("a", encoding="utf-8")

    def _repair_tail(self) -> None:
        """Drop a half-written last line left by a killed run, so appends start on a fresh line."""
        path = self.out / LOG
        if path.is_file() and path.stat().st_size:
            data = path.read_bytes()
            if not data.endswith(b"\n"):
                keep = data[: data.rfind(b"\n") + 1]
                atomic_write_bytes(path, keep)

    def append(self, record: dict[str, Any]) -> None:
        self._pending.append(json.dumps(record, sort_keys=True))
        if len(self._pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        try:
            self._file.write("\n".join(self._pending) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise PixelwiseRuntimeError(f"{self.out / LOG}: cannot write the index ({exc.strerror or exc})") from None
        self._pending.clear()

    def close(self) -> Path | None:
        """Flush, close, and write the Parquet table; the file is closed even when writing fails."""
        try:
            self.flush()
        finally:
            try:
                self._file.close()
            except OSError:
                pass
        return write_table(self.out)


def write_table(out: Path) -> Path | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    rows = list(read_index(out).values())
    if not rows:
        return None
    flat = [{**{k: v for k, v in r.items() if k not in ("areas", "instances", "timings_ms", "classes_present")},
             "classes_present": r.get("classes_present", []),
             "areas_json": json.dumps(r.get("areas", {})), "instances_json": json.dumps(r.get("instances", [])),
             "timings_json": json.dumps(r.get("timings_ms", {}))} for r in rows]
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(flat), buf)
    return atomic_write_bytes(out / TABLE, buf.getvalue())
