"""Benchmark: the full dependency screen (every importer x every HS6 x 3 years) against pandas.

Usage::

    python benchmarks/bench_screen.py            # baci-size SYNTHETIC sample (about 30 million rows)
    python benchmarks/bench_screen.py --quick    # small sample (about 0.6 million rows), seconds

Steps:

1. Build a warehouse from the SYNTHETIC sample world (``kakehashi.sample``; HS22, 2021-2023),
   once per size, in ``--workdir`` (default: a folder under the system temp dir).
2. Run the full screen with kakehashi (Ibis on DuckDB, executed to pandas) and with an
   idiomatic pandas implementation of the same method (read the Parquet files, groupby /
   merge), each in its own process so that peak memory (``ru_maxrss``) is measured per
   implementation. Report median wall time over ``--repeats``, peak memory and the ratio.
3. On the ``--quick`` size, assert that both give the same numbers (every column, rtol 1e-9).
4. Time a single-importer screen (``screen_frame(wh, "JPN", "CHN")``, all products, 3 years) on the
   built warehouse (whose per-snapshot exporter totals, ``kakehashi.metrics.derived``, are
   materialised once after the build and timed separately): the first call in a fresh process
   (which includes importing kakehashi's modules and opening DuckDB) and the median of warm calls.

Goals (issue 3): kakehashi at least 10x faster than pandas, peak memory under 6 GB, and a
single-importer screen under 1 second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

RIVAL = "CHN"
KEYS = ["importer", "hs6", "year"]
COLUMNS = [
    "importer", "hs6", "year", "imports_usd", "import_hhi", "top_supplier", "top_share", "rival_usd",
    "rival_share", "world_export_hhi", "exports_usd", "import_export_ratio", "dependent", "persistent",
    "severity",
]


# ----------------------------------------------------------------------------- warehouse
def build_warehouse(size: str, workdir: Path, years: list[int] | None = None, name: str | None = None
                    ) -> Path:
    """Write the SYNTHETIC sample world's trade flows into a warehouse (skipped if already built).

    ``years`` defaults to the sample's (2021-2023); ``name`` to ``wh-SIZE``.
    """
    from kakehashi.sample import SOURCE_TRADE, generate
    from kakehashi.schemas import schema
    from kakehashi.warehouse import Warehouse

    path = workdir / (name or f"wh-{size}")
    marker = path / "BENCH-COMPLETE"
    if marker.exists():
        return path
    world = generate(size, years=years)
    target = schema("trade_flows").arrow_schema()
    iso3 = pa.array(world.model.iso3, pa.string())
    hs6 = pa.array(world.model.hs6, pa.string())
    wh = Warehouse(path)
    for year in world.years:
        exporters, importers, products, values, kgs = [], [], [], [], []
        for chunk in world.chunks(year):
            exporters.append(np.full(len(chunk), chunk.exporter, dtype=np.int32))
            importers.append(chunk.importer)
            products.append(chunk.product)
            values.append(chunk.value_usd)
            kgs.append(chunk.quantity_kg)
        kg = np.concatenate(kgs).astype(np.float64)
        n = len(kg)

        def codes(idx: list[np.ndarray], dictionary: pa.Array) -> pa.Array:
            return pa.DictionaryArray.from_arrays(pa.array(np.concatenate(idx)), dictionary).cast(pa.string())

        table = pa.table({
            "year": pa.array(np.full(n, year, dtype=np.int32)),
            "exporter": codes(exporters, iso3),
            "importer": codes(importers, iso3),
            "hs6": codes(products, hs6),
            "value_usd": pa.array(np.concatenate(values).astype(np.float64)),
            "quantity_t": pa.array(np.where(kg < 0, np.nan, kg / 1000.0), from_pandas=True),
            "hs_revision": pa.array(["HS22"] * n, pa.string()),
            "source": pa.array([SOURCE_TRADE] * n, pa.string()),
        }).cast(target)
        with wh.transaction() as tx:
            tx.write("trade_flows", table, source=SOURCE_TRADE, validated=True)
        print(f"  built {year}: {n:,} rows", flush=True)
    marker.write_text("ok\n")
    return path


def materialise(wh_path: Path) -> None:
    """Compute the cached per-snapshot summaries a single-importer screen reads."""
    from kakehashi.metrics.derived import export_totals, trade_revision_years
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(wh_path, read_only=True)
    revs = trade_revision_years(wh)
    for rev in sorted(set(revs["hs_revision"])):
        export_totals(wh, str(rev))
    wh.close()


# ------------------------------------------------------------------------ implementations
def kakehashi_full(wh_path: Path, engine: str = "duckdb") -> pd.DataFrame:
    """The full screen with kakehashi: every importer on its own, every product, every year.

    The library's own request (:func:`kakehashi.metrics.screen.dependency_screen`: the analysis
    revision, one source per year, the snapshot's exporter totals), as every front end runs it.
    """
    from kakehashi.metrics.screen import dependency_screen, to_frame
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(wh_path, engine=engine, read_only=True)
    df = to_frame(wh, dependency_screen(wh, None, RIVAL))
    wh.close()
    return df


def pandas_full(wh_path: Path, t_import: float = 0.4, t_export: float = 0.4, t_ratio: float = 1.0
                ) -> pd.DataFrame:
    """The same screen written in idiomatic pandas (groupby, transform, merge)."""
    from kakehashi.warehouse import Warehouse

    files = Warehouse(wh_path, read_only=True).files("trade_flows")
    flows = pd.concat(
        [pd.read_parquet(f, columns=["year", "exporter", "importer", "hs6", "value_usd"]) for f in files],
        ignore_index=True,
    )
    sup = flows.groupby([*KEYS, "exporter"], as_index=False)["value_usd"].sum()
    sup["share"] = sup["value_usd"] / sup.groupby(KEYS)["value_usd"].transform("sum")
    sup["share_sq"] = sup["share"] ** 2
    sup["rival_v"] = sup["value_usd"].where(sup["exporter"] == RIVAL, 0.0)
    stats = sup.groupby(KEYS, as_index=False).agg(
        imports_usd=("value_usd", "sum"), import_hhi=("share_sq", "sum"), rival_usd=("rival_v", "sum"),
    )
    top = (sup.sort_values([*KEYS, "value_usd", "exporter"], ascending=[True, True, True, False, True])
              .drop_duplicates(KEYS)[[*KEYS, "exporter", "value_usd"]]
              .rename(columns={"exporter": "top_supplier", "value_usd": "top_v"}))
    out = stats.merge(top, on=KEYS)
    out["top_share"] = out["top_v"] / out["imports_usd"]
    out["rival_share"] = out["rival_usd"] / out["imports_usd"]

    wx = flows.groupby(["hs6", "year", "exporter"], as_index=False)["value_usd"].sum()
    wx["share_sq"] = (wx["value_usd"] / wx.groupby(["hs6", "year"])["value_usd"].transform("sum")) ** 2
    world = wx.groupby(["hs6", "year"], as_index=False)["share_sq"].sum().rename(
        columns={"share_sq": "world_export_hhi"})
    own = (flows.groupby(["exporter", "hs6", "year"], as_index=False)["value_usd"].sum()
                .rename(columns={"exporter": "importer", "value_usd": "exports_usd"}))
    out = out.merge(world, on=["hs6", "year"], how="left").merge(own, on=KEYS, how="left")
    out["exports_usd"] = out["exports_usd"].fillna(0.0)
    out["import_export_ratio"] = (out["imports_usd"] / out["exports_usd"]).where(out["exports_usd"] > 0)
    out["dependent"] = ((out["import_hhi"] > t_import) & (out["world_export_hhi"].fillna(0) > t_export)
                        & (out["imports_usd"] > t_ratio * out["exports_usd"]))
    net = (1 - out["exports_usd"] / out["imports_usd"]).clip(lower=0)
    out["severity"] = 100 * out["rival_share"] * out["import_hhi"] * out["world_export_hhi"].fillna(0) * net

    years = sorted(out["year"].unique())
    rank = {y: i for i, y in enumerate(years)}
    out["_i"] = out["year"].map(rank)
    count = out["dependent"].astype(int)
    for lag in (1, 2):
        prev = out[["importer", "hs6", "_i", "dependent"]].assign(_i=out["_i"] + lag)
        prev = prev.rename(columns={"dependent": f"_d{lag}"})
        merged = out[["importer", "hs6", "_i"]].merge(prev, on=["importer", "hs6", "_i"], how="left")
        count = count + merged[f"_d{lag}"].fillna(False).astype(int).to_numpy()
    out["persistent"] = count >= 2
    return out[COLUMNS]


def kakehashi_single(wh_path: Path) -> pd.DataFrame:
    """One importer (JPN) against the rival, every product, every year, with names."""
    from kakehashi.metrics.screen import screen_frame
    from kakehashi.warehouse import Warehouse

    return screen_frame(Warehouse(wh_path, read_only=True), "JPN", RIVAL)


# ------------------------------------------------------------------------------- children
def _peak_mb() -> float:
    """Peak RSS of this process in MB: VmHWM of its own memory where /proc is there (``ru_maxrss``
    carries the parent's peak across ``exec`` on Linux: after the parent built the warehouse, every
    child reported the build's peak), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kilobytes
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def child(impl: str, wh_path: Path, repeats: int, save: Path | None) -> dict[str, Any]:
    fn = {"kakehashi": kakehashi_full, "pandas": pandas_full, "single": kakehashi_single}[impl]
    times = []
    df = pd.DataFrame()
    for _ in range(repeats):
        t0 = time.perf_counter()
        df = fn(wh_path)
        times.append(time.perf_counter() - t0)
    if save is not None:
        df.to_parquet(save, index=False)
    return {"impl": impl, "times": times, "rows": len(df), "peak_mb": _peak_mb()}


def run_child(impl: str, wh_path: Path, repeats: int, save: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", impl, "--wh", str(wh_path), "--repeats", str(repeats)]
    if save is not None:
        cmd += ["--save", str(save)]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
    result: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    times = ", ".join(f"{t:.2f}" for t in result["times"])
    print(f"  {impl}: {times} s; peak {result['peak_mb']:.0f} MB; {result['rows']:,} rows", flush=True)
    return result


def compare(a_path: Path, b_path: Path) -> None:
    """Assert that kakehashi and pandas give the same screen (every column)."""
    a = pd.read_parquet(a_path).sort_values(KEYS).reset_index(drop=True)
    b = pd.read_parquet(b_path).sort_values(KEYS).reset_index(drop=True)
    assert len(a) == len(b), (len(a), len(b))
    for col in COLUMNS:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=1e-12,
                                       err_msg=col)
        else:
            assert (x.astype(str).to_numpy() == y.astype(str).to_numpy()).all(), col


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sample (seconds) and an equality check")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per implementation")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kakehashi-bench")
    ap.add_argument("--child", choices=["kakehashi", "pandas", "single"], help=argparse.SUPPRESS)
    ap.add_argument("--wh", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--save", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.wh, args.repeats or 1, args.save)))
        return

    size = "small" if args.quick else "baci"
    repeats = args.repeats or 3
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"building the SYNTHETIC {size} sample warehouse in {args.workdir} ...", flush=True)
    t0 = time.perf_counter()
    wh_path = build_warehouse(size, args.workdir)
    print(f"  ready in {time.perf_counter() - t0:.1f} s", flush=True)
    shutil.rmtree(wh_path / "derived", ignore_errors=True)  # time the materialisation every run
    t0 = time.perf_counter()
    materialise(wh_path)
    print(f"  per-snapshot summaries (exporter totals, revisions and years) in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)

    out_k = args.workdir / f"screen-kakehashi-{size}.parquet"
    out_p = args.workdir / f"screen-pandas-{size}.parquet"
    k = run_child("kakehashi", wh_path, repeats, out_k)
    p = run_child("pandas", wh_path, repeats, out_p)
    compare(out_k, out_p)
    single_cold = run_child("single", wh_path, 1)
    single_warm = run_child("single", wh_path, max(repeats, 5))

    from kakehashi.warehouse import Warehouse

    rows = sum(int(r) for r in Warehouse(wh_path, read_only=True).log()["rows"])
    mk, mp = statistics.median(k["times"]), statistics.median(p["times"])
    warm = statistics.median(single_warm["times"][1:] or single_warm["times"])
    print()
    print(f"dependency screen, every importer x every HS6 x 3 years, {rows:,} trade rows "
          f"(SYNTHETIC {size} sample), {k['rows']:,} result rows")
    print(f"{'implementation':<28}{'median s':>10}{'runs':>6}{'peak MB':>10}")
    print(f"{'kakehashi (Ibis, DuckDB)':<28}{mk:>10.2f}{len(k['times']):>6}{k['peak_mb']:>10.0f}")
    print(f"{'pandas (same method)':<28}{mp:>10.2f}{len(p['times']):>6}{p['peak_mb']:>10.0f}")
    print(f"speed-up: {mp / mk:.1f}x (goal >= 10x); kakehashi peak {k['peak_mb'] / 1024:.2f} GB "
          "(goal < 6 GB); results identical (rtol 1e-9)")
    print("single importer (JPN vs CHN, all products, 3 years): first call in a fresh process "
          f"(with imports) "
          f"{single_cold['times'][0]:.2f} s, warm median {warm:.2f} s (goal < 1 s)")


if __name__ == "__main__":
    main()
