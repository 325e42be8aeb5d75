"""Stream throughput with the default model: the loop as a Python user writes it beside the CLI.

On the project's 360x480 test video (bench/data/vtest_360x480.mp4), in one process:

* the user's loop, exactly as written in the README::

      for res in pw.Segmenter().stream("video.mp4"):
          frame = res.plot()

  with the defaults, with ``dual_buffer=False`` (its plain-loop twin), and with
  ``stream(..., plot=True)`` (the drawing made in the pipeline's threads);
* the CLI's pipeline (what ``pixelwise stream VIDEO --out out.mp4`` runs: decode -> segment
  -> draw -> encode mp4, with the Segmenter the CLI builds), pipelined and ``--sequential``;
* model only: bare ``session.run`` on one blob, one run at a time on all cores, and two
  single-threaded runs at once (the ceiling of the frame-parallel workers).

Loops run interleaved, --repeat times; medians and the ratios of medians are printed, then
the share of each stage (decode, infer, draw, encode) per frame, so the slowest stage shows,
and a simulated live camera at 30 FPS (latency, drops). ``--soak N`` also runs N frames
of the user's loop with ``out=`` and reports resident memory.

    python bench/stream.py --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

import pixelwise as pw
from pixelwise.io.video import Frame, FrameSource, open_source
from pixelwise.video.stream import resolve_workers, threads_per_worker

VIDEO = Path(__file__).resolve().parent / "data" / "vtest_360x480.mp4"
FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16",
         "amx_int8")
TARGETS = (("user loop, res.plot()", "user loop, res.plot(), dual_buffer=False", 1.3),
           ("user loop, plot=True", "CLI pipeline (stream --out)", 0.9))


def cpu() -> str:
    info = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    flags = [f for f in FLAGS if f in info.get("flags", "").split()]
    return f"{info.get('model name', '?')}, {threads_per_worker(1)} cores, flags {' '.join(flags) or '-'}"


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


def fps_of(loop: Callable[[], int]) -> tuple[float, float]:
    """(frames per second, CPU milliseconds per frame of the whole process: all threads)."""
    c0, t0 = time.process_time(), time.perf_counter()
    n = loop()
    return n / (time.perf_counter() - t0), (time.process_time() - c0) * 1e3 / max(n, 1)


# -- the loops, as their users write them -------------------------------------------------
def user_loop(seg: pw.Segmenter, **kwargs) -> int:
    n = 0
    for res in seg.stream(VIDEO, **kwargs):
        frame = res.plot()
        n += frame.shape[0] > 0
    return n


def cli_pipeline(seg: pw.Segmenter, out: Path, sequential: bool = False) -> tuple[int, dict[str, float]]:
    """What `pixelwise stream VIDEO --out OUT [--sequential]` runs once its Segmenter is built."""
    stream = seg.stream(VIDEO, dual_buffer=not sequential, workers=1 if sequential else 0,
                        plot={"alpha": 0.5, "legend": True}, out=out)
    n = sum(1 for _ in stream)
    return n, stream.stats.per_frame_ms()


def model_only(sessions: list, blob: np.ndarray, frames: int) -> int:
    """``frames`` bare runs shared out over one thread per session."""
    def run(sess, k: int) -> None:
        for _ in range(k):
            sess.run(None, {"input": blob})

    share = [frames // len(sessions) + (i < frames % len(sessions)) for i in range(len(sessions))]
    threads = [threading.Thread(target=run, args=(s, k)) for s, k in zip(sessions, share)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return frames


def soak(seg: pw.Segmenter, frames: list[np.ndarray], count: int) -> None:
    """Resident memory over ``count`` frames of the user's loop writing a video."""
    with tempfile.TemporaryDirectory() as tmp:
        marks = {}
        t0 = time.perf_counter()
        for res in seg.stream(Loop(frames, count), plot=True, out=Path(tmp) / "soak.mp4"):
            if res.frame_index in (100, count // 2, count - 1):
                marks[res.frame_index] = rss_mb()
    a, m, b = (marks[k] for k in sorted(marks))
    print(f"soak: {count} frames in {time.perf_counter() - t0:.0f} s; RSS after 100 frames {a:.0f} MB, "
          f"half-way {m:.0f} MB, end {b:.0f} MB: growth {b - a:+.1f} MB")


def stage_table(label: str, per: dict[str, float]) -> str:
    stages = {"decode": per.get("capture", 0.0), "infer": per.get("infer", 0.0), "draw": per.get("draw", 0.0),
              "encode": per.get("encode", 0.0)}
    total = sum(stages.values()) or 1.0
    slowest = max(stages, key=stages.get)
    cells = ", ".join(f"{k} {v:.1f} ms ({100 * v / total:.0f}%)" for k, v in stages.items())
    return f"{label}: {cells}; slowest stage: {slowest}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--soak", type=int, default=0, metavar="N", help="also run N frames and report memory growth")
    args = ap.parse_args()

    workers = resolve_workers(0)
    user = pw.Segmenter()  # as the README writes it: threads=0 (all cores)
    cli = pw.Segmenter(threads=threads_per_worker(workers)) if workers > 1 else user  # what the CLI builds
    frames = [f.image for f in open_source(VIDEO).frames()]
    for seg in (user, cli):
        user_loop(seg, max_frames=10)  # warm-up (also makes the stream's own sessions)
    rows, per = measure(user, cli, frames, workers, args.repeat)
    report(rows, per, frames, workers, args.repeat)
    live(user, frames)
    if args.soak:
        soak(user, frames, args.soak)


