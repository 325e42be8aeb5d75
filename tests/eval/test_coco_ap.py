"""Our mask AP is pycocotools' COCOeval on the same inputs (written to JSON and run directly)."""

import contextlib
import io
import json

import numpy as np
import pytest

from pixelwise.eval.coco_ap import mask_ap
from pixelwise.ops.masks import encode_rle


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    images, gts, dts = [], [], []
    for i in range(1, 6):
        images.append({"id": i, "height": 40, "width": 50, "file_name": f"{i}.png"})
        for _ in range(3):
            m = np.zeros((40, 50), bool)
            y, x = rng.integers(0, 30), rng.integers(0, 40)
            m[y : y + 10, x : x + 10] = True
            rle = encode_rle(m[None])[0]
            cat = int(rng.integers(1, 3))
            gts.append({"id": len(gts) + 1, "image_id": i, "category_id": cat, "segmentation": rle,
                        "area": 100, "bbox": [float(x), float(y), 10.0, 10.0], "iscrowd": 0})
            shifted = np.roll(m, int(rng.integers(0, 4)), axis=1)
            dts.append({"image_id": i, "category_id": cat, "segmentation": encode_rle(shifted[None])[0],
                        "score": float(rng.random())})
    cats = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    return images, gts, dts, cats


def test_equals_pycocotools_run_directly(tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, gts, dts, cats = _inputs()
    ours = mask_ap(images, gts, dts, cats)
    (tmp_path / "gt.json").write_text(json.dumps({"images": images, "annotations": gts, "categories": cats}))
    (tmp_path / "dt.json").write_text(json.dumps(dts))
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(tmp_path / "gt.json"))
        ev = COCOeval(gt, gt.loadRes(str(tmp_path / "dt.json")), "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert ours["AP"] == pytest.approx(ev.stats[0] * 100)
    assert ours["AP50"] == pytest.approx(ev.stats[1] * 100)
    assert ours["AP75"] == pytest.approx(ev.stats[2] * 100)
    assert 0 < ours["AP"] < 100


def test_edge_cases():
    images, gts, _, cats = _inputs()
    assert mask_ap(images, [], [], cats)["AP"] == -1.0
    assert mask_ap(images, gts, [], cats)["AP"] == 0.0
    perfect = [{"image_id": g["image_id"], "category_id": g["category_id"], "segmentation": g["segmentation"],
                "score": 0.9} for g in gts]
    assert mask_ap(images, gts, perfect, cats)["AP50"] == pytest.approx(100.0)
