"""Portfolios from a warehouse: shares, spare capacity, unit values, coalition, frontier.

The warehouse holds a few hand-made synthetic flows so every number can be
checked by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kakehashi.errors import InputError
from kakehashi.optimize.portfolio import (
    FRONTIER_COLUMNS,
    PRODUCT_COLUMNS,
    TABLE_COLUMNS,
    diversify,
    frontier,
    load_portfolio_data,
)
from kakehashi.optimize.solve import InfeasibleError
from kakehashi.warehouse import Warehouse

# (exporter, importer, hs6): (value USD, tonnes or None)
FLOWS = {
    ("CHN", "JPN", "850511"): (80.0, 8.0),   # 10 USD/t
    ("VNM", "JPN", "850511"): (20.0, 1.0),   # 20 USD/t
    ("CHN", "IND", "850511"): (50.0, 5.0),
    ("KOR", "IND", "850511"): (10.0, 0.5),
    ("VNM", "USA", "850511"): (30.0, 1.5),
    ("KOR", "USA", "850511"): (40.0, 4.0),   # KOR: 50 USD over 4.5 t to the world
    ("IND", "USA", "850511"): (12.0, None),
    ("JPN", "USA", "850511"): (15.0, None),
    ("AUS", "DEU", "850511"): (25.0, 2.5),
    ("CHN", "USA", "850511"): (200.0, 20.0),
    ("CHN", "JPN", "280530"): (100.0, 1.0),
    ("USA", "DEU", "280530"): (60.0, 0.5),
}
GOV = {"CHN": -0.5, "VNM": -0.2, "KOR": 1.0, "IND": -0.1, "AUS": 1.5, "USA": 1.2, "JPN": 1.3, "DEU": 1.5}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    rows = [{"year": 2023, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": q,
             "hs_revision": "HS22", "source": "hand-made test data (SYNTHETIC)"}
            for (e, i, k), (v, q) in FLOWS.items()]
    gov = [{"year": 2022, "country": c, "indicator": ind, "value": v}
           for c, v in GOV.items() for ind in ("va", "pv", "ge", "rq", "rl", "cc")]
    w = Warehouse(Path(tmp_path_factory.mktemp("portfolio")) / "wh")
    with w.transaction() as tx:
        tx.write("trade_flows", pd.DataFrame(rows), source="hand-made test data (SYNTHETIC)")
        tx.write("governance", pd.DataFrame(gov), source="hand-made test data (SYNTHETIC)")
    return w


def _fill(cap: dict[str, float]) -> dict[str, float]:
    """min Σw², Σw = 1, w ≤ cap: w = min(cap, τ), τ by bisection (independent of the library)."""
    lo, hi = 0.0, 1.0
    vals = np.array(list(cap.values()))
    for _ in range(200):
        t = (lo + hi) / 2
        lo, hi = (t, hi) if np.minimum(vals, t).sum() < 1 else (lo, t)
    return {k: min(v, lo) for k, v in cap.items()}


def test_data_read_back_by_hand(wh: Warehouse) -> None:
    d = load_portfolio_data(wh, "JPN", "CHN", products=["850511"])
    assert d.year == 2023 and d.revision == "HS22"
    spare = d.spare.set_index("exporter")["spare_usd"].to_dict()
    # spare exports = exports to countries other than JPN
    assert spare["VNM"] == 30.0 and spare["KOR"] == 50.0 and spare["CHN"] == 250.0
    assert spare["IND"] == 12.0 and spare["AUS"] == 25.0
    assert "JPN" not in spare
    uv = d.world_unit_value.set_index("exporter")["unit_value"].to_dict()
    assert uv["KOR"] == pytest.approx(50 / 4.5)
    assert np.isnan(uv["IND"])  # no quantity reported
    # WGI scaled = 5 − 2·mean (EU method): CHN −0.5 → 6
    assert d.risk["CHN"] == pytest.approx(6.0)


def test_diversify_hhi_with_rival_cap_is_water_filling(wh: Warehouse) -> None:
    res = diversify(wh, "JPN", "CHN", products=["850511"], max_rival_share=0.3)
    assert list(res.table.columns) == list(TABLE_COLUMNS)
    assert list(res.products.columns) == list(PRODUCT_COLUMNS)
    got = res.table.set_index("supplier")
    # capacities for JPN (imports 100): current + spare/100
    cap = {"CHN": 0.3, "VNM": 0.2 + 0.30, "KOR": 0.50, "IND": 0.12, "AUS": 0.25}
    expected = _fill(cap)
    for s, w in expected.items():
        assert got.loc[s, "proposed_share"] == pytest.approx(w, abs=1e-7)
        assert got.loc[s, "capacity_share"] == pytest.approx(cap[s] if s != "CHN" else 1.0)
    assert got.loc["CHN", "current_share"] == pytest.approx(0.8)
    prod = res.products.iloc[0]
    assert prod.status == "optimal"
    # τ = 0.22 (0.12 + 4τ = 1): the rival ends below its cap of 0.3
    assert expected["CHN"] == pytest.approx(0.22)
    assert prod.rival_share_after == pytest.approx(0.22, abs=1e-7)
    assert prod.risk_before == pytest.approx(0.8**2 + 0.2**2)
    assert prod.risk_after == pytest.approx(sum(w * w for w in expected.values()), abs=1e-7)
    # extra cost: imports × Σ (w − w0) × uv / mix uv, mix uv = 100 USD / 9 t
    uv = {"CHN": 10.0, "VNM": 20.0, "KOR": 50 / 4.5, "IND": 100 / 9, "AUS": 10.0}  # IND: no qty → mix
    w0 = {"CHN": 0.8, "VNM": 0.2}
    cost = 100 * sum((expected[s] - w0.get(s, 0.0)) * uv[s] / (100 / 9) for s in expected)
    assert prod.extra_cost_usd == pytest.approx(cost, abs=1e-5)
    assert any("without quantities" in n for n in res.notes)


def test_rival_cap_binds_and_products_without_imports_are_reported(wh: Warehouse) -> None:
    res = diversify(wh, "JPN", "CHN", products=["850511", "280530", "260400"], max_rival_share=0.5,
                    on_infeasible="skip")
    st = res.products.set_index("hs6")["status"].to_dict()
    assert st["850511"] == "optimal"
    # 280530: JPN buys 100 from CHN; USA's 60 spare gives capacity 0.6 → USA 0.5, CHN 0.5
    assert st["280530"] == "optimal"
    t = res.table[res.table.hs6 == "280530"].set_index("supplier")["proposed_share"]
    assert t["CHN"] == pytest.approx(0.5) and t["USA"] == pytest.approx(0.5)
    assert st["260400"] == "no imports"


def test_infeasible_cap_raises_with_reason_or_is_skipped(wh: Warehouse) -> None:
    # 280530 with a cap of 0.2: USA can take 0.6 at most → 0.8 < 1
    with pytest.raises(InfeasibleError, match=r"JPN 280530: suppliers can cover at most 0\.80 of imports"):
        diversify(wh, "JPN", "CHN", products=["280530"], max_rival_share=0.2)
    res = diversify(wh, "JPN", "CHN", products=["280530", "850511"], max_rival_share=0.2,
                    on_infeasible="skip")
    row = res.products.set_index("hs6").loc["280530"]
    assert row.status == "infeasible" and "0.20 short" in row.note
    assert set(res.table.hs6) == {"850511"}


def test_partner_floor_and_governance_objective(wh: Warehouse) -> None:
    res = diversify(wh, "JPN", "CHN", partner="IND", products=["850511"], min_partner_share=0.1,
                    objective="governance")
    p = res.products.iloc[0]
    assert p.partner_share_before == 0 and p.partner_share_after >= 0.1 - 1e-9
    # governance risk: Σ g w² with g = WGI scaled: CHN 6, VNM 5.4
    assert p.risk_before == pytest.approx(6.0 * 0.64 + 5.4 * 0.04)
    assert p.risk_after < p.risk_before


def test_coalition_shares_spare_capacity(wh: Warehouse) -> None:
    res = diversify(wh, "JPN+IND", "CHN", products=["850511"], max_rival_share=0.3)
    assert set(res.table.importer) == {"JPN", "IND"}
    sol = res.solutions[0]
    p = sol.problem
    used = (np.maximum(sol.shares - p.current, 0) * p.imports_usd[:, None]).sum(axis=0)
    assert np.all(used <= p.spare_usd + 1e-6)
    assert np.all(sol.shares[:, p.suppliers.index("CHN")] <= 0.3 + 1e-7)  # the rival cap holds for both
    spare = dict(zip(p.suppliers, p.spare_usd, strict=True))
    # coalition spare: exports outside {JPN, IND}; members supply each other from theirs
    assert spare["KOR"] == 40.0 and spare["VNM"] == 30.0 and spare["JPN"] == 15.0 and spare["IND"] == 12.0
    assert spare["CHN"] == 200.0
    # JPN's partner is IND and IND's is JPN
    assert p.partners[0, p.suppliers.index("IND")] and p.partners[1, p.suppliers.index("JPN")]


def test_frontier_is_monotone(wh: Warehouse) -> None:
    fr = frontier(wh, "JPN", "CHN", products=["850511", "280530"], max_rival_share=0.5,
                  lams=(0.0, 0.1, 1.0, 10.0))
    assert list(fr.columns) == list(FRONTIER_COLUMNS)
    for _, g in fr.groupby("hs6"):
        g = g.sort_values("lam")
        # a larger λ never buys more risk reduction at more cost: risk ↑, cost ↓
        assert np.all(np.diff(g["risk"].to_numpy()) >= -1e-9)
        assert np.all(np.diff(g["extra_cost_usd"].to_numpy()) <= 1e-6)
    total = fr[fr.hs6 == "ALL"].set_index("lam")
    parts = fr[fr.hs6 != "ALL"]
    for lam, g in parts.groupby("lam"):
        assert total.loc[lam, "extra_cost_usd"] == pytest.approx(g["extra_cost_usd"].sum())
        weighted = (g["risk"] * g["imports_usd"]).sum() / g["imports_usd"].sum()
        assert total.loc[lam, "risk"] == pytest.approx(weighted)


def test_shortfall_objective_cuts_rival_exposure(wh: Warehouse) -> None:
    res = diversify(wh, "JPN", "CHN", products=["850511"], objective="shortfall", draws=50)
    p = res.products.iloc[0]
    assert p.rival_share_after < p.rival_share_before
    assert p.risk_after < p.risk_before


def test_bad_input(wh: Warehouse) -> None:
    with pytest.raises(InputError, match=r"unknown (ISO3 )?country( code)? 'JPX'"):
        diversify(wh, "JPX", "CHN", products=["850511"])
    with pytest.raises(InputError, match=r"weight on cost \(lam\) must be zero or positive"):
        diversify(wh, "JPN", "CHN", products=["850511"], lam=-1)
    with pytest.raises(InputError, match="partner minimum needs a partner"):
        diversify(wh, "JPN", "CHN", products=["850511"], min_partner_share=0.2)
    with pytest.raises(InputError, match="unknown workstream"):
        diversify(wh, "JPN", "CHN", products="critical-mineralz")


def test_rival_cap_at_current_share_per_importer_and_frontier(wh: Warehouse) -> None:
    # JPN buys 850511 from CHN 0.8 / VNM 0.2; IND from CHN 50/60 and KOR 10/60
    res = diversify(wh, "JPN+IND", "CHN", products=["850511"], cap_rival_at_current=True,
                    max_rival_share=0.82)
    p = res.solutions[0].problem
    np.testing.assert_allclose(np.asarray(p.rival_cap), [0.8, 0.82])  # min(today's share, 0.82)
    prod = res.products.set_index("importer")
    assert prod.loc["JPN", "rival_share_after"] <= 0.8 + 1e-9
    assert prod.loc["IND", "rival_share_after"] <= 0.82 + 1e-9
    assert not prod["rival_share_rises"].any()
    assert ("China's share capped at its current level in each product or at 82.0%, whichever is lower, "
            "so it never rises") in res.notes
    fr = frontier(wh, "JPN", "CHN", products=["850511", "280530"], cap_rival_at_current=True,
                  lams=(0.0, 1.0, 10.0))
    per = fr[fr.hs6 != "ALL"]
    assert (per["rival_share"] <= per["rival_share_before"] + 1e-9).all()
    before = {"850511": 0.8, "280530": 1.0}
    for code, g in per.groupby("hs6"):
        np.testing.assert_allclose(g["rival_share_before"], before[str(code)])
    total = fr[fr.hs6 == "ALL"].set_index("lam")
    for lam, g in per.groupby("lam"):
        w = (g["rival_share"] * g["imports_usd"]).sum() / g["imports_usd"].sum()
        assert total.loc[lam, "rival_share"] == pytest.approx(w)
    # without the flag and with no cap at all the rival's share is free to move either way
    free = diversify(wh, "JPN", "CHN", products=["850511"])
    assert free.solutions[0].problem.rival_cap is None
