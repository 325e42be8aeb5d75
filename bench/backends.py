"""Engine backends side by side: bare and end-to-end median ms per backend and precision.

For the default road model (FP32 and INT8 files), the people model, YOLO11n-seg at 320 and
640 (../shared/models/yolo) and LR-ASPP MobileNetV3-L (../shared/models/reference, random
weights): every installed path (ONNX Runtime at the file's precision, OpenVINO at each
precision its CPU plugin offers, OpenCV DNN for FP32 files), plus ``auto`` (what the default
Segmenter picks here, with a fresh cache). For each path:

- bare ``session.run`` and end-to-end ``Segmenter`` median ms on one image, every call of one
  model timed in interleaved, rotating rounds (bench/timing.py ``interleaved_ms``), so that the
  ratio of the end-to-end time to ONNX Runtime FP32's bare run (the 0.6x target) holds on a
  shared machine;
- agreement with ONNX Runtime FP32 on ``--images`` val images of the model's own data
  (semantic: equal pixels; instance: detections matched at box IoU >= 0.99, default conf);
- for the embedded models, the accuracy itself on their val split (road: CamVid mIoU; people:
  person IoU), with every path.

Prints the CPU's model name and SIMD flags. One run:

    .venv/bin/python bench/backends.py [--runs 30] [--threads 2] [--images 10] [--val-limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import cpu_line, interleaved_ms

import pixelwise as pw
from pixelwise.engine.agreement import compare_results
from pixelwise.engine.backends import SessionConfig, backend_version, file_precision, installed_backends
from pixelwise.errors import PixelwiseError
from pixelwise.io.image import read_image
from pixelwise.machine import cpu_info
from pixelwise.validate import validate

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WEIGHTS = REPO / "src" / "pixelwise" / "weights"
CAMVID, PEOPLE = REPO / "configs" / "camvid.yaml", REPO / "configs" / "people.yaml"
CAMVID_VAL, PEOPLE_VAL = SHARED / "datasets" / "camvid" / "val", SHARED / "datasets" / "people" / "val"


@dataclass(frozen=True)
class Case:
    label: str
    model: Path
    fp32: Path | None  # the FP32 file of a quantized model (its reference)
    images: Path  # folder of val images for the agreement check
    data: Path | None = None  # dataset YAML: accuracy on its val split
    score: str = "mIoU"  # "mIoU" or the class whose IoU is reported


CASES = [
    Case("default FP32, 360x480", WEIGHTS / "pwnet_camvid.onnx", None, CAMVID_VAL, CAMVID),
    Case("default INT8, 360x480", WEIGHTS / "pwnet_camvid_int8.onnx", WEIGHTS / "pwnet_camvid.onnx", CAMVID_VAL,
         CAMVID),
    Case("people, 640x480 photo", WEIGHTS / "pwnet_people.onnx", None, PEOPLE_VAL, PEOPLE, "person"),
    Case("YOLO11n-seg 320", SHARED / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx", None, CAMVID_VAL),
    Case("YOLO11n-seg 640", SHARED / "models" / "yolo" / "yolo11n-seg-camvid-640.onnx", None, CAMVID_VAL),
    Case("LR-ASPP MobileNetV3-L, 360x480", SHARED / "models" / "reference" / "lraspp_mobilenet_v3_large_360x480.onnx",
         None, CAMVID_VAL),
]


def paths_for(model: Path) -> list[tuple[str, str]]:
    prec = file_precision(model)
    paths = [("onnxruntime", prec)]
    if "openvino" in installed_backends():
        from pixelwise.engine.backends.openvino import cpu_precisions

        extra = [p for p in ("bf16", "fp16") if p in cpu_precisions()] if prec == "fp32" else []
        paths += [("openvino", p) for p in (prec, *extra)]
    if prec == "fp32":
        paths.append(("opencv", "fp32"))
    return paths


def images(folder: Path, count: int) -> list[np.ndarray]:
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".png", ".jpg")) if folder.is_dir() else []
    files = found[:: max(1, len(found) // count)][:count]
    return [read_image(f) for f in files] or [read_image(REPO / "src" / "pixelwise" / "assets" / "leuvenA.jpg")]


def accuracy(seg: pw.Segmenter, case: Case, limit: int | None) -> str:
    if case.data is None:
        return ""
    metrics = validate(seg, case.data, "val", progress=False, limit=limit).metrics
    value = metrics.miou if case.score == "mIoU" else float(metrics.iou[seg.names.index(case.score)])
    return f"{value:.2f}"


def bench_case(case: Case, args: argparse.Namespace, cache: Path) -> list[str]:
    ref = pw.Segmenter(case.fp32 or case.model, backend="onnxruntime", precision="fp32", threads=args.threads)
    shown = images(case.images, args.images)
    expected = [ref.predict_array(im) for im in shown]
    image = shown[0]
    if case.data == PEOPLE:
        import cv2

        image = cv2.resize(image, (640, 480), interpolation=cv2.INTER_AREA)
    segs: dict[str, pw.Segmenter] = {}
    refused: list[str] = []
    for backend, precision in [*paths_for(case.model), ("auto", "auto")]:
        try:
            seg = pw.Segmenter(case.model, backend=backend, precision=precision, threads=args.threads,
                               cache_dir=cache)
        except PixelwiseError as exc:
            refused.append(f"| {case.label} | {backend}/{precision} | refused: {str(exc)[:90]} | | | | |")
            continue
        segs[f"auto -> {seg.backend_choice.label}" if backend == "auto" else f"{backend}/{precision}"] = seg
    calls = {"reference bare": _bare(ref, image)}
    for name, seg in segs.items():
        calls[f"{name} bare"], calls[f"{name} e2e"] = _bare(seg, image), partial(seg.predict_array, image)
    dynamic = _dynamic_graphs(case, segs, image, args.threads)
    calls.update({f"{name} bare": call for name, call in dynamic.items()})
    ms = interleaved_ms(calls, args.runs, warmup=3)
    base = ms["reference bare"]
    rows = []
    for name, seg in segs.items():
        report = compare_results(expected, [seg.predict_array(im) for im in shown], ref.spec.kind, ref.spec.classes)
        e2e = ms[f"{name} e2e"]
        rows.append(f"| {case.label} | {name} | {ms[f'{name} bare']:.1f} | {e2e:.1f} | {e2e / base:.2f} | "
                    f"{report.overall * 100:.2f}% | {accuracy(seg, case, args.val_limit)} |")
    rows += [f"| {case.label} | {name} | {ms[f'{name} bare']:.1f} | - | - | | |" for name in dynamic]
    return rows + refused


def _dynamic_graphs(case: Case, segs: dict[str, pw.Segmenter], image: np.ndarray, threads: int) -> dict:
    """Bare runs of OpenVINO's dynamic-shape graph beside the static-shape copy a session compiles by default."""
    from pixelwise.engine.backends.openvino import OpenVinoSession

    calls = {}
    for name, seg in segs.items():
        if name.startswith("openvino/") and None in seg.predictor.session.inputs[0].shape:
            config = SessionConfig(threads=threads, precision=seg.predictor.session.precision)
            calls[f"{name}, dynamic graph"] = _bare(seg, image, OpenVinoSession(case.model, config, max_copies=0))
    return calls


