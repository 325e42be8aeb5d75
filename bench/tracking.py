"""Tracking that holds: ByteTrack (supervision) vs the IoU matcher, on clips with ground-truth ids.

Two clips made for the purpose, both with known object ids in every frame:

- ``boxes``: 12 objects of 3 classes (25-90 px) moving with constant velocities (1-7 px per
  frame, some pairs of the same class crossing) over 640x480, box noise of 1.5 px, each object
  missing from the detections in 6 % of the frames, and an object hidden
  (not detected) while its box overlaps an earlier object's with IoU > 0.2. The trackers get the true boxes: this
  measures association alone.
- ``camvid``: real car and pedestrian crops (pixels under their CamVid annotation) cut from
  CamVid val frames and pasted moving over another val frame (pairs crossing, one hiding the
  other), each missing from 6 % of the frames; the shipped default model segments every
  frame and its thing regions are tracked (what ``pixelwise stream --track`` does). A
  detection belongs to the pasted object whose box it overlaps with IoU >= 0.5.
  Touching objects of one class merge into one region of a semantic model, so crossing
  cars swap ids whatever the tracker: ``camvid-yolo`` tracks the same clip's objects as the
  YOLO-seg fixture (``../shared/models/yolo``, 640) detects them (what ``--things`` gives).

Measures, per tracker:

- id switches per 100 frames: a ground-truth object's id differs from the id it had when last
  seen with one (ids 0, "not confirmed yet", are not switches);
- kept after a miss: the share of re-appearances after 1+ missed frames that keep the id;
- longest gap survived: the most consecutive missed frames after which a single object
  moving 3 px per frame keeps its id (controlled test, 1..60 frames);
- ms per frame spent in ``update``.

    python bench/tracking.py [--frames 300] [--clip boxes,camvid,camvid-yolo] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from timing import cpu_line  # bench/timing.py

from pixelwise.ops.boxes import box_iou
from pixelwise.video.tracking import bytetrack_available, make_tracker

REPO = Path(__file__).resolve().parents[1]
CAMVID = REPO.parent / "shared" / "datasets" / "camvid"
YOLO = REPO.parent / "shared" / "models" / "yolo" / "yolo11n-seg-camvid-640.onnx"
Frame = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # boxes, classes, scores, gt ids (-1: none)


def _box_objects(rng: np.random.Generator, n: int, hw: tuple[int, int]) -> list[dict]:
    h, w = hw
    objs = []
    for k in range(n):
        size = rng.uniform(25, 90, 2)
        if k % 4 < 2:  # crossing pairs: same class, same row, opposite directions
            y = 60 + 90 * (k // 4) % (h - 120)
            x = 20.0 if k % 2 == 0 else w - 20.0 - size[0]
            v = np.array([rng.uniform(2, 5) * (1 if k % 2 == 0 else -1), rng.uniform(-0.3, 0.3)])
            cls = (k // 4) % 3
        else:
            x, y = rng.uniform(0, w - size[0]), rng.uniform(0, h - size[1])
            v, cls = rng.uniform(-7, 7, 2), int(rng.integers(3))
        objs.append({"xy": np.array([x, y], float), "v": v, "size": size, "cls": cls})
    return objs


def boxes_clip(frames: int, seed: int = 0, miss: float = 0.06, hw: tuple[int, int] = (480, 640)) -> Iterator[Frame]:
    rng = np.random.default_rng(seed)
    objs = _box_objects(rng, 12, hw)
    for _ in range(frames):
        rows = []
        for gid, o in enumerate(objs):
            o["xy"] += o["v"]
            for d, lim in ((0, hw[1]), (1, hw[0])):  # bounce off the borders
                if not 0 <= o["xy"][d] <= lim - o["size"][d]:
                    o["v"][d] *= -1
                    o["xy"][d] = np.clip(o["xy"][d], 0, lim - o["size"][d])
            if rng.random() >= miss:
                x0, y0 = o["xy"] + rng.normal(0, 1.5, 2)
                x1, y1 = o["xy"] + o["size"] + rng.normal(0, 1.5, 2)
                rows.append((x0, y0, x1, y1, o["cls"], rng.uniform(0.5, 0.95), gid))
        a = _occlude(np.array(rows, np.float64).reshape(-1, 7))
        yield a[:, :4].astype(np.float32), a[:, 4].astype(int), a[:, 5].astype(np.float32), a[:, 6].astype(int)


def _occlude(rows: np.ndarray, overlap: float = 0.2) -> np.ndarray:
    """Objects hidden behind an earlier one (box IoU above ``overlap``) are not detected."""
    keep: list[int] = []
    for i in range(len(rows)):
        if not keep or box_iou(rows[i:i + 1, :4], rows[keep, :4]).max() <= overlap:
            keep.append(i)
    return rows[keep]


def score(tracker_kind: str, clip: Iterator[Frame]) -> dict[str, float]:
    tracker = make_tracker(tracker_kind)
    last_id: dict[int, int] = {}
    last_seen: dict[int, int] = {}
    switches = returns = kept = 0
    spent, n = 0.0, 0
    for n, (boxes, classes, scores, gt) in enumerate(clip, 1):
        t = time.perf_counter()
        ids = tracker.update(boxes, classes, scores)
        spent += time.perf_counter() - t
        for g, i in zip(gt.tolist(), ids.tolist(), strict=True):
            if g < 0:
                continue
            if g in last_seen and n - last_seen[g] > 1 and g in last_id:
                returns += 1
                kept += i == last_id[g]
            last_seen[g] = n
            if i == 0:
                continue
            switches += g in last_id and last_id[g] != i
            last_id[g] = i
    return {"switches_per_100": 100 * switches / max(n, 1), "kept_after_miss": kept / max(returns, 1),
            "returns": returns, "ms_per_frame": 1000 * spent / max(n, 1)}


def longest_gap(tracker_kind: str, speed: float = 3.0, limit: int = 60) -> int:
    """The most consecutive missed frames after which a lone object keeps its id."""
    best = 0
    for gap in range(1, limit + 1):
        tracker = make_tracker(tracker_kind)
        before = after = None
        for k in range(10 + gap + 3):
            x = 50 + speed * k
            visible = not 10 <= k < 10 + gap
            boxes = np.array([[x, 100, x + 50, 150]], np.float32) if visible else np.zeros((0, 4), np.float32)
            ids = tracker.update(boxes, np.zeros(len(boxes), int), np.full(len(boxes), 0.9, np.float32))
            if k == 9:
                before = int(ids[0])
            if k == 10 + gap + 2:
                after = int(ids[0])
        if after != before:
            break
        best = gap
    return best


def _crops(limit: int = 40) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(RGB crop, mask, class id) of large cars (8) and pedestrians (9) in CamVid val frames."""
    from PIL import Image

    from pixelwise.ops.masks import components

    crops = []
    for line in (CAMVID / "val.txt").read_text().split("\n")[1:limit]:
        if not line.strip():
            continue
        img_rel, ann_rel = line.split()
        ann = np.asarray(Image.open(CAMVID / ann_rel))
        boxes, ids, labels, areas = components(ann, (8, 9), 1)
        for k in np.argsort(-areas):
            x0, y0, x1, y1 = boxes[k].astype(int)
            small = areas[k] < (2500 if ids[k] == 8 else 500)
            if small or x0 == 0 or x1 >= ann.shape[1] - 1 or (x1 - x0) > 160:
                continue
            img = np.asarray(Image.open(CAMVID / img_rel).convert("RGB"))
            crops.append((img[y0:y1 + 1, x0:x1 + 1], labels[y0:y1 + 1, x0:x1 + 1] == k + 1, int(ids[k])))
            break
        if len(crops) == 6:
            break
    return crops


