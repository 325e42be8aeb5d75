"""Instance-mask AP, AP50 and AP75, computed by pycocotools' COCOeval (iouType "segm")."""

from __future__ import annotations

import contextlib
import io
from typing import Any

__all__ = ["mask_ap"]


def mask_ap(images: list[dict[str, Any]], ground_truth: list[dict[str, Any]], detections: list[dict[str, Any]],
            categories: list[dict[str, Any]]) -> dict[str, float]:
    """COCO-format inputs -> {"AP", "AP50", "AP75"} in percent (-1 when nothing to score).

    ``ground_truth`` and ``detections`` are COCO annotation dicts with RLE ``segmentation``
    (detections carry ``score``); ids follow the COCO conventions.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not ground_truth:
        return {"AP": -1.0, "AP50": -1.0, "AP75": -1.0}
    gt = COCO()
    gt.dataset = {"images": images, "annotations": ground_truth, "categories": categories}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        if not detections:
            return {"AP": 0.0, "AP50": 0.0, "AP75": 0.0}
        dt = gt.loadRes([{k: v for k, v in d.items() if k != "id"} for d in detections])
        ev = COCOeval(gt, dt, iouType="segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {"AP": float(ev.stats[0] * 100), "AP50": float(ev.stats[1] * 100), "AP75": float(ev.stats[2] * 100)}
