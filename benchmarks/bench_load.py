"""Benchmark: the dashboard under concurrent use, uncached and cached (issue 13.2).

Usage::

    python benchmarks/bench_load.py              # `small` SYNTHETIC sample, 3 repeats
    python benchmarks/bench_load.py --quick      # `tiny` sample, 1 repeat, seconds
    python benchmarks/bench_load.py --wh DIR     # another warehouse (e.g. a `baci`-size one)
    python benchmarks/bench_load.py --workers 2  # `kakehashi serve --workers 2`

Steps, per repeat (a fresh server each time, so that nothing is cached):

1. Build a warehouse from the SYNTHETIC sample world (``kakehashi.sample.generate``) once per
   size in ``--workdir`` (default: a folder under the system temp dir), unless ``--wh`` is given.
2. Start ``kakehashi serve`` (uvicorn, 127.0.0.1, a free port) as a separate process and wait for
   ``/api/health`` (bounded wait); warm it up with ``/api/meta`` and two screens not measured.
3. *Alone*: ``--alone`` distinct uncached ``/api/screen`` requests (importer, rival, year), one at
   a time; their median is the baseline.
4. *Concurrent*: ``--concurrency`` clients (httpx, asyncio) ask ``--distinct`` other distinct
   uncached screens, each once; p50 and p95 of their latencies.
5. *Cached*: the same clients ask those screens again, ``--requests`` requests in all (cycled);
   p95.
6. Errors: any status other than 200, or a timeout, in any phase.

Goals (issue 13): concurrent uncached p95 <= 5x the alone median, measured in the same run (on
2 cores, 8 clients queueing behind each other give about 4x); cached p95 < 100 ms; no errors.
Medians over repeats. Every request has a 60 s timeout and each phase a 600 s deadline.

``--floor`` also measures, in each repeat, what this machine allows without any interpreter lock
shared between requests: two separate server processes (``--threads 1``: one library call at a
time each), the benchmark's client sending each request to the process with fewer requests in
flight (per-request dispatch, which ``serve --workers N`` cannot do: the kernel hands each
connection to one worker). Its alone median and concurrent p95 are measured on those two servers
in the same minutes; it is a comparison, not a way to serve.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RIVALS = ("CHN", "USA", "DEU")
PHASE_DEADLINE_S = 600.0
REQUEST_TIMEOUT_S = 60.0


def build_warehouse(size: str, workdir: Path) -> Path:
    """Write the SYNTHETIC sample world into a warehouse (skipped if already built)."""
    from kakehashi.sample import generate
    from kakehashi.warehouse import Warehouse

    path = workdir / f"wh-load-{size}"
    marker = path / "BENCH-COMPLETE"
    if marker.exists():
        return path
    world = generate(size)
    wh = Warehouse(path)
    with wh.transaction() as tx:
        for table in ("trade_flows", "production", "reserves", "world_totals", "governance"):
            frame = getattr(world, table)
            source = str(frame["source"].iloc[0]) if "source" in frame else "SYNTHETIC kakehashi sample"
            tx.write(table, frame, source=source, mode="replace")
        tx.write("products", world.products, source="SYNTHETIC kakehashi sample", mode="replace")
    marker.write_text("ok\n")
    return path


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(warehouse: Path, port: int, workers: int = 1, threads: int | None = None
                 ) -> subprocess.Popen[bytes]:
    """``kakehashi serve`` in its own process; returns once /api/health answers (90 s at most)."""
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kakehashi.cli import entry; entry()", "serve",
         "--warehouse", str(warehouse), "--host", "127.0.0.1", "--port", str(port), "--max-draws", "200",
         "--workers", str(workers), *(["--threads", str(threads)] if threads else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("server did not answer /api/health within 90 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server this benchmark started (SIGTERM, then SIGKILL after 15 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def screen_urls(warehouse: Path, n: int) -> list[str]:
    """``n`` distinct /api/screen URLs (importer, rival, year), in a fixed pseudo-random order."""
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse, read_only=True)
    t = wh.table("trade_flows")
    importers = sorted(str(i) for i in wh.execute(t.select("importer").distinct())["importer"])
    years = sorted(int(y) for y in wh.execute(t.select("year").distinct())["year"])
    wh.close()
    triples = [(i, r, y) for i in importers for r in RIVALS for y in years if i != r]
    random.Random(13).shuffle(triples)
    if len(triples) < n:
        raise SystemExit(f"the warehouse has only {len(triples)} distinct screens; {n} are needed")
    return [f"/api/screen?importer={i}&rival={r}&year={y}" for i, r, y in triples[:n]]


async def run_phase(base: str | list[str], urls: list[tuple[str, str]], total: int, concurrency: int
                    ) -> tuple[dict[str, list[float]], int]:
    """``total`` requests over ``urls`` (cycled), ``concurrency`` at a time; latencies (ms) and errors.

    ``urls`` are (label, path) pairs; latencies are collected per label. With several ``base``
    servers, each request goes to the one with the fewest requests in flight (the first on a tie).
    """
    bases = [base] if isinstance(base, str) else list(base)
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = 0
    counter = iter(range(total))
    inflight = [0] * len(bases)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [httpx.AsyncClient(base_url=b, timeout=REQUEST_TIMEOUT_S, limits=limits) for b in bases]
    try:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                label, url = urls[i % len(urls)]
                k = min(range(len(bases)), key=inflight.__getitem__)
                inflight[k] += 1
                start = time.perf_counter()
                try:
                    r = await clients[k].get(url)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies[label].append(1000 * (time.perf_counter() - start))
                inflight[k] -= 1
                errors += 0 if ok else 1

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), PHASE_DEADLINE_S)
    finally:
        for c in clients:
            await c.aclose()
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def one_repeat(warehouse: Path, urls: list[str], n_alone: int, concurrency: int, cached_total: int,
               workers: int, threads: int | None = None) -> dict[str, float]:
    """One fresh server: alone, concurrent-uncached and cached phases; milliseconds and errors."""
    port = free_port()
    server = start_server(warehouse, port, workers, threads)
    base = f"http://127.0.0.1:{port}"
    warm, alone, rest = urls[:2], urls[2:2 + n_alone], urls[2 + n_alone:]
    try:
        _, warm_errors = asyncio.run(run_phase(base, [("warm", "/api/meta")] + [("warm", u) for u in warm],
                                               1 + len(warm), 1))
        lat_alone, e_alone = asyncio.run(run_phase(base, [("s", u) for u in alone], len(alone), 1))
        lat_conc, e_conc = asyncio.run(run_phase(base, [("s", u) for u in rest], len(rest), concurrency))
        lat_cached, e_cached = asyncio.run(run_phase(base, [("s", u) for u in rest], cached_total,
                                                     concurrency))
    finally:
        stop_server(server)
    return {
        "alone_median": statistics.median(lat_alone["s"]),
        "conc_p50": pct(lat_conc["s"], 50), "conc_p95": pct(lat_conc["s"], 95),
        "cached_p50": pct(lat_cached["s"], 50), "cached_p95": pct(lat_cached["s"], 95),
        "errors": warm_errors + e_alone + e_conc + e_cached,
    }


def floor_repeat(warehouse: Path, urls: list[str], n_alone: int, concurrency: int) -> dict[str, float]:
    """Two ``--threads 1`` servers, requests dispatched one by one by the client (``--floor``)."""
    servers: list[subprocess.Popen[bytes]] = []
    warm, alone, rest = urls[:2], urls[2:2 + n_alone], urls[2 + n_alone:]
    try:
        bases = []
        for _ in range(2):
            port = free_port()
            servers.append(start_server(warehouse, port, 1, 1))
            bases.append(f"http://127.0.0.1:{port}")
        errors = 0
        for b in bases:
            errors += asyncio.run(run_phase(b, [("warm", "/api/meta")] + [("warm", u) for u in warm],
                                            1 + len(warm), 1))[1]
        lat_alone, e_alone = asyncio.run(run_phase(bases[0], [("s", u) for u in alone], len(alone), 1))
        lat_conc, e_conc = asyncio.run(run_phase(bases, [("s", u) for u in rest], len(rest), concurrency))
    finally:
        for server in servers:
            stop_server(server)
    return {"alone_median": statistics.median(lat_alone["s"]), "conc_p50": pct(lat_conc["s"], 50),
            "conc_p95": pct(lat_conc["s"], 95), "errors": errors + e_alone + e_conc}


def verdict(ok: bool) -> str:
    """The met / not met column."""
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print its table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sample, 1 repeat, 300 cached requests")
    parser.add_argument("--wh", type=Path, default=None, help="warehouse to serve (default: the sample)")
    parser.add_argument("--requests", type=int, default=None, help="cached requests per repeat (2000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--distinct", type=int, default=40, help="distinct uncached screens asked at once")
    parser.add_argument("--alone", type=int, default=8, help="uncached screens asked one at a time")
    parser.add_argument("--workers", type=int, default=1, help="kakehashi serve --workers")
    parser.add_argument("--threads", type=int, default=None, help="kakehashi serve --threads")
    parser.add_argument("--compare-threads", type=int, default=None,
                        help="also run a server with this --threads in each repeat (1: the serial server)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure two 1-call server processes with per-request dispatch (docstring)")
    parser.add_argument("--repeats", type=int, default=None, help="fresh servers (default 3; --quick 1)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kakehashi-bench")
    args = parser.parse_args(argv)
    size = "tiny" if args.quick else "small"
    total = args.requests or (300 if args.quick else 2000)
    repeats = args.repeats or (1 if args.quick else 3)
    if not 1 <= total <= 20_000 or not 1 <= args.concurrency <= 64 or not 1 <= args.distinct <= 1000:
        raise SystemExit("requests must be 1-20000, concurrency 1-64 and distinct 1-1000")
    sys.path.insert(0, str(SRC))
    t0 = time.perf_counter()
    if args.wh is not None:
        warehouse, label = args.wh, str(args.wh)
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        warehouse, label = build_warehouse(size, args.workdir), f"{size} SYNTHETIC sample"
    urls = screen_urls(warehouse, 2 + args.alone + args.distinct)
    print(f"warehouse: {label} ({time.perf_counter() - t0:.1f} s to build or open); "
          f"server: kakehashi serve --workers {args.workers}"
          + (f" --threads {args.threads}" if args.threads else ""), flush=True)
    load_before = os.getloadavg()
    runs: list[dict[str, float]] = []
    other: list[dict[str, float]] = []
    floors: list[dict[str, float]] = []
    for i in range(repeats):
        runs.append(one_repeat(warehouse, urls, args.alone, args.concurrency, total, args.workers,
                               args.threads))
        if args.compare_threads:
            other.append(one_repeat(warehouse, urls, args.alone, args.concurrency, total, args.workers,
                                    args.compare_threads))
            o = other[-1]
            print(f"  repeat {i + 1}, --threads {args.compare_threads}: alone median "
                  f"{o['alone_median']:.0f} ms; concurrent uncached p50 {o['conc_p50']:.0f} ms, "
                  f"p95 {o['conc_p95']:.0f} ms; errors "
                  f"{o['errors']:.0f}", flush=True)
        if args.floor:
            floors.append(floor_repeat(warehouse, urls, args.alone, args.concurrency))
            f = floors[-1]
            print(f"  repeat {i + 1}, floor (2 processes, per-request dispatch): alone median "
                  f"{f['alone_median']:.0f} ms; concurrent uncached p50 {f['conc_p50']:.0f} ms, p95 "
                  f"{f['conc_p95']:.0f} ms; errors {f['errors']:.0f}", flush=True)
        r = runs[-1]
        print(f"  repeat {i + 1}: alone median {r['alone_median']:.0f} ms; {args.concurrency} concurrent "
              f"uncached p50 {r['conc_p50']:.0f} ms, p95 {r['conc_p95']:.0f} ms; cached p95 "
              f"{r['cached_p95']:.1f} ms; errors {r['errors']:.0f}", flush=True)
    load_after = os.getloadavg()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    ratio = med["conc_p95"] / med["alone_median"]
    errors = sum(int(r["errors"]) for r in runs)
    print(f"\n{repeats} repeat(s), medians; {args.concurrency} clients, {args.distinct} distinct uncached "
          f"screens, {args.alone} asked alone, {total} cached requests; loopback; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} CPUs")
    rows = [
        ("uncached screen alone, median", f"{med['alone_median']:.0f} ms", "baseline", "-"),
        (f"{args.concurrency} concurrent uncached, p50", f"{med['conc_p50']:.0f} ms", "-", "-"),
        (f"{args.concurrency} concurrent uncached, p95", f"{med['conc_p95']:.0f} ms = {ratio:.1f}x alone",
         "<= 5x alone", verdict(ratio <= 5)),
        ("cached, p95", f"{med['cached_p95']:.1f} ms (p50 {med['cached_p50']:.1f})", "< 100 ms",
         verdict(med["cached_p95"] < 100)),
        ("errors", f"{errors}", "0", verdict(errors == 0)),
    ]
    if other:
        om = {k: statistics.median(r[k] for r in other) for k in other[0]}
        rows.append((f"same, --threads {args.compare_threads}: p95",
                     f"{om['conc_p95']:.0f} ms = {om['conc_p95'] / om['alone_median']:.1f}x alone",
                     "(comparison)", f"errors {sum(int(r['errors']) for r in other)}"))
    if floors:
        fm = {k: statistics.median(r[k] for r in floors) for k in floors[0]}
        rows.append(("floor: 2 processes, p50", f"{fm['conc_p50']:.0f} ms = "
                     f"{fm['conc_p50'] / fm['alone_median']:.1f}x alone", "(comparison)", "-"))
        rows.append(("floor: 2 processes, p95", f"{fm['conc_p95']:.0f} ms = "
                     f"{fm['conc_p95'] / fm['alone_median']:.1f}x alone", "(comparison)",
                     f"errors {sum(int(r['errors']) for r in floors)}"))
    print(f"{'row':<34} {'result':<26} {'goal':<12} met?")
    for row in rows:
        print(f"{row[0]:<34} {row[1]:<26} {row[2]:<12} {row[3]}")
    return 0 if ratio <= 5 and med["cached_p95"] < 100 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
