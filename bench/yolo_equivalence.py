"""pixelwise's YOLO-seg decode vs Ultralytics' own saved predictions (no Ultralytics needed).

For both shared exports (imgsz 320 and 640) and all 101 CamVid val images: detections
matched by box IoU, then the worst box IoU, the largest score difference and the worst
per-object mask IoU.

    python bench/yolo_equivalence.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import pixelwise as pw
from pixelwise.ops.boxes import box_iou

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    print("| imgsz | images | detections (ours / Ultralytics) | min box IoU | max score diff | min mask IoU | "
          "classes equal |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in (320, 640):
        seg = pw.Segmenter(SHARED / "models" / "yolo" / f"yolo11n-seg-camvid-{size}.onnx", threads=2)
        ours = theirs = 0
        worst_box, worst_mask, max_sd, same_cls = 1.0, 1.0, 0.0, True
        refs = sorted((SHARED / "models" / "yolo" / f"ref-val-{size}").glob("*.npz"))
        for ref_path in refs:
            ref = np.load(ref_path)
            inst = seg(SHARED / "datasets" / "camvid" / "val" / f"{ref_path.stem}.png").instances
            ours, theirs = ours + len(inst), theirs + len(ref["scores"])
            if not len(inst) or not len(ref["scores"]):
                continue
            iou = box_iou(inst.boxes_xyxy, ref["boxes_xyxy"])
            j = iou.argmax(axis=1)
            worst_box = min(worst_box, float(iou[np.arange(len(j)), j].min()))
            max_sd = max(max_sd, float(np.abs(inst.scores - ref["scores"][j]).max()))
            same_cls &= bool((inst.class_ids == ref["class_ids"][j]).all())
            h, w = ref["hw"]
            masks = np.unpackbits(ref["masks"], axis=1)[:, : h * w].reshape(-1, h, w).astype(bool)[j]
            inter = (inst.masks & masks).reshape(len(j), -1).sum(1)
            union = np.maximum((inst.masks | masks).reshape(len(j), -1).sum(1), 1)
            worst_mask = min(worst_mask, float((inter / union).min()))
        print(f"| {size} | {len(refs)} | {ours} / {theirs} | {worst_box:.5f} | {max_sd:.1e} | {worst_mask:.4f} | "
              f"{same_cls} |")


if __name__ == "__main__":
    main()
