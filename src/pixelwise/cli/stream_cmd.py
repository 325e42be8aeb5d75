"""`pixelwise stream SOURCE`: segment a video, camera, stream URL or image sequence live.

The same pipeline as ``Segmenter.stream``: decoding, inference (two frame-parallel workers on
2+ cores) and drawing overlap in threads, and the output video and mask PNGs are written
in frame order by the pipeline (``--sequential`` runs one plain loop instead).

Stopping: the first Ctrl-C or SIGTERM stops after the frame being written (so the count
printed is the number of frames in the output), finalises the output video and exits 0.
A second signal before the output is final does not interrupt that: the video is still
finalised, every thread is joined (at most 5 s for a stalled source, then the process leaves
without them), and the exit code is 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
Signals after the output is final are ignored while the process exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from ..errors import InputError
from ..video.stream import STREAM_DEFAULTS, resolve_workers, threads_per_worker
from .effects import add_stream_effect_options, stream_effect
from .panoptic import add_things_options
from .predict_cmd import add_model_options, segmenter_from_args

STAGES = ("capture", "infer", "matte", "draw", "track", "encode", "masks", "json")
EPILOG = ("Stopping: the first Ctrl-C/SIGTERM stops after the frame being written, finalises the video and "
          "exits 0; a second one still finalises the video and exits 128 + the signal (130 SIGINT, 143 SIGTERM).")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stream", help="segment a video file, camera (0), stream URL or image sequence", epilog=EPILOG)
    p.add_argument("source", help="video file, camera index (0), rtsp:// or http:// URL, folder or glob")
    add_model_options(p)
    add_things_options(p)
    p.add_argument("--show", action="store_true", help="show a window with the overlay and FPS (q or Esc quits)")
    p.add_argument("--out", type=Path, default=None, help="write the overlay video here (.mp4, mp4v codec)")
    p.add_argument("--save-masks", type=Path, default=None, metavar="DIR", help="one class-id PNG per frame")
    p.add_argument("--serve", default=None, metavar="HOST:PORT", help="live MJPEG view in a browser")
    p.add_argument("--every", type=int, default=1, help="process one frame in N")
    p.add_argument("--max-frames", type=int, default=None, help="stop after N processed frames")
    p.add_argument("--alpha", type=float, default=0.5, help="overlay opacity")
    p.add_argument("--sequential", action="store_true", help="no pipelining (one loop; for comparison)")
    p.add_argument("--workers", type=int, default=STREAM_DEFAULTS.workers, metavar="N",
                   help="frames in the model at once, each on cores/N threads (0 = 2 on 2+ cores, 1 with --smooth)")
    p.add_argument("--track", action="store_true", help="stable object ids across frames (shown as #id)")
    p.add_argument("--tracker", choices=["auto", "bytetrack", "iou"], default="auto",
                   help="--track with ByteTrack (pixelwise[track]) or the IoU matcher; auto: ByteTrack if installed")
    p.add_argument("--save-json", type=Path, default=None, metavar="FILE.jsonl",
                   help="one JSON line per frame (index, timestamp, classes, areas, objects with track ids)")
    p.add_argument("--smooth", type=float, default=0.0, metavar="A",
                   help="temporal smoothing of class probabilities, weight of the past in [0, 1) (e.g. 0.6)")
    add_stream_effect_options(p)
    p.add_argument("--stats-every", type=float, default=2.0, metavar="S", help="print a stats line every S seconds")
    p.set_defaults(run=run)


class _StopRequest:
    """Handler of SIGTERM/SIGINT. It never raises (an exception thrown into a random point of
    the shutdown could skip the video's finalisation or leave threads inside native code): the
    first signal ends the stream (no more results, frames in flight dropped, the frame being
    written is finished), a second one only records itself and so the exit code."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.signals: list[int] = []

    def __call__(self, signum: int, frame: object) -> None:
        self.signals.append(signum)
        self.stream.stop()

    @property
    def requested(self) -> bool:
        return bool(self.signals)

    def exit_code(self) -> int:
        return 128 + self.signals[1] if len(self.signals) > 1 else 0


def _stats_line(n: int, t0: float, stream, skipped: int) -> str:
    fps = n / max(time.perf_counter() - t0, 1e-9)
    per = stream.stats.per_frame_ms()
    parts = [f"frames {n}", f"fps {fps:.1f}"]
    parts += [f"{k} {per[k]:.1f} ms" for k in STAGES if k in per]
    parts += [f"dropped {stream.stats.dropped}", f"skipped {skipped}"]
    return "  ".join(parts)


def _check(args: argparse.Namespace) -> int:
    """Refuse bad option values before loading anything; the number of workers."""
    if not 0.0 <= args.smooth < 1.0:
        raise InputError(f"--smooth must be in [0, 1), got {args.smooth}")
    if not 0.0 <= args.alpha <= 1.0:
        raise InputError(f"--alpha must be in [0, 1], got {args.alpha}")
    if args.save_json is not None:
        from ..video.jsonl import check_jsonl_path

        check_jsonl_path(args.save_json)
    if args.workers < 0:
        raise InputError(f"--workers must be >= 0, got {args.workers}")
    return resolve_workers(args.workers, dual_buffer=not args.sequential, in_order=bool(args.smooth))


def _show(overlay, n: int, t0: float) -> bool:
    """One frame in the window; False when the user quits (q or Esc)."""
    import cv2

    fps = n / max(time.perf_counter() - t0, 1e-9)
    shown = overlay[..., ::-1].copy()
    cv2.putText(shown, f"{fps:.1f} FPS", (10, shown.shape[0] - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                (255, 255, 255), 2, cv2.LINE_AA)
    cv2.imshow("pixelwise", shown)
    return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)


def run(args: argparse.Namespace) -> int:
    from ..io.display import NO_GUI_HINT, gui_available
    from ..io.mjpeg import MjpegServer, parse_host_port

    if args.show and not gui_available():
        raise InputError(f"--show: {NO_GUI_HINT}")
    server_addr = parse_host_port(args.serve) if args.serve else None
    workers = _check(args)
    effect = stream_effect(args)  # --blur-background / --replace-background, checked before loading
    if workers > 1 and args.threads == 0:
        args.threads = threads_per_worker(workers)
    seg = segmenter_from_args(args)
    drawn = bool(args.out or args.show or server_addr)
    if effect is not None:
        effect.check(seg.names)  # a model without a person class: one line, exit 2
    stream = seg.stream(args.source, every=args.every, max_frames=args.max_frames, dual_buffer=not args.sequential,
                        smooth=args.smooth, track=args.tracker if args.track else False, workers=workers,
                        plot=effect or ({"alpha": args.alpha, "legend": True} if drawn else False), out=args.out,
                        save_masks=args.save_masks, save_json=args.save_json)
    server = MjpegServer(*server_addr) if server_addr else None
    if server:
        print(f"live view at {server.url}", file=sys.stderr)
    stop = _StopRequest(stream)
    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    t0 = time.perf_counter()
    try:
        quit_ = _loop(args, stream, server, stop, t0)
    finally:
        if server:
            server.close()
    return _report(args, stream, stop, old, quit_, t0)


def _loop(args: argparse.Namespace, stream, server, stop: _StopRequest, t0: float) -> bool:
    """Show/serve each result and print stats; True if the user quit the window."""
    last = t0
    results = iter(stream)
    try:
        for n, res in enumerate(results, 1):
            if server:
                server.publish(res.plotted)
            if args.show and not stop.requested and not _show(res.plotted, n, t0):
                return True
            if time.perf_counter() - last >= args.stats_every:
                last = time.perf_counter()
                print(_stats_line(stream.stats.finished, t0, stream, stream.source.stats.skipped), file=sys.stderr,
                      flush=True)
        return False
    finally:
        if stop.requested:
            print("pixelwise: stopping after the frame being written (a second Ctrl-C or SIGTERM: exit 130/143, "
                  "the video is still finalised)", file=sys.stderr, flush=True)
        results.close()  # stops and joins the pipeline; the order thread finalises the video


def _report(args: argparse.Namespace, stream, stop: _StopRequest, old: dict, quit_: bool,
            t0: float) -> int:
    if stop.requested:
        # the process is ending: later signals change nothing (Python's shutdown puts back the
        # default handlers, and a signal arriving then killed the process)
        for sig in old:
            signal.signal(sig, signal.SIG_IGN)
    else:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    src = stream.source.stats
    n = stream.stats.finished
    print(_stats_line(n, t0, stream, src.skipped), file=sys.stderr)
    reason = ("interrupted twice; output finalised" if len(stop.signals) > 1 else
              "interrupted; output finalised" if stop.requested else "quit by the user" if quit_ else
              src.ended or "done")
    print(f"{n} frame(s) segmented from {args.source} ({reason})" + (f"; video: {args.out}" if args.out else ""),
          flush=True)
    stuck = stream.alive()
    if stuck:  # a source or worker that never returned: leave now, not through interpreter shutdown
        print(f"pixelwise: threads still running after the stop ({', '.join(stuck)}); exiting", file=sys.stderr,
              flush=True)
        os._exit(stop.exit_code() if stop.requested else 1)
    return stop.exit_code()
