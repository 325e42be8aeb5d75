"""Stream throughput and latency with the default model, in one run.

On a 360x480 video (bench/data/vtest_360x480.mp4, 200 frames), the full job of
`pixelwise stream --out`: decode -> segment -> draw overlay -> encode mp4. Compares
the pipelined loop (capture, inference and draw/encode overlap; with one inference worker
using all threads, or two frame-parallel workers of one thread each) with the sequential loop
and with model-only throughput (bare session.run, no decode/draw/encode), then feeds
a simulated live camera at 30 FPS and reports capture-to-result latency and drops.
Each loop is repeated --repeat times; medians are printed.

    python bench/stream.py --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import pixelwise as pw
from pixelwise.io.video import Frame, FrameSource, VideoSink, open_source

VIDEO = Path(__file__).resolve().parent / "data" / "vtest_360x480.mp4"


class LiveReplay(FrameSource):
    """A camera at ``fps``: frames become available in real time, whether or not anyone reads them."""

    live = True

    def __init__(self, frames: list[np.ndarray], fps: float = 30.0) -> None:
        super().__init__()
        self.images, self.fps, self.name = frames, fps, "live replay"
        self.captured_at: dict[int, float] = {}

    def frames(self) -> Iterator[Frame]:
        t0 = time.perf_counter()
        for k, img in enumerate(self.images):
            due = t0 + k / self.fps
            now = time.perf_counter()
            if now < due:
                time.sleep(due - now)
            self.captured_at[k] = time.perf_counter()
            yield Frame(k, k / self.fps, img)


class Loop(FrameSource):
    """The clip again and again, as a file source (nothing dropped), for ``count`` frames."""

    def __init__(self, frames: list[np.ndarray], count: int) -> None:
        super().__init__()
        self.images, self.count, self.name, self.fps = frames, count, "loop", 10.0

    def frames(self) -> Iterator[Frame]:
        for k in range(self.count):
            yield Frame(k, k / self.fps, self.images[k % len(self.images)])


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(seg: pw.Segmenter, frames: list[np.ndarray], count: int) -> None:
    """Resident memory over ``count`` frames of the full job (segment, draw, encode)."""
    with tempfile.TemporaryDirectory() as tmp:
        sink = VideoSink(Path(tmp) / "soak.mp4", 10.0, frames[0].shape[:2])
        marks = {}
        t0 = time.perf_counter()
        for res in seg.stream(Loop(frames, count)):
            sink.write(res.plot())
            if res.frame_index in (100, count // 2, count - 1):
                marks[res.frame_index] = rss_mb()
        sink.close()
    a, m, b = (marks[k] for k in sorted(marks))
    print(f"soak: {count} frames in {time.perf_counter() - t0:.0f} s; RSS after 100 frames {a:.0f} MB, "
          f"half-way {m:.0f} MB, end {b:.0f} MB: growth {b - a:+.1f} MB")


def run_job(seg: pw.Segmenter, dual_buffer: bool, out: Path, workers: int = 1) -> float:
    stream = seg.stream(VIDEO, dual_buffer=dual_buffer, workers=workers)
    sink, n, t0 = None, 0, time.perf_counter()
    for res in stream:
        overlay = res.plot()
        if sink is None:
            sink = VideoSink(out, stream.source.fps, res.hw)
        sink.write(overlay)
        n += 1
    sink.close()
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--soak", type=int, default=0, metavar="N", help="also run N frames and report memory growth")
    args = ap.parse_args()

    seg = pw.Segmenter(threads=args.threads)
    frames = [f.image for f in open_source(VIDEO).frames()]
    blob = np.zeros((1, 3, 360, 480), np.float32)
    sess = seg.predictor.session.raw
    for _ in range(5):
        sess.run(None, {"input": blob})
    seg1 = pw.Segmenter(threads=max(args.threads // 2, 1))  # for 2 frame-parallel workers
    frame_parallel = f"pipelined, 2 workers x {max(args.threads // 2, 1)} thread"
    results: dict[str, list[float]] = {frame_parallel: [], "pipelined": [], "sequential": [], "model only": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            results[frame_parallel].append(run_job(seg1, True, Path(tmp) / "w.mp4", workers=2))
            results["pipelined"].append(run_job(seg, True, Path(tmp) / "p.mp4"))
            results["sequential"].append(run_job(seg, False, Path(tmp) / "s.mp4"))
            t0 = time.perf_counter()
            for _ in range(len(frames)):
                sess.run(None, {"input": blob})
            results["model only"].append(len(frames) / (time.perf_counter() - t0))
    fps = {k: statistics.median(v) for k, v in results.items()}

    live_rows = []
    for label, live_seg, workers in (("1 worker x 2 threads", seg, 1), ("2 workers x 1 thread", seg1, 2)):
        live = LiveReplay(frames, fps=30.0)
        latencies, got = [], 0
        for res in live_seg.stream(live, workers=workers):
            latencies.append((time.perf_counter() - live.captured_at[res.frame_index]) * 1e3)
            res.plot()
            got += 1
        q = statistics.quantiles(latencies, n=100)
        live_rows.append(f"live source at 30 FPS, {label}: {got} of {len(frames)} frames processed, "
                         f"{len(frames) - got} dropped; capture-to-result latency p50 {q[49]:.1f} ms, "
                         f"p95 {q[94]:.1f} ms")

    print(f"# bench/stream.py  video {VIDEO.name} ({len(frames)} frames, 360x480)  threads={args.threads}  "
          f"repeat={args.repeat} (medians)")
    print("| loop | FPS | vs sequential |")
    print("| --- | --- | --- |")
    for k in (frame_parallel, "pipelined", "sequential", "model only"):
        print(f"| {k} | {fps[k]:.1f} | {fps[k] / fps['sequential']:.2f}x |")
    hidden = (1 / fps["sequential"] - 1 / fps["pipelined"]) / max(1 / fps["sequential"] - 1 / fps["model only"], 1e-9)
    print(f"\nshare of the decode/draw/encode cost hidden by pipelining: {hidden * 100:.0f}%")
    with tempfile.TemporaryDirectory() as tmp:
        by_threads = {t: statistics.median(run_job(pw.Segmenter(threads=t), True, Path(tmp) / "t.mp4")
                                           for _ in range(args.repeat)) for t in (1, 2)}
    print("pipelined FPS by ONNX Runtime threads (spinning off): "
          + ", ".join(f"{t} thread(s) {v:.1f}" for t, v in by_threads.items()))
    print("\n".join(live_rows))
    if args.soak:
        soak(seg, frames, args.soak)


if __name__ == "__main__":
    main()
