"""`pixelwise val`: measure a model on a dataset split (per-class IoU, mIoU, pixel accuracy)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .predict_cmd import add_model_options, segmenter_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("val", help="measure a model on a labelled dataset")
    p.add_argument("--data", required=True, type=Path, help="dataset YAML")
    p.add_argument("--split", default="val", choices=["train", "val"])
    add_model_options(p)
    p.add_argument("--out", type=Path, default=None,
                   help="write metrics.json, confusion.png and iou.png into this folder")
    p.add_argument("--json", type=Path, default=None, help="also write the metrics to this JSON file")
    p.add_argument("--instances", action="store_true", help="also compute mask AP of the thing classes (pycocotools)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..io.image import atomic_write_bytes
    from ..validate import validate

    report = validate(segmenter_from_args(args), args.data, args.split, instances=args.instances)
    print(report.table())
    doc = json.dumps(report.to_dict(), indent=1).encode()
    if args.json:
        atomic_write_bytes(args.json, doc)
    if args.out:
        from ..eval.plots import confusion_png, iou_bars_png

        atomic_write_bytes(args.out / "metrics.json", doc)
        confusion_png(report.confusion, report.classes, args.out / "confusion.png")
        iou_bars_png(report.metrics.iou, report.classes, args.out / "iou.png")
        print(f"wrote {args.out / 'metrics.json'}, confusion.png, iou.png")
    return 0
