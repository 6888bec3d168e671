"""Benchmark: ingest of one BACI-size year into a warehouse, against pandas.

    python benchmarks/bench_ingest.py            # 10 million rows (one BACI year), 3 repeats
    python benchmarks/bench_ingest.py --quick    # 1 million rows
    python benchmarks/bench_ingest.py --rows 5000000 --repeats 5

Data: a **synthetic** year in CEPII BACI's exact CSV format (quoted header
``"t","i","j","k","v","q"``, ``v`` in thousand USD, ``q`` quoted and
space-padded to 13 characters or ``NA``, product codes without their leading
zero, rows sorted by exporter, importer and product, no duplicate flows) and
its ``country_codes`` table. The full run uses the package's synthetic
sample world (``kakehashi.sample``, size ``baci``: 100 countries, 5,000
products, about 10 million flows); ``--quick`` and ``--rows`` use the seeded
NumPy writer below (220 synthetic countries, 5,000 products). Neither is
real data.

Measured, each run in a fresh subprocess (so peak memory is per run, read
with ``resource.getrusage`` in the child), the methods interleaved within
each repeat so that they share the machine's load:

* ``kakehashi``: ``ingest_baci(Warehouse(tmp), [csv], country_codes=...)``:
  parse, every check of the parser (types, year, HS codes, non-negative
  finite values within the schema's bounds, codes, duplicates), ISO3
  mapping, the warehouse order and the atomic commit (zstd Parquet with page
  checksums, derived exporter totals, sha256 manifest, fsync);
* ``polars`` (the floor): ``pl.scan_csv(csv).sink_parquet(out)``, Polars'
  streaming pipeline with no checks, no mapping and no sort;
* ``duckdb COPY``: ``COPY (SELECT * FROM read_csv(csv)) TO out (FORMAT parquet)``;
* ``pandas`` (baseline): ``pandas.read_csv(csv).to_parquet(out)`` (no
  checks, no mapping, default snappy, unsorted).

A baseline whose library is not installed is skipped with a message.
Reported: median wall time, rows per second and peak RSS over the repeats,
the load average before and after, and the two goals of issue 13 with the
ratios computed in this run: kakehashi within 1.5x of the Polars floor, and
faster than pandas; peak memory under 2 GB.
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
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
N_COUNTRIES = 220
N_PRODUCTS = 5_000
SEED = 20261121


def write_synthetic_baci(rows: int, folder: Path, year: int = 2021) -> tuple[Path, Path]:
    """Write a synthetic BACI yearly CSV of about ``rows`` rows and its country table.

    Flows are a random, sorted subset of the (exporter, importer, product)
    grid, drawn by geometric gaps so that keys are unique and ordered like
    BACI's files. Returns (csv path, country codes path).
    """
    rng = np.random.default_rng(SEED)
    codes = np.sort(rng.choice(np.arange(4, 900), N_COUNTRIES, replace=False))
    products = np.sort(rng.choice(np.arange(10_110, 970_000), N_PRODUCTS, replace=False))
    pairs = N_COUNTRIES * (N_COUNTRIES - 1)
    grid = pairs * N_PRODUCTS
    p = min(rows / grid, 1.0)
    csv_path = folder / f"BACI_HS17_Y{year}_V202501_SYNTHETIC.csv"
    cc_path = folder / "country_codes_V202501_SYNTHETIC.csv"
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    with open(cc_path, "w", encoding="utf-8") as fh:
        fh.write("country_code,country_name,country_iso2,country_iso3\n")
        for n, c in enumerate(codes):
            iso3 = "X" + letters[n // 26] + letters[n % 26]
            fh.write(f'{c},"Synthetic country {n}",X{letters[n % 26]},{iso3}\n')
    written = 0
    pos = -1
    first = True
    with open(csv_path, "wb") as out:
        while written < rows:
            n = min(1_000_000, rows - written)
            gaps = rng.geometric(p, size=n).astype(np.int64)
            idx = pos + np.cumsum(gaps)
            idx = idx[idx < grid]
            if len(idx) == 0:
                break
            pos = int(idx[-1])
            pair, prod = np.divmod(idx, N_PRODUCTS)
            ei, jj = np.divmod(pair, N_COUNTRIES - 1)
            jj = jj + (jj >= ei)  # skip the exporter itself
            v = np.round(rng.lognormal(1.0, 2.5, len(idx)), 3)
            q = np.round(rng.lognormal(0.5, 3.0, len(idx)), 3)
            q_txt = pc.utf8_lpad(pc.cast(pa.array(q).cast(pa.decimal128(18, 3)), pa.string()), 13)
            q_txt = pc.if_else(pa.array(rng.random(len(idx)) < 0.03), pa.scalar("           NA"), q_txt)
            table = pa.table({
                "t": pa.array(np.full(len(idx), year, dtype=np.int32)),
                "i": pa.array(codes[ei].astype(np.int32)),
                "j": pa.array(codes[jj].astype(np.int32)),
                "k": pa.array(products[prod].astype(np.int32)),
                "v": pa.array(v).cast(pa.decimal128(18, 3)),
                "q": q_txt,
            })
            pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=first))
            first = False
            written += len(idx)
            if pos >= grid - 1:
                break
    return csv_path, cc_path


PEAK_KB = ("int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) "
           "if __import__('os').path.exists('/proc/self/status') else "
           "__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss")
"""Peak RSS of the child in kB: VmHWM of its own memory (``ru_maxrss`` would carry over the parent's
peak across ``exec`` on Linux), or ``ru_maxrss`` where /proc is absent."""

CHILD_KAKEHASHI = """
import json, sys, time
sys.path.insert(0, {src!r})
from kakehashi.sources.baci import ingest_baci
from kakehashi.warehouse import Warehouse
t0 = time.perf_counter()
n = ingest_baci(Warehouse({wh!r}), [{csv!r}], country_codes={cc!r})
dt = time.perf_counter() - t0
peak = {peak}
print(json.dumps({{"rows": n, "seconds": dt, "peak_kb": peak}}))
"""

CHILD_POLARS = """
import json, time
import polars as pl
t0 = time.perf_counter()
pl.scan_csv({csv!r}).sink_parquet({out!r})
dt = time.perf_counter() - t0
n = pl.scan_parquet({out!r}).select(pl.len()).collect().item()
peak = {peak}
print(json.dumps({{"rows": n, "seconds": dt, "peak_kb": peak}}))
"""

CHILD_DUCKDB = """
import json, time
import duckdb
t0 = time.perf_counter()
con = duckdb.connect()
n = con.execute("COPY (SELECT * FROM read_csv({csv_sql})) TO {out_sql} (FORMAT parquet)").fetchone()[0]
con.close()
dt = time.perf_counter() - t0
peak = {peak}
print(json.dumps({{"rows": n, "seconds": dt, "peak_kb": peak}}))
"""

CHILD_PANDAS = """
import json, time
import pandas as pd
t0 = time.perf_counter()
df = pd.read_csv({csv!r})
df.to_parquet({out!r})
dt = time.perf_counter() - t0
peak = {peak}
print(json.dumps({{"rows": len(df), "seconds": dt, "peak_kb": peak}}))
"""


def write_sample_baci(folder: Path, year: int = 2021) -> tuple[Path, Path]:
    """One ``baci``-size year of the package's synthetic sample world, in BACI's format."""
    from kakehashi.sample.raw import baci_file_name, country_codes_text, write_baci_year
    from kakehashi.sample.world import generate

    world = generate("baci", years=[year])
    csv_path = folder / baci_file_name(year)
    write_baci_year(world, year, csv_path)
    cc_path = folder / "country_codes_V202501.csv"
    cc_path.write_text(country_codes_text(world), encoding="utf-8")
    return csv_path, cc_path


def run_child(code: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; return its JSON line (rows, seconds, peak_kb)."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _sql(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _have(module: str) -> bool:
    """True when ``module`` imports in this interpreter (a baseline is skipped otherwise)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


