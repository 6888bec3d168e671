"""Benchmark: the cost curve of the full screen as data grow, on DuckDB and on Spark (issue 13.5).

Usage::

    python benchmarks/bench_scale.py            # `baci`-size years: 1, 3, 10 on DuckDB, 3 on Spark
    python benchmarks/bench_scale.py --quick    # `small` sample years instead, 1 repeat
    python benchmarks/bench_scale.py --no-spark
    python benchmarks/bench_scale.py --spark-master spark://HOST:7077   # an existing cluster

The full run builds warehouses of 1, 3 and 10 `baci`-size years of the SYNTHETIC sample world
(about 10 million flows a year; 14 years generated, about 1.4 GB of Parquet, tens of minutes the
first time; kept in ``--workdir``) and needs a quiet machine with some 12 GB of free memory.

Steps:

1. Build one warehouse per year count (years ending 2023; ``bench_screen.build_warehouse``).
2. For each, run the full screen (every importer x every HS6 x every year, executed to pandas;
   ``bench_screen.kakehashi_full``) in a fresh process, ``--repeats`` times in that process; the
   median wall time and the peak resident memory of the process *tree* (sampled from ``/proc``
   every 50 ms, so that Spark's JVM is counted).
3. On Spark (``KAKEHASHI_SPARK_MASTER``: ``local[2]`` by default, a local cluster; or
   ``--spark-master``), the same for ``--spark-years`` years. Skipped with a message when Java or
   PySpark is missing.

Each row states its goal: time per million rows for N years at most 1.25x that of the smallest
warehouse (the screen scales linearly), and peak memory under half of this machine's RAM. The
last line extrapolates peak memory linearly in rows to the number of years at which one machine's
RAM would be used up: beyond that, a cluster (Spark) is the way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
LAST_YEAR = 2023


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def run_measured(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[dict[str, Any], float]:
    """Run ``cmd``; return its last stdout line as JSON and the peak RSS (MB) of its process tree."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_rss_mb(p) for p in [proc.pid, *_children(proc.pid)]))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise SystemExit(f"{cmd[2:]} did not finish within {timeout:.0f} s") from None
    finally:
        done.set()
        sampler.join(5)
    if proc.returncode:
        raise SystemExit(f"{cmd[2:]} exited {proc.returncode}: {err[-800:]}")
    return json.loads(out.strip().splitlines()[-1]), peak


def child(wh_path: Path, engine: str, repeats: int) -> dict[str, Any]:
    """In the measured process: the full screen ``repeats`` times; wall times and result rows."""
    from bench_screen import kakehashi_full

    times, rows = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        rows = len(kakehashi_full(wh_path, engine))
        times.append(time.perf_counter() - t0)
    return {"times": times, "rows": rows}


def spark_missing() -> str | None:
    """Why Spark cannot run here, or ``None``."""
    try:
        import pyspark  # noqa: F401
    except ModuleNotFoundError:
        return "PySpark is not installed (pip install 'kakehashi[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed"
    return None


