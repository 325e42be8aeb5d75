"""A ``dynamic=True`` Ultralytics YOLO-seg export: does pixelwise feed it what Ultralytics does?

Builds YOLO11n-seg from Ultralytics' own model YAML (random weights, no download) and
exports it with ``export(format="onnx", dynamic=True)``. Ultralytics runs dynamic exports
on rectangular canvases (letterbox to the smallest multiple of the stride), so for CamVid
val images (360x480) and odd-sized crops of them this compares, image by image, the input
tensor each tool builds (shape and values) and the raw outputs of one ONNX Runtime session
fed each tensor. Random weights give no detections at conf 0.25, so the mask decode itself
is checked against Ultralytics by bench/yolo_seg.py and tests/adapters (trained models);
here it is the rectangular pre-processing. Also times both tools end to end on one image.
Needs Ultralytics: run it in its own venv (docs/benchmarks.md):

    python bench/yolo_dynamic.py --images 10 --runs 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import median_ms  # bench/timing.py

SHARED = Path(__file__).resolve().parents[2] / "shared"
VAL = SHARED / "datasets" / "camvid" / "val"
CROPS = [(301, 457), (233, 411), (360, 97)]  # odd sizes: padding split unevenly, tall and wide


def _images(n: int) -> list[np.ndarray]:
    """RGB images: n val images, then odd-sized crops of the first ones."""
    import cv2

    paths = sorted(VAL.glob("*.png"))[:n]
    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]
    return images + [img[:h, :w].copy() for img, (h, w) in zip(images, CROPS)]


def pixelwise_side(onnx: str, n: int, runs: int, threads: int, out: str) -> None:
    """Child process (no torch loaded): input blobs to an npz, timing as JSON on stdout."""
    import pixelwise as pw

    seg = pw.Segmenter(onnx, threads=threads)
    blobs = {f"blob{k}": seg.predictor.adapter.preprocess(img, seg.spec, seg.spec.input_hw)[0]
             for k, img in enumerate(_images(n))}
    np.savez(out, **blobs)
    first = _images(1)[0]
    res = seg.predict_array(first)
    print(json.dumps({"e2e": median_ms(lambda: seg.predict_array(first), runs, warmup=3),
                      "dynamic": seg.spec.dynamic, "stride": seg.spec.stride, "stages": res.timings_ms}))


def export_model(folder: Path, imgsz: int, seed: int) -> Path:
    import torch
    from ultralytics import YOLO

    torch.manual_seed(seed)
    model = YOLO("yolo11n-seg.yaml")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        path = model.export(format="onnx", dynamic=True, imgsz=imgsz, simplify=False)
    finally:
        os.chdir(cwd)
    return Path(folder) / path if not Path(path).is_absolute() else Path(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=10)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pixelwise-side", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pixelwise_side:
        return pixelwise_side(args.pixelwise_side[0], args.images, args.runs, args.threads, args.pixelwise_side[1])
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("YOLO_VERBOSE", "False")  # keep the export's log out of the table
    import onnxruntime as ort
    import torch
    from ultralytics import YOLO

    with tempfile.TemporaryDirectory() as tmp:
        onnx = export_model(Path(tmp), args.imgsz, args.seed)
        npz = Path(tmp) / "pixelwise.npz"
        child = subprocess.run([sys.executable, __file__, "--pixelwise-side", str(onnx), str(npz), "--images",
                                str(args.images), "--runs", str(args.runs), "--threads", str(args.threads)],
                               capture_output=True, text=True)
        if child.returncode:
            raise SystemExit(child.stderr)
        pw_side = json.loads(child.stdout.strip().splitlines()[-1])
        ours = np.load(npz)
        ul = YOLO(str(onnx), task="segment")
        kw = dict(imgsz=args.imgsz, conf=0.25, iou=0.7, retina_masks=True, verbose=False)
        images = _images(args.images)
        ul.predict(images[0][..., ::-1].copy(), **kw)  # sets up ul.predictor
        torch.set_num_threads(args.threads)  # Ultralytics' first predict lowers it
        sess = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
        rows = []
        for k, img in enumerate(images):
            theirs = ul.predictor.preprocess([img[..., ::-1].copy()]).numpy()
            mine = ours[f"blob{k}"]
            same_shape = theirs.shape == mine.shape
            diff = float(np.abs(theirs - mine).max()) if same_shape else float("nan")
            out_diff = float(np.abs(sess.run(None, {"images": theirs})[0] - sess.run(None, {"images": mine})[0]).max()
                             ) if same_shape else float("nan")
            rows.append((img.shape[:2], theirs.shape[2:], mine.shape[2:], diff, out_diff))
        bgr = images[0][..., ::-1].copy()
        t_ul = median_ms(lambda: ul.predict(bgr, **kw), args.runs, warmup=3)

    print(f"# bench/yolo_dynamic.py  YOLO11n-seg (random weights, seed {args.seed}) exported dynamic=True, "
          f"imgsz {args.imgsz}, threads={args.threads}, runs={args.runs}")
    print(f"pixelwise reads dynamic={pw_side['dynamic']}, stride={pw_side['stride']} from the file")
    print("| image HxW | Ultralytics canvas | pixelwise canvas | max input diff | max output0 diff |")
    print("| --- | --- | --- | --- | --- |")
    for hw, a, b, d, od in rows:
        print(f"| {hw[0]}x{hw[1]} | {a[0]}x{a[1]} | {b[0]}x{b[1]} | {d:.2e} | {od:.2e} |")
    st = pw_side["stages"]
    print(f"\nspeed on {images[0].shape[0]}x{images[0].shape[1]}: Ultralytics {t_ul:.1f} ms, pixelwise "
          f"{pw_side['e2e']:.1f} ms, ratio {pw_side['e2e'] / t_ul:.2f} (pixelwise pre / infer / post "
          f"{st['preprocess']:.1f} / {st['inference']:.1f} / {st['postprocess']:.1f} ms)")
    sys.exit(0 if all(a == b and d <= 1e-6 for _, a, b, d, _ in rows) else 1)


if __name__ == "__main__":
    main()
