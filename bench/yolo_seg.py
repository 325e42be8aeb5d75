"""pixelwise vs Ultralytics on the same YOLO-seg ONNX file: speed and agreement, in one run.

Needs Ultralytics, which pixelwise never depends on (AGPL, heavy): run it in its own venv
(see docs/benchmarks.md). Both sides use 2 threads: ``import ultralytics`` sets
OMP_NUM_THREADS=1 and drops torch to 1 thread on 2 cores, so both are set explicitly.

    python bench/yolo_seg.py --runs 30
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from timing import median_ms  # noqa: E402 (bench/timing.py)

SHARED = Path(__file__).resolve().parents[2] / "shared"
IMAGE = SHARED / "datasets" / "camvid" / "val" / "0016E5_07975.png"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import cv2
    import torch
    from ultralytics import YOLO

    import pixelwise as pw
    from pixelwise.ops.boxes import box_iou

    torch.set_num_threads(args.threads)
    bgr = cv2.imread(str(IMAGE))
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    print(f"# bench/yolo_seg.py  image {IMAGE.name} (360x480)  threads={args.threads}  runs={args.runs}  "
          f"conf=0.25 iou=0.7 retina masks")
    print("| imgsz | Ultralytics predict ms | pixelwise end-to-end ms | ratio | pixelwise pre / infer / post ms | "
          "detections | min box IoU | max score diff |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in (320, 640):
        onnx = SHARED / "models" / "yolo" / f"yolo11n-seg-camvid-{size}.onnx"
        ul = YOLO(str(onnx), task="segment")
        kw = dict(imgsz=size, conf=0.25, iou=0.7, retina_masks=True, verbose=False)
        ul.predict(bgr, **kw)
        torch.set_num_threads(args.threads)  # Ultralytics' first predict lowers it
        seg = pw.Segmenter(onnx, threads=args.threads)
        t_ul = median_ms(lambda: ul.predict(bgr, **kw), args.runs, warmup=5)
        t_pw = median_ms(lambda: seg.predict_array(rgb), args.runs, warmup=5)
        r_ul = ul.predict(bgr, **kw)[0]
        r_pw = seg.predict_array(rgb)
        inst = r_pw.instances
        b_ul = r_ul.boxes.xyxy.numpy()
        iou = box_iou(inst.boxes_xyxy, b_ul).max(axis=1).min() if len(inst) and len(b_ul) else float("nan")
        same = len(inst) == len(b_ul)
        sd = np.abs(np.sort(inst.scores) - np.sort(r_ul.boxes.conf.numpy())).max() if same else float("nan")
        st = r_pw.timings_ms
        stages = f"{st['preprocess']:.1f} / {st['inference']:.1f} / {st['postprocess']:.1f}"
        print(f"| {size} | {t_ul:.1f} | {t_pw:.1f} | {t_pw / t_ul:.2f} | {stages} | {len(inst)} vs {len(b_ul)} | "
              f"{iou:.4f} | {sd:.2e} |")


if __name__ == "__main__":
    main()
