"""Batch throughput on 1,000 images (CamVid frames, repeated): sequential vs local engine vs Ray.

All three do the same job per image: decode the PNG, segment with the default model,
write the class-id mask PNG (the batch engines also keep the index). Prints images/s
and the per-image costs used in docs/scaling.md.

    python bench/batch.py --images 1000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pixelwise as pw
from pixelwise.batch import BatchConfig, run_batch
from pixelwise.io.sinks import write_mask

CAMVID = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "camvid"


def make_inputs(folder: Path, n: int) -> Path:
    sources = sorted((CAMVID / "train").glob("*.png")) + sorted((CAMVID / "val").glob("*.png"))
    folder.mkdir(parents=True)
    for k in range(n):
        os.symlink(sources[k % len(sources)], folder / f"img{k:05d}.png")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = make_inputs(tmp / "in", args.images)
        paths = sorted(inputs.iterdir())

        seg = pw.Segmenter(threads=cores)
        t0 = time.perf_counter()
        read = infer = write = 0.0
        for p in paths:
            a = time.perf_counter()
            image = seg.load(p)[0]
            b = time.perf_counter()
            res = seg.predict_array(image, str(p))
            c = time.perf_counter()
            write_mask(tmp / "seq" / f"{p.stem}.png", res)
            write += time.perf_counter() - c
            read += b - a
            infer += c - b
        seq_s = time.perf_counter() - t0
        rows.append(("sequential Segmenter loop", cores, args.images / seq_s))

        s = run_batch(inputs, BatchConfig(out=tmp / "local", progress=False))
        rows.append((f"local engine ({cores} processes x 1 thread)", cores, s.images_per_second))
        if not args.skip_ray:
            r = run_batch(inputs, BatchConfig(out=tmp / "ray", engine="ray", progress=False))
            rows.append((f"Ray Data local ({cores} actors x 1 thread)", cores, r.images_per_second))
    print(f"# bench/batch.py  {args.images} CamVid 360x480 PNGs -> class-id mask PNGs, default model, {cores} cores")
    print("| engine | images/s | vs sequential |")
    print("| --- | --- | --- |")
    for name, _, ips in rows:
        print(f"| {name} | {ips:.1f} | {ips / rows[0][2]:.2f}x |")
    n = args.images
    print(f"\nper-image costs in the sequential loop: decode {read / n * 1e3:.1f} ms, segment {infer / n * 1e3:.1f} ms "
          f"({cores} threads), write mask {write / n * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
