"""`pixelwise val`: measure a model on a dataset split (per-class IoU, mIoU, pixel accuracy)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .panoptic import add_things_options
from .predict_cmd import add_model_options, segmenter_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("val", help="measure a model on a labelled dataset")
    p.add_argument("--data", required=True, type=Path, help="dataset YAML (pixelwise's or Ultralytics')")
    p.add_argument("--split", default="val", choices=["train", "val"])
    add_model_options(p)
    p.add_argument("--out", type=Path, default=None,
                   help="write metrics.json, and confusion.png and iou.png (with matplotlib: the train extra), "
                        "into this folder")
    p.add_argument("--json", type=Path, default=None, help="also write the metrics to this JSON file")
    p.add_argument("--instances", action="store_true", help="also compute mask AP of the thing classes (pycocotools)")
    p.add_argument("--panoptic", action="store_true",
                   help="also compute PQ, SQ and RQ (things and stuff) of res.panoptic() against stuff classes plus "
                        "thing regions of the labels")
    add_things_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..io.image import atomic_write_bytes
    from ..validate import validate

    report = validate(segmenter_from_args(args), args.data, args.split, instances=args.instances,
                      panoptic=args.panoptic)
    print(report.table())
    doc = json.dumps(report.to_dict(), indent=1).encode()
    if args.json:
        atomic_write_bytes(args.json, doc)
    if args.out:
        _write_out(args.out, doc, report)
    return 0


def _write_out(out: Path, doc: bytes, report: object) -> None:
    """metrics.json always; confusion.png and iou.png when matplotlib is installed (else say which extra)."""
    from ..eval.plots import PLOTS_HINT, confusion_png, iou_bars_png, plotting_available
    from ..io.image import atomic_write_bytes

    atomic_write_bytes(out / "metrics.json", doc)
    if not plotting_available():
        print(f"wrote {out / 'metrics.json'} (no confusion.png / iou.png: {PLOTS_HINT})")
        return
    confusion_png(report.confusion, report.classes, out / "confusion.png")  # type: ignore[attr-defined]
    iou_bars_png(report.metrics.iou, report.classes, out / "iou.png")  # type: ignore[attr-defined]
    print(f"wrote {out / 'metrics.json'}, confusion.png, iou.png")