def mem_total_mb() -> float:
    """This machine's RAM (MB), from /proc/meminfo."""
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def verdict(ok: bool) -> str:
    """The met / not met column."""
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    """Build the warehouses, measure and print the cost-curve table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="`small` sample years, 1 repeat")
    parser.add_argument("--years", default="1,3,10", help="year counts on DuckDB (default 1,3,10)")
    parser.add_argument("--spark-years", type=int, default=3, help="year count on Spark (default 3)")
    parser.add_argument("--no-spark", action="store_true", help="DuckDB only")
    parser.add_argument("--spark-master", default=None,
                        help="KAKEHASHI_SPARK_MASTER for the Spark rows (default: local[2])")
    parser.add_argument("--repeats", type=int, default=None,
                        help="screens per process (default 3; --quick 1)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kakehashi-bench")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--wh", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="duckdb", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(SRC))
    if args.child:
        print(json.dumps(child(args.wh, args.engine, args.repeats or 1)))
        return 0

    size = "small" if args.quick else "baci"
    repeats = args.repeats or (1 if args.quick else 3)
    counts = sorted({int(n) for n in args.years.split(",") if n.strip()})
    if not counts or min(counts) < 1 or max(counts) > 30 or not 1 <= args.spark_years <= 30:
        raise SystemExit("year counts must be 1-30")
    from bench_screen import build_warehouse
    from kakehashi.warehouse import Warehouse

    args.workdir.mkdir(parents=True, exist_ok=True)
    runs: list[tuple[str, int]] = [("duckdb", n) for n in counts]
    why_not = None if args.no_spark else spark_missing()
    if not args.no_spark and why_not is None:
        runs.append(("spark", args.spark_years))
    path = os.pathsep.join([str(SRC), str(HERE), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    if args.spark_master:
        env["KAKEHASHI_SPARK_MASTER"] = args.spark_master
    master = env.get("KAKEHASHI_SPARK_MASTER", "local[2]")
    load_before = os.getloadavg()
    results = []
    for engine, n in runs:
        years = list(range(LAST_YEAR - n + 1, LAST_YEAR + 1))
        t0 = time.perf_counter()
        wh_path = build_warehouse(size, args.workdir, years=years, name=f"wh-scale-{size}-{n}y")
        rows = sum(int(r) for r in Warehouse(wh_path, read_only=True).log()["rows"])
        print(f"  {engine} {n} year(s): warehouse of {rows:,} rows ready in {time.perf_counter() - t0:.0f} s",
              flush=True)
        cmd = [sys.executable, __file__, "--child", "--wh", str(wh_path), "--engine", engine,
               "--repeats", str(repeats)]
        out, peak = run_measured(cmd, env, timeout=3600)
        med = statistics.median(out["times"])
        print(f"    screen {', '.join(f'{t:.2f}' for t in out['times'])} s; peak {peak:,.0f} MB; "
              f"{out['rows']:,} result rows", flush=True)
        results.append({"engine": engine, "years": n, "rows": rows, "s": med, "peak": peak})
    load_after = os.getloadavg()

    ram = mem_total_mb()
    print(f"\nfull screen (every importer x HS6 x year), SYNTHETIC {size} sample years; median of {repeats} "
          f"per process; peak RSS of the process tree; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after, on {os.cpu_count()} CPUs, {ram / 1024:.0f} GiB RAM"
          + (f"; Spark master {master}" if any(r["engine"] == "spark" for r in results) else ""))
    if why_not:
        print(f"Spark rows skipped: {why_not}")
    duck = [r for r in results if r["engine"] == "duckdb"]
    unit = duck[0]["s"] / duck[0]["rows"] * 1e6 if duck else float("nan")
    print(f"{'engine':<8}{'years':>6}{'rows':>14}{'median s':>10}{'s/M rows':>10}{'peak MB':>10}  "
          f"{'goal':<34} met?")
    ok = True
    for r in results:
        per_m = r["s"] / r["rows"] * 1e6
        linear = r["engine"] != "duckdb" or per_m <= 1.25 * unit
        fits = r["peak"] < ram / 2
        ok &= linear and fits
        goal = ("s/M rows <= 1.25x 1st, peak < RAM/2" if r["engine"] == "duckdb" else "peak < RAM/2")
        print(f"{r['engine']:<8}{r['years']:>6}{r['rows']:>14,}{r['s']:>10.2f}{per_m:>10.3f}"
              f"{r['peak']:>10,.0f}  {goal:<34} {verdict(linear and fits)}")
    if len(duck) >= 2 and duck[-1]["peak"] > duck[0]["peak"]:
        a, b = duck[0], duck[-1]
        slope = (b["peak"] - a["peak"]) / (b["rows"] - a["rows"])  # MB per row
        rows_per_year = b["rows"] / b["years"]
        years_at_ram = (a["rows"] + (ram - a["peak"]) / slope) / rows_per_year
        print(f"peak memory grows {slope * 1e6:,.1f} MB per million rows: one machine's RAM "
              f"({ram / 1024:.0f} GiB) would be used up at about {years_at_ram:,.0f} years of this size "
              "(linear extrapolation)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