def measure(user: pw.Segmenter, cli: pw.Segmenter, frames: list[np.ndarray], workers: int, repeat: int
            ) -> tuple[dict[str, list[tuple[float, float]]], dict[str, dict[str, float]]]:
    """Every loop ``repeat`` times, interleaved: (FPS, CPU ms per frame) per loop, and the CLI's stage times."""
    blob = np.zeros((1, 3, *frames[0].shape[:2]), np.float32)
    bare_all, bare_one = user.predictor.session.raw, pw.Segmenter(threads=1).predictor.session.raw
    rows: dict[str, list[tuple[float, float]]] = {}
    per: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        loops: dict[str, Callable[[], int]] = {
            "user loop, res.plot()": lambda: user_loop(user),
            "user loop, res.plot(), dual_buffer=False": lambda: user_loop(user, dual_buffer=False),
            "user loop, plot=True": lambda: user_loop(user, plot=True),
            "CLI pipeline (stream --out)": lambda: _cli(cli, Path(tmp) / "p.mp4", False, per),
            "CLI pipeline --sequential": lambda: _cli(user, Path(tmp) / "s.mp4", True, per),
            "model only, 1 run x all cores": lambda: model_only([bare_all], blob, len(frames)),
            f"model only, {workers} runs x 1 thread": lambda: model_only([bare_one] * workers, blob, len(frames)),
        }
        for _ in range(repeat):
            for name, loop in loops.items():
                rows.setdefault(name, []).append(fps_of(loop))
    return rows, per


def report(rows: dict[str, list[tuple[float, float]]], per: dict[str, dict[str, float]], frames: list[np.ndarray],
           workers: int, repeat: int) -> None:
    fps = {k: statistics.median(f for f, _ in v) for k, v in rows.items()}
    cpu_ms = {k: statistics.median(c for _, c in v) for k, v in rows.items()}
    base = fps["CLI pipeline --sequential"]
    hw = frames[0].shape[:2]
    print(f"# bench/stream.py  video {VIDEO.name} ({len(frames)} frames, {hw[0]}x{hw[1]})  repeat={repeat} "
          f"(medians)\nCPU: {cpu()}; stream workers {workers}")
    print("| loop | FPS | vs CLI --sequential | CPU ms per frame (all threads) |")
    print("| --- | --- | --- | --- |")
    for k, v in fps.items():
        print(f"| {k} | {v:.1f} | {v / base:.2f}x | {cpu_ms[k]:.1f} |")
    print()
    for a, b, target in TARGETS:
        ratio = fps[a] / fps[b]
        print(f"{a} / {b}: {ratio:.2f}x (target >= {target}x: {'met' if ratio >= target else 'NOT met'})")
    print(stage_table("stages per frame, --sequential (one at a time)", per["sequential"]))
    print(stage_table("stages per frame, pipelined (in parallel; includes waiting for a core)", per["pipelined"]))


def _cli(seg: pw.Segmenter, out: Path, sequential: bool, per: dict[str, dict[str, float]]) -> int:
    n, per["sequential" if sequential else "pipelined"] = cli_pipeline(seg, out, sequential)
    return n


def live(seg: pw.Segmenter, frames: list[np.ndarray]) -> None:
    """The user's loop on a camera at 30 FPS: capture-to-result latency and drops."""
    for plot in (False, True):
        src = LiveReplay(frames, fps=30.0)
        latencies = []
        for res in seg.stream(src, plot=plot):
            latencies.append((time.perf_counter() - src.captured_at[res.frame_index]) * 1e3)
            res.plot()
        q = statistics.quantiles(latencies, n=100)
        print(f"live source at 30 FPS, user loop{', plot=True' if plot else ''}: {len(latencies)} of {len(frames)} "
              f"frames processed, {len(frames) - len(latencies)} dropped; capture-to-result latency "
              f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms")


if __name__ == "__main__":
    main()
