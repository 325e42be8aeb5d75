"""`pixelwise export`: trained weights -> ONNX with the spec embedded (optionally INT8).

With ``--data``, the exported model(s) are measured on the dataset's val split through
ONNX Runtime at the exported input size and the measured scores are written into each
model's spec. ``--static HxW`` writes a fixed-shape graph (edge runtimes); without
``--data`` its spec carries no val score, since none was measured at that size.
``--provenance R.json`` merges a record (fold scores, earlier stages, the CPU) into the spec.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from .options import hw


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export trained weights to ONNX (needs pixelwise[train])")
    p.add_argument("weights", type=Path, help=".safetensors written by 'pixelwise train'")
    p.add_argument("--out", type=Path, required=True, help="output .onnx path")
    p.add_argument("--imgsz", type=hw, default=(360, 480), metavar="HxW", help="default input size (model is dynamic)")
    p.add_argument("--name", default="", help="model name stored in the spec")
    p.add_argument("--resize", choices=("stretch", "letterbox"), default="stretch",
                   help="how images meet the input size: stretch (road scenes) or letterbox (photos of any shape)")
    p.add_argument("--data", type=Path, default=None,
                   help="dataset YAML: calibrate INT8 on its train split, measure on its val split")
    p.add_argument("--int8", action="store_true",
                   help="also write the INT8 model beside --out: OUT.onnx -> OUT_int8.onnx (static quantization; "
                        "needs --data)")
    p.add_argument("--calib", type=int, default=64, help="calibration images for --int8")
    p.add_argument("--static", type=hw, default=None, metavar="HxW",
                   help="fixed-shape graph at HxW for edge runtimes (e.g. 224x320); with --data its val score is "
                        "measured at that size")
    p.add_argument("--provenance", type=Path, default=None, metavar="JSON",
                   help="JSON object whose top-level keys are set in the spec's provenance over the training "
                        "run's own, e.g. fold scores, earlier stages and the CPU (the shipped models' records are "
                        "in training/records/)")
    p.set_defaults(run=run)


def read_provenance(path: Path) -> dict[str, Any]:
    """The ``--provenance`` file: a JSON object, or a one-line InputError naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such provenance file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); fix the file or leave out --provenance") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: the provenance must be a JSON object, not {type(doc).__name__}")
    return doc


def _measure_into_spec(path: Path, data: Path) -> float:
    from ..segmenter import Segmenter
    from ..train.export import read_spec, write_spec
    from ..validate import validate

    report = validate(Segmenter(path, backend="onnxruntime"), data, "val")
    m = report.metrics.to_dict(report.classes)
    spec = read_spec(path)
    scores = {**spec.scores, "val_miou": round(m["miou"], 3), "val_pixel_accuracy": round(m["pixel_accuracy"], 3),
              "val_iou": {k: (None if v is None else round(v, 2)) for k, v in m["iou"].items()},
              "measured_with": "onnxruntime via pixelwise.validate", "val_images": report.images,
              "val_input_hw": list(spec.input_hw)}
    write_spec(path, spec.replace(scores=scores))
    return m["miou"]


def run(args: argparse.Namespace) -> int:
    try:
        from ..train.export import export_onnx
    except ImportError as exc:
        raise InputError(f"export needs PyTorch and onnx: pip install 'pixelwise[train]' ({exc})") from None
    if args.int8 and args.data is None:
        raise InputError("--int8 needs --data (calibration images come from its train split)")
    provenance = read_provenance(args.provenance) if args.provenance else None
    path = export_onnx(args.weights, args.out, args.static or args.imgsz, args.name, static=args.static is not None,
                       spec_updates={"resize": args.resize} if args.resize != "stretch" else None,
                       provenance=provenance)
    written = [path]
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    if args.static and args.data is None:
        h, w = args.static
        print(f"note: fixed input {h}x{w}; the training run's val scores were not measured at this size, so the spec "
              "carries none (kept as scores.train_val); add --data to measure them")
    if args.int8:
        from ..train.calibrate import calibration_blobs
        from ..train.export import quantize_int8, read_spec

        q = args.out.with_name(args.out.stem + "_int8.onnx")
        quantize_int8(path, q, calibration_blobs(args.data, read_spec(path), args.calib))
        written.append(q)
        print(f"wrote {q} ({q.stat().st_size / 1e6:.2f} MB)")
    if args.data is not None:
        for p in written:
            print(f"{p.name}: val mIoU {_measure_into_spec(p, args.data):.2f} (stored in its spec)")
    return 0
