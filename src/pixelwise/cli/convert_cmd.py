"""`pixelwise convert SRC --to FORMAT --out DIR`: a dataset from any format to any other."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..data.config import DatasetConfig

# The output formats, spelled out here so that `pixelwise --help` imports no dataset code (numpy, cv2);
# tests/cli/test_convert.py checks that this equals pixelwise.data.config.FORMATS.
FORMATS = ("masks", "voc", "coco", "labelme", "yolo", "cvat")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert a dataset between masks, voc, coco, labelme, yolo and cvat",
                       description="Convert a dataset (pixelwise or Ultralytics data YAML) to another format. "
                                   "--to masks and --to yolo write Ultralytics' layouts (images/SPLIT with "
                                   "masks/SPLIT or labels/SPLIT) and a dataset.yaml that Ultralytics reads too.")
    p.add_argument("source", type=Path, help="dataset YAML (any format, or an Ultralytics data YAML)")
    p.add_argument("--to", required=True, choices=FORMATS, dest="fmt")
    p.add_argument("--out", type=Path, required=True, help="output folder (gets a dataset.yaml)")
    p.add_argument("--skip-bad", action="store_true", help="skip bad records (listed) instead of stopping")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..data.config import load_dataset_config
    from ..data.formats import read_split, write_dataset

    cfg = load_dataset_config(args.source)
    _refuse_overwriting_the_source(cfg, args.out)
    splits = {name: read_split(cfg, name, args.skip_bad) for name in ("train", "val") if cfg.paths(name)}
    skipped = [m for ds in splits.values() for m in ds.skipped]
    for m in skipped:
        print(f"pixelwise: skipped: {m}", file=sys.stderr)
    path = write_dataset(splits, args.fmt, args.out)
    counts = ", ".join(f"{k}: {len(v.samples)} images" for k, v in splits.items())
    print(f"wrote {args.fmt} dataset {path} ({counts}; {len(skipped)} record(s) skipped)")
    if (path.parent / "data.yaml").is_file() and args.fmt in ("masks", "yolo"):
        print(f"Ultralytics reads it too: data={path.parent / 'data.yaml'}")
    return 0


def _refuse_overwriting_the_source(cfg: DatasetConfig, out: Path) -> None:
    """--out must not be the source's own folder: its dataset.yaml and files would be overwritten."""
    from ..errors import InputError

    if out.resolve() in (cfg.root, cfg.source.parent.resolve() if cfg.source is not None else None):
        raise InputError(f"--out {out}: is the source dataset's own folder (its files would be overwritten); "
                         "choose a new folder")