def _paths(crops: list, hw: tuple[int, int]) -> list[tuple[float, float, float]]:
    """(x start, y, px per frame) for each crop: pairs of crops cross each other on one row."""
    h, w = hw
    out = []
    for k, (crop, _, cls) in enumerate(crops):
        y = (0.55 if cls == 8 else 0.45) * h - crop.shape[0] / 2 + 12 * (k // 2)
        speed = (3.0 if cls == 8 else 1.5) * (1 if k % 2 == 0 else -1)
        out.append((20.0 if speed > 0 else w - 20.0 - crop.shape[1], y, speed))
    return out


def camvid_clip(frames: int, detect: Callable[[np.ndarray], tuple], seed: int = 0, miss: float = 0.06
                ) -> Iterator[Frame]:
    from PIL import Image

    rng = np.random.default_rng(seed)
    crops = _crops()
    bg_rel = (CAMVID / "val.txt").read_text().split("\n")[0].split()[0]
    background = np.asarray(Image.open(CAMVID / bg_rel).convert("RGB"))
    h, w = background.shape[:2]
    paths = _paths(crops, (h, w))
    for f in range(frames):
        frame, owner = background.copy(), np.full((h, w), -1, int)
        for gid, ((crop, mask, _), (x, y, v)) in enumerate(zip(crops, paths, strict=True)):
            x = x + v * f
            x = x % (w + crop.shape[1]) - crop.shape[1]  # wraps around
            if rng.random() < miss:
                continue
            x0, y0 = int(round(x)), int(round(y))
            ys, xs = np.nonzero(mask)
            ys, xs = ys + y0, xs + x0
            ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
            frame[ys[ok], xs[ok]] = crop[mask][ok]
            owner[ys[ok], xs[ok]] = gid
        boxes, classes, scores = detect(frame)
        yield boxes, classes, scores, _gt_for(boxes, owner, len(crops))


def _gt_for(boxes: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Each detection's ground-truth object: the pasted object whose visible box it overlaps with IoU >= 0.5."""
    gt_boxes, gt_ids = [], []
    for g in range(n):
        ys, xs = np.nonzero(owner == g)
        if len(ys) >= 50:
            gt_boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
            gt_ids.append(g)
    out = np.full(len(boxes), -1, int)
    if not len(boxes) or not gt_boxes:
        return out
    iou = box_iou(boxes.astype(np.float32), np.array(gt_boxes, np.float32))
    for flat in np.argsort(-iou, axis=None):
        i, j = divmod(int(flat), iou.shape[1])
        if iou[i, j] < 0.5:
            break
        if out[i] < 0 and gt_ids[j] not in out:
            out[i] = gt_ids[j]
    return out


def _detector(threads: int, model: str = "default") -> Callable[[np.ndarray], tuple]:
    import pixelwise as pw

    seg = pw.Segmenter(model, threads=threads, backend="onnxruntime")

    def detect(image: np.ndarray) -> tuple:
        inst = seg(image).instances
        return inst.boxes_xyxy, inst.class_ids, inst.scores

    return detect


def _cached_clip(frames: int, threads: int, model: str = "default") -> list[Frame]:
    return list(camvid_clip(frames, _detector(threads, model)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--clip", default="boxes,camvid,camvid-yolo")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    kinds = ["iou"] + (["bytetrack"] if bytetrack_available() else [])
    if len(kinds) == 1:
        print("supervision's ByteTrack is not installed (pip install 'pixelwise[track]'): IoU matcher only",
              file=sys.stderr)
    print(f"# {cpu_line()}")
    print("| clip | tracker | id switches / 100 frames | kept after a miss | longest gap kept (frames) | ms / frame |")
    print("|---|---|---|---|---|---|")
    gaps = {k: longest_gap(k) for k in kinds}
    for clip in args.clip.split(","):
        if clip.startswith("camvid") and not (CAMVID.is_dir() and YOLO.is_file()):
            print(f"{clip} clip skipped: no CamVid at {CAMVID} or no {YOLO}", file=sys.stderr)
            continue
        frames = (list(boxes_clip(args.frames)) if clip == "boxes" else
                  _cached_clip(args.frames, args.threads, str(YOLO) if clip == "camvid-yolo" else "default"))
        for kind in kinds:
            s = score(kind, iter(frames))
            print(f"| {clip} ({args.frames} frames) | {kind} | {s['switches_per_100']:.1f} | "
                  f"{100 * s['kept_after_miss']:.0f} % of {s['returns']} | {gaps[kind]} | {s['ms_per_frame']:.2f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
