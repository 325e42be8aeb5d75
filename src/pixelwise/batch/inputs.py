"""What a batch processes: a directory, a glob, or a manifest (txt, CSV or Parquet)."""

from __future__ import annotations

import csv
import glob
import hashlib
from pathlib import Path

from ..errors import InputError
from ..io.image import IMAGE_SUFFIXES, is_url

__all__ = ["list_inputs", "output_key"]

MANIFEST_SUFFIXES = (".txt", ".csv", ".parquet")


def _manifest(path: Path) -> list[str]:
    if path.suffix == ".txt":
        return [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    if path.suffix == ".csv":
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            column = next((c for c in ("path", "url", "image") if c in (reader.fieldnames or [])), None)
            if column is None:
                raise InputError(f"{path}: CSV manifest needs a 'path', 'url' or 'image' column")
            return [row[column] for row in reader if row[column]]
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet manifests needs pyarrow (pip install pyarrow)") from None
    table = pq.read_table(path)
    column = next((c for c in ("path", "url", "image") if c in table.column_names), None)
    if column is None:
        raise InputError(f"{path}: Parquet manifest needs a 'path', 'url' or 'image' column")
    return [str(v) for v in table.column(column).to_pylist() if v]


def list_inputs(source: str | Path) -> list[str]:
    """Paths/URLs to process, in a stable order (manifest order, else sorted by name)."""
    name = str(source)
    path = Path(name)
    if path.is_dir():
        items = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    elif path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
        base = path.parent
        items = [i if is_url(i) or Path(i).is_absolute() else str(base / i) for i in _manifest(path)]
    elif glob.has_magic(name):
        items = sorted(p for p in glob.glob(name, recursive=True) if Path(p).suffix.lower() in IMAGE_SUFFIXES)
    elif path.is_file():
        items = [name]
    else:
        raise InputError(f"{name}: no such directory, glob, manifest or image")
    if not items:
        raise InputError(f"{name}: no images to process")
    return list(dict.fromkeys(items))  # duplicates in a manifest are processed once


def output_key(source: str) -> str:
    """A stable, unique file stem for an input: its name plus a short hash of the full path."""
    stem = Path(source.split("?")[0]).stem or "image"
    return f"{stem}-{hashlib.sha1(source.encode()).hexdigest()[:10]}"