FLOOR_GOAL = 1.5
"""Issue 13: kakehashi's ingest within this factor of the Polars floor (and faster than pandas)."""
MEMORY_GOAL_MB = 2048


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print medians, the in-run ratios and the goals."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 million rows instead of 10 million")
    parser.add_argument("--rows", type=int, default=None, help="rows of the synthetic year")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method (median reported)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder for the data (default: a temp dir)")
    parser.add_argument("--numpy", action="store_true",
                        help="use the benchmark's NumPy writer even for the full size")
    parser.add_argument("--csv", type=Path, default=None,
                        help="an existing BACI yearly CSV to ingest (with --country-codes)")
    parser.add_argument("--country-codes", type=Path, default=None, help="its country_codes_V*.csv")
    args = parser.parse_args(argv)
    rows = args.rows or (1_000_000 if args.quick else 10_000_000)
    work = Path(tempfile.mkdtemp(prefix="kakehashi-bench-ingest-", dir=args.workdir))
    try:
        t0 = time.perf_counter()
        use_sample = not args.quick and args.rows is None and not args.numpy
        if args.csv is not None:
            if args.country_codes is None:
                raise SystemExit("--csv needs --country-codes")
            csv_path, cc_path = args.csv, args.country_codes
            what = "the given file"
        elif use_sample:
            sys.path.insert(0, str(SRC))
            csv_path, cc_path = write_sample_baci(work)
            what = "kakehashi.sample 'baci' (SYNTHETIC)"
        else:
            csv_path, cc_path = write_synthetic_baci(rows, work)
            what = "NumPy writer (SYNTHETIC)"
        size_mb = csv_path.stat().st_size / 1e6
        print(f"synthetic BACI-format year from {what}: {csv_path.name}, {size_mb:,.0f} MB "
              f"(ready in {time.perf_counter() - t0:.1f} s); {os.cpu_count()} CPUs; "
              f"{args.repeats} repeats, interleaved, medians; load average at start {_load()}", flush=True)
        methods: dict[str, str | None] = {
            "kakehashi ingest": None,
            "polars scan_csv+sink_parquet": None if _have("polars") else "polars is not installed",
            "duckdb COPY to parquet": None if _have("duckdb") else "duckdb is not installed",
            "pandas read_csv+to_parquet": None if _have("pandas") else "pandas is not installed",
        }
        for name, why in methods.items():
            if why:
                print(f"skipped {name}: {why}")
        results: dict[str, list[dict[str, float]]] = {m: [] for m, why in methods.items() if why is None}
        for r in range(args.repeats):
            wh = work / f"wh{r}"
            results["kakehashi ingest"].append(run_child(CHILD_KAKEHASHI.format(
                src=str(SRC), wh=str(wh), csv=str(csv_path), cc=str(cc_path), peak=PEAK_KB)))
            shutil.rmtree(wh, ignore_errors=True)
            out = work / f"out{r}.parquet"
            if "polars scan_csv+sink_parquet" in results:
                results["polars scan_csv+sink_parquet"].append(run_child(CHILD_POLARS.format(
                    csv=str(csv_path), out=str(out), peak=PEAK_KB)))
                out.unlink(missing_ok=True)
            if "duckdb COPY to parquet" in results:
                results["duckdb COPY to parquet"].append(run_child(CHILD_DUCKDB.format(
                    csv_sql=_sql(csv_path), out_sql=_sql(out), peak=PEAK_KB)))
                out.unlink(missing_ok=True)
            if "pandas read_csv+to_parquet" in results:
                results["pandas read_csv+to_parquet"].append(run_child(CHILD_PANDAS.format(
                    csv=str(csv_path), out=str(out), peak=PEAK_KB)))
                out.unlink(missing_ok=True)
        med: dict[str, tuple[float, float, int]] = {}
        print(f"{'method':30s} {'rows':>11s} {'seconds':>8s} {'rows/s':>12s} {'peak RSS':>10s}  runs (s)")
        for name, runs in results.items():
            secs = statistics.median(x["seconds"] for x in runs)
            peak = max(x["peak_kb"] for x in runs) / 1024
            n = int(runs[0]["rows"])
            med[name] = (secs, peak, n)
            each = ", ".join(f"{x['seconds']:.2f}" for x in runs)
            print(f"{name:30s} {n:>11,d} {secs:>8.2f} {n / secs:>12,.0f} {peak:>8,.0f} MB  {each}")
        ours, our_peak, _ = med["kakehashi ingest"]
        print(f"load average at end {_load()}")
        if "polars scan_csv+sink_parquet" in med:
            floor = med["polars scan_csv+sink_parquet"][0]
            ok = ours <= FLOOR_GOAL * floor
            print(f"goal: kakehashi time / Polars floor <= {FLOOR_GOAL}: {ours / floor:.2f}x "
                  f"-> {'met' if ok else 'not met'}")
        else:
            print("goal: kakehashi within 1.5x of the Polars floor: not measured (polars is not installed)")
        if "pandas read_csv+to_parquet" in med:
            base = med["pandas read_csv+to_parquet"][0]
            ok = ours < base
            print(f"goal: faster than the no-check pandas load (pandas time / kakehashi time > 1): "
                  f"{base / ours:.2f}x -> {'met' if ok else 'not met'}")
        else:
            print("goal: faster than pandas: not measured (pandas is not installed)")
        if "duckdb COPY to parquet" in med:
            duck = med["duckdb COPY to parquet"][0]
            print(f"for reference: DuckDB COPY time / kakehashi time {duck / ours:.2f}x")
        print(f"goal: peak memory < {MEMORY_GOAL_MB} MB: {our_peak:,.0f} MB -> "
              f"{'met' if our_peak < MEMORY_GOAL_MB else 'not met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
