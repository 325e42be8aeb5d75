"""`pixelwise predict SOURCE...`: segment images; write overlay, class-id mask and JSON."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import PixelwiseError
from .effects import add_effect_options, effect_note, wants_effects, write_effects
from .formats import FormatWriter, add_format_options
from .options import add_predict_options, add_timeout_option, non_negative_int, options_from_args
from .panoptic import add_panoptic_output, add_things_options, things_kwargs, write_panoptic

__all__ = ["add_parser", "run", "add_model_options", "segmenter_from_args"]

LOW_CONFIDENCE_WARNING = 0.5  # share of unlabelled pixels above which the summary warns


def add_model_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs a model."""
    p.add_argument("--model", default="default", help="known model name or .onnx path (default: the embedded model)")
    p.add_argument("--int8", action="store_true", help="use the INT8 variant of the default model")
    p.add_argument("--threads", type=non_negative_int, default=0, help="ONNX Runtime threads (0 = all cores)")
    p.add_argument("--device", default="cpu", choices=["cpu"], help="execution provider (CPU in this build)")
    p.add_argument("--backend", default="auto", choices=["auto", "onnxruntime", "openvino", "opencv"],
                   help="auto (default): the fastest installed path that keeps the model's answers, measured on "
                        "first use and cached; or ONNX Runtime, OpenVINO (pixelwise[openvino]), OpenCV DNN")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16", "int8"],
                   help="inference precision (bf16/fp16: OpenVINO on CPUs that have them; int8: a quantized file)")
    p.add_argument("--force", action="store_true", help="run a path known to lose accuracy (OpenCV DNN on INT8)")
    p.add_argument("--no-self-check", dest="self_check", action="store_false",
                   help="auto: skip the first-use measurement (a cached choice still counts; else ONNX Runtime)")
    add_predict_options(p)  # --imgsz, --classes, --conf, ...: one flag per PredictOptions field


def segmenter_from_args(args: argparse.Namespace, confidence: bool = False):
    from ..io.download import DEFAULT_URL_TIMEOUT_S
    from ..segmenter import Segmenter

    opts = options_from_args(args, confidence)  # every prediction flag checked before the model loads
    classes = list(opts.classes) if opts.classes else None
    return Segmenter(args.model, imgsz=args.imgsz, threads=args.threads, int8=args.int8, confidence=confidence,
                     timeout=getattr(args, "timeout", DEFAULT_URL_TIMEOUT_S),
                     classes=classes, conf=args.conf, iou=args.iou, max_det=args.max_det, min_area=args.min_area,
                     backend=args.backend, tile=args.tile, low_res_masks=args.low_res_masks,
                     precision=args.precision, force=args.force, self_check=args.self_check,
                     min_conf=args.min_conf, flip=args.flip, **things_kwargs(args))


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="segment images (files, folders, globs, URLs)")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="image file, directory, glob or http(s) URL")
    add_model_options(p)
    p.add_argument("--out", type=Path, default=Path("runs/predict"), help="output folder")
    p.add_argument("--alpha", type=float, default=0.5, help="overlay opacity, 0..1")
    p.add_argument("--confidence", action="store_true", help="also save a confidence map (<name>_conf.png)")
    p.add_argument("--masks", choices=["rle", "polygons", "none"], default="rle", help="instance masks in JSON")
    p.add_argument("--recursive", action="store_true", help="look into sub-folders of directories")
    add_timeout_option(p)
    p.add_argument("--quiet", action="store_true", help="one line per image, no area tables")
    add_effect_options(p)
    add_things_options(p)
    add_panoptic_output(p)
    add_format_options(p)
    p.set_defaults(run=run)


def _unique_stem(path: str, used: set[str]) -> str:
    stem = Path(path.split("?")[0]).stem or "image"
    candidate, k = stem, 1
    while candidate in used:
        k += 1
        candidate = f"{stem}_{k}"
    used.add(candidate)
    return candidate


def _area_table(result) -> str:
    rows = [f"  {'class':<14}{'pixels':>10}{'share':>9}"]
    for name, a in result.areas().items():
        rows.append(f"  {name:<14}{a['pixels']:>10}{a['fraction'] * 100:>8.1f}%")
    if result.spec.kind != "semantic" or result.spec.things:
        rows.append(f"  objects: {len(result.instances)}")
    unlabelled = result.unlabelled_fraction()
    if unlabelled > 0:
        rows.append(f"  {'unlabelled':<14}{'':>10}{unlabelled * 100:>8.1f}%  (below --min-conf)")
    if unlabelled > LOW_CONFIDENCE_WARNING:
        rows.append("  most of this image is low-confidence: it looks unlike the model's training data")
    return "\n".join(rows)


def _write_outputs(result, out: Path, stem: str, alpha: float, masks: str) -> list[Path]:
    from ..io.image import write_image
    from ..io.sinks import write_json, write_mask

    written = [write_image(out / f"{stem}_overlay.png", result.plot(alpha=alpha)),
               write_mask(out / f"{stem}_mask.png", result),
               write_json(out / f"{stem}.json", result, masks=masks)]
    if result.confidence is not None:
        conf = (result.confidence * 255 + 0.5).astype("uint8")
        written.append(write_image(out / f"{stem}_conf.png", conf))
    return written


def run(args: argparse.Namespace) -> int:
    if not 0.0 <= args.alpha <= 1.0:
        from ..errors import InputError

        raise InputError(f"--alpha must be between 0 and 1, got {args.alpha}")
    seg = segmenter_from_args(args, confidence=args.confidence)
    # soft cut-out edges come from the probabilities, where the model has them (class-id models: hard edges)
    per_call = {"confidence": True} if wants_effects(args) and seg.spec.gives_confidence else {}
    used: set[str] = set()
    failed: list[PixelwiseError] = []
    done = 0
    t_start = time.perf_counter()
    formats = FormatWriter(args.formats, args.out)
    for source, outcome in seg.predict_many(args.sources, recursive=args.recursive, **per_call):
        if isinstance(outcome, PixelwiseError):
            failed.append(outcome)
            print(f"pixelwise: error: {outcome}", file=sys.stderr)
            continue
        try:
            stem = _unique_stem(source, used)
            _write_outputs(outcome, args.out, stem, args.alpha, args.masks)
            if wants_effects(args):
                write_effects(outcome, args.out, stem, args)
            if args.panoptic:
                write_panoptic(outcome, args.out, stem, args.alpha)
            formats.add(outcome, stem)
        except PixelwiseError as exc:
            failed.append(exc)
            print(f"pixelwise: error: {exc}", file=sys.stderr)
            continue
        done += 1
        t = outcome.timings_ms
        h, w = outcome.hw
        print(f"{source}  {h}x{w}  {sum(t.values()):.1f} ms (pre {t['preprocess']:.1f}, "
              f"infer {t['inference']:.1f}, post {t['postprocess']:.1f}) -> {args.out / stem}_*")
        if not args.quiet:
            print(_area_table(outcome))
        if wants_effects(args) and (note := effect_note(outcome)):
            print(note)
    for path in formats.write():
        print(f"dataset: {path}")
    total = time.perf_counter() - t_start
    print(f"{done} image(s) segmented in {total:.2f} s, {len(failed)} failed; outputs in {args.out}")
    if failed:
        return max(e.exit_code for e in failed)
    return 0
