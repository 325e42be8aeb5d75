"""`pixelwise quantize MODEL.onnx --calib DIR`: static INT8 (QDQ) for bring-your-own models.

Calibration images are prepared exactly as the model sees them (its size, resize or
letterbox, mean/std); weights are quantized per channel, to 7 bits on CPUs without VNNI
(``--reduce-range auto``). Then the INT8 file is compared with the FP32 one, per class,
on the calibration images (or ``--check DIR``). Semantic models and YOLO-seg alike.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quantize", help="static INT8 quantization of an .onnx model with calibration images")
    p.add_argument("model", help=".onnx model (or a known model name)")
    p.add_argument("--calib", type=Path, required=True, help="folder of typical images for calibration")
    p.add_argument("--out", type=Path, default=None, help="output path (default: MODEL_int8.onnx beside it)")
    p.add_argument("--count", type=int, default=64, help="calibration images used at most (default 64)")
    p.add_argument("--check", type=Path, default=None, help="images for the agreement report (default: --calib)")
    p.add_argument("--reduce-range", choices=["auto", "on", "off"], default="auto",
                   help="7-bit weights: auto = on unless this CPU has VNNI/AMX (int8 sums that cannot saturate)")
    p.add_argument("--all-ops", action="store_true",
                   help="quantize every operator ONNX Runtime can (default: only those with weights)")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0 = all cores)")
    p.set_defaults(run=run)


def _images(folder: Path, count: int) -> list:
    from ..io.image import read_image
    from ..io.sources import expand_sources

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of images")
    items = [i for i in expand_sources([folder]) if i.error is None]
    if not items:
        raise InputError(f"{folder}: no images found")
    step = max(1, len(items) // count) if count > 0 else 1
    return [read_image(i.source) for i in items[::step][:count]]


def _reduce_range(choice: str) -> tuple[bool, str]:
    from ..machine import has_vnni

    if choice != "auto":
        return choice == "on", f"weights {'7' if choice == 'on' else '8'}-bit (--reduce-range {choice})"
    if has_vnni():
        return False, "weights 8-bit (this CPU has VNNI; on CPUs without it use --reduce-range on)"
    return True, "weights 7-bit (this CPU has no VNNI: full-range int8 sums would saturate)"


def run(args: argparse.Namespace) -> int:
    from ..engine.agreement import compare_results
    from ..segmenter import Segmenter

    try:
        from ..train.quantize import WEIGHT_OPS, quantize_static_qdq
    except ImportError as exc:
        raise InputError(f"quantize needs onnxruntime.quantization and onnx: pip install 'pixelwise[train]' ({exc})"
                         ) from None
    if args.count < 1:
        raise InputError(f"--count must be at least 1, got {args.count}")
    fp32 = Segmenter(args.model, backend="onnxruntime", precision="fp32", threads=args.threads)
    src = Path(fp32.model_path)
    out = args.out or src.with_name(f"{src.stem}_int8.onnx")
    if out.resolve() == src.resolve():
        raise InputError(f"{out}: the output would overwrite the model; give another --out")
    spec, adapter = fp32.spec, fp32.predictor.adapter
    calib = _images(args.calib, args.count)
    blobs = [adapter.preprocess(im, spec, spec.input_hw)[0] for im in calib]
    reduce_range, how = _reduce_range(args.reduce_range)
    quantize_static_qdq(src, out, blobs, fp32.predictor.input_name, reduce_range=reduce_range,
                        op_types=None if args.all_ops else WEIGHT_OPS, exclude_op_types=("Resize", "ArgMax", "Cast"))
    from ..engine.backends import is_quantized

    if not is_quantized(out):
        out.unlink()
        raise InputError(f"{src}: nothing was quantized (no Conv/MatMul/Gemm with weights); try --all-ops")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB; {len(blobs)} calibration images, per-channel, {how})")
    int8 = Segmenter(out, backend="onnxruntime", precision="int8", threads=args.threads)
    check = _images(args.check, args.count) if args.check else calib
    report = compare_results([fp32.predict_array(im) for im in check], [int8.predict_array(im) for im in check],
                             spec.kind, spec.classes)
    print(f"INT8 vs FP32 ({'calibration' if args.check is None else 'check'} images):")
    print("\n".join(report.lines()))
    bar = "99.5% of pixels" if spec.kind == "semantic" else "every detection at box IoU >= 0.99"
    verdict = report.overall >= (0.995 if spec.kind == "semantic" else 1.0)
    print(f"auto's bar ({bar}): {'met' if verdict else 'not met'}; run it with --model {out} (--precision int8)")
    return 0
