"""Engine backends side by side: bare and end-to-end median ms per backend and precision.

For the default model (FP32 and INT8 files), YOLO11n-seg at 320 and 640
(../shared/models/yolo) and LR-ASPP MobileNetV3-L (../shared/models/reference, random
weights): every installed path (ONNX Runtime at the file's precision, OpenVINO at each
precision its CPU plugin offers, OpenCV DNN for FP32 files), plus ``auto`` (what the
default Segmenter picks here, with a fresh cache), each with its agreement with ONNX
Runtime FP32 on CamVid val images (semantic: pixels; instance: detections matched at box
IoU >= 0.99). Prints the CPU's model name and SIMD flags. One run:

    .venv/bin/python bench/backends.py [--runs 20] [--threads 2] [--images 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import cpu_line, median_ms

import pixelwise as pw
from pixelwise.engine.agreement import compare_results
from pixelwise.engine.auto import cpu_info
from pixelwise.engine.backends import backend_version, file_precision, installed_backends
from pixelwise.errors import PixelwiseError
from pixelwise.io.image import read_image

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WEIGHTS = REPO / "src" / "pixelwise" / "weights"
MODELS = [("default FP32, 360x480", WEIGHTS / "pwnet_camvid.onnx", None),
          ("default INT8, 360x480", WEIGHTS / "pwnet_camvid_int8.onnx", WEIGHTS / "pwnet_camvid.onnx"),
          ("YOLO11n-seg 320", SHARED / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx", None),
          ("YOLO11n-seg 640", SHARED / "models" / "yolo" / "yolo11n-seg-camvid-640.onnx", None),
          ("LR-ASPP MobileNetV3-L, 360x480", SHARED / "models" / "reference" / "lraspp_mobilenet_v3_large_360x480.onnx",
           None)]


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


def images(count: int) -> list[np.ndarray]:
    val = SHARED / "datasets" / "camvid" / "val"
    found = sorted(val.glob("*.png")) if val.is_dir() else []
    files = found[:: max(1, len(found) // count)][:count]
    return [read_image(f) for f in files] or [read_image(REPO / "src" / "pixelwise" / "assets" / "leuvenA.jpg")]


def measure(seg: pw.Segmenter, imgs: list[np.ndarray], runs: int) -> tuple[float, float]:
    """(bare session.run ms, end-to-end Segmenter ms) on the first image."""
    spec, pred = seg.spec, seg.predictor
    blob, _ = pred.adapter.preprocess(imgs[0], spec, spec.input_hw)
    feed = {pred.input_name: blob}
    bare = median_ms(lambda: pred.session.run(feed), runs, warmup=3)
    e2e = median_ms(lambda: seg.predict_array(imgs[0]), runs, warmup=3)
    return bare, e2e


def bench_model(label: str, model: Path, fp32_ref: Path | None, imgs: list[np.ndarray], args: argparse.Namespace,
                cache: Path) -> list[str]:
    ref = pw.Segmenter(fp32_ref or model, backend="onnxruntime", precision="fp32", threads=args.threads)
    expected = [ref.predict_array(im) for im in imgs]
    kind = ref.spec.kind
    rows = []
    for backend, precision in [*paths_for(model), ("auto", "auto")]:
        try:
            seg = pw.Segmenter(model, backend=backend, precision=precision, threads=args.threads, cache_dir=cache)
        except PixelwiseError as exc:
            rows.append(f"| {label} | {backend}/{precision} | refused: {str(exc)[:90]} | | |")
            continue
        bare, e2e = measure(seg, imgs, args.runs)
        report = compare_results(expected, [seg.predict_array(im) for im in imgs], kind, ref.spec.classes)
        name = f"auto -> {seg.backend_choice.label}" if backend == "auto" else f"{backend}/{precision}"
        rows.append(f"| {label} | {name} | {bare:.1f} | {e2e:.1f} | {report.overall * 100:.2f}% |")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", type=int, default=5, help="CamVid val images for the agreement check")
    args = ap.parse_args()
    cpu = cpu_info()
    print(f"CPU: {cpu_line()}; flags relevant to inference: {' '.join(cpu['simd']) or 'none'}")
    versions = ", ".join(f"{b} {backend_version(b)}" for b in installed_backends())
    print(f"threads {args.threads}, {args.runs} runs (median), {versions}")
    if "openvino" in installed_backends():
        from pixelwise.engine.backends.openvino import cpu_precisions

        print(f"OpenVINO CPU precisions here: {', '.join(cpu_precisions())}")
    imgs = images(args.images)
    print("\n| model | backend/precision | bare ms | end-to-end ms | agreement with ORT FP32 |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, model, fp32_ref in MODELS:
            if not model.is_file():
                print(f"| {label} | (missing: {model}) | | | |")
                continue
            for row in bench_model(label, model, fp32_ref, imgs, args, Path(tmp)):
                print(row, flush=True)
    print("\nagreement: semantic = share of equal pixels; instance = detections matched at box IoU >= 0.99")
    return 0


if __name__ == "__main__":
    sys.exit(main())
