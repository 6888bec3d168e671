"""Benchmark the SYNTHETIC sample world: generating and writing one BACI-format year.

``python benchmarks/bench_sample.py`` times one year of the ``baci`` size (about 10 million
flows): drawing the flows (vectorised NumPy), and writing them as BACI CSV with the
vectorised Arrow formatter of :mod:`kakehashi.sample.raw`. The baseline, timed in the same
run on the same flows, is a plain per-row Python formatter (f-strings, the obvious way to
write the file); the ratio compares rows per second. ``--quick`` uses the ``small`` size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kakehashi.sample import FlowChunk, generate
from kakehashi.sample.raw import _baci_code, baci_lines, write_baci_year


def _per_row_lines(chunk: FlowChunk, codes: np.ndarray, products: np.ndarray) -> bytes:
    """Baseline: format each row with an f-string (BACI layout)."""
    out = []
    i = int(codes[chunk.exporter])
    for j, k, v, q in zip(chunk.importer.tolist(), chunk.product.tolist(), chunk.value_usd.tolist(),
                          chunk.quantity_kg.tolist(), strict=True):
        v_text = f"{v // 1000}.{v % 1000:03d}".rstrip("0").rstrip(".")
        q_text = "NA" if q < 0 else f"{q // 1000}.{q % 1000:03d}"
        out.append(f'{chunk.year},{i},{codes[j]},{products[k]},{v_text},"{q_text:>13}"\r\n')
    return "".join(out).encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small size (seconds)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    size = "small" if args.quick else "baci"
    year = 2022
    world = generate(size, years=[year])
    codes = np.array([_baci_code(c) for c in world.model.iso3], dtype=np.int64)
    products = np.array([int(h) for h in world.model.hs6], dtype=np.int64)

    gen_times, rows = [], 0
    for _ in range(args.repeats):
        start = time.perf_counter()
        rows = sum(len(c) for c in world.chunks(year))
        gen_times.append(time.perf_counter() - start)

    write_times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            start = time.perf_counter()
            write_baci_year(world, year, Path(tmp) / "year.csv")
            write_times.append(time.perf_counter() - start)

    # formatting alone, on the same chunks: vectorised (Arrow) vs per-row Python (baseline)
    sample = list(world.chunks(year, list(world.model.iso3[:10])))
    n_sample = sum(len(c) for c in sample)
    fast, slow = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        a = b"".join(baci_lines(c, codes, products) for c in sample)
        fast.append(time.perf_counter() - start)
        start = time.perf_counter()
        b = b"".join(_per_row_lines(c, codes, products) for c in sample)
        slow.append(time.perf_counter() - start)
    if a != b:
        print("error: the two formatters disagree", file=sys.stderr)
        return 1

    g, w = statistics.median(gen_times), statistics.median(write_times)
    f, s = statistics.median(fast), statistics.median(slow)
    print(f"size {size}, year {year}: {rows:,} flows; medians over {args.repeats} repeats")
    print(f"generate flows          : {g:8.2f} s  ({rows / g / 1e6:6.2f} M rows/s)")
    print(f"generate + write CSV    : {w:8.2f} s  ({rows / w / 1e6:6.2f} M rows/s)")
    print(f"format {n_sample:,} rows, Arrow (kakehashi)   : {f:7.3f} s  ({n_sample / f / 1e6:6.2f} M rows/s)")
    print(f"format {n_sample:,} rows, per-row (baseline)  : {s:7.3f} s  ({n_sample / s / 1e6:6.2f} M rows/s)")
    print(f"ratio baseline / kakehashi (formatting): {s / f:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
