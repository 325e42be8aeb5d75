"""What ``--backend auto``'s first-use self-check costs, and what the cached path costs afterwards.

    python bench/auto_check.py [--model default] [--runs 5] [--threads 2]

Each run uses a fresh temporary ``PIXELWISE_CACHE`` and three new processes: ``Segmenter(model)``
with an empty cache (the first use: the self-check runs), again with the cache it wrote (the
cached path), and ``Segmenter(model, backend="onnxruntime")`` (no auto at all, the file's own precision).
Prints the CPU, the medians over the runs of each construction, the first-use and cached
overheads over the plain ONNX Runtime load, and the self-check's phases as it records them
(``Choice.check_ms``). The cached path is also timed inside one process (a second load, imports
warm), where a few ms are visible. Run it with nothing else on the CPU for final figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import cpu_line

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import pixelwise as pw
t1 = time.perf_counter()
model, threads, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = {"backend": "onnxruntime"} if mode == "reference" else {}  # at the file's own precision
s = pw.Segmenter(model, threads=threads, **kw)
t2 = time.perf_counter()
out = {"import_ms": (t1 - t0) * 1e3, "init_ms": (t2 - t1) * 1e3, "label": s.backend_choice.label,
       "measured": s.backend_choice.measured, "check_ms": getattr(s.backend_choice, "check_ms", {}),
       "rounds": getattr(s.backend_choice, "rounds", {}), "openvino_imported": "openvino" in sys.modules}
if mode == "cached":  # the same load again in this process (imports warm), with and without auto
    t = time.perf_counter(); pw.Segmenter(model, threads=threads); t3 = time.perf_counter()
    pw.Segmenter(model, threads=threads, backend="onnxruntime"); t4 = time.perf_counter()
    out.update(second_auto_ms=(t3 - t) * 1e3, second_reference_ms=(t4 - t3) * 1e3)
print(json.dumps(out))
"""


def child(mode: str, model: str, threads: int, cache: Path) -> dict:
    env = {**os.environ, "PIXELWISE_CACHE": str(cache)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, model, str(threads), mode], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"bench/auto_check.py: the {mode} Segmenter({model!r}) run failed: {last}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def one_run(model: str, threads: int) -> dict[str, dict]:
    with tempfile.TemporaryDirectory(prefix="pixelwise-auto-") as tmp:
        cold = child("cold", model, threads, Path(tmp))
        cached = child("cached", model, threads, Path(tmp))
        reference = child("reference", model, threads, Path(tmp))
    return {"cold": cold, "cached": cached, "reference": reference}


def med(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}" if values else "       -"


def report(runs: list[dict[str, dict]]) -> None:
    col = {m: [r[m]["init_ms"] for r in runs] for m in ("cold", "cached", "reference")}
    print(f"\n{'median over ' + str(len(runs)) + ' runs':46s}      ms")
    print(f"{'import pixelwise':46s}{med([r['cold']['import_ms'] for r in runs])}")
    for mode, text in (("cold", "Segmenter(), empty cache (first use)"), ("cached", "Segmenter(), cached choice"),
                       ("reference", "Segmenter(backend=onnxruntime)")):
        print(f"{text:46s}{med(col[mode])}")
    print(f"{'first-use overhead (cold - reference)':46s}{med([a - b for a, b in zip(col['cold'], col['reference'])])}")
    print(f"{'cached overhead, new process':46s}{med([a - b for a, b in zip(col['cached'], col['reference'])])}")
    second = [r["cached"]["second_auto_ms"] - r["cached"]["second_reference_ms"] for r in runs]
    print(f"{'cached overhead, second load in one process':46s}{med(second)}")
    phases = sorted({p for r in runs for p in r["cold"]["check_ms"]}, key=lambda p: (p == "total", p))
    if phases:
        print("\nself-check phases (Choice.check_ms)")
        for p in phases:
            print(f"  {p:44s}{med([r['cold']['check_ms'][p] for r in runs if p in r['cold']['check_ms']])}")
    last = runs[-1]
    print(f"\nchoice: {last['cold']['label']} (measured: {last['cold']['measured']}; paired rounds "
          f"{last['cold']['rounds'] or '-'}); openvino imported on the cached path: "
          f"{last['cached']['openvino_imported']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    print(cpu_line())
    print(f"model {args.model}, {args.threads} threads, {args.runs} cold runs (fresh PIXELWISE_CACHE each)")
    runs = [one_run(args.model, args.threads) for _ in range(args.runs)]
    report(runs)


if __name__ == "__main__":
    main()
