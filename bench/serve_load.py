"""Load test of `pixelwise serve` on loopback: N concurrent clients for a fixed time.

Starts the server as a subprocess (like a user), measures the in-process Segmenter
throughput on the same image first, then runs the clients. Prints throughput, latency
percentiles, status counts and the server's resident memory at start and end. A second
phase sends more concurrent requests than workers + queue to show 503s under overload.

Two bounds phases follow: the server's RSS (current and peak) after one request at the
imgsz pixel budget and after one far beyond it (refused), and how fast half-open
connections are closed: ``--half-open`` connections that send part of a request head,
as many that send nothing, and one upload trickled a byte at a time.

    python bench/serve_load.py --clients 4 --seconds 30
    python bench/serve_load.py --bounds-only --head-timeout 3
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from serverproc import running_server  # bench/serverproc.py
from timing import cpu_line  # bench/timing.py

import pixelwise as pw

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "datasets" / "camvid" / "val" / "0016E5_07959.png"


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of ``pid`` in MB (``VmHWM``: the peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(url: str, data: bytes, clients: int, seconds: float, query: str) -> tuple[list[float], Counter]:
    latencies, codes, lock = [], Counter(), threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(timeout=60) as c:
            while True:  # at least one request each, however late the client starts
                t = time.perf_counter()
                r = c.post(f"{url}/v1/segment?{query}", content=data, headers={"Content-Type": "image/png"})
                with lock:
                    codes[r.status_code] += 1
                    if r.status_code == 200:
                        latencies.append((time.perf_counter() - t) * 1e3)
                if time.perf_counter() >= stop:
                    break

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, codes


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else float("nan")


def large_requests(url: str, pid: int, data: bytes, budget_side: int) -> list[tuple[str, int, float, float]]:
    """(imgsz, status, RSS MB, peak RSS MB) after one request at the budget and one far beyond it."""
    rows = [("(none: 1 normal request)", 200, rss_mb(pid), rss_mb(pid, "VmHWM"))]
    for side in (budget_side, 4096, 100000):
        r = httpx.post(f"{url}/v1/segment?imgsz={side}x{side}", content=data, headers={"Content-Type": "image/png"},
                       timeout=300)
        rows.append((f"{side}x{side}", r.status_code, rss_mb(pid), rss_mb(pid, "VmHWM")))
    return rows


def _time_to_close(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closes ``sock`` (inf if still open after ``limit``)."""
    t0 = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
    except (TimeoutError, ConnectionError):
        return float("inf") if time.monotonic() - t0 >= limit else time.monotonic() - t0
    return time.monotonic() - t0


def half_open(port: int, count: int, limit: float, upload_limit: float) -> dict[str, list[float]]:
    """Close times of ``count`` partial-head and ``count`` silent connections, and one trickled upload."""
    partial = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for s in partial:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    out: dict[str, list[float]] = {"partial head": [], "silent": [], "trickled upload (1 byte / 0.5 s)": []}
    threads = [threading.Thread(target=lambda k=k, s=s: out[k].append(_time_to_close(s, limit)))
               for k, group in (("partial head", partial), ("silent", silent)) for s in group]
    for t in threads:
        t.start()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST /v1/segment HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 9999\r\n\r\n")
        t0, closed = time.monotonic(), False
        s.settimeout(0.5)
        while not closed and time.monotonic() - t0 < upload_limit:
            try:
                s.sendall(b"\x89")
                closed = bool(s.recv(4096))
            except TimeoutError:
                continue
            except ConnectionError:
                closed = True
        out["trickled upload (1 byte / 0.5 s)"].append(time.monotonic() - t0 if closed else float("inf"))
    for t in threads:
        t.join()
    for s in partial + silent:
        s.close()
    return out


def bounds(args: argparse.Namespace, data: bytes) -> None:
    server_args = ["--workers", str(args.workers), "--threads", str(args.threads), "--head-timeout",
                   str(args.head_timeout), "--upload-timeout", str(args.upload_timeout)]
    with running_server(*server_args) as (url, proc):
        load(url, data, 1, 2, "")  # warm-up
        rows = large_requests(url, proc.pid, data, args.budget_side)
        closes = half_open(int(url.rsplit(":", 1)[1]), args.half_open, args.head_timeout * 3 + 10,
                           args.upload_timeout * 2 + 10)
    print(f"\n# bounds: head timeout {args.head_timeout:g} s, upload timeout {args.upload_timeout:g} s; {cpu_line()}")
    print("| request imgsz | status | server RSS after | peak RSS so far |")
    print("| --- | --- | --- | --- |")
    for size, status, now, peak in rows:
        print(f"| {size} | {status} | {now:.0f} MB | {peak:.0f} MB |")
    print("\n| connection | count | closed within (max) | still open |")
    print("| --- | --- | --- | --- |")
    for kind, times in closes.items():
        done = [t for t in times if t != float("inf")]
        worst = f"{max(done):.1f} s" if done else "-"
        print(f"| {kind} | {len(times)} | {worst} | {len(times) - len(done)} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads per request")
    ap.add_argument("--bounds-only", action="store_true", help="only the RSS and half-open connection phases")
    ap.add_argument("--half-open", type=int, default=20, help="partial-head (and as many silent) connections")
    ap.add_argument("--head-timeout", type=float, default=10.0, help="the server's --head-timeout")
    ap.add_argument("--upload-timeout", type=float, default=60.0, help="the server's --upload-timeout")
    ap.add_argument("--budget-side", type=int, default=2048, help="imgsz side of the request at the budget")
    args = ap.parse_args()
    data = SAMPLE.read_bytes() if SAMPLE.is_file() else (REPO / "src/pixelwise/assets/leuvenA.jpg").read_bytes()
    if args.bounds_only:
        bounds(args, data)
        return

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
    bounds(args, data)


if __name__ == "__main__":
    main()
