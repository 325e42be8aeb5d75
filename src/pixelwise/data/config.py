"""Dataset descriptions: the YAML file that ``--data`` takes.

pixelwise's own form (``configs/camvid.yaml``)::

    format: masks                        # masks, voc, coco, labelme, yolo, cvat
    root: ../../shared/datasets/camvid   # relative to this file's folder
    train: train.txt                     # a list file ("image label" per line) or a folder
    val: val.txt
    ignore_index: 11
    things: [car, pedestrian, bicyclist]
    classes:
      - {id: 0, name: sky, colour: [128, 128, 128]}

Optional keys: ``images`` (coco/cvat image folder), ``masks_dir`` (masks: the folder
that replaces ``images`` in an image path), ``label_mapping`` (mask value -> class id),
``background`` (polygon formats: the class of pixels no object covers).

A YAML without ``format`` but with ``names`` (or ``nc``) is read as Ultralytics writes
it: ``path``, ``train``, ``val``, ``names``, optional ``masks_dir`` and ``label_mapping``
(see :mod:`pixelwise.data.ultralytics`). Every value is checked by type and range;
a bad one is refused with one line naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DatasetError

__all__ = ["DatasetConfig", "FORMATS", "load_dataset_config", "parse_classes", "parse_label_mapping"]

FORMATS = ("masks", "voc", "coco", "labelme", "yolo", "cvat")
_KNOWN = {"format", "root", "classes", "things", "ignore_index", "train", "val", "masks_dir", "label_mapping",
          "background"}


@dataclass(frozen=True)
class DatasetConfig:
    """A parsed dataset YAML. ``train``/``val`` are paths (list files or folders)."""

    format: str
    root: Path
    classes: tuple[str, ...]
    colours: tuple[tuple[int, int, int], ...]
    train: Path | None = None
    val: Path | None = None
    ignore_index: int | None = None
    things: tuple[str, ...] = ()
    source: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    masks_dir: str | None = None
    label_mapping: tuple[tuple[int, int], ...] = ()  # (mask value, class id or 255)
    background: int | None = None  # polygon formats: class id of uncovered pixels
    more_paths: dict[str, tuple[Path, ...]] = field(default_factory=dict)  # Ultralytics: further folders
    layout: str = "pixelwise"  # or "ultralytics" (read from an Ultralytics data YAML)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def paths(self, split: str) -> tuple[Path, ...]:
        """Every path of a split: the YAML's one path, or each folder of an Ultralytics list."""
        first = getattr(self, split, None)
        return () if first is None else (first, *self.more_paths.get(split, ()))


def _colour(value: object, where: str) -> tuple[int, int, int]:
    from . import checks

    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise checks.fail(where, "'colour'", "[R, G, B] with values 0-255", value)
    return tuple(checks.integer(v, where, "'colour'", 0, 255) for v in value)  # type: ignore[return-value]


