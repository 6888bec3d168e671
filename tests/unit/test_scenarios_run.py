"""run_scenario on a small hand-made (synthetic) warehouse, against hand calculations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kakehashi import Warehouse
from kakehashi.errors import InputError
from kakehashi.scenarios.run import KEY_COLUMNS, METRICS, run_scenario
from kakehashi.scenarios.spec import load_spec, parse_spec

# Synthetic world, base year 2023, HS22. Product 284690 (RE compounds):
#   CHN -> JPN 60, IND 40, USA 30 ; AUS -> JPN 40, IND 10, DEU 50, USA 20 ; VNM -> KOR 30
# Downstream: JPN -> USA 850511 200 (magnets), IND -> DEU 850164 50 (generators),
# CHN -> DEU 850511 100. USA imports of 850511: CHN 100 (below), JPN 200.
FLOWS = [
    ("CHN", "JPN", "284690", 60.0), ("CHN", "IND", "284690", 40.0), ("CHN", "USA", "284690", 30.0),
    ("AUS", "JPN", "284690", 40.0), ("AUS", "IND", "284690", 10.0), ("AUS", "DEU", "284690", 50.0),
    ("AUS", "USA", "284690", 20.0), ("VNM", "KOR", "284690", 30.0),
    ("JPN", "USA", "850511", 200.0), ("IND", "DEU", "850164", 50.0), ("CHN", "DEU", "850511", 100.0),
    ("CHN", "USA", "850511", 100.0),
]
LINKS = pd.DataFrame({
    "input_hs6": ["284690", "850511"],
    "output_hs6": ["850511", "850164"],
    "input_share": pd.array([0.5, None], dtype="Float64"),
    "note": ["synthetic", "synthetic: no share"],
    "source": ["test", "test"],
})


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    path: Path = tmp_path_factory.mktemp("wh")
    w = Warehouse(path)
    df = pd.DataFrame(FLOWS, columns=["exporter", "importer", "hs6", "value_usd"])
    df["year"] = 2023
    df["quantity_t"] = None
    df["hs_revision"] = "HS22"
    df["source"] = "hand-made test flows (SYNTHETIC)"
    w.ingest("trade_flows", df, source="test (SYNTHETIC)")
    return w


BAN = """
name: ban-test
base_year: 2023
measures:
  - type: export_restriction
    exporter: CHN
    products: ["284690"]
    targets: [JPN, IND]
    severity: 1.0
    duration_months: 12
