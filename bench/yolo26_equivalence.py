"""pixelwise on Ultralytics' YOLO26 exports vs Ultralytics' own saved predictions (no Ultralytics needed).

Three files in ``../shared/models/yolo26`` and the CamVid val images:

- ``yolo26n-seg`` (classic head, NMS) and ``yolo26n-seg-e2e`` (end-to-end head, no NMS):
  detections matched one-to-one by box IoU (greedy, best pairs first), then the counts,
  the worst matched box IoU, whether classes agree, the largest score difference and the
  worst per-object mask IoU;
- ``yolo26n-sem`` (uint8 class ids): the share of pixels equal to Ultralytics' class map at
  the original size (worst image and all pixels).

pixelwise runs ONNX Runtime at FP32 (what the equivalence is about; ``--backend auto`` may
pick another backend), ``--threads`` threads; the last column is its mean time per image
(read + predict), a rough figure (the timing benchmarks are bench/yolo_seg.py and friends).

    python bench/yolo26_equivalence.py [--images N] [--threads T]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

import pixelwise as pw
from pixelwise.ops.boxes import box_iou

SHARED = Path(__file__).resolve().parents[2] / "shared"
MODELS = SHARED / "models" / "yolo26"
VAL = SHARED / "datasets" / "camvid" / "val"


def match(ours_xyxy: np.ndarray, ref_xyxy: np.ndarray) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching by box IoU: (our index, reference index, IoU), best first."""
    if not len(ours_xyxy) or not len(ref_xyxy):
        return []
    iou = box_iou(ours_xyxy, ref_xyxy)
    pairs = []
    for flat in np.argsort(-iou, axis=None, kind="stable"):
        i, j = np.unravel_index(flat, iou.shape)
        if iou[i, j] <= 0 or any(p[0] == i or p[1] == j for p in pairs):
            continue
        pairs.append((int(i), int(j), float(iou[i, j])))
    return pairs


def instance_figures(onnx: Path, refs: list[Path], threads: int) -> dict:
    seg = pw.Segmenter(onnx, threads=threads, backend="onnxruntime", precision="fp32")
    out = {"images": len(refs), "ours": 0, "theirs": 0, "matched": 0, "min_box_iou": 1.0, "classes_equal": True,
           "max_score_diff": 0.0, "min_mask_iou": 1.0, "ms": 0.0}
    for ref_path in refs:
        ref = np.load(ref_path)
        t0 = time.perf_counter()
        inst = seg(VAL / f"{ref_path.stem}.png").instances
        out["ms"] += (time.perf_counter() - t0) * 1e3 / len(refs)
        out["ours"] += len(inst)
        out["theirs"] += len(ref["scores"])
        h, w = (int(v) for v in ref["hw"])
        ref_masks = np.unpackbits(ref["masks"], axis=1)[:, : h * w].reshape(-1, h, w).astype(bool)
        for i, j, iou in match(inst.boxes_xyxy, ref["boxes_xyxy"]):
            out["matched"] += 1
            out["min_box_iou"] = min(out["min_box_iou"], iou)
            out["classes_equal"] &= bool(inst.class_ids[i] == ref["class_ids"][j])
            out["max_score_diff"] = max(out["max_score_diff"], float(abs(inst.scores[i] - ref["scores"][j])))
            m = inst.mask(i)
            union = max(int((m | ref_masks[j]).sum()), 1)
            out["min_mask_iou"] = min(out["min_mask_iou"], int((m & ref_masks[j]).sum()) / union)
    return out


def semantic_figures(onnx: Path, refs: list[Path], threads: int) -> dict:
    seg = pw.Segmenter(onnx, threads=threads, backend="onnxruntime", precision="fp32")
    equal = total = 0
    worst, ms = 1.0, 0.0
    for ref_path in refs:
        ref = np.asarray(Image.open(ref_path))
        t0 = time.perf_counter()
        ours = seg(VAL / ref_path.name).semantic
        ms += (time.perf_counter() - t0) * 1e3 / len(refs)
        same = int((ours == ref).sum())
        equal, total = equal + same, total + ref.size
        worst = min(worst, same / ref.size)
    return {"images": len(refs), "pixel_agreement": equal / total, "worst_image": worst, "ms": ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=0, help="first N val images only (0 = all)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    limit = args.images or None
    print("| export | images | detections (ours / Ultralytics, matched) | min box IoU | classes equal | "
          "max score diff | min mask IoU | ms/image |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, ref_dir in (("yolo26n-seg-camvid-320", "seg"), ("yolo26n-seg-e2e-camvid-320", "seg-e2e")):
        refs = sorted((MODELS / "ref-val-320" / ref_dir).glob("*.npz"))[:limit]
        f = instance_figures(MODELS / f"{name}.onnx", refs, args.threads)
        print(f"| {name} | {f['images']} | {f['ours']} / {f['theirs']}, {f['matched']} | {f['min_box_iou']:.5f} | "
              f"{f['classes_equal']} | {f['max_score_diff']:.1e} | {f['min_mask_iou']:.5f} | {f['ms']:.1f} |")
    refs = sorted((MODELS / "ref-val-320" / "sem").glob("*.png"))[:limit]
    f = semantic_figures(MODELS / "yolo26n-sem-camvid-320.onnx", refs, args.threads)
    print("\n| export | images | pixels equal to Ultralytics | worst image | ms/image |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| yolo26n-sem-camvid-320 | {f['images']} | {f['pixel_agreement'] * 100:.4f}% | "
          f"{f['worst_image'] * 100:.4f}% | {f['ms']:.1f} |")


if __name__ == "__main__":
    main()
