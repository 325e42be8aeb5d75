"""Background effects on video: frames per second of `pixelwise stream --blur-background` and
`--replace-background` against the plain overlay, and the effect's own cost per frame.

The same pipeline as ``pixelwise stream VIDEO --model M --out out.mp4 [effect]`` (decode ->
segment -> matte in the worker threads -> smoothing + compositing in frame order -> encode),
run in one process on the project's 360x480 test video, each variant ``--repeat`` times
interleaved (medians). Then the effect alone on one frame: the matte (probabilities -> guided
filter, ``prepare``) and the compositing (``__call__``), median milliseconds.

    python bench/stream_effects.py --model people --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pixelwise as pw
from pixelwise.video.stream import resolve_workers, threads_per_worker
from pixelwise.vis.background import BackgroundEffect

VIDEO = Path(__file__).resolve().parent / "data" / "vtest_360x480.mp4"
VARIANTS = {
    "overlay": lambda: {"alpha": 0.5, "legend": True},
    "blur 15": lambda: BackgroundEffect(blur=15.0, smooth=0.5),
    "replace colour": lambda: BackgroundEffect(background=(0, 177, 64), smooth=0.5),
}


def run_once(seg: pw.Segmenter, video: Path, plot, frames: int, workers: int) -> float:  # plot: dict or effect
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        n = sum(1 for _ in seg.stream(str(video), plot=plot, out=Path(tmp) / "out.mp4", max_frames=frames,
                                      workers=workers))
        return n / (time.perf_counter() - t)


def effect_ms(seg: pw.Segmenter, video: Path, runs: int) -> dict[str, float]:
    res = next(iter(seg.stream(str(video), max_frames=1, confidence=seg.spec.gives_confidence)))
    effect = BackgroundEffect(blur=15.0, smooth=0.5)
    times: dict[str, list[float]] = {"matte (prepare)": [], "smooth + composite": []}
    for _ in range(runs):
        t0 = time.perf_counter()
        prepared = effect.prepare(res)
        t1 = time.perf_counter()
        effect(res, prepared)
        t2 = time.perf_counter()
        times["matte (prepare)"].append((t1 - t0) * 1e3)
        times["smooth + composite"].append((t2 - t1) * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="people", help="a model with a person class (default: people)")
    ap.add_argument("--video", type=Path, default=VIDEO)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    workers = resolve_workers(0)
    seg = pw.Segmenter(args.model, threads=threads_per_worker(workers))
    fps: dict[str, list[float]] = {k: [] for k in VARIANTS}
    for _ in range(args.repeat):
        for name, make in VARIANTS.items():
            fps[name].append(run_once(seg, args.video, make(), args.frames, workers))
    print(f"# bench/stream_effects.py  model={args.model}  video {args.video.name}  frames={args.frames}  "
          f"workers={workers} x {threads_per_worker(workers)} threads  repeat={args.repeat} (medians)")
    print("| variant | FPS |")
    print("| --- | --- |")
    for name, values in fps.items():
        print(f"| {name} | {statistics.median(values):.1f} |")
    for name, ms in effect_ms(seg, args.video, 20).items():
        print(f"effect alone, one frame: {name} {ms:.1f} ms")


if __name__ == "__main__":
    main()
