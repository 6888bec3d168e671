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
with ``resource.getrusage`` in the child):

* ``kakehashi``: ``ingest_baci(Warehouse(tmp), [csv], country_codes=...)``:
  parse, every check of the parser (types, year, HS codes, negatives, codes,
  duplicates), ISO3 mapping, and the atomic warehouse commit (sorted,
  zstd-compressed Parquet, fsync);
* ``kakehashi parse``: ``iter_baci`` alone (the same checks and ISO3 mapping,
  rows in the warehouse's order, no writing);
* ``arrow read_csv+write_table``: ``pyarrow.csv.read_csv`` with typed
  columns, then ``pyarrow.parquet.write_table`` with its defaults, nothing in
  between: the floor of any ingest that reads the CSV and writes Parquet
  with Arrow (whose reader is multithreaded), so pandas time / this time is
  the ceiling of the ratio on this machine (the read alone is reported too);
* baseline ``pandas``: ``pandas.read_csv(csv).to_parquet(out)`` (no checks,
  no mapping, default snappy, unsorted).

Reported: median wall time, rows per second and peak RSS over the repeats,
and the speed ratio pandas time / kakehashi time.
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


CHILD_KAKEHASHI = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
from kakehashi.sources.baci import ingest_baci
from kakehashi.warehouse import Warehouse
t0 = time.perf_counter()
n = ingest_baci(Warehouse({wh!r}), [{csv!r}], country_codes={cc!r})
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"rows": n, "seconds": dt, "peak_kb": peak}}))
"""

CHILD_PARSE = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
from kakehashi.sources.baci import iter_baci
t0 = time.perf_counter()
n = sum(y.flows.num_rows for y in iter_baci({csv!r}, country_codes={cc!r}))
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"rows": n, "seconds": dt, "peak_kb": peak}}))
"""

CHILD_ARROW = """
import json, resource, time
import pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
t0 = time.perf_counter()
types = {{c: pa.int32() for c in "tijk"}} | {{"v": pa.float64(), "q": pa.string()}}
table = pacsv.read_csv({csv!r}, convert_options=pacsv.ConvertOptions(column_types=types))
n = table.num_rows
t_read = time.perf_counter() - t0
pq.write_table(table, {out!r})
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"rows": n, "seconds": dt, "peak_kb": peak, "read_seconds": t_read}}))
"""

CHILD_PANDAS = """
import json, resource, time
import pandas as pd
t0 = time.perf_counter()
df = pd.read_csv({csv!r})
df.to_parquet({out!r})
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 million rows instead of 10 million")
    parser.add_argument("--rows", type=int, default=None, help="rows of the synthetic year")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method (median reported)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder for the data (default: a temp dir)")
    parser.add_argument("--numpy", action="store_true",
                        help="use the benchmark's NumPy writer even for the full size")
    args = parser.parse_args(argv)
    rows = args.rows or (1_000_000 if args.quick else 10_000_000)
    work = Path(tempfile.mkdtemp(prefix="kakehashi-bench-ingest-", dir=args.workdir))
    try:
        t0 = time.perf_counter()
        use_sample = not args.quick and args.rows is None and not args.numpy
        if use_sample:
            sys.path.insert(0, str(SRC))
            csv_path, cc_path = write_sample_baci(work)
            what = "kakehashi.sample 'baci' (SYNTHETIC)"
        else:
            csv_path, cc_path = write_synthetic_baci(rows, work)
            what = "NumPy writer (SYNTHETIC)"
        size_mb = csv_path.stat().st_size / 1e6
        print(f"synthetic BACI-format year from {what}: {csv_path.name}, {size_mb:,.0f} MB "
              f"(written in {time.perf_counter() - t0:.1f} s); {os.cpu_count()} CPUs; "
              f"{args.repeats} repeats, medians", flush=True)
        results: dict[str, list[dict[str, float]]] = {
            "kakehashi ingest": [], "kakehashi parse only": [], "arrow read_csv+write_table": [],
            "pandas read_csv+to_parquet": []}
        for r in range(args.repeats):
            wh = work / f"wh{r}"
            results["kakehashi ingest"].append(run_child(CHILD_KAKEHASHI.format(
                src=str(SRC), wh=str(wh), csv=str(csv_path), cc=str(cc_path))))
            shutil.rmtree(wh, ignore_errors=True)
            results["kakehashi parse only"].append(run_child(CHILD_PARSE.format(
                src=str(SRC), csv=str(csv_path), cc=str(cc_path))))
            out = work / f"arrow{r}.parquet"
            results["arrow read_csv+write_table"].append(run_child(CHILD_ARROW.format(
                csv=str(csv_path), out=str(out))))
            out.unlink(missing_ok=True)
            out = work / f"pandas{r}.parquet"
            results["pandas read_csv+to_parquet"].append(run_child(CHILD_PANDAS.format(
                csv=str(csv_path), out=str(out))))
            out.unlink(missing_ok=True)
        med: dict[str, tuple[float, float, int]] = {}
        print(f"{'method':30s} {'rows':>11s} {'seconds':>8s} {'rows/s':>12s} {'peak RSS':>10s}")
        for name, runs in results.items():
            secs = statistics.median(x["seconds"] for x in runs)
            peak = statistics.median(x["peak_kb"] for x in runs) / 1024
            n = int(runs[0]["rows"])
            med[name] = (secs, peak, n)
            print(f"{name:30s} {n:>11,d} {secs:>8.2f} {n / secs:>12,.0f} {peak:>8,.0f} MB")
        base = med["pandas read_csv+to_parquet"][0]
        ours = med["kakehashi ingest"][0]
        print(f"speed ratio (pandas time / kakehashi ingest time): {base / ours:.2f}x; "
              f"parse only: {base / med['kakehashi parse only'][0]:.2f}x; "
              f"goal >= 3x and peak < 4096 MB")
        arrow = results["arrow read_csv+write_table"]
        floor = med["arrow read_csv+write_table"][0]
        read = statistics.median(x["read_seconds"] for x in arrow)
        print(f"ceiling on {os.cpu_count()} CPUs: Arrow's multithreaded CSV reader and Parquet writer with "
              f"nothing in between take {floor:.2f} s ({base / floor:.2f}x pandas), the read alone "
              f"{read:.2f} s ({base / read:.2f}x); an ingest that reads the CSV and writes Parquet "
              "cannot beat the first")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
