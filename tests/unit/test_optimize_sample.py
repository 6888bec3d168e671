"""Portfolios and stockpiles on the SYNTHETIC tiny sample world: every proposal keeps every constraint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kakehashi.optimize.portfolio import diversify
from kakehashi.optimize.stockpile import stockpile
from kakehashi.warehouse import Warehouse


@pytest.mark.parametrize("objective", ["hhi", "governance", "shortfall"])
def test_every_catalogue_product_keeps_its_constraints(tiny_warehouse: Warehouse, objective: str) -> None:
    res = diversify(tiny_warehouse, "JPN", "CHN", partner="IND", objective=objective,  # type: ignore[arg-type]
                    max_rival_share=0.5, min_partner_share=0.02, max_change=0.8, lam=0.1,
                    on_infeasible="skip", draws=40)
    assert res.solutions, "the sample should give some feasible products"
    for sol in res.solutions:
        w, b = sol.shares[0], sol.bounds
        assert w.sum() == pytest.approx(1.0, abs=1e-6)
        assert np.all(w <= b.upper[0] + 1e-6) and np.all(w >= b.lower[0] - 1e-6)
        p = sol.problem
        if p.rival is not None:
            assert w[p.rival] <= 0.5 + 1e-6
        if p.min_partner_share is not None:
            assert w[p.partners[0]].sum() >= 0.02 - 1e-6
    infeasible = res.products[res.products.status == "infeasible"]
    assert all(note.startswith("JPN ") for note in infeasible.note)


def test_coalition_on_the_sample_counts_spare_capacity_once(tiny_warehouse: Warehouse) -> None:
    res = diversify(tiny_warehouse, "JPN+IND", "CHN", products="critical-minerals", max_rival_share=0.6,
                    on_infeasible="skip")
    coalition = [s for s in res.solutions if s.problem.m == 2]
    assert coalition
    for sol in coalition:
        p = sol.problem
        used = (np.maximum(sol.shares - p.current, 0) * p.imports_usd[:, None]).sum(axis=0)
        assert np.all(used <= p.spare_usd + 1e-6 * p.imports_usd.sum())


def test_stockpile_on_the_sample(tiny_warehouse: Warehouse) -> None:
    res = stockpile(tiny_warehouse, "JPN", "850511", months=6, ramp=4)
    assert 0 < res.stock_usd <= res.initial_shortfall_usd_per_month * 6 + 1e-6
    assert res.stock_months_of_imports == pytest.approx(res.stock_usd / (res.imports_usd / 12))


def _current_shares(wh: Warehouse, importer: str, year: int) -> pd.DataFrame:
    """Each supplier's share of the importer's imports per product, straight from the flows (pandas)."""
    t = wh.table("trade_flows")
    df = wh.execute(t.filter((t.importer == importer) & (t.year == year) & (t.exporter != importer))
                    .select("hs6", "exporter", "value_usd"))
    df = df.groupby(["hs6", "exporter"], as_index=False)["value_usd"].sum()
    df["share"] = df["value_usd"] / df.groupby("hs6")["value_usd"].transform("sum")
    return df


def test_rival_share_never_rises_under_the_current_share_cap(tiny_warehouse: Warehouse) -> None:
    """SYNTHETIC sample, the dashboard's question (India, rival China, partner Japan) with the cap at today's
    share, a limit on change per period and a cost weight: no product gets more Chinese."""
    res = diversify(tiny_warehouse, "IND", "CHN", partner="JPN", products="semiconductors",
                    cap_rival_at_current=True, max_change=0.2, lam=0.3, on_infeasible="skip")
    prod = res.products[res.products.status == "optimal"].set_index("hs6")
    assert len(prod) > 5
    assert (res.products.status != "infeasible").all()  # the current shares always satisfy these limits
    cur = _current_shares(tiny_warehouse, "IND", res.year)
    china = cur[cur.exporter == "CHN"].set_index("hs6")["share"]
    japan = cur[cur.exporter == "JPN"].set_index("hs6")["share"]
    proposed = res.table.pivot_table(index="hs6", columns="supplier", values="proposed_share",
                                     aggfunc="sum", fill_value=0.0)
    for code, row in prod.iterrows():
        before = float(china.get(code, 0.0))
        assert row.rival_share_before == pytest.approx(before, abs=1e-12)
        assert row.rival_share_after <= before + 1e-9
        assert not row.rival_share_rises
        # the partner flag against a direct computation from today's flows and the proposed table
        jp_before = float(japan.get(code, 0.0))
        jp_after = float(proposed.loc[code].get("JPN", 0.0))
        assert row.partner_share_before == pytest.approx(jp_before, abs=1e-12)
        assert row.partner_share_after == pytest.approx(jp_after, abs=1e-9)
        assert row.partner_share_falls == (jp_after < jp_before - 1e-9)
        # and every share moved by at most the limit per period
        moved = proposed.loc[code].reindex(cur[cur.hs6 == code].exporter).fillna(0.0)
        assert np.all(np.abs(moved.to_numpy() - cur[cur.hs6 == code].share.to_numpy()) <= 0.2 + 1e-7)
    assert any("never rises" in n for n in res.notes)


def test_without_the_cap_a_rising_rival_is_flagged(tiny_warehouse: Warehouse) -> None:
    """The dashboard's old call (no cap, no limit, λ = 0) raises China's share for some products: the flag
    says so, and it matches the shares before and after."""
    res = diversify(tiny_warehouse, "IND", "CHN", partner="JPN", products="semiconductors")
    prod = res.products[res.products.status == "optimal"]
    direct = prod.rival_share_after > prod.rival_share_before + 1e-9
    assert (prod.rival_share_rises == direct).all()
    assert direct.any(), "the SYNTHETIC sample reproduces the issue: some products get more Chinese"
    assert any("rises for" in n for n in res.notes)
    capped = diversify(tiny_warehouse, "IND", "CHN", partner="JPN", products="semiconductors",
                       cap_rival_at_current=True, max_rival_share=0.25)
    both = capped.products.set_index("hs6")
    for code, row in prod.set_index("hs6").iterrows():
        # the tighter of today's share and 0.25 applies
        assert both.loc[code, "rival_share_after"] <= min(row.rival_share_before, 0.25) + 1e-9
