"""Load test of `pixelwise serve` on loopback: N concurrent clients for a fixed time.

Starts the server as a subprocess (like a user), measures the in-process Segmenter
throughput on the same image first, then runs the clients. Prints throughput, latency
percentiles, status counts and the server's resident memory at start and end. A second
phase sends more concurrent requests than workers + queue to show 503s under overload.

    python bench/serve_load.py --clients 4 --seconds 30
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from serverproc import running_server  # bench/serverproc.py

import pixelwise as pw

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "datasets" / "camvid" / "val" / "0016E5_07959.png"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(url: str, data: bytes, clients: int, seconds: float, query: str) -> tuple[list[float], Counter]:
    latencies, codes, lock = [], Counter(), threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(timeout=60) as c:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = c.post(f"{url}/v1/segment?{query}", content=data, headers={"Content-Type": "image/png"})
                with lock:
                    codes[r.status_code] += 1
                    if r.status_code == 200:
                        latencies.append((time.perf_counter() - t) * 1e3)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, codes


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads per request")
    args = ap.parse_args()
    data = SAMPLE.read_bytes() if SAMPLE.is_file() else (REPO / "src/pixelwise/assets/leuvenA.jpg").read_bytes()

    seg = pw.Segmenter(threads=2)
    image = seg.load(SAMPLE)[0]
    for _ in range(5):
        seg(image)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 10:
        seg.load(SAMPLE)
        seg(image)
        n += 1
    inproc = n / (time.perf_counter() - t0)
    del seg

    with running_server("--workers", str(args.workers), "--threads", str(args.threads)) as (url, proc):
        load(url, data, 1, 2, "")  # warm-up
        mem0 = rss_mb(proc.pid)
        lat, codes = load(url, data, args.clients, args.seconds, "")
        mem1 = rss_mb(proc.pid)
        over_lat, over_codes = load(url, data, 4 * (args.workers + 8), 5, "")
        mem2 = rss_mb(proc.pid)
    ok = codes.get(200, 0)
    print(f"# bench/serve_load.py  clients={args.clients}  seconds={args.seconds}  workers={args.workers}  "
          f"ORT threads/request={args.threads}  image 360x480 PNG, JSON output (RLE)")
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| in-process Segmenter throughput (decode + segment, 2 threads) | {inproc:.1f} img/s |")
    rate = ok / args.seconds
    print(f"| server throughput | {rate:.1f} req/s ({rate / inproc * 100:.0f}% of in-process) |")
    print(f"| latency p50 / p95 / p99 | {pct(lat, 50):.1f} / {pct(lat, 95):.1f} / {pct(lat, 99):.1f} ms |")
    print(f"| status codes | {dict(codes)} |")
    print(f"| server RSS start -> end of load -> after overload | {mem0:.0f} -> {mem1:.0f} -> {mem2:.0f} MB |")
    print(f"| overload ({4 * (args.workers + 8)} clients, 5 s) status codes | {dict(over_codes)} |")


if __name__ == "__main__":
    main()
