"""Benchmark: a China ban on every rare-earth and magnet code, 1,000 Monte-Carlo draws.

``python benchmarks/bench_scenario.py [--quick] [--repeats N] [--draws N]``

Scenario: the shipped example ``china-rare-earth-ban`` (China bans all exports
of the rare-earth and magnet codes of the project's HS 2022 map to every
destination for a year; severity, θ, unpublished chain input shares and the
price elasticity uncertain), propagated three tiers down the catalogue's chain
links, on the SYNTHETIC ``baci``-size sample world (100 countries, ~4,900
products, ~10 million flows in the base year 2023; ``--quick``: the ``small``
world, 100 draws).

Compared in the same run, each in a fresh process (so peak RSS is its own):

* **vectorised**: :func:`kakehashi.scenarios.run.run_scenario`: one Ibis pull
  filtered to the affected products, then the NumPy kernels on arrays of shape
  (draws, products, countries);
* **pandas loop**: the same pull, then a straightforward loop over the draws
  doing the same arithmetic with pandas group-bys and merges (draw-independent
  aggregates hoisted out of the loop).

Before timing, both are run on a small case (50 draws) and must agree on every
p5/p50/p95 (relative 1e-9). Reports medians over repeats, peak RSS and the
ratio. Goals: vectorised < 10 s and >= 20x the loop.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BASE_YEAR = 2023


def build_warehouse(size: str, path: Path) -> Path:
    """Write the sample world's base-year trade flows into a warehouse (cached between runs)."""
    from kakehashi import Warehouse
    from kakehashi.sample import generate

    if (path / "CURRENT").exists():
        return path
    t = time.perf_counter()
    world = generate(size, years=[BASE_YEAR])
    flows = world.trade_flows_year(BASE_YEAR)
    Warehouse(path).ingest("trade_flows", flows, source=f"kakehashi sample {size} (SYNTHETIC)")
    print(f"built {size} warehouse: {len(flows):,} flows in {time.perf_counter() - t:.0f} s ({path})",
          flush=True)
    return path


def load_spec(draws: int) -> Any:
    """The shipped ``china-rare-earth-ban`` scenario with ``draws`` draws."""
    import yaml

    from kakehashi.scenarios.spec import example_text, parse_spec

    data = yaml.safe_load(example_text("china-rare-earth-ban"))
    data["draws"] = draws
    return parse_spec(data)


# ------------------------------------------------------------------------ pandas loop baseline

