"""Datasets in Ultralytics' own layouts, read from the data YAML as Ultralytics writes it.

Two layouts, told apart the way Ultralytics tells them apart, by ``masks_dir``:

* semantic (``masks_dir`` present): ``images/{train,val}`` and ``MASKS_DIR/{train,val}``
  with single-channel PNG class ids, 255 = ignore, an optional ``label_mapping`` from
  mask values to class ids (``ignore_label`` = 255). Read as the ``masks`` format.
* YOLO-seg polygons (no ``masks_dir``): ``images/SPLIT`` + ``labels/SPLIT/*.txt``, read
  as the ``yolo`` format. Pixels no polygon covers get a ``background`` class appended
  after the declared ones, as Ultralytics' semantic loader does for several classes (for
  a single class Ultralytics trains a binary mask; here it is class 0, background 1);
  a class already named ``background`` is used as it is.

``path`` is the dataset root: absolute, or relative to the working directory (as
Ultralytics resolves it), to the YAML's folder or to Ultralytics' ``datasets_dir`` (from
its settings.json, when there is one), whichever holds the splits; without ``path`` the
YAML's folder. ``train``/``val`` are folders or list files relative to it,
or a list of folders. ``names`` is a mapping ``{id: name}`` or a list.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DatasetError
from . import checks
from .config import DatasetConfig, parse_classes, parse_label_mapping

__all__ = ["from_ultralytics", "data_yaml_keys", "BACKGROUND"]

BACKGROUND = "background"


def _names(raw: dict, source: Path) -> object:
    names = raw.get("names")
    if names is None:
        nc = checks.integer(raw.get("nc"), str(source), "'nc'", 1, 255)
        return [f"class_{i}" for i in range(nc)]
    if raw.get("nc") is not None:
        nc = checks.integer(raw["nc"], str(source), "'nc'", 1, 255)
        if isinstance(names, (list, dict)) and len(names) != nc:
            raise DatasetError(f"{source}: 'names' has {len(names)} entries but 'nc' is {nc}")
    return names


def _split_entries(raw: dict, key: str, source: Path) -> list[str]:
    value = raw.get(key)
    if value is None or value == "":
        return []
    entries = value if isinstance(value, list) else [value]
    return [checks.text(v, str(source), f"{key!r} entry") for v in entries]


def _settings_datasets_dir() -> Path | None:
    """``datasets_dir`` from Ultralytics' settings.json (YOLO_CONFIG_DIR, else the user config folder), if any."""
    import json
    import os
    import sys

    base = os.environ.get("YOLO_CONFIG_DIR")
    if base is None:
        home = Path.home()
        base = str({"win32": Path(os.environ.get("APPDATA", home / "AppData" / "Roaming")),
                    "darwin": home / "Library" / "Application Support"}.get(sys.platform, home / ".config"))
    settings = Path(base) / "Ultralytics" / "settings.json"
    try:
        value = json.loads(settings.read_text(encoding="utf-8")).get("datasets_dir") if settings.is_file() else None
    except (OSError, ValueError, AttributeError):
        return None  # an unreadable settings file only means one place fewer to look
    return Path(value) if isinstance(value, str) and value else None


def _entry(root: Path, entry: str) -> Path:
    """``root / entry``; a missing ``../x`` falls back to ``root / x``, as Ultralytics does (Roboflow's exports)."""
    path = root / entry
    if not path.exists() and entry.startswith("../"):
        return root / entry[3:]
    return path


def _root(raw: dict, source: Path, splits: dict[str, list[str]]) -> Path:
    given = raw.get("path")
    if given is None or given == "":
        return source.parent.resolve()
    base = Path(checks.text(given, str(source), "'path'"))
    if base.is_absolute():
        candidates = [base]
    else:
        candidates = [Path.cwd() / base, source.parent / base]
        datasets_dir = _settings_datasets_dir()
        if datasets_dir is not None:
            candidates.append(datasets_dir / base)
    for c in candidates:
        if all(_entry(c, p).exists() for entries in splits.values() for p in entries) and c.is_dir():
            return c.resolve()
    tried = " or ".join(str(c) for c in dict.fromkeys(candidates))
    raise DatasetError(f"{source}: dataset path {given!r} holds no {' / '.join(e for v in splits.values() for e in v)} "
                       f"(looked in {tried}); give 'path' as an absolute folder")


def from_ultralytics(raw: dict, source: Path) -> DatasetConfig:
    """A DatasetConfig from an Ultralytics data YAML (semantic with ``masks_dir``, else YOLO-seg)."""
    splits = {k: _split_entries(raw, k, source) for k in ("train", "val")}
    if not any(splits.values()):
        raise DatasetError(f"{source}: Ultralytics data YAML needs 'train' or 'val' (image folders)")
    root = _root(raw, source, splits)
    classes, colours = parse_classes(_names(raw, source), source)
    masks_dir = raw.get("masks_dir")
    background = None
    if masks_dir is not None:
        fmt, masks_dir = "masks", checks.text(masks_dir, str(source), "'masks_dir'")
        mapping = parse_label_mapping(raw.get("label_mapping"), source, len(classes))
    else:
        fmt, mapping = "yolo", ()
        if BACKGROUND in classes:  # the dataset names its own background class: uncovered pixels get it
            background = classes.index(BACKGROUND)
        else:
            classes, background = (*classes, BACKGROUND), len(classes)
            colours = parse_classes(list(classes), source)[1]
    paths = {k: tuple(_entry(root, p) for p in v) for k, v in splits.items()}
    return DatasetConfig(
        format=fmt, root=root, classes=classes, colours=colours,
        train=paths["train"][0] if paths["train"] else None, val=paths["val"][0] if paths["val"] else None,
        ignore_index=255, source=source, masks_dir=masks_dir, label_mapping=mapping, background=background,
        more_paths={k: v[1:] for k, v in paths.items() if len(v) > 1}, layout="ultralytics",
        extra={k: v for k, v in raw.items() if k not in ("path", "train", "val", "names", "nc", "masks_dir",
                                                       "label_mapping")},
    )


def data_yaml_keys(classes: tuple[str, ...], split_dirs: dict[str, str], masks_dir: str | None) -> dict:
    """The keys Ultralytics reads: train/val image folders, names, masks_dir for the semantic layout.

    No ``path``: Ultralytics then takes the YAML's own folder as the root (a relative
    ``path`` would be resolved against the working directory), so the folder can move.
    """
    doc: dict = dict(split_dirs)
    if masks_dir is not None:
        doc["masks_dir"] = masks_dir
    doc["names"] = dict(enumerate(classes))
    return doc