def _class_entries(raw: object, source: Path) -> list[tuple[int, str, object]]:
    from . import checks

    if isinstance(raw, dict):  # {0: sky, 1: building}, as Ultralytics' names
        raw = [{"id": k, "name": v} for k, v in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise DatasetError(f"{source}: 'classes' must be a non-empty list (or an id: name mapping), "
                           f"got {checks.show(raw)}")
    entries = []
    for i, item in enumerate(raw):
        where = f"{source}: classes[{i}]"
        if isinstance(item, str):
            item = {"id": i, "name": item}
        if not isinstance(item, dict) or "name" not in item:
            raise DatasetError(f"{where} must be a name or a mapping with 'name'")
        cid = checks.integer(item.get("id", i), where, "'id'", 0, 254)
        name = checks.text(item["name"], where, "'name'")
        colour = item.get("colour", item.get("color"))
        entries.append((cid, name, None if colour is None else _colour(colour, where)))
    return entries


def parse_classes(raw: object, source: Path) -> tuple[tuple[str, ...], tuple[tuple[int, int, int], ...]]:
    """Class names and colours from ``classes`` (or Ultralytics' ``names``): ids 0..N-1, unique names."""
    from ..spec import default_colours

    entries = _class_entries(raw, source)
    ids = sorted(e[0] for e in entries)
    if ids != list(range(len(entries))):
        raise DatasetError(f"{source}: class ids must be 0..{len(entries) - 1} without gaps, got {ids}")
    entries.sort(key=lambda e: e[0])
    names = tuple(e[1] for e in entries)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DatasetError(f"{source}: class names must be unique, {dupes} appear more than once")
    fallback = default_colours(len(entries))
    colours = tuple(c if c is not None else tuple(int(v) for v in fallback[i])[:3]
                    for i, (_, _, c) in enumerate(entries))
    return names, colours  # type: ignore[return-value]


def parse_label_mapping(raw: object, source: Path, num_classes: int) -> tuple[tuple[int, int], ...]:
    """Ultralytics' ``label_mapping``: {mask value: class id or ignore_label}; -1 and other out-of-range keys drop."""
    from . import checks

    if raw is None:
        return ()
    raw = checks.mapping(raw, str(source), "'label_mapping'")
    out = []
    for key, value in raw.items():
        where = f"{source}: label_mapping[{key!r}]"
        src = checks.integer(key, where, "mask value", -1, 255, from_text=True)
        dst = 255 if value == "ignore_label" else checks.integer(value, where, "class id", 0, 255)
        if dst != 255 and dst >= num_classes:
            raise DatasetError(f"{where}: class id {dst} outside the {num_classes} classes (or use ignore_label)")
        if src >= 0:
            out.append((src, dst))
    return tuple(out)


def _split_path(raw: dict, key: str, root: Path, source: Path) -> Path | None:
    from . import checks

    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise checks.fail(f"{source}", repr(key), "one path (a list file or folder, relative to root)", value)
    return root / value


def _optional_text(raw: dict, key: str, source: Path) -> str | None:
    from . import checks

    value = raw.get(key)
    return None if value is None else checks.text(value, str(source), repr(key))


def _read_mapping(path: Path) -> tuple[Path, dict]:
    from . import checks

    path = Path(path)
    if path.is_dir():
        path = next((path / n for n in ("dataset.yaml", "data.yaml") if (path / n).is_file()), path / "dataset.yaml")
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file (pass a dataset YAML or a folder containing dataset.yaml "
                           "or data.yaml)")
    raw = checks.load_yaml(path)
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected a mapping at the top level, got {checks.show(raw)}")
    return path, raw


def load_dataset_config(path: str | Path) -> DatasetConfig:
    """Load a dataset YAML (or a folder containing ``dataset.yaml``): pixelwise's own or Ultralytics'."""
    from .checks import one_line_error

    try:
        path, raw = _read_mapping(Path(path))
        if "format" not in raw and ("names" in raw or "nc" in raw):
            from .ultralytics import from_ultralytics

            return from_ultralytics(raw, path)
        return _from_pixelwise(raw, path)
    except DatasetError as exc:
        raise one_line_error(exc) from None


def _from_pixelwise(raw: dict, path: Path) -> DatasetConfig:
    from . import checks

    fmt = checks.text(raw.get("format", "masks"), str(path), "'format'")
    if fmt not in FORMATS:
        raise DatasetError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    root = (path.parent / checks.text(raw.get("root", "."), str(path), "'root'")).resolve()
    if not root.is_dir():
        raise DatasetError(f"{path}: dataset root {root} does not exist")
    classes, colours = parse_classes(raw.get("classes"), path)
    things = tuple(checks.text(t, str(path), "'things' entry") for t in checks.items(raw.get("things") or [],
                                                                                     str(path), "'things'"))
    unknown = [t for t in things if t not in classes]
    if unknown:
        raise DatasetError(f"{path}: 'things' names unknown classes {unknown}")
    ignore = raw.get("ignore_index")
    background = _optional_text(raw, "background", path)
    if background is not None and background not in classes:
        raise DatasetError(f"{path}: 'background' names an unknown class {background!r}")
    for key in ("images",):
        _optional_text(raw, key, path)
    return DatasetConfig(
        format=fmt, root=root, classes=classes, colours=colours,
        train=_split_path(raw, "train", root, path), val=_split_path(raw, "val", root, path),
        ignore_index=None if ignore is None else checks.integer(ignore, str(path), "'ignore_index'", 0, 255),
        things=things, source=path, extra={k: v for k, v in raw.items() if k not in _KNOWN},
        masks_dir=_optional_text(raw, "masks_dir", path),
        label_mapping=parse_label_mapping(raw.get("label_mapping"), path, len(classes)),
        background=None if background is None else classes.index(background),
    )