parameters: {theta: 0.2, price_elasticity: 0.5, default_input_share: 0.25, tiers: 2}
"""


def _get(table: pd.DataFrame, importer: str, hs6: str, metric: str, tier: int = 0) -> pd.Series:
    row = table[(table.importer == importer) & (table.hs6 == hs6) & (table.metric == metric)
                & (table.tier == tier)]
    assert len(row) == 1, (importer, hs6, metric, tier, row)
    return row.iloc[0]


def test_restriction_run_matches_hand_calculation(wh: Warehouse) -> None:
    res = run_scenario(parse_spec(BAN), wh, links=LINKS)
    t = res.table
    assert list(t.columns[:9]) == KEY_COLUMNS
    assert res.draws == 1 and (t.p5 == t.p50).all() and (t.p50 == t.p95).all()
    # spare = world 280 - CHN exports 130 - others' sales to JPN/IND (40 + 10) = 100 ; pool = 0.2 * 100 = 20
    expect = {("JPN", "direct_loss_usd"): 60.0, ("IND", "direct_loss_usd"): 40.0,
              ("JPN", "reallocated_usd"): 12.0, ("IND", "reallocated_usd"): 8.0,
              ("JPN", "net_shortfall_usd"): 48.0, ("IND", "net_shortfall_usd"): 32.0,
              ("JPN", "net_shortfall_share"): 0.48, ("IND", "net_shortfall_share"): 0.64}
    for (imp, metric), value in expect.items():
        assert _get(t, imp, "284690", metric).p50 == pytest.approx(value), (imp, metric)
    assert _get(t, "JPN", "284690", "direct_loss_usd").exporter == "CHN"
    assert "USA" not in set(t[t.metric == "direct_loss_usd"].importer)  # not targeted
    # price pressure: z = 80 / 280, (1 - z)^(-1/0.5) - 1 = 0.96
    assert _get(t, "WLD", "284690", "price_pressure").p50 == pytest.approx(0.96)
    # tier 1: magnets cut 0.5 * s ; output at risk = cut * exports (JPN 200, IND 0)
    assert _get(t, "JPN", "850511", "supply_cut_share", 1).p50 == pytest.approx(0.24)
    assert _get(t, "IND", "850511", "supply_cut_share", 1).p50 == pytest.approx(0.32)
    assert _get(t, "JPN", "850511", "output_at_risk_usd", 1).p50 == pytest.approx(48.0)
    # tier 2: generators cut 0.25 (default share) * tier-1 cut ; IND exports 50 -> 0.08 * 50 = 4
    assert _get(t, "IND", "850164", "supply_cut_share", 2).p50 == pytest.approx(0.08)
    assert _get(t, "IND", "850164", "output_at_risk_usd", 2).p50 == pytest.approx(4.0)
    assert any("inputs assumed to be 25% of the product's value where no input-output share is known" in n
               for n in res.notes)
    assert not any("default_input_share" in n for n in res.notes)
    # summary: largest net shortfall first, with its share
    top = res.summary.iloc[0]
    assert (top.importer, top.metric, top.p50, top.share_p50) == ("JPN", "net_shortfall_usd", 48.0, 0.48)


def test_duration_scales_usd_not_shares(wh: Warehouse) -> None:
    res = run_scenario(parse_spec(BAN.replace("duration_months: 12", "duration_months: 6")), wh, links=LINKS)
    assert _get(res.table, "JPN", "284690", "net_shortfall_usd").p50 == pytest.approx(24.0)
    assert _get(res.table, "JPN", "284690", "net_shortfall_share").p50 == pytest.approx(0.48)


def test_uncertain_run_is_seeded_and_bands_ordered(wh: Warehouse) -> None:
    text = BAN + "uncertain:\n  theta: {dist: uniform, low: 0.0, high: 1.0}\n" \
                 "  severity: {dist: triangular, low: 0.5, mode: 1.0, high: 1.0}\ndraws: 2000\nseed: 5\n"
    a = run_scenario(parse_spec(text), wh, links=LINKS)
    b = run_scenario(parse_spec(text), wh, links=LINKS)
    pd.testing.assert_frame_equal(a.table, b.table)
    c = run_scenario(parse_spec(text.replace("seed: 5", "seed: 6")), wh, links=LINKS)
    assert not a.table.equals(c.table)  # the seed is used
    assert a.draws == 2000
    net = _get(a.table, "JPN", "284690", "net_shortfall_usd")
    assert net.p5 < net.p50 < net.p95
    loss = _get(a.table, "JPN", "284690", "direct_loss_usd")
    # triangular(0.5, mode 1, 1): CDF (x - 0.5)^2 / 0.25, so the q-quantile is 0.5 + 0.5*sqrt(q);
    # loss = 60 * phi
    assert loss.p5 == pytest.approx(60 * (0.5 + 0.5 * np.sqrt(0.05)), rel=0.03)
    assert loss.p95 == pytest.approx(60 * (0.5 + 0.5 * np.sqrt(0.95)), rel=0.01)
    # with theta large enough the shortfall vanishes: pool 100*theta >= 100*phi iff theta >= phi
    assert net.p5 == pytest.approx(0.0, abs=1e-9)


TARIFF = """
name: tariff-test
base_year: 2023
measures:
  - type: tariff
    importer: USA
    exporters: [CHN]
    products: ["850511"]
    rate: 0.20
    stacks: true
    start: 2025-06-01