def pandas_loop(spec: Any, wh: Any, links: pd.DataFrame) -> pd.DataFrame:
    """The same scenario, one draw at a time with pandas (the baseline).

    Implements exactly the arithmetic of the kernels for one restricting
    exporter with targets ``all``: loss, reallocation of spare exports, net
    shortfall and share, price pressure, and the tier-by-tier chain cut.
    """
    from kakehashi.scenarios.run import _parameters

    (m,) = spec.restrictions()
    codes = list(m.products.values)
    tiers = spec.parameters.tiers
    universe, frontier = list(codes), set(codes)
    for _ in range(tiers):
        nxt = set(links.loc[links["input_hs6"].isin(frontier), "output_hs6"]) - set(universe)
        universe += sorted(nxt)
        frontier = nxt
    t = wh.table("trade_flows")
    base = t.filter((t.year == spec.base_year) & (t.hs_revision == spec.hs_revision) & t.hs6.isin(universe))
    flows = wh.execute(base.select("exporter", "importer", "hs6", "value_usd"))
    params, n = _parameters(spec)
    period = m.duration_months / 12.0
    r = m.exporter
    # draw-independent aggregates, hoisted
    restricted = flows[flows.hs6.isin(codes)]
    imports = restricted.groupby(["hs6", "importer"])["value_usd"].sum()
    from_r = restricted[restricted.exporter == r].groupby(["hs6", "importer"])["value_usd"].sum()
    from_r = from_r[from_r > 0]
    world = restricted.groupby("hs6")["value_usd"].sum()
    exports_r = from_r.groupby(level="hs6").sum()
    others_to_affected = (imports.loc[from_r.index] - from_r).groupby(level="hs6").sum()
    spare = (world - exports_r.reindex(world.index, fill_value=0)
             - others_to_affected.reindex(world.index, fill_value=0)).clip(lower=0)
    exports = flows.groupby(["hs6", "exporter"])["value_usd"].sum()
    exports.index = exports.index.set_names(["hs6", "importer"])
    lk = links[links.input_hs6.isin(universe) & links.output_hs6.isin(universe)][
        ["input_hs6", "output_hs6", "input_share"]].copy()
    lk["input_share"] = pd.to_numeric(lk["input_share"], errors="coerce")
    records: list[pd.DataFrame] = []
    for d in range(n):  # the loop over draws
        sev, theta = params[f"severity.{m.id}"][d], params["theta"][d]
        eps, a_def = params["price_elasticity"][d], params["default_input_share"][d]
        loss = from_r * sev * period
        total = loss.groupby(level="hs6").sum()
        pool = theta * spare.reindex(total.index) * period
        cover = (pool / total).where(total > 0, 0.0).clip(upper=1.0)
        realloc = loss * cover.reindex(loss.index.get_level_values("hs6")).to_numpy()
        net = (loss - realloc).clip(lower=0)
        share = net / (imports.loc[net.index] * period)
        z = (net.groupby(level="hs6").sum() / (world.reindex(total.index) * period)).clip(0, 0.99)
        price = (1 - z) ** (-1 / eps) - 1
        lanes = {"importer": loss.index.get_level_values("importer"),
                 "hs6": loss.index.get_level_values("hs6")}
        out = [
            pd.DataFrame({**lanes, "tier": 0, "metric": name, "value": v.to_numpy(), "draw": d})
            for name, v in (("direct_loss_usd", loss), ("reallocated_usd", realloc),
                            ("net_shortfall_usd", net), ("net_shortfall_share", share))
        ]
        out.append(pd.DataFrame({"importer": "WLD", "hs6": price.index, "tier": 0, "metric": "price_pressure",
                                 "value": price.to_numpy(), "draw": d}))
        s = share.rename("s").reset_index().rename(columns={"hs6": "input_hs6"})
        for k in range(1, tiers + 1):
            j = s.merge(lk, on="input_hs6")
            j["a"] = j["input_share"].fillna(a_def)
            j["c"] = j["a"] * j["s"]
            s = (j.groupby(["output_hs6", "importer"], as_index=False)["c"].sum()
                 .rename(columns={"output_hs6": "input_hs6", "c": "s"}))
            s["s"] = s["s"].clip(upper=1.0)
            if s.empty:
                break
            idx = pd.MultiIndex.from_arrays([s["input_hs6"], s["importer"]], names=["hs6", "importer"])
            at_risk = s["s"].to_numpy() * exports.reindex(idx, fill_value=0.0).to_numpy() * period
            for metric, v in (("supply_cut_share", s["s"].to_numpy()), ("output_at_risk_usd", at_risk)):
                out.append(pd.DataFrame({"importer": s["importer"].to_numpy(),
                                         "hs6": s["input_hs6"].to_numpy(), "tier": k, "metric": metric,
                                         "value": v, "draw": d}))
        records.append(pd.concat(out, ignore_index=True))
    allrows = pd.concat(records, ignore_index=True)
    q = allrows.groupby(["importer", "hs6", "tier", "metric"])["value"].quantile([0.05, 0.5, 0.95])
    return q.unstack().set_axis(["p5", "p50", "p95"], axis=1).reset_index()


# -------------------------------------------------------------------------------- the runs

def _vectorised(spec: Any, wh: Any, links: pd.DataFrame) -> pd.DataFrame:
    from kakehashi.scenarios.run import run_scenario

    return run_scenario(spec, wh, links=links).table


