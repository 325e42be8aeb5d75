"""The one input resolver: what a user names (files, folders, globs, URLs, manifests) -> image items.

Rules, the same for ``Segmenter.predict_many``, ``pixelwise predict`` and ``pixelwise batch``:

- an http(s) URL is one item (downloaded when read);
- a file named directly is one item whatever its suffix (reading reports non-images), but
  only a **regular** file: a FIFO, device, socket or missing path is an item with a typed
  error naming it, so nothing ever blocks on opening it;
- a folder gives its regular files with image suffixes, sorted by path (sub-folders with
  ``recursive=True``); a glob likewise; one that gives nothing is an error item;
- with ``manifests=True``, a ``.txt``/``.csv``/``.parquet`` file is a list of paths or URLs
  (relative paths are relative to the manifest's folder), in manifest order.

Each item's ``key`` is its resolved absolute path (symlinks followed) or its URL, so every
spelling of the same file (``../in/a.png``, ``/abs/in/a.png``) has the same key.
"""

from __future__ import annotations

import csv
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ImageReadError, InputError
from .image import IMAGE_SUFFIXES, file_error, is_url

__all__ = ["ImageItem", "MANIFEST_SUFFIXES", "resolve_inputs", "resolve_key", "read_manifest"]

MANIFEST_SUFFIXES = (".txt", ".csv", ".parquet")
_COLUMNS = ("path", "url", "image")


@dataclass(frozen=True)
class ImageItem:
    """One image to process, or the reason a named source yielded none (``error``)."""

    source: str  # as named (or as found in a folder, glob or manifest)
    error: InputError | None = None

    @cached_property
    def key(self) -> str:
        """The resolved absolute path (or the URL): the same for every spelling of one file."""
        return resolve_key(self.source)


def resolve_key(source: str) -> str:
    return source if is_url(source) else os.path.realpath(source)


def _file_item(name: str, missing: str = "no such file or directory") -> ImageItem:
    return ImageItem(name, file_error(name, missing))


def _is_image_file(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()  # is_file: regular files only


def _folder_items(name: str, recursive: bool) -> list[ImageItem]:
    folder = Path(name)
    found = sorted(p for p in folder.glob("**/*" if recursive else "*") if _is_image_file(p))
    if not found:
        has_files = any(p.is_file() for p in folder.iterdir())
        why = "contains no images" if has_files else "is empty"
        return [ImageItem(name, ImageReadError(f"{name}: directory {why} (looked for {', '.join(IMAGE_SUFFIXES)})"))]
    return [ImageItem(str(p)) for p in found]


def _glob_items(name: str) -> list[ImageItem]:
    found = sorted(Path(p) for p in glob.glob(name, recursive=True))
    found = [p for p in found if _is_image_file(p)]
    if not found:
        return [ImageItem(name, ImageReadError(f"{name}: pattern matches no images"))]
    return [ImageItem(str(p)) for p in found]


def _table_column(path: Path, names: list[str] | None) -> str:
    column = next((c for c in _COLUMNS if c in (names or [])), None)
    if column is None:
        kind = "CSV" if path.suffix == ".csv" else "Parquet"
        raise InputError(f"{path}: {kind} manifest needs a 'path', 'url' or 'image' column, got {names or []}")
    return column


def _parquet_entries(path: Path) -> list[str]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet manifests needs pyarrow (pip install pyarrow)") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...: one line naming the file
        raise InputError(f"{path}: not a readable Parquet manifest ({type(exc).__name__}: {exc})") from None
    column = _table_column(path, table.column_names)
    return [str(v) for v in table.column(column).to_pylist() if v]


def read_manifest(path: Path) -> list[str]:
    """The entries of a manifest, as written (blank lines and ``#`` comments skipped in .txt)."""
    if path.suffix == ".parquet":
        return _parquet_entries(path)
    try:
        if path.suffix == ".txt":
            lines = path.read_text(encoding="utf-8-sig").splitlines()
            return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
        with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet's byte-order mark
            reader = csv.DictReader(f)
            column = _table_column(path, list(reader.fieldnames or []))
            return [row[column] for row in reader if row[column]]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read the manifest ({exc})") from None


def _manifest_items(name: str) -> list[ImageItem]:
    path = Path(name)
    entries = read_manifest(path)
    if not entries:
        return [ImageItem(name, InputError(f"{name}: manifest lists no images"))]
    return [ImageItem(e) if is_url(e) else _file_item(e if Path(e).is_absolute() else str(path.parent / e),
                                                      "no such file")
            for e in entries]


def _items_for(name: str, recursive: bool, manifests: bool) -> list[ImageItem]:
    if is_url(name):
        return [ImageItem(name)]
    if os.path.isdir(name):
        return _folder_items(name, recursive)
    if manifests and Path(name).suffix.lower() in MANIFEST_SUFFIXES and os.path.isfile(name):
        return _manifest_items(name)
    if not os.path.lexists(name) and glob.has_magic(name):
        return _glob_items(name)
    return [_file_item(name)]


def resolve_inputs(sources: Iterable[str | os.PathLike[str]], *, recursive: bool = False,
                   manifests: bool = False) -> list[ImageItem]:
    """Each named source -> image items (see the module docstring); a source that gives none is an error item.

    Raises:
        InputError: a manifest that cannot be read (the message names it).
    """
    items: list[ImageItem] = []
    for src in sources:
        items.extend(_items_for(str(src), recursive, manifests))
    return items
