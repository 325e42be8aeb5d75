"""Per-image overhead of pixelwise: end-to-end ``Segmenter(image)`` vs the bare ``session.run``.

Both are measured in one run, interleaved, on the same 360x480 image and the same ONNX
Runtime session; the LR-ASPP MobileNetV3 reference (../shared/models/reference) is timed
in the same run as the yardstick. Prints a table of medians over --runs calls, repeated
--repeat times (the table shows the median of the repeats).

    python bench/predict.py --threads 2 --runs 50 --repeat 5
"""

from __future__ import annotations

import argparse
import platform
import statistics
from pathlib import Path

import numpy as np
from timing import median_ms  # bench/timing.py

import pixelwise as pw
from pixelwise.engine.session import OnnxSession, SessionConfig

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "models" / "reference" / "lraspp_mobilenet_v3_large_360x480.onnx"
SAMPLE = REPO.parent / "shared" / "datasets" / "camvid" / "val" / "0016E5_07959.png"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="default")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    seg = pw.Segmenter(args.model, threads=args.threads)
    image = seg.load(SAMPLE)[0] if SAMPLE.is_file() else np.random.default_rng(0).integers(
        0, 255, (360, 480, 3), dtype=np.uint8)
    image = image[:360, :480]
    sess = seg.predictor.session.raw
    blob = np.random.default_rng(0).standard_normal((1, 3, 360, 480)).astype(np.float32)
    in_name = seg.predictor.input_name
    ref = OnnxSession(REFERENCE, SessionConfig(threads=args.threads)).raw if REFERENCE.is_file() else None

    cases = {"bare session.run": lambda: sess.run(None, {in_name: blob}),
             "Segmenter(image) end to end": lambda: seg.predict_array(image)}
    if ref is not None:
        cases["LR-ASPP MobileNetV3-L bare (reference)"] = lambda: ref.run(None, {"input": blob})
    for fn in cases.values():
        for _ in range(args.warmup):
            fn()
    results: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeat):
        for name, fn in cases.items():
            results[name].append(median_ms(fn, args.runs))
    med = {k: statistics.median(v) for k, v in results.items()}
    stages = seg.predict_array(image).timings_ms

    print(f"# bench/predict.py  model={args.model}  input 360x480  threads={args.threads}  "
          f"runs={args.runs} x repeat={args.repeat}  ({platform.machine()}, {platform.python_version()})")
    print(f"| {'what':<40} | {'median ms':>9} | {'min..max of repeats':>19} |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 21}|")
    for name, values in results.items():
        print(f"| {name:<40} | {med[name]:>9.2f} | {min(values):>8.2f}..{max(values):<8.2f} |")
    bare, e2e = med["bare session.run"], med["Segmenter(image) end to end"]
    print(f"\nend-to-end / bare = {e2e / bare:.3f}  (overhead {e2e - bare:+.2f} ms per image)")
    print("stages of one call (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    if ref is not None:
        print(f"end-to-end / LR-ASPP bare = {e2e / med['LR-ASPP MobileNetV3-L bare (reference)']:.3f}  "
              f"({1000 / e2e:.0f} FPS end to end)")


if __name__ == "__main__":
    main()