parameters: {import_demand_elasticity: 1.0, sigma: 1.5, export_supply_elasticity: 99}
"""


def test_stacked_tariff_run_matches_hand_calculation(wh: Warehouse) -> None:
    res = run_scenario(parse_spec(TARIFF), wh, links=LINKS)
    t = res.table
    # in force on 2025-06-01 for 850511: CHN reciprocal 10 % (Geneva) + fentanyl 20 %; JPN reciprocal 10 %
    assert _get(t, "USA", "850511", "tariff_before").p50 == pytest.approx(0.30)
    assert t[(t.metric == "tariff_after") & (t.exporter == "CHN")].p50.iloc[0] == pytest.approx(0.50)
    damp = 1 + 1.0 / 99
    tc = -100 * 1.0 * 0.20 / (1.30 * damp)                  # = -15.08
    dlnp = 0.20 / 1.30 / damp
    x = -1.5 * dlnp
    td = 100 * 200 * x / (100 + 200 + 100 * x)              # CHN loses, JPN gains
    assert _get(t, "USA", "850511", "trade_creation_usd").p50 == pytest.approx(tc)
    div = t[(t.metric == "trade_diversion_usd") & (t.hs6 == "850511")].set_index("exporter").p50
    assert div["CHN"] == pytest.approx(td) and div["JPN"] == pytest.approx(-td)
    total = t[(t.metric == "welfare_change_usd") & (t.hs6 == "ALL")]
    assert len(total) == 1 and total.exporter.iloc[0] == "WLD"
    # both welfare figures are in the table, with units and descriptions in METRICS
    tri = _get(t[t.exporter == "CHN"], "USA", "850511", "wits_welfare_triangle_usd").p50
    assert tri == pytest.approx(0.5 * 0.20 * tc)  # ½ · Δt · ΔM, ΔM the trade creation
    tri_all = t[(t.metric == "wits_welfare_triangle_usd") & (t.hs6 == "ALL")].p50.iloc[0]
    assert tri_all == pytest.approx(tri)  # JPN's duty does not change: no triangle
    assert METRICS["wits_welfare_triangle_usd"][0] == METRICS["welfare_change_usd"][0] == "USD/yr"
    assert "consumer surplus plus tariff revenue" in METRICS["welfare_change_usd"][1]
    assert any("US-IEEPA-FENTANYL-CHN (20%)" in n for n in res.notes)
    top = res.summary[res.summary.metric == "trade_total_usd"].iloc[0]
    assert top.exporter == "CHN" and top.p50 < 0


def test_unknown_codes_and_years_name_the_field(wh: Warehouse) -> None:
    with pytest.raises(InputError, match=r"measures\[0\]\.products: unknown HS code '284691'.*284690"):
        run_scenario(parse_spec(BAN.replace('["284690"]', '["284691"]')), wh, links=LINKS)
    with pytest.raises(InputError, match=r"base_year: no trade flows for 2022 in HS22.*2023 HS22"):
        run_scenario(parse_spec(BAN.replace("base_year: 2023", "base_year: 2022")), wh, links=LINKS)
    with pytest.raises(InputError, match=r"measures\[0\]\.targets: .*'XXX'"):
        run_scenario(parse_spec(BAN.replace("[JPN, IND]", "[JPN, XXX]")), wh, links=LINKS)


def test_restricted_product_downstream_of_another_uses_its_exports(wh: Warehouse) -> None:
    # 850511 is both restricted (tier 0) and downstream of 284690 (tier 1): its output at risk
    # must still use JPN's exports of 850511 (200): 0.5 * 0.48 * 200 = 48
    spec = parse_spec(BAN.replace('["284690"]', '["284690", "850511"]'))
    res = run_scenario(spec, wh, links=LINKS)
    assert _get(res.table, "JPN", "850511", "output_at_risk_usd", 1).p50 == pytest.approx(48.0)


def test_user_elasticity_table_overrides_default(wh: Warehouse, tmp_path: Path) -> None:
    table = tmp_path / "eps.csv"
    table.write_text("hs6,elasticity,importer\n850511,3.0,\n850511,2.0,USA\n")
    text = TARIFF.replace("parameters: {", "parameters: {import_demand_elasticities: eps.csv, ")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(text)
    spec = load_spec(scenario)  # the table is read when the file is loaded, relative to it
    assert spec.parameters.import_demand_elasticities == {"850511": 3.0, "USA": {"850511": 2.0}}
    res = run_scenario(spec, wh, links=LINKS)
    # USA-specific 2.0 wins over the generic 3.0: TC = -100 * 2.0 * 0.20 / (1.30 * (1 + 2.0/99))
    tc = -100 * 2.0 * 0.20 / (1.30 * (1 + 2.0 / 99))
    assert _get(res.table, "USA", "850511", "trade_creation_usd").p50 == pytest.approx(tc)
    table.write_text("hs6,elasticity\n850511,-1.2\n")
    with pytest.raises(InputError, match=r"eps\.csv:2: elasticity -1\.2 of 850511 must be a finite positive"):
        load_spec(scenario)


@pytest.mark.spark
def test_same_results_on_spark(wh: Warehouse, spark_available: None) -> None:
    text = BAN + "uncertain:\n  theta: {dist: uniform, low: 0.0, high: 0.5}\ndraws: 300\n"
    duck = run_scenario(parse_spec(text), wh, links=LINKS).table
    spark_wh = Warehouse(wh.path, engine="spark", read_only=True)
    spark = run_scenario(parse_spec(text), spark_wh, links=LINKS).table
    key = ["importer", "exporter", "hs6", "tier", "metric"]
    a = duck.sort_values(key).reset_index(drop=True)
    b = spark.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    tar = run_scenario(parse_spec(TARIFF), spark_wh, links=LINKS).table
    assert _get(tar, "USA", "850511", "tariff_before").p50 == pytest.approx(0.30)


TWO = """
name: overlap-test
base_year: 2023
measures:
  - type: export_restriction
    id: short-ban
    exporter: CHN
    products: ["284690"]
    targets: [JPN, IND]
    severity: 1.0
    start: {short_start}
    duration_months: 3
  - type: export_restriction
    id: long-cut
    exporter: CHN
    products: ["284690"]
    targets: [JPN, IND]
    severity: 0.5
    start: 2026-01-01
    duration_months: 12
