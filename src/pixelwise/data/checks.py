"""The one validation layer every dataset reader goes through.

Each value a dataset file supplies passes one of these functions before it is used:
numbers (finite, in range, never a bool), integers, strings, mappings and lists with
their required keys, image sizes, polygons and COCO RLEs; files are read as regular
files and UTF-8 text. A failure raises :class:`DatasetError` with one line that names
the file and the record (``file:line``, ``file: annotation id 7``), what was expected
and what was found, so every reader reports bad input the same way, whatever the format.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DatasetError

__all__ = [
    "MAX_SIDE", "MAX_PIXELS", "POLYGON_TOLERANCE_PX", "one_line", "one_line_error", "show", "fail", "number",
    "integer", "text", "mapping", "items", "field", "image_hw", "polygon", "rle", "read_bytes", "read_text",
    "load_json", "load_yaml",
]

MAX_SIDE = 65_535  # the largest side a JPEG can have; a declared image size beyond it is not believed
MAX_PIXELS = 200_000_000  # the pixel budget of io.image.read_image
POLYGON_TOLERANCE_PX = 1.0  # polygon points may lie this far outside the image (then clipped)
MAX_FILE_BYTES = 1 << 30  # annotation and label files above 1 GiB are refused before reading


def one_line(message: str) -> str:
    """``message`` with line breaks and other control characters escaped: errors stay one line."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def one_line_error(exc: DatasetError) -> DatasetError:
    """The same error with a one-line message (file names and ids from a file may hold line breaks)."""
    text_ = str(exc)
    return exc if text_.isprintable() else DatasetError(one_line(text_))


def show(value: object, limit: int = 40) -> str:
    """A short description of a value with its type: ``'abc' (str)``, ``True (bool)``."""
    kind = {dict: "mapping", list: "list", str: "string", bool: "bool", type(None): "null"}.get(type(value))
    text_ = repr(value)
    if len(text_) > limit:
        text_ = text_[: limit - 3] + "..."
    return f"{text_} ({kind or type(value).__name__})"


def fail(where: str, what: str, expected: str, value: object) -> DatasetError:
    """The one message form: ``WHERE: WHAT: expected EXPECTED, got VALUE (TYPE)``."""
    return DatasetError(f"{where}: {what}: expected {expected}, got {show(value)}")


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f" >= {lo:g}"
    return f" <= {hi:g}" if hi is not None else ""


def number(value: object, where: str, what: str, lo: float | None = None, hi: float | None = None,
           from_text: bool = False) -> float:
    """A finite number (int or float; a numeric string only ``from_text``), optionally in [lo, hi]."""
    expected = "a finite number" + _range_text(lo, hi)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise fail(where, what, expected, value)
    if isinstance(value, str) and not from_text:
        raise fail(where, what, expected, value)
    try:
        out = float(value)
    except (ValueError, OverflowError):
        raise fail(where, what, expected, value) from None
    if not math.isfinite(out) or (lo is not None and out < lo) or (hi is not None and out > hi):
        raise fail(where, what, expected, value)  # the value as the file gave it
    return out


def integer(value: object, where: str, what: str, lo: int | None = None, hi: int | None = None,
            from_text: bool = False) -> int:
    """A whole number (``3`` or ``3.0``; never a bool, never ``3.5``), optionally in [lo, hi]."""
    expected = "an integer" + _range_text(lo, hi)
    try:
        out = number(value, where, what, from_text=from_text)
    except DatasetError:
        raise fail(where, what, expected, value) from None
    if not out.is_integer() or (lo is not None and out < lo) or (hi is not None and out > hi):
        raise fail(where, what, expected, value)
    return int(out)


