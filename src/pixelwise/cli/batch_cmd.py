"""`pixelwise batch INPUT --out DIR`: many images, resumable, with an index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import add_predict_options, add_timeout_option, non_negative_int, options_from_args
from .panoptic import add_things_options, things_kwargs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="segment many images (directory, glob, or txt/CSV/Parquet manifest)")
    p.add_argument("input", help="directory, glob, or manifest (.txt, .csv, .parquet) of paths or URLs")
    p.add_argument("--out", type=Path, required=True, help="output folder: masks/, overlays/, index.jsonl/.parquet")
    p.add_argument("--model", default="default", help="known model name or .onnx path")
    p.add_argument("--engine", choices=["local", "ray"], default="local")
    p.add_argument("--address", default=None, help="Ray cluster address (--engine ray); default: start one here")
    p.add_argument("--workers", type=non_negative_int, default=0,
                   help="worker processes / Ray actors (0: one per core)")
    p.add_argument("--threads", type=non_negative_int, default=0,
                   help="ONNX Runtime threads per worker (0: cores / workers)")
    p.add_argument("--overlay", action="store_true", help="also write overlay JPEGs")
    p.add_argument("--force", action="store_true", help="redo images that are already complete")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_timeout_option(p)
    add_predict_options(p)  # the same --imgsz, --classes, --conf, ... as predict
    add_things_options(p)
    p.add_argument("--panoptic", action="store_true",
                   help="also write panoptic/KEY_panoptic.png + .json (COCO panoptic: id = R + 256 G + 256^2 B); "
                        "the index records their paths")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..batch import BatchConfig, run_batch

    options = options_from_args(args)  # checked before any worker starts
    things = things_kwargs(args)
    if things.get("things_map") is not None:
        things["things_map"] = str(things["things_map"])
    cfg = BatchConfig(out=args.out, model=args.model, engine=args.engine, workers=args.workers, threads=args.threads,
                      overlay=args.overlay, force=args.force, ray_address=args.address, progress=not args.quiet,
                      timeout=args.timeout, options=options, panoptic=args.panoptic, **things)
    s = run_batch(args.input, cfg)
    for err in s.errors[:20]:
        print(f"pixelwise: error: {err}", file=sys.stderr)
    if len(s.errors) > 20:
        print(f"pixelwise: ... and {len(s.errors) - 20} more errors (see {args.out / 'index.jsonl'})", file=sys.stderr)
    print(f"{s.processed} processed, {s.skipped} already complete, {s.failed} failed, of {s.total}; "
          f"{s.seconds:.1f} s ({s.images_per_second:.1f} img/s); index: {args.out / 'index.jsonl'}")
    return 2 if s.failed else 0