def _bare(seg: pw.Segmenter, image: np.ndarray, session=None):
    """One bare run of the Segmenter's session (or of ``session``) on the image as the Segmenter feeds it."""
    spec, pred = seg.spec, seg.predictor
    blob, _ = pred.adapter.preprocess(image, spec, spec.input_hw)
    return partial((session or pred.session).run, {pred.input_name: blob})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", type=int, default=10, help="val images for the agreement check")
    ap.add_argument("--val-limit", type=int, default=None, help="val images for the accuracy column (default: all)")
    ap.add_argument("--only", default=None, help="comma-separated words; run the cases whose label has one")
    args = ap.parse_args()
    cpu = cpu_info()
    print(f"CPU: {cpu_line()}; flags relevant to inference: {' '.join(cpu['simd']) or 'none'}")
    versions = ", ".join(f"{b} {backend_version(b)}" for b in installed_backends())
    print(f"threads {args.threads}, {args.runs} interleaved rounds (median), {versions}")
    if "openvino" in installed_backends():
        from pixelwise.engine.backends.openvino import cpu_precisions

        print(f"OpenVINO CPU precisions here: {', '.join(cpu_precisions())}")
    print("\n| model | backend/precision | bare ms | end-to-end ms | end to end / ORT FP32 bare "
          "| agreement with ORT FP32 | val accuracy |")
    print("|---|---|---|---|---|---|---|")
    words = args.only.split(",") if args.only else None
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            if words and not any(w in case.label for w in words):
                continue
            if not case.model.is_file():
                print(f"| {case.label} | (missing: {case.model}) | | | | | |")
                continue
            for row in bench_case(case, args, Path(tmp)):
                print(row, flush=True)
    print("\nagreement: semantic = share of equal pixels; instance = detections matched at box IoU >= 0.99 (conf 0.25)"
          "\nval accuracy: road = CamVid val mIoU (101 images); people = person IoU on people val (200 photos)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
