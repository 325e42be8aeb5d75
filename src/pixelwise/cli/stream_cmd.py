"""`pixelwise stream SOURCE`: segment a video, camera, stream URL or image sequence live.

Capture, inference and drawing/writing overlap (``--sequential`` turns that off). Ctrl-C
or SIGTERM stops after the frame being written (so the count printed is the number of frames
in the video), finalises the output video and exits 0; a second Ctrl-C stops at once.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from ..errors import InputError
from .predict_cmd import add_model_options, segmenter_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stream", help="segment a video file, camera (0), stream URL or image sequence")
    p.add_argument("source", help="video file, camera index (0), rtsp:// or http:// URL, folder or glob")
    add_model_options(p)
    p.add_argument("--show", action="store_true", help="show a window with the overlay and FPS (q or Esc quits)")
    p.add_argument("--out", type=Path, default=None, help="write the overlay video here (.mp4, mp4v codec)")
    p.add_argument("--save-masks", type=Path, default=None, metavar="DIR", help="one class-id PNG per frame")
    p.add_argument("--serve", default=None, metavar="HOST:PORT", help="live MJPEG view in a browser")
    p.add_argument("--every", type=int, default=1, help="process one frame in N")
    p.add_argument("--max-frames", type=int, default=None, help="stop after N processed frames")
    p.add_argument("--alpha", type=float, default=0.5, help="overlay opacity")
    p.add_argument("--sequential", action="store_true", help="no pipelining (one loop; for comparison)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="frames in the model at once, each on cores/N threads (0 = 2 on 2+ cores, 1 with --smooth)")
    p.add_argument("--track", action="store_true", help="stable object ids across frames (shown as #id)")
    p.add_argument("--smooth", type=float, default=0.0, metavar="A",
                   help="temporal smoothing of class probabilities, weight of the past in [0, 1) (e.g. 0.6)")
    p.add_argument("--stats-every", type=float, default=2.0, metavar="S", help="print a stats line every S seconds")
    p.set_defaults(run=run)


class _Stop(Exception):
    pass


class _StopRequest:
    """Signal handler for SIGTERM/SIGINT: the first signal ends the stream (no more results,
    frames in flight dropped) and the loop stops after the frame it is writing, so every frame
    counted is a frame written; a second signal stops at once."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self.stream = stream
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:  # noqa: ARG002
        if self.requested:
            raise _Stop()
        self.requested = True
        self.stream.stop()


def _workers(args: argparse.Namespace) -> int:
    """Frame-parallel inference: on 2 cores, two single-threaded runs at once gave 1.28-1.44x the
    frames per second of the sequential loop, one two-threaded run 1.08-1.18x (bench/stream.py)."""
    if args.workers < 0:
        raise InputError(f"--workers must be >= 0, got {args.workers}")
    if args.workers:
        return args.workers
    return 1 if (args.smooth or args.sequential or (os.cpu_count() or 1) < 2) else 2


def _stats_line(n: int, t0: float, stats, stage_ms: dict[str, float], dropped: int, skipped: int) -> str:  # noqa: ANN001
    fps = n / max(time.perf_counter() - t0, 1e-9)
    per = stats.per_frame_ms()
    parts = [f"frames {n}", f"fps {fps:.1f}", f"capture {per['capture']:.1f} ms",
             f"inference {per['inference']:.1f} ms"]
    parts += [f"{k} {v / max(n, 1):.1f} ms" for k, v in stage_ms.items()]
    parts += [f"dropped {dropped}", f"skipped {skipped}"]
    return "  ".join(parts)


def run(args: argparse.Namespace) -> int:  # noqa: C901 - one loop with its optional sinks
    from ..io.display import NO_GUI_HINT, gui_available
    from ..io.mjpeg import MjpegServer, parse_host_port
    from ..io.sinks import write_mask
    from ..io.video import VideoSink

    if args.show and not gui_available():
        raise InputError(f"--show: {NO_GUI_HINT}")
    server_addr = parse_host_port(args.serve) if args.serve else None
    if not 0.0 <= args.smooth < 1.0:
        raise InputError(f"--smooth must be in [0, 1), got {args.smooth}")
    workers = _workers(args)
    if workers > 1 and args.threads == 0:
        args.threads = max(1, (os.cpu_count() or 1) // workers)
    seg = segmenter_from_args(args)
    stream = seg.stream(args.source, every=args.every, max_frames=args.max_frames, dual_buffer=not args.sequential,
                        smooth=args.smooth, track=args.track, workers=workers)
    server = MjpegServer(*server_addr) if server_addr else None
    if server:
        print(f"live view at {server.url}", file=sys.stderr)
    sink: VideoSink | None = None
    stage_ms = {"drawing": 0.0, "writing": 0.0}
    n, t0, last = 0, time.perf_counter(), time.perf_counter()
    stop = _StopRequest(stream)
    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    stopped = ""
    try:
        for res in stream:
            t = time.perf_counter()
            overlay = res.plot(alpha=args.alpha, legend=True) if (args.out or args.show or server) else None
            t1 = time.perf_counter()
            if args.out is not None:
                if sink is None:
                    sink = VideoSink(args.out, stream.source.fps, res.hw)
                sink.write(overlay)
            if args.save_masks is not None:
                write_mask(args.save_masks / f"{res.frame_index:06d}.png", res)
            if server:
                server.publish(overlay)
            t2 = time.perf_counter()
            stage_ms["drawing"] += (t1 - t) * 1e3
            stage_ms["writing"] += (t2 - t1) * 1e3
            n += 1
            if stop.requested:
                stopped = "interrupted; output finalised"
                break
            if args.show:
                import cv2

                fps = n / max(time.perf_counter() - t0, 1e-9)
                shown = overlay[..., ::-1].copy()
                cv2.putText(shown, f"{fps:.1f} FPS", (10, shown.shape[0] - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                            (255, 255, 255), 2, cv2.LINE_AA)
                cv2.imshow("pixelwise", shown)
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    stopped = "quit by the user"
                    break
            if time.perf_counter() - last >= args.stats_every:
                last = time.perf_counter()
                print(_stats_line(n, t0, stream.stats, stage_ms, stream.stats.dropped,
                                  stream.source.stats.skipped), file=sys.stderr, flush=True)
    except (KeyboardInterrupt, _Stop):
        stopped = "interrupted; output finalised"
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if sink is not None:
            sink.close()
        if server:
            server.close()
    src = stream.source.stats
    print(_stats_line(n, t0, stream.stats, stage_ms, stream.stats.dropped, src.skipped), file=sys.stderr)
    reason = stopped or ("interrupted; output finalised" if stop.requested else "") or src.ended or "done"
    print(f"{n} frame(s) segmented from {args.source} ({reason})" + (f"; video: {args.out}" if sink else ""))
    return 0
