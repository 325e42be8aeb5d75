"""pixelwise vs Ultralytics on the same YOLO-seg ONNX file: speed and agreement, in one run.

Needs Ultralytics, which pixelwise never depends on (AGPL, heavy): run it in its own venv
(see docs/benchmarks.md). Both sides use 2 threads: ``import ultralytics`` sets
OMP_NUM_THREADS=1 and drops torch to 1 thread on 2 cores, so both are set explicitly.
Ultralytics is timed in this process, pixelwise in a child process of the same run with no
torch loaded (torch's idle OpenMP threads would otherwise slow ONNX Runtime beside them).

    python bench/yolo_seg.py --runs 30
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from timing import median_ms  # bench/timing.py

SHARED = Path(__file__).resolve().parents[2] / "shared"
IMAGE = SHARED / "datasets" / "camvid" / "val" / "0016E5_07975.png"


def pixelwise_side(size: int, runs: int, threads: int) -> None:
    """Child process: pixelwise alone (no torch loaded, as its users run it); prints JSON."""
    import json

    import pixelwise as pw

    seg = pw.Segmenter(SHARED / "models" / "yolo" / f"yolo11n-seg-camvid-{size}.onnx", threads=threads)
    rgb = seg.load(IMAGE)[0]
    e2e = median_ms(lambda: seg.predict_array(rgb), runs, warmup=5)
    blob = np.zeros((1, 3, size, size), np.float32)
    bare = median_ms(lambda: seg.predictor.session.raw.run(None, {"images": blob}), runs, warmup=5)
    res = seg.predict_array(rgb)
    inst = res.instances
    print(json.dumps({"e2e": e2e, "bare": bare, "stages": res.timings_ms, "boxes": inst.boxes_xyxy.tolist(),
                      "scores": inst.scores.tolist()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pixelwise-side", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pixelwise_side:
        return pixelwise_side(args.pixelwise_side, args.runs, args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import json
    import subprocess
    import sys

    import cv2
    import torch
    from ultralytics import YOLO

    from pixelwise.ops.boxes import box_iou

    torch.set_num_threads(args.threads)
    bgr = cv2.imread(str(IMAGE))
    print(f"# bench/yolo_seg.py  image {IMAGE.name} (360x480)  threads={args.threads}  runs={args.runs}  "
          f"conf=0.25 iou=0.7 retina masks")
    print("| imgsz | Ultralytics predict ms | pixelwise end-to-end ms | ratio | bare session.run ms | "
          "pixelwise pre / infer / post ms (one call) | detections | min box IoU | max score diff |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in (320, 640):
        onnx = SHARED / "models" / "yolo" / f"yolo11n-seg-camvid-{size}.onnx"
        ul = YOLO(str(onnx), task="segment")
        kw = dict(imgsz=size, conf=0.25, iou=0.7, retina_masks=True, verbose=False)
        ul.predict(bgr, **kw)
        torch.set_num_threads(args.threads)  # Ultralytics' first predict lowers it
        t_ul = median_ms(lambda: ul.predict(bgr, **kw), args.runs, warmup=5)
        child = subprocess.run([sys.executable, __file__, "--pixelwise-side", str(size), "--runs", str(args.runs),
                                "--threads", str(args.threads)], capture_output=True, text=True, check=True)
        pw_side = json.loads(child.stdout.strip().splitlines()[-1])
        t_pw, t_bare, st = pw_side["e2e"], pw_side["bare"], pw_side["stages"]
        r_ul = ul.predict(bgr, **kw)[0]
        boxes, scores = np.array(pw_side["boxes"], np.float32).reshape(-1, 4), np.array(pw_side["scores"])
        b_ul = r_ul.boxes.xyxy.numpy()
        iou = box_iou(boxes, b_ul).max(axis=1).min() if len(boxes) and len(b_ul) else float("nan")
        same = len(boxes) == len(b_ul)
        sd = np.abs(np.sort(scores) - np.sort(r_ul.boxes.conf.numpy())).max() if same else float("nan")
        stages = f"{st['preprocess']:.1f} / {st['inference']:.1f} / {st['postprocess']:.1f}"
        inst = boxes
        print(f"| {size} | {t_ul:.1f} | {t_pw:.1f} | {t_pw / t_ul:.2f} | {t_bare:.1f} | {stages} | "
              f"{len(inst)} vs {len(b_ul)} | {iou:.4f} | {sd:.2e} |")


if __name__ == "__main__":
    main()
