"""Benchmark: diversification portfolios for every product, JPN and IND, ``hhi`` objective.

Usage::

    python benchmarks/bench_optimize.py            # 300 products x 200 suppliers; baci-size sample
    python benchmarks/bench_optimize.py --quick    # 60 x 100; small sample (seconds)

Two parts, each timed against a baseline computed in the same run:

A. Solver, at the issue's scale: SYNTHETIC arrays (seeded; labelled synthetic) of 300 products x
   200 suppliers for each of JPN and IND (600 problems) with a rival cap of 0.3, a partner
   minimum of 0.05 and a maximum change of 0.6. kakehashi's default path (``solve_many``,
   method ``auto``: every product in one vectorised exact water-filling pass) against the
   per-product HiGHS QP loop (method ``highs``, one ``highspy`` model per product). The two
   must agree (objective values within 1e-6).
B. End to end: ``diversify(wh, importer, "CHN", products=None)`` (every catalogue product, read
   from the warehouse through Ibis, rival cap 0.5, infeasible products skipped) for JPN and for
   IND on the SYNTHETIC sample warehouse (``kakehashi.sample``; ``small`` with ``--quick``,
   ``baci`` otherwise, built once per size in ``--workdir`` by ``bench_screen.build_warehouse``),
   method ``auto`` against method ``highs`` (runs interleaved). ``--wh PATH`` uses an existing
   warehouse instead.

Goal (issue 5): under 5 seconds for every catalogued product for JPN and for IND.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))


def synthetic_problems(n_products: int, n_suppliers: int, seed: int = 20261121) -> list:  # type: ignore[type-arg]
    """SYNTHETIC portfolio problems: the rival (index 0) dominates, ~30 current suppliers, lognormal spare."""
    from kakehashi.optimize import PortfolioProblem

    rng = np.random.default_rng(seed)
    suppliers = tuple(["CHN", "IND", "JPN"] + [f"S{k:03d}" for k in range(n_suppliers - 3)])
    out = []
    for importer, partner in (("JPN", 1), ("IND", 2)):
        for p in range(n_products):
            n_cur = int(rng.integers(3, 31))
            cur = np.zeros(n_suppliers)
            idx = np.concatenate([[0], rng.choice(np.arange(3, n_suppliers), n_cur - 1, replace=False)])
            cur[idx] = rng.dirichlet(np.full(n_cur, 0.5))
            cur[0] += rng.uniform(0.2, 1.0)
            cur /= cur.sum()
            imports = float(rng.lognormal(17, 1.5))
            spare = imports * rng.lognormal(-3.0, 1.5, n_suppliers)
            spare[1 if importer == "IND" else 2] = 0.0  # an importer does not supply itself
            partners = np.zeros(n_suppliers, dtype=bool)
            partners[partner] = True
            spare[partner] = max(spare[partner], 0.1 * imports)
            out.append(PortfolioProblem(
                hs6=f"{p:06d}", importers=(importer,), suppliers=suppliers, current=[cur],
                imports_usd=[imports], spare_usd=spare, cost_ratio=[rng.lognormal(0, 0.3, n_suppliers)],
                risk_weight=np.ones(n_suppliers), objective="hhi", rival=0, rival_cap=0.3,
                partners=[partners], min_partner_share=0.05, max_change=0.6,
            ))
    return out


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def part_a(n_products: int, n_suppliers: int, repeats: int, base_repeats: int) -> None:
    from kakehashi.optimize import solve_many
    from kakehashi.optimize.solve import Infeasible

    t0 = time.perf_counter()
    problems = synthetic_problems(n_products, n_suppliers)
    build = time.perf_counter() - t0
    print(f"A. solver: {len(problems)} SYNTHETIC problems ({n_products} products x {n_suppliers} suppliers "
          f"x JPN, IND), hhi, rival cap 0.3, partner min 0.05, max change 0.6 "
          f"(building the arrays: {build:.2f} s)")
    t_fast, fast = timed(lambda: solve_many(problems, "auto"), repeats)
    t_base, base = timed(lambda: solve_many(problems, "highs"), base_repeats)
    assert isinstance(fast, list) and isinstance(base, list)
    n_inf = sum(isinstance(r, Infeasible) for r in fast)
    diffs = [abs(a.objective_value - b.objective_value) for a, b in zip(fast, base, strict=True)
             if not isinstance(a, Infeasible) and not isinstance(b, Infeasible)]
    pairs = list(zip(fast, base, strict=True))
    assert all(isinstance(a, Infeasible) == isinstance(b, Infeasible) for a, b in pairs)
    worst = max(diffs) if diffs else 0.0
    assert worst < 1e-6, f"methods disagree by {worst}"
    print(f"   kakehashi (batched exact water-filling): median {t_fast:.3f} s over {repeats} runs")
    print(f"   baseline (per-product HiGHS QP loop):    median {t_base:.3f} s over {base_repeats} runs")
    print(f"   ratio baseline / kakehashi: {t_base / t_fast:.1f}x; {n_inf} infeasible (explained); "
          f"max objective difference {worst:.1e}")


def part_b(size: str, workdir: Path, repeats: int, existing: Path | None = None) -> None:
    from bench_screen import build_warehouse
    from kakehashi.optimize.portfolio import diversify
    from kakehashi.warehouse import Warehouse

    if existing is not None:
        wh_path = existing
        print(f"B. end to end on the warehouse {wh_path} ...", flush=True)
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"B. end to end on the SYNTHETIC {size} sample warehouse ({workdir}) ...", flush=True)
        wh_path = build_warehouse(size, workdir)
    wh = Warehouse(wh_path, read_only=True)
    log = wh.log()
    print(f"   trade_flows: {int(log.loc[log.table == 'trade_flows', 'rows'].sum()):,} rows; sources: "
          f"{', '.join(sorted(set(log.source)))}", flush=True)

    def run(method: str) -> dict[str, object]:
        out = {}
        for imp in ("JPN", "IND"):
            out[imp] = diversify(wh, imp, "CHN", products=None, max_rival_share=0.5, method=method,  # type: ignore[arg-type]
                                 on_infeasible="skip")
        return out

    run("auto")  # warm the engine's caches once (both methods read the same data)
    fast_times, base_times = [], []
    res: object = None
    for _ in range(repeats):  # interleaved, so that the shared machine's load hits both alike
        t0 = time.perf_counter()
        res = run("auto")
        fast_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run("highs")
        base_times.append(time.perf_counter() - t0)
    t_fast, t_base = statistics.median(fast_times), statistics.median(base_times)
    assert isinstance(res, dict)
    for imp, r in res.items():
        p = r.products
        sizes = [s.problem.n for s in r.solutions]
        print(f"   {imp}: {len(p)} catalogue products, {int((p.status == 'optimal').sum())} solved, "
              f"{int((p.status == 'infeasible').sum())} infeasible, {int((p.status == 'no imports').sum())} "
              f"not imported; suppliers per product median {int(np.median(sizes)) if sizes else 0}, "
              f"max {max(sizes) if sizes else 0}")
    print(f"   kakehashi diversify, JPN + IND (method auto):  median {t_fast:.3f} s over {repeats} runs")
    print(f"   baseline diversify, JPN + IND (method highs): median {t_base:.3f} s over {repeats} runs")
    print(f"   ratio baseline / kakehashi: {t_base / t_fast:.1f}x; goal < 5 s: "
          f"{'met' if t_fast < 5 else 'NOT met'}")
    wh.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="60 products x 100 suppliers; small sample")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs of kakehashi's path")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kakehashi-bench")
    ap.add_argument("--skip-warehouse", action="store_true", help="run part A only")
    ap.add_argument("--only-warehouse", action="store_true", help="run part B only")
    ap.add_argument("--wh", type=Path, default=None, help="use this existing warehouse in part B")
    args = ap.parse_args()
    repeats = args.repeats or (5 if args.quick else 7)
    if not args.only_warehouse:
        if args.quick:
            part_a(60, 100, repeats, 3)
        else:
            part_a(300, 200, repeats, 3)
    if not args.skip_warehouse:
        part_b("small" if args.quick else "baci", args.workdir, repeats, args.wh)


if __name__ == "__main__":
    main()
