"""Dataset descriptions: the YAML file that ``--data`` takes.

Example (``configs/camvid.yaml``)::

    format: masks
    root: ../shared/datasets/camvid      # relative to this file's folder's parent... see below
    train: train.txt                     # a list file ("image label" per line) or a folder
    val: val.txt
    ignore_index: 11
    things: [car, pedestrian, bicyclist]
    classes:
      - {id: 0, name: sky, colour: [128, 128, 128]}

``root`` is resolved relative to the YAML file's directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DatasetError

__all__ = ["DatasetConfig", "load_dataset_config"]

FORMATS = ("masks", "voc", "coco", "labelme", "yolo", "cvat")


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

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def _parse_classes(raw: object, source: Path) -> tuple[tuple[str, ...], tuple[tuple[int, int, int], ...]]:
    from ..spec import default_colours

    if isinstance(raw, dict):  # {0: sky, 1: building}
        raw = [{"id": int(k), "name": v} for k, v in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise DatasetError(f"{source}: 'classes' must be a non-empty list")
    entries = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            item = {"id": i, "name": item}
        if not isinstance(item, dict) or "name" not in item:
            raise DatasetError(f"{source}: classes[{i}] must be a name or a mapping with 'name'")
        entries.append((int(item.get("id", i)), str(item["name"]), item.get("colour", item.get("color"))))
    ids = sorted(e[0] for e in entries)
    if ids != list(range(len(entries))):
        raise DatasetError(f"{source}: class ids must be 0..{len(entries) - 1} without gaps, got {ids}")
    entries.sort()
    fallback = default_colours(len(entries))
    colours = tuple(tuple(int(v) for v in (c or fallback[i]))[:3] for i, (_, _, c) in enumerate(entries))
    return tuple(e[1] for e in entries), colours  # type: ignore[return-value]


def load_dataset_config(path: str | Path) -> DatasetConfig:
    """Load a dataset YAML (or a folder containing ``dataset.yaml``)."""
    import yaml

    path = Path(path)
    if path.is_dir():
        path = path / "dataset.yaml"
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file (pass a dataset YAML or a folder containing dataset.yaml)")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path}: invalid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected a mapping at the top level")
    fmt = str(raw.get("format", "masks"))
    if fmt not in FORMATS:
        raise DatasetError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    root = (path.parent / str(raw.get("root", "."))).resolve()
    if not root.is_dir():
        raise DatasetError(f"{path}: dataset root {root} does not exist")
    classes, colours = _parse_classes(raw.get("classes"), path)
    things = tuple(raw.get("things") or ())
    unknown = [t for t in things if t not in classes]
    if unknown:
        raise DatasetError(f"{path}: 'things' names unknown classes {unknown}")
    ignore = raw.get("ignore_index")
    known = {"format", "root", "classes", "things", "ignore_index", "train", "val"}
    return DatasetConfig(
        format=fmt,
        root=root,
        classes=classes,
        colours=colours,
        train=root / raw["train"] if raw.get("train") else None,
        val=root / raw["val"] if raw.get("val") else None,
        ignore_index=None if ignore is None else int(ignore),
        things=things,
        source=path,
        extra={k: v for k, v in raw.items() if k not in known},
    )
