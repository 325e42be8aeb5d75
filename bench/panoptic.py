"""Panoptic quality on CamVid val: the default model alone vs the default model + a YOLO-seg things model.

Ground truth (eval/panoptic.py): each stuff class present is one segment, each connected
region (8-connectivity) of a thing class (car, pedestrian, bicyclist) of at least
``--min-area`` pixels is one object; the ignore label and smaller regions are void.

Variants, scored with PQ / SQ / RQ (all, things, stuff) from one run of each model per image:

- ``default``: ``res.panoptic()`` of the default model alone (objects = connected regions).
- ``default + yolo``: ``Segmenter("default", things=YOLO)`` (engine/panoptic.py): YOLO
  instances scoring >= ``--scores`` win over the semantic map; the unclaimed part of a thing
  region goes to the instance of its class that claims most of it, regions no instance
  touches are objects of their own (the shipped rule, leftover "absorb").
- ``... leftover components``: the same, with every unclaimed thing region an object of its own.
- ``... leftover void``: the same, with thing pixels no instance claims left void.
- ``yolo alone``: only the YOLO instances (things only: the stuff columns are not meaningful).

    python bench/panoptic.py --threads 2 [--limit 20] [--scores 0.25,0.5,0.7]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from timing import cpu_line  # bench/timing.py

import pixelwise as pw
from pixelwise.data.config import load_dataset_config
from pixelwise.data.formats import read_split
from pixelwise.engine.panoptic import PanopticPredictor
from pixelwise.eval.panoptic import PanopticQuality, panoptic_from_labels
from pixelwise.io.image import read_image
from pixelwise.ops.panoptic import PanopticRule, merge

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "configs" / "camvid.yaml"
OTHER_LEFTOVERS = ("components", "void")  # the shipped rule is "absorb"
YOLO = REPO.parent / "shared" / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx"


def _leftover(res: pw.Result, mode: str) -> tuple[np.ndarray, list]:
    """res.panoptic() with another rule for the thing pixels no instance claims."""
    inst, things = res.instances, res.spec.thing_ids
    stuff = [c for c in range(res.spec.num_classes) if c not in things]
    return merge(res.semantic, stuff, inst.cropped, inst.class_ids, inst.scores, thing_ids=things,
                 rule=PanopticRule(score=0.0, overlap=0.0, min_area=res.min_area, leftover=mode))


def _things_only(res: pw.Result, composed: PanopticPredictor, score: float) -> tuple[np.ndarray, list]:
    inst = res.instances
    empty = np.full(res.hw, 255, np.uint8)
    return merge(empty, (), inst.cropped, inst.class_ids, inst.scores, lut=composed.lut,
                 rule=PanopticRule(score=score, min_area=res.min_area))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="val images (default: all 101)")
    ap.add_argument("--things", type=Path, default=YOLO)
    ap.add_argument("--scores", default="0.5", help="things-score thresholds to compare, comma-separated")
    ap.add_argument("--min-area", type=int, default=64)
    args = ap.parse_args()
    if not args.things.is_file():
        sys.exit(f"{args.things} not found (../shared/models/yolo)")
    cfg = load_dataset_config(DATA)
    samples = read_split(cfg, "val").samples[: args.limit]
    things = tuple(cfg.classes.index(t) for t in cfg.things)
    kw = {"threads": args.threads, "backend": "onnxruntime", "precision": "fp32", "min_area": args.min_area}
    semantic, yolo = pw.Segmenter("default", **kw), pw.Segmenter(args.things, **kw)
    scores = [float(s) for s in args.scores.split(",")]
    composed = {s: PanopticPredictor(semantic.predictor, yolo.predictor, None, s) for s in scores}
    pqs = {"default": PanopticQuality(cfg.num_classes, things)}
    for s in scores:
        pqs[f"default + yolo (score {s:g})"] = PanopticQuality(cfg.num_classes, things)
        for mode in OTHER_LEFTOVERS:
            pqs[f"default + yolo (score {s:g}), leftover {mode}"] = PanopticQuality(cfg.num_classes, things)
    pqs[f"yolo alone (score {scores[0]:g}, things only)"] = PanopticQuality(cfg.num_classes, things)
    ms = {"default": [], "yolo": [], "merge + panoptic": []}
    for sample in samples:
        image = read_image(sample.image)
        gt = panoptic_from_labels(sample.semantic_map(cfg.ignore_index), things, cfg.num_classes, args.min_area)
        t0 = time.perf_counter()
        sem = semantic.predict_array(image)
        t1 = time.perf_counter()
        found = yolo.predict_array(image)
        t2 = time.perf_counter()
        pqs["default"].update(*gt, *sem.panoptic())
        for s, comp in composed.items():
            t3 = time.perf_counter()
            res = comp.merged(sem, found.instances, replace(semantic.options, min_area=args.min_area))
            pqs[f"default + yolo (score {s:g})"].update(*gt, *res.panoptic())
            if s == scores[0]:
                ms["merge + panoptic"].append((time.perf_counter() - t3) * 1e3)
            for mode in OTHER_LEFTOVERS:
                pqs[f"default + yolo (score {s:g}), leftover {mode}"].update(*gt, *_leftover(res, mode))
        alone = _things_only(found, composed[scores[0]], scores[0])
        pqs[f"yolo alone (score {scores[0]:g}, things only)"].update(*gt, *alone)
        ms["default"].append((t1 - t0) * 1e3)
        ms["yolo"].append((t2 - t1) * 1e3)
    print(f"CPU: {cpu_line()}; {len(samples)} CamVid val images; ONNX Runtime fp32, {args.threads} threads; "
          f"things model {args.things.name}; ground-truth objects >= {args.min_area} px")
    print()
    print("| variant | PQ | SQ | RQ | PQ things | SQ things | RQ things | PQ stuff | SQ stuff | RQ stuff |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, pq in pqs.items():
        row = [pq.scores(k) for k in ("all", "things", "stuff")]
        print(f"| {name} | " + " | ".join(f"{getattr(r, m):.1f}" for r in row for m in ("pq", "sq", "rq")) + " |")
    th = pqs[f"default + yolo (score {scores[0]:g})"].per_class()
    base = pqs["default"].per_class()
    print()
    print("Per thing class PQ, default -> default + yolo (score {:g}): ".format(scores[0]) + ", ".join(
        f"{cfg.classes[c]} {base[c].pq:.1f} -> {th[c].pq:.1f}" for c in things if c in base and c in th) + ".")
    print("Median ms per image: " + ", ".join(f"{k} {np.median(v):.1f}" for k, v in ms.items() if v) + ".")


if __name__ == "__main__":
    main()