def text(value: object, where: str, what: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise fail(where, what, "a non-empty string", value)
    return value


def mapping(value: object, where: str, what: str = "top level") -> dict:
    if not isinstance(value, dict):
        raise fail(where, what, "a mapping (JSON object)", value)
    return value


def items(value: object, where: str, what: str) -> list:
    if not isinstance(value, list):
        raise fail(where, what, "a list", value)
    return value


_KINDS = {dict: "a mapping", list: "a list", str: "a string"}


def field(doc: dict, key: str, where: str, kind: type | None = None, default: Any = ...) -> Any:
    """``doc[key]``, of type ``kind`` when given; missing -> ``default``, or an error without one."""
    if key not in doc or doc[key] is None:
        if default is not ...:
            return default
        raise DatasetError(f"{where}: missing required key {key!r}")
    value = doc[key]
    if kind is not None and not isinstance(value, kind):
        raise fail(where, repr(key), _KINDS.get(kind, f"a {kind.__name__}"), value)
    return value


def image_hw(height: object, width: object, where: str, from_text: bool = False) -> tuple[int, int]:
    """A declared image size: whole numbers in [1, MAX_SIDE] within the pixel budget."""
    h = integer(height, where, "image height", 1, MAX_SIDE, from_text)
    w = integer(width, where, "image width", 1, MAX_SIDE, from_text)
    if h * w > MAX_PIXELS:
        raise DatasetError(f"{where}: image size {h}x{w} is above the {MAX_PIXELS:,} pixel budget")
    return h, w


def polygon(values: Sequence[object], hw: tuple[int, int], where: str, normalised: bool = False,
            from_text: bool = False) -> np.ndarray:
    """[x0, y0, x1, y1, ...] -> (K, 2) float32 pixel points, K >= 3, inside the image (+1 px, clipped)."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Sequence):
        raise fail(where, "polygon", "a list of x, y numbers", values)
    if len(values) % 2 or len(values) < 6:
        raise DatasetError(f"{where}: polygon needs at least 3 points (x, y pairs), got {len(values)} numbers")
    lim = 1.0 if normalised else None
    coords = [number(v, where, f"polygon coordinate {k}", from_text=from_text) for k, v in enumerate(values)]
    pts = np.asarray(coords, np.float64).reshape(-1, 2)
    if normalised:
        pts = pts * np.array([hw[1], hw[0]], np.float64)
    h, w = hw
    tol = POLYGON_TOLERANCE_PX
    bad = (pts[:, 0] < -tol) | (pts[:, 1] < -tol) | (pts[:, 0] > w + tol) | (pts[:, 1] > h + tol)
    if bad.any():
        k = int(np.argmax(bad))
        raw = f"({coords[2 * k]:g}, {coords[2 * k + 1]:g})" + (" normalised" if lim else "")
        raise DatasetError(f"{where}: polygon point {k} {raw} is outside the {h}x{w} image")
    return np.clip(pts, 0, [w, h]).astype(np.float32)


def rle(seg: dict, hw: tuple[int, int], where: str) -> dict:
    """A COCO RLE (compressed or a list of counts) checked to cover exactly the image -> compressed, str counts."""
    from pycocotools import mask as mask_utils

    size = field(seg, "size", where, list)
    if len(size) != 2 or [integer(v, where, "RLE size") for v in size] != list(hw):
        raise fail(where, "RLE size", f"[{hw[0]}, {hw[1]}] (the image size)", size)
    counts = field(seg, "counts", where)
    if isinstance(counts, list):
        runs = [integer(c, where, "RLE count", 0) for c in counts]
        if sum(runs) != hw[0] * hw[1]:
            raise DatasetError(f"{where}: RLE counts add up to {sum(runs)}, expected {hw[0] * hw[1]} (H x W)")
        out = mask_utils.frPyObjects({"size": list(hw), "counts": runs}, hw[0], hw[1])
        return {"size": list(hw), "counts": out["counts"].decode("ascii")}
    if not isinstance(counts, str) or not counts.isascii():
        raise fail(where, "RLE counts", "a COCO RLE string or a list of counts", counts)
    try:  # a valid compressed RLE decodes to runs covering H x W exactly, and re-encodes to itself
        m = mask_utils.decode({"size": list(hw), "counts": counts.encode("ascii")})
        same = mask_utils.encode(np.asfortranarray(m.astype(bool).astype(np.uint8)))["counts"].decode("ascii")
    except (ValueError, TypeError):
        same = None
    if same != counts:
        raise DatasetError(f"{where}: RLE counts {show(counts, 30)} are not a valid COCO RLE of a "
                           f"{hw[0]}x{hw[1]} mask")
    return {"size": list(hw), "counts": counts}


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The bytes of a regular file; a FIFO, device or folder is refused before it is opened."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise DatasetError(f"{path}: {what} is not a regular file")
    if st.st_size > MAX_FILE_BYTES:
        raise DatasetError(f"{path}: {what} is {st.st_size:,} bytes, above the 1 GiB limit")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None


def read_text(path: Path, what: str = "file") -> str:
    """A regular file's UTF-8 text (BOM dropped); a non-UTF-8 file names the line of the first bad byte."""
    data = read_bytes(path, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DatasetError(f"{path}:{line}: {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                           f"{exc.start}); save it as UTF-8") from None


def load_json(path: Path, what: str = "annotation file") -> object:
    """Parsed JSON of a regular UTF-8 file; empty or malformed files name the line and column."""
    body = read_text(path, what)
    if not body.strip():
        raise DatasetError(f"{path}: {what} is empty")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: malformed JSON ({exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno})") from None
    except RecursionError:
        raise DatasetError(f"{path}: JSON nested too deeply") from None


def load_yaml(path: Path, what: str = "dataset file") -> object:
    """Parsed YAML (safe loader: no Python tags) of a regular UTF-8 file."""
    import yaml

    body = read_text(path, what)
    if not body.strip():
        raise DatasetError(f"{path}: {what} is empty")
    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise DatasetError(f"{path}{at}: invalid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise DatasetError(f"{path}: YAML nested too deeply") from None
