"""`pixelwise export`: trained weights -> ONNX with the spec embedded (optionally INT8)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from .options import hw


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export trained weights to ONNX (needs pixelwise[train])")
    p.add_argument("weights", type=Path, help=".safetensors written by 'pixelwise train'")
    p.add_argument("--out", type=Path, required=True, help="output .onnx path")
    p.add_argument("--imgsz", type=hw, default=(360, 480), metavar="HxW", help="default input size (model is dynamic)")
    p.add_argument("--name", default="", help="model name stored in the spec")
    p.add_argument("--int8", type=Path, default=None, metavar="DATA",
                   help="also write NAME_int8.onnx, calibrated on the train split of this dataset YAML")
    p.add_argument("--calib", type=int, default=64, help="calibration images for --int8")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..train.export import export_onnx
    except ImportError as exc:
        raise InputError(f"export needs PyTorch and onnx: pip install 'pixelwise[train]' ({exc})") from None
    path = export_onnx(args.weights, args.out, args.imgsz, args.name)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    if args.int8 is not None:
        from ..train.calibrate import calibration_blobs
        from ..train.export import quantize_int8

        q = args.out.with_name(args.out.stem + "_int8.onnx")
        quantize_int8(path, q, calibration_blobs(args.int8, args.imgsz, args.calib))
        print(f"wrote {q} ({q.stat().st_size / 1e6:.2f} MB)")
    return 0
