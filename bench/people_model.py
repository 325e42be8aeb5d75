"""The people model in one run: person IoU per source, boundary quality, speed, size.

Person IoU on the people val split (200 photos: CCP street fashion and VOC scenes), per
source and overall; boundary IoU (IoU inside a band of +-BAND px around the true person
edge, ignore pixels excluded); the share of each true person's pixels found, by the person's
size (connected regions under 1%, 1-5% and over 5% of the photo); the DeepLab v3 VOC
teacher on the same photos when the train extra is installed; end-to-end
``Segmenter("people")`` on a 640x480 photo (median, 2 threads) beside the road model in the
same run; file size. ``--flip`` adds the model with ``flip=True`` (the photo and its mirror image,
averaged) to every table.

    python bench/people_model.py --threads 2 --runs 30 [--flip]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from timing import cpu_line, interleaved_ms  # bench/timing.py

import pixelwise as pw
from pixelwise.data.config import load_dataset_config
from pixelwise.data.formats import read_split
from pixelwise.io.image import read_image

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "configs" / "people.yaml"
TEACHER = REPO.parent / "shared" / "models" / "teachers" / "deeplabv3_257_mv_gpu.tflite"
BAND = 3
SIZES = ((0.01, "< 1%"), (0.05, "1-5%"), (1.01, "> 5%"))  # a person's share of the photo


def boundary_band(label: np.ndarray, width: int) -> np.ndarray:
    """Pixels within ``width`` of the true person edge."""
    person = (label == 1).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    return cv2.dilate(person, kernel) != cv2.erode(person, kernel)


class Counts:
    def __init__(self) -> None:
        self.inter, self.union = defaultdict(int), defaultdict(int)

    def add(self, key: str, pred: np.ndarray, true: np.ndarray, where: np.ndarray) -> None:
        self.inter[key] += int(np.count_nonzero(pred & true & where))
        self.union[key] += int(np.count_nonzero((pred | true) & where))

    def iou(self, key: str) -> float:
        return 100.0 * self.inter[key] / max(self.union[key], 1)

    def add_people(self, pred: np.ndarray, true: np.ndarray) -> None:
        """Found / true pixels of each connected person region, pooled by the region's size."""
        n, regions, stats, _ = cv2.connectedComponentsWithStats(true.astype(np.uint8), connectivity=8)
        found = np.bincount(regions[pred], minlength=n)  # predicted-person pixels inside each region
        for r in range(1, n):
            area = int(stats[r, cv2.CC_STAT_AREA])
            size = next(name for bound, name in SIZES if area < bound * true.size)
            self.inter[f"found {size}"] += int(found[r])
            self.union[f"found {size}"] += area


def score(predict, limit: int | None) -> Counts:  # image -> (H, W) bool person
    counts = Counts()
    samples = read_split(load_dataset_config(DATA), "val", False).samples[:limit]
    for sample in samples:
        image, label = read_image(sample.image), sample.semantic_map(255)
        source = "ccp" if "/ccp/" in str(sample.image) else "voc"
        pred, true, valid = predict(image), label == 1, label != 255
        band = boundary_band(label, BAND) & valid
        for key in (source, "all"):
            counts.add(key, pred, true, valid)
            counts.add(f"{key}-boundary", pred, true, band)
        counts.add_people(pred, true)
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="people")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--limit", type=int, default=None, help="val photos (default: all 200)")
    ap.add_argument("--flip", action="store_true", help="also the model with flip=True (image and mirror averaged)")
    args = ap.parse_args()
    seg = pw.Segmenter(args.model, threads=args.threads, backend="onnxruntime")
    person = seg.names.index("person")
    rows = {"pixelwise " + args.model: score(lambda im: seg(im).semantic == person, args.limit)}
    flipped = pw.Segmenter(args.model, threads=args.threads, backend="onnxruntime", flip=True) if args.flip else None
    if flipped is not None:
        rows[f"pixelwise {args.model} + flip"] = score(lambda im: flipped(im).semantic == person, args.limit)
    try:
        from pixelwise.train.teacher import Teacher

        teacher = Teacher(TEACHER, threads=args.threads)
        rows["teacher (DeepLab v3 VOC, never shipped)"] = score(lambda im: teacher(im) > 0.5, args.limit)
    except Exception as exc:  # the teacher is optional (train extra, ../shared)
        print(f"(teacher skipped: {exc})")
    print(f"# bench/people_model.py  machine: {cpu_line()}  threads={args.threads}")
    print(f"| model | person IoU all | CCP | VOC | boundary IoU (+-{BAND} px) all | CCP | VOC |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, c in rows.items():
        cells = [c.iou(k) for k in ("all", "ccp", "voc", "all-boundary", "ccp-boundary", "voc-boundary")]
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in cells) + " |")
    print("\n| model | person pixels found, people " + " | ".join(f"{n} of the photo" for _, n in SIZES) + " |")
    print("| --- |" + " --- |" * len(SIZES))
    for name, c in rows.items():
        print(f"| {name} | " + " | ".join(f"{c.iou(f'found {n}'):.1f}" for _, n in SIZES) + " |")
    photo = cv2.resize(read_image(REPO / "src" / "pixelwise" / "assets" / "leuvenA.jpg"), (640, 480))
    road = pw.Segmenter("default", threads=args.threads, backend="onnxruntime")
    models = {args.model: seg, **({f"{args.model} + flip": flipped} if flipped else {}), "default (road)": road}
    ms = interleaved_ms({name: partial(s.predict_array, photo) for name, s in models.items()}, args.runs, warmup=5)
    print("\n| model | end-to-end ms, 640x480 photo (median, interleaved rounds) | file MB |")
    print("| --- | --- | --- |")
    for name, s in models.items():
        print(f"| {name} | {ms[name]:.2f} | {s.model_path.stat().st_size / 1e6:.2f} |")


if __name__ == "__main__":
    main()
