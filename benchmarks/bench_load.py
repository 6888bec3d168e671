"""Benchmark: a bounded load test of the JSON API on loopback.

Usage::

    python benchmarks/bench_load.py            # `small` SYNTHETIC sample, 2,000 requests x 3 repeats
    python benchmarks/bench_load.py --quick    # `tiny` sample, 300 requests x 3 repeats, seconds

Steps:

1. Build a warehouse from the SYNTHETIC sample world (``kakehashi.sample.generate``) once per
   size in ``--workdir`` (default: a folder under the system temp dir).
2. Start ``kakehashi serve`` (uvicorn, 127.0.0.1, a free port) as a separate process and wait for
   ``/api/health`` (bounded wait).
3. Warm-up: request every distinct URL of the mix once and record these *cold* latencies (the
   first screen of an importer runs the library; later ones come from the app's cache).
4. Measured phase, repeated ``--repeats`` times: ``--requests`` requests, ``--concurrency`` at a
   time (httpx, asyncio), cycling through the mix. Report p50 / p95 / p99 per endpoint and the
   error count (any status other than 200, or a timeout); medians over the repeats.
5. Baseline in the same run: the library call behind ``/api/screen`` (``screen_frame`` for one
   importer and year, in this process, no HTTP, no cache), median over repeats; the ratio is
   baseline / API p50.

Goal (issue 6): p95 under 100 ms for ``/api/screen`` for one importer, and no errors.
The test stops by itself: every request has a 30 s timeout and each phase a 300 s deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
IMPORTER, RIVAL = "JPN", "CHN"
PHASE_DEADLINE_S = 300.0
REQUEST_TIMEOUT_S = 30.0


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


def start_server(warehouse: Path, port: int) -> subprocess.Popen[bytes]:
    """``kakehashi serve`` in its own process; returns once /api/health answers (60 s at most)."""
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kakehashi.cli import entry; entry()", "serve",
         "--warehouse", str(warehouse), "--host", "127.0.0.1", "--port", str(port), "--max-draws", "200"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not answer /api/health within 60 s")


def request_mix(years: list[int], products: list[str]) -> list[tuple[str, str]]:
    """(endpoint label, URL path) pairs; /api/screen for one importer dominates the mix."""
    mix = [("screen", f"/api/screen?importer={IMPORTER}&rival={RIVAL}&year={y}") for y in years] * 4
    mix += [("health", "/api/health")]
    mix += [("product", f"/api/products/{p}?importer={IMPORTER}&rival={RIVAL}") for p in products]
    mix += [("overview", f"/api/importers/{IMPORTER}?rival={RIVAL}")]
    mix += [("minerals", "/api/minerals/rare-earths?rival=CHN")]
    return mix


async def run_phase(base: str, urls: list[tuple[str, str]], total: int, concurrency: int
                    ) -> tuple[dict[str, list[float]], int]:
    """``total`` requests over ``urls`` (cycled), ``concurrency`` at a time; latencies (ms) and errors."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                label, url = urls[i % len(urls)]
                start = time.perf_counter()
                try:
                    r = await client.get(url)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies[label].append(1000 * (time.perf_counter() - start))
                errors += 0 if ok else 1

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), PHASE_DEADLINE_S)
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def library_baseline(warehouse: Path, year: int, repeats: int) -> float:
    """Median ms of the library call behind /api/screen, without HTTP and without the app's cache."""
    from kakehashi.metrics.screen import screen_frame
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse, read_only=True)
    screen_frame(wh, IMPORTER, RIVAL, years=[year])  # connect and register views once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        screen_frame(wh, IMPORTER, RIVAL, years=[year])
        times.append(1000 * (time.perf_counter() - start))
    wh.close()
    return statistics.median(times)


