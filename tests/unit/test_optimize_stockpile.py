"""Stockpile sizing: the closed form by hand, numerical integration, and the scenario kernel.

The warehouse holds a few hand-made synthetic flows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kakehashi.errors import InputError
from kakehashi.optimize.stockpile import (
    STOCKPILE_COLUMNS,
    cumulative_shortfall,
    monthly_shortfall,
    stockpile,
)
from kakehashi.warehouse import Warehouse

# (exporter, importer): value USD of 850511 in 2023
FLOWS = {
    ("CHN", "JPN"): 600.0, ("VNM", "JPN"): 120.0, ("KOR", "JPN"): 480.0,   # JPN imports 1200
    ("CHN", "IND"): 200.0, ("KOR", "IND"): 50.0,
    ("KOR", "USA"): 300.0, ("VNM", "DEU"): 100.0, ("JPN", "USA"): 40.0, ("CHN", "USA"): 900.0,
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    rows = [{"year": 2023, "exporter": e, "importer": i, "hs6": "850511", "value_usd": v, "quantity_t": None,
             "hs_revision": "HS22", "source": "hand-made test data (SYNTHETIC)"}
            for (e, i), v in FLOWS.items()]
    w = Warehouse(Path(tmp_path_factory.mktemp("stock")) / "wh")
    w.ingest("trade_flows", pd.DataFrame(rows), source="hand-made test data (SYNTHETIC)")
    return w


def test_closed_form_by_hand() -> None:
    # D ≤ R: s0·D − (s0 − s∞)·D²/(2R) = 10·3 − 8·9/8 = 21
    assert cumulative_shortfall(10.0, 2.0, 3.0, 4.0) == pytest.approx(21.0)
    # D > R: trapezoid (10 + 2)·4/2 = 24 plus 2·(6 − 4) = 4 → 28
    assert cumulative_shortfall(10.0, 2.0, 6.0, 4.0) == pytest.approx(28.0)
    # full cover (s∞ = 0): the triangle 10·4/2 = 20, whatever D ≥ R
    assert cumulative_shortfall(10.0, 0.0, 12.0, 4.0) == pytest.approx(20.0)
    # no ramp: the steady state from day one
    assert cumulative_shortfall(10.0, 2.0, 6.0, 0.0) == pytest.approx(12.0)


@settings(max_examples=50, deadline=None)
@given(s0=st.floats(0, 100), frac=st.floats(0, 1), d=st.floats(0.1, 36), r=st.floats(0.1, 24))
def test_closed_form_equals_numerical_integral(s0: float, frac: float, d: float, r: float) -> None:
    s_inf = s0 * frac
    t = np.linspace(0.0, d, 20_001)
    t = np.unique(np.append(t, [r] if r < d else []))  # the kink at the end of the ramp
    numeric = np.trapezoid(monthly_shortfall(s0, s_inf, r, t), t)
    assert cumulative_shortfall(s0, s_inf, d, r) == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_stockpile_for_a_ban_on_the_importer_alone(wh: Warehouse) -> None:
    res = stockpile(wh, "JPN", "850511", months=6, ramp=4, targets="importer", theta=0.2)
    # loss L = 600/yr; spare = non-CHN, non-JPN exports to countries other than JPN:
    # KOR 50 + 300, VNM 100 = 450; θS = 90 → N = 510/yr
    assert res.spare_usd == pytest.approx(450.0)
    assert res.initial_shortfall_usd_per_month == pytest.approx(50.0)
    assert res.steady_shortfall_usd_per_month == pytest.approx(42.5)
    # C = (50 + 42.5)·4/2 + 42.5·2 = 270 USD = 2.7 months of imports (100/month)
    assert res.stock_usd == pytest.approx(270.0)
    assert res.stock_months_of_imports == pytest.approx(2.7)
    assert res.holding_cost_usd_per_year == pytest.approx(0.05 * 270.0)
    assert list(res.frame().columns) == list(STOCKPILE_COLUMNS)


def test_stockpile_agrees_with_the_restriction_scenario(wh: Warehouse) -> None:
    from kakehashi.scenarios.run import run_scenario
    from kakehashi.scenarios.spec import parse_spec

    spec = parse_spec({
        "name": "magnet-ban-test", "base_year": 2023,
        "measures": [{"type": "export_restriction", "id": "ban", "exporter": "CHN", "products": ["850511"],
                      "targets": "all", "severity": 0.8, "start": "2026-01-01", "duration_months": 12}],
        "parameters": {"theta": 0.3, "tiers": 0},
    })
    table = run_scenario(spec, wh).table
    row = table[(table.importer == "JPN") & (table.metric == "net_shortfall_usd")].iloc[0]
    res = stockpile(wh, "JPN", "850511", months=12, ramp=0, severity=0.8, theta=0.3)
    # over 12 months with no ramp the stock is the scenario's yearly net shortfall
    assert res.stock_usd == pytest.approx(float(row.p50))
    # by hand: losses 0.8·600 = 480 (JPN), 0.8·200 = 160 (IND), 0.8·900 = 720 (USA); spare = exports of
    # non-CHN suppliers to countries not hit (DEU): VNM 100 → θS = 30, shared 480/1360 to JPN
    assert res.stock_usd == pytest.approx(480 - 30 * 480 / 1360)


def test_bad_input(wh: Warehouse) -> None:
    with pytest.raises(InputError, match="more than 0 months"):
        stockpile(wh, "JPN", "850511", months=0, ramp=4)
    with pytest.raises(InputError, match="ramp-up cannot be negative"):
        stockpile(wh, "JPN", "850511", months=6, ramp=-1)
    with pytest.raises(InputError, match=r"unknown (ISO3 )?country( code)? 'JPX'"):
        stockpile(wh, "JPX", "850511", months=6, ramp=4)
    with pytest.raises(InputError, match="no imports of 280530"):
        stockpile(wh, "JPN", "280530", months=6, ramp=4)
    with pytest.raises(InputError, match="severity must lie between 0 and 1"):
        stockpile(wh, "JPN", "850511", months=6, ramp=4, severity=1.5)
    for kw, name in ((dict(months=float("inf")), "months"), (dict(ramp=float("nan")), "ramp"),
                     (dict(holding_rate=float("inf")), "holding rate")):
        args: dict[str, float] = {"months": 6.0, "ramp": 4.0, **kw}
        with pytest.raises(InputError, match=f"the {name} must be a finite number"):
            stockpile(wh, "JPN", "850511", **args)  # type: ignore[arg-type]
