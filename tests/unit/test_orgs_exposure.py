"""A firm's exposure on the SYNTHETIC tiny sample: the look-through share by hand from the raw BACI files."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from kakehashi.orgs.bom import parse_bom
from kakehashi.questions import firms
from kakehashi.warehouse import Warehouse

BOM = """item,hs6,supplier_country,annual_spend_usd,seeking_alternatives
battery cells,850760,CHN,100000,true
battery cells,850760,KOR,300000,
battery cells,850760,IDN,600000,
ferro-alloy,720299,IDN,500000,
ferro-alloy,720299,IND,250000,
ferro-alloy,720299,DEU,250000,
"""


def raw_imports(sample: Path, year: int) -> dict[tuple[str, str, str], float]:
    """(importer, exporter, hs6) -> value, read with the csv module from the BACI files of the sample."""
    with open(sample / "baci" / "country_codes_V202501.csv", newline="", encoding="utf-8") as fh:
        iso = {r["country_code"]: r["iso_3digit_alpha"] for r in csv.DictReader(fh)}
    iso["490"] = "TWN"
    out: dict[tuple[str, str, str], float] = defaultdict(float)
    with open(sample / "baci" / f"BACI_HS22_Y{year}_V202501.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out[(iso[r["j"]], iso[r["i"]], r["k"].zfill(6))] += float(r["v"])
    return out


def hand_indirect(rows: list[tuple[str, str, float]], hs6: str, rival: str,
                  imp: dict[tuple[str, str, str], float]) -> float:
    spend = sum(v for _, _, v in rows)
    total = 0.0
    for _, s, v in rows:
        if s == rival:
            continue
        all_ = sum(val for (j, _i, k), val in imp.items() if j == s and k == hs6)
        from_rival = imp.get((s, rival, hs6), 0.0)
        total += v / spend * (from_rival / all_ if all_ else 0.0)
    return total


def test_indirect_share_equals_hand_computation(tiny_warehouse: Warehouse, tiny_sample_dir: Path) -> None:
    countries, products = firms.vocabulary(tiny_warehouse)
    rows = parse_bom(BOM, countries=countries, products=products)
    fe = firms.firm_exposure(tiny_warehouse, rows, rival="CHN", importer="JPN", partner="IND")
    assert fe.year == 2023  # the latest year of the sample
    imp = raw_imports(tiny_sample_dir, 2023)
    items = fe.items.set_index("item")
    bom = [(r["item"], r["supplier_country"], r["annual_spend_usd"]) for r in rows]
    checked = 0
    for item, hs6 in [("battery cells", "850760"), ("ferro-alloy", "720299")]:
        mine = [r for r in bom if r[0] == item]
        expected = hand_indirect(mine, hs6, "CHN", imp)
        assert 0 < expected < 1  # a real look-through, neither none nor all
        assert items.loc[item, "indirect_rival_share"] == pytest.approx(expected, rel=1e-9)
        direct = sum(v for _, s, v in mine if s == "CHN") / sum(v for *_, v in mine)
        assert items.loc[item, "direct_rival_share"] == pytest.approx(direct)
        checked += 1
    assert checked == 2
    # the firm total weighs items by spend (1.0 m each here)
    assert fe.total["spend_usd"] == pytest.approx(2_000_000)
    assert fe.total["indirect_rival_share"] == pytest.approx(items["indirect_rival_share"].mean())
    assert fe.total["direct_rival_share"] == pytest.approx(0.05)


def test_flags_and_alternatives(tiny_warehouse: Warehouse) -> None:
    from kakehashi.metrics.screen import dependency_screen
    from kakehashi.metrics.substitution import spare_exports

    countries, products = firms.vocabulary(tiny_warehouse)
    rows = parse_bom(BOM, countries=countries, products=products)
    fe = firms.firm_exposure(tiny_warehouse, rows, rival="CHN", importer="JPN", partner="IND")
    items = fe.items.set_index("item")
    # the suppliers' dependency flags are the country screen's, supplier by supplier
    for item, hs6, sups in [("battery cells", "850760", ["KOR", "IDN"]),
                            ("ferro-alloy", "720299", ["IDN", "IND", "DEU"])]:
        flagged = []
        for s in sups:
            scr = tiny_warehouse.execute(dependency_screen(tiny_warehouse, s, "CHN", products=[hs6]))
            scr = scr[scr["year"] == 2023]
            if len(scr) and bool(scr["dependent"].iloc[0]):
                flagged.append(s)
        shown = items.loc[item, "dependent_suppliers"]
        assert sorted(x.split(" ")[0] for x in shown.split(", ") if x) == sorted(flagged)
    # alternatives: spare exports to destinations other than JPN (the one implementation), partner first
    flows = tiny_warehouse.table("trade_flows")
    sp = tiny_warehouse.execute(spare_exports(flows, ["JPN"], products=["720299"], years=[2023]))
    sp = sp[(sp["exporter"] != "CHN") & (sp["spare_usd"] > 0)]
    alt = items.loc["ferro-alloy", "alternatives"]
    if "IND" in set(sp["exporter"]):
        assert alt.startswith("IND ")
    best_other = sp[sp["exporter"] != "IND"].sort_values("spare_usd", ascending=False)["exporter"].iloc[0]
    assert f"{best_other} " in alt
    assert bool(items.loc["battery cells", "seeking_alternatives"]) is True


def test_measure_bands_scaled_to_spend(tiny_warehouse: Warehouse) -> None:
    from kakehashi.scenarios.measures import default_base_year, spec_from_measure
    from kakehashi.scenarios.run import run_scenario

    bom = ("item,hs6,supplier_country,annual_spend_usd\ngraphite,250410,CHN,300000\n"
           "graphite,250410,KOR,700000\nbattery cells,850760,KOR,5000\n")
    countries, products = firms.vocabulary(tiny_warehouse)
    rows = parse_bom(bom, countries=countries, products=products)
    fe = firms.firm_exposure(tiny_warehouse, rows, rival="CHN", importer="JPN",
                             measure="CN-2023-39-GRAPHITE")
    items = fe.items.set_index("item")
    # the same measure run through the scenario library directly
    years = sorted(int(y) for y in tiny_warehouse.execute(
        tiny_warehouse.table("trade_flows").select("year").distinct())["year"])
    spec = spec_from_measure("CN-2023-39-GRAPHITE", available_years=years)
    assert spec.base_year == default_base_year("CN-2023-39-GRAPHITE", years)
    t = run_scenario(spec, tiny_warehouse).table
    share = t[(t.metric == "net_shortfall_share") & (t.tier == 0) & (t.importer == "JPN")
              & (t.hs6 == "250410")]
    assert len(share) == 1
    for q in ("p5", "p50", "p95"):
        expected = 1_000_000 * float(share[q].iloc[0])
        assert items.loc["graphite", f"shortfall_{q}_usd"] == pytest.approx(expected)
        assert items.loc["battery cells", f"shortfall_{q}_usd"] == 0.0  # not hit by the measure
    assert 0 < items.loc["graphite", "shortfall_p5_usd"] <= items.loc["graphite", "shortfall_p95_usd"]
    assert fe.total["shortfall_p50_usd"] == pytest.approx(items["shortfall_p50_usd"].sum())