def in_process_cpu_ms(warehouse: Path, year: int, n: int = 300) -> dict[str, float]:
    """CPU ms per request of the app plus an httpx client in one process (ASGI transport, no
    network, sequential): the cost of a cached answer independent of the machine's load."""
    from kakehashi.web import create_app

    app = create_app(warehouse)
    urls = {"health": "/api/health", "screen": f"/api/screen?importer={IMPORTER}&rival={RIVAL}&year={year}"}

    async def go() -> dict[str, float]:
        out = {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            for label, url in urls.items():
                await c.get(url)
                start = time.process_time()
                for _ in range(n):
                    await c.get(url)
                out[label] = 1000 * (time.process_time() - start) / n
        return out

    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print its table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sample, 300 requests")
    parser.add_argument("--requests", type=int, default=None, help="requests per repeat (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kakehashi-bench")
    args = parser.parse_args(argv)
    size = "tiny" if args.quick else "small"
    total = args.requests or (300 if args.quick else 2000)
    if not 1 <= total <= 20_000 or not 1 <= args.concurrency <= 64:
        raise SystemExit("requests must be 1-20000 and concurrency 1-64")
    sys.path.insert(0, str(SRC))
    args.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    warehouse = build_warehouse(size, args.workdir)
    from kakehashi.metrics.screen import trade_coverage
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse, read_only=True)
    _, years = trade_coverage(wh).choose(None, None)
    t = wh.table("trade_flows")
    agg = t.filter(t.importer == IMPORTER).group_by("hs6").aggregate(v=t.value_usd.sum())
    top = wh.execute(agg.order_by(agg.v.desc()).limit(3))
    products = [str(p) for p in top["hs6"]]
    wh.close()
    print(f"warehouse: {size} SYNTHETIC sample ({time.perf_counter() - t0:.1f} s to build or open)")

    port = free_port()
    server = start_server(warehouse, port)
    base = f"http://127.0.0.1:{port}"
    try:
        mix = request_mix(years, products)
        distinct = list(dict.fromkeys(mix))
        cold, cold_errors = asyncio.run(run_phase(base, distinct, len(distinct), 1))
        runs = [asyncio.run(run_phase(base, mix, total, args.concurrency)) for _ in range(args.repeats)]
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    baseline = library_baseline(warehouse, max(years), args.repeats)
    cpu = in_process_cpu_ms(warehouse, max(years))
    load = os.getloadavg()[0]
    print(f"{total} requests x {args.repeats} repeats, {args.concurrency} concurrent, loopback; "
          f"medians over repeats (ms); machine load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'endpoint':<10} {'requests':>9} {'p50':>8} {'p95':>8} {'p99':>8} {'cold':>8}")
    labels = sorted({label for lat, _ in runs for label in lat})
    summary: dict[str, tuple[float, float, float]] = {}
    for label in labels:
        p50 = statistics.median(pct(lat[label], 50) for lat, _ in runs)
        p95 = statistics.median(pct(lat[label], 95) for lat, _ in runs)
        p99 = statistics.median(pct(lat[label], 99) for lat, _ in runs)
        n = statistics.median(len(lat[label]) for lat, _ in runs)
        summary[label] = (p50, p95, p99)
        print(f"{label:<10} {n:>9.0f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {max(cold[label]):>8.1f}")
    errors = [e for _, e in runs]
    print(f"errors: {errors} (per repeat), warm-up errors: {cold_errors}")
    p50, p95, _ = summary["screen"]
    print(f"baseline: library screen_frame({IMPORTER}, {RIVAL}, one year) without HTTP or cache: "
          f"{baseline:.1f} ms median; ratio baseline / API p50 = {baseline / p50:.1f}x")
    print(f"in-process CPU per cached request (app + client, no network): screen {cpu['screen']:.2f} ms, "
          f"health {cpu['health']:.2f} ms")
    goal = p95 < 100 and not any(errors) and not cold_errors
    print(f"goal p95(/api/screen) < 100 ms and no errors: {'met' if goal else 'NOT met'} (p95 {p95:.1f} ms)")
    return 0 if goal else 1


if __name__ == "__main__":
    sys.exit(main())