parameters: {{theta: 0.2, tiers: 0}}
"""


@pytest.mark.parametrize(("short_start", "months_at", "period_months"), [
    # the 3-month ban inside the 12-month cut: 3 months at 1 − (1 − 1)(1 − 0.5) = 1, 9 months at 0.5
    ("2026-01-01", {1.0: 3, 0.5: 9}, 12),
    # the ban from December: Jan–Nov at 0.5, December at 1 (both), Jan–Feb 2027 at 1 (the ban alone)
    ("2026-12-01", {0.5: 11, 1.0: 3}, 14),
])
def test_overlapping_restrictions_combine_month_by_month(
        wh: Warehouse, short_start: str, months_at: dict[float, int], period_months: int) -> None:
    res = run_scenario(parse_spec(TWO.format(short_start=short_start)), wh, links=LINKS)
    t = res.table
    severity_years = sum(phi * n for phi, n in months_at.items()) / 12  # Σ_t φ_t / 12
    period = period_months / 12
    loss = {"JPN": 60.0 * severity_years, "IND": 40.0 * severity_years}
    # the pool: θ × (world 280 − CHN 130 − others' sales to JPN/IND 50) over the period
    pool = 0.2 * 100.0 * period
    cover = min(1.0, pool / (loss["JPN"] + loss["IND"]))
    imports = {"JPN": 100.0, "IND": 50.0}
    for imp in ("JPN", "IND"):
        assert _get(t, imp, "284690", "direct_loss_usd").p50 == pytest.approx(loss[imp])
        net = loss[imp] * (1 - cover)
        assert _get(t, imp, "284690", "net_shortfall_usd").p50 == pytest.approx(net)
        share = _get(t, imp, "284690", "net_shortfall_share").p50
        assert share == pytest.approx(net / (imports[imp] * period))
    # not the old rule (both severities combined, 1, over the longest duration, 12 months)
    assert _get(t, "JPN", "284690", "direct_loss_usd").p50 != pytest.approx(60.0 * 1.0)