def _child(kind: str, wh_path: str, draws: int, repeats: int, queue: Any) -> None:
    """Run one variant ``repeats`` times in this (fresh) process; report times and peak RSS."""
    from kakehashi import Warehouse, catalogue

    wh = Warehouse(wh_path, read_only=True)
    spec = load_spec(draws)
    links = catalogue.chain_links()
    fn = _vectorised if kind == "vectorised" else pandas_loop
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(spec, wh, links)
        times.append(time.perf_counter() - t)
    queue.put((times, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))


def measure(kind: str, wh_path: Path, draws: int, repeats: int) -> tuple[list[float], float]:
    """Times (s) and peak RSS (MiB) of ``kind`` in a fresh process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(kind, str(wh_path), draws, repeats, queue))
    proc.start()
    result: tuple[list[float], float] = queue.get()
    proc.join()
    return result


def check_agreement(wh_path: Path, draws: int = 50) -> int:
    """Both implementations give the same p5/p50/p95 on a small case; returns rows compared."""
    from kakehashi import Warehouse, catalogue

    wh = Warehouse(wh_path, read_only=True)
    spec = load_spec(draws)
    links = catalogue.chain_links()
    vec = _vectorised(spec, wh, links)
    loop = pandas_loop(spec, wh, links)
    key = ["importer", "hs6", "tier", "metric"]
    merged = vec.merge(loop, on=key, suffixes=("", "_loop"), how="outer", indicator=True)
    loop_q = merged[["p5_loop", "p50_loop", "p95_loop"]].abs().sum(axis=1)
    nonzero_loop_only = merged[(merged["_merge"] == "right_only") & (loop_q > 0)]
    assert nonzero_loop_only.empty, nonzero_loop_only.head()
    both = merged[merged["_merge"] == "both"]
    assert len(both) > 0
    for q in ("p5", "p50", "p95"):
        np.testing.assert_allclose(both[q].to_numpy(), both[f"{q}_loop"].to_numpy(), rtol=1e-9, atol=1e-9)
    return len(both)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print medians, peak memory and the ratio."""
    from kakehashi import config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sample world, 100 draws (seconds)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs of the vectorised path (5)")
    parser.add_argument("--loop-repeats", type=int, default=None, help="timed runs of the pandas loop (3)")
    parser.add_argument("--draws", type=int, default=None, help="Monte-Carlo draws (1000; quick: 100)")
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="where to build/cache the sample warehouse (default: the kakehashi cache)")
    args = parser.parse_args(argv)
    size = "small" if args.quick else "baci"
    draws = args.draws or (100 if args.quick else 1000)
    repeats = args.repeats or (3 if args.quick else 5)
    loop_repeats = args.loop_repeats or (1 if args.quick else 3)
    wh_path = args.warehouse or (config.cache_dir() / "bench" / f"sample-{size}-{BASE_YEAR}")
    wh_path.parent.mkdir(parents=True, exist_ok=True)
    build_warehouse(size, wh_path)
    spec = load_spec(draws)
    (m,) = spec.restrictions()
    print(f"scenario {spec.name}: {m.exporter} bans {len(m.products.values)} codes to all destinations, "
          f"{spec.parameters.tiers} chain tiers, {draws} draws, sample world '{size}' (SYNTHETIC), "
          f"base year {BASE_YEAR}")
    rows = check_agreement(wh_path)
    print(f"agreement check (50 draws): {rows} p5/p50/p95 rows identical (rtol 1e-9)")
    vec_t, vec_mem = measure("vectorised", wh_path, draws, repeats)
    loop_t, loop_mem = measure("loop", wh_path, draws, loop_repeats)
    v, lo = statistics.median(vec_t), statistics.median(loop_t)
    print(f"vectorised run_scenario : median {v:7.2f} s over {repeats} runs, "
          f"peak RSS {vec_mem:7.0f} MiB")
    print(f"pandas loop over draws  : median {lo:7.2f} s over {loop_repeats} runs, "
          f"peak RSS {loop_mem:7.0f} MiB")
    print(f"ratio (loop / vectorised): {lo / v:.1f}x   goals: < 10 s and >= 20x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
