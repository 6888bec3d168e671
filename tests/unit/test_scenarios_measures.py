"""The measures catalogue read as of dates, checked against the policy-facts reference."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.errors import InputError, ScenarioError
from kakehashi.scenarios import measures as ms
from kakehashi.scenarios.run import run_scenario
from kakehashi.scenarios.spec import ExportRestriction, ProductSpec, Tariff, parse_spec
from kakehashi.warehouse import Warehouse

OCT_2025_PACKAGE = ["CN-2025-55-SUPERHARD", "CN-2025-56-RE-EQUIPMENT", "CN-2025-57-RARE-EARTHS",
                    "CN-2025-58-BATTERIES", "CN-2025-61-OVERSEAS-RE", "CN-2025-62-RE-TECHNOLOGY"]


def _status(mid: str, date: str) -> ms.StatusAsOf:
    st = ms.status_as_of(ms.get_measure(mid), date)
    assert st is not None
    return st


def test_catalogue_is_complete_and_cited() -> None:
    cat = ms.catalogue()
    ids = {m.id for m in cat.measures}
    assert len(ids) == len(cat.measures) >= 30
    for m in cat.measures:
        assert m.sources and m.flag in ("V", "V?", "U")
        assert all(e.sources for e in m.history)
    # the kinds of measure the issue asks for are all there
    for mid in ("CN-2023-23-GA-GE", "CN-2023-39-GRAPHITE", "CN-2024-33-ANTIMONY", "CN-2024-46-US-MINERALS",
                "CN-2025-10-W-TE-BI-MO-IN", "CN-2025-18-RARE-EARTHS", *OCT_2025_PACKAGE,
                "CN-2025-70-SUSPENSION", "US-IEEPA-RECIPROCAL-JPN", "US-IEEPA-RECIPROCAL-IND",
                "US-IEEPA-RECIPROCAL-CHN", "US-IEEPA-IND-RUSSIAN-OIL", "US-232-STEEL-ALUMINIUM",
                "US-SCOTUS-IEEPA-RULING", "US-SEC122-SURCHARGE"):
        assert mid in ids


def test_unverified_facts_are_flagged() -> None:
    # the reference marks these U: Ge codes, the magnet code of No. 18, Te/Bi/Mo/In codes, pharma in force
    assert "282560" in ms.get_measure("CN-2023-23-GA-GE").products_unverified
    assert "850511" in ms.get_measure("CN-2025-18-RARE-EARTHS").products_unverified
    assert "280450" in ms.get_measure("CN-2025-10-W-TE-BI-MO-IN").products_unverified
    assert ms.get_measure("US-232-PHARMA").flag == "U"
    assert ms.get_measure("CN-2026-1-JAPAN-MILITARY").flag == "V?"
    eighty_four = [e for e in ms.get_measure("US-IEEPA-RECIPROCAL-CHN").history if e.rate == 0.84]
    assert eighty_four[0].flag == "V?"


def test_every_hs_code_exists_in_hs2022(shared_data: Path) -> None:
    with open(shared_data / "hs" / "harmonized-system-2022.csv", encoding="utf-8") as fh:
        codes = {row["hscode"] for row in csv.DictReader(fh)}
    for m in ms.load_measures():
        scope = [] if m.products == "all" else list(m.products)
        for code in [*scope, *m.exclude]:
            assert code in codes, f"{m.id}: {code} is not an HS 2022 code"


def test_october_2025_package_suspended_as_of_2026_01_01() -> None:
    for mid in OCT_2025_PACKAGE:
        st = _status(mid, "2026-01-01")
        assert st.status == "suspended" and st.until == dt.date(2026, 11, 10) and not st.active
    # announced but not yet effective on 2025-10-20
    assert _status("CN-2025-57-RARE-EARTHS", "2025-10-20").status == "announced"
    # after the suspension lapses (no later information): in force again, flagged after the cut-off
    late = _status("CN-2025-57-RARE-EARTHS", "2026-11-21")
    assert late.status == "in_force" and late.after_cutoff and "unless extended" in late.note
    assert late.since == dt.date(2026, 11, 10)
    assert _status("CN-2025-70-SUSPENSION", "2026-11-21").status == "expired"


def test_india_additional_25_percent_lifted_as_of_2026_03_01() -> None:
    assert _status("US-IEEPA-IND-RUSSIAN-OIL", "2025-08-26").status == "announced"
    on = _status("US-IEEPA-IND-RUSSIAN-OIL", "2025-09-01")
    assert on.active and on.rate == 0.25
    off = _status("US-IEEPA-IND-RUSSIAN-OIL", "2026-03-01")
    assert off.status == "lifted" and off.since == dt.date(2026, 2, 7) and not off.active


def test_ieepa_reciprocal_struck_down_as_of_2026_03_01() -> None:
    for iso in ("CHN", "JPN", "IND"):
        st = _status(f"US-IEEPA-RECIPROCAL-{iso}", "2026-03-01")
        assert st.status == "struck_down" and st.since == dt.date(2026, 2, 20) and not st.active
    assert _status("US-IEEPA-FENTANYL-CHN", "2026-03-01").status == "struck_down"
    # Section 232 is unaffected; Section 122 surcharge in force for 150 days
    assert _status("US-232-STEEL-ALUMINIUM", "2026-03-01").active
    assert _status("US-SEC122-SURCHARGE", "2026-03-01").rate == 0.10
    assert _status("US-SEC122-SURCHARGE", "2026-08-01").status == "expired"


def test_china_rates_at_the_april_2025_peak_sum_to_145_percent() -> None:
    rec = _status("US-IEEPA-RECIPROCAL-CHN", "2025-04-12")
    fent = _status("US-IEEPA-FENTANYL-CHN", "2025-04-12")
    assert rec.rate is not None and fent.rate is not None
    assert rec.rate + fent.rate == pytest.approx(1.45)
    assert _status("US-IEEPA-RECIPROCAL-CHN", "2025-06-01").rate == 0.10  # Geneva
    assert _status("US-IEEPA-FENTANYL-CHN", "2025-12-01").rate == 0.10  # Busan


def test_us_ban_on_minerals_suspended_to_27_november_2026() -> None:
    st = _status("CN-2024-46-US-MINERALS", "2026-01-01")
    assert st.status == "suspended" and st.until == dt.date(2026, 11, 27)
    assert _status("CN-2024-46-US-MILITARY", "2026-01-01").active  # clause (i) stays


def test_japan_rates_are_all_in_and_exporter_specific() -> None:
    rec = _status("US-IEEPA-RECIPROCAL-JPN", "2025-09-01")
    assert rec.rate_for("JPN") == (0.15, True)
    autos = _status("US-232-AUTOS", "2025-10-01")
    assert autos.rate_for("JPN") == (0.15, True) and autos.rate_for("DEU") == (0.25, False)
    steel = _status("US-232-STEEL-ALUMINIUM", "2025-07-01")
    assert steel.rate_for("GBR") == (0.25, False) and steel.rate_for("JPN") == (0.50, False)


def test_measures_as_of_table_and_country_filter() -> None:
    df = ms.measures_as_of("2026-01-01", country="JPN")
    ids = set(df["id"])
    assert {"US-IEEPA-RECIPROCAL-JPN", "CN-2025-18-RARE-EARTHS"} <= ids
    assert "US-IEEPA-RECIPROCAL-IND" not in ids and "CN-2026-1-JAPAN-MILITARY" not in ids  # not yet
    assert "CN-2026-1-JAPAN-MILITARY" in set(ms.measures_as_of("2026-01-10", country="jpn")["id"])
    early = ms.measures_as_of("2023-01-01")
    assert "CN-2023-23-GA-GE" not in set(early["id"])
    row = df.set_index("id").loc["CN-2025-57-RARE-EARTHS"]
    assert (row["status"], row["until"], bool(row["active"])) == ("suspended", "2026-11-10", False)
    with pytest.raises(InputError, match="cannot read the date"):
        ms.measures_as_of("21/11/2026")
    with pytest.raises(InputError, match="unknown country 'JAPAN'"):
        ms.measures_as_of("2026-01-01", country="JAPAN")


def test_tariffs_in_force_for_stacking() -> None:
    found = {m.id: st.rate for m, st in ms.tariffs_in_force("2025-09-01", "USA")}
    assert found["US-IEEPA-RECIPROCAL-IND"] == 0.25 and found["US-IEEPA-IND-RUSSIAN-OIL"] == 0.25
    assert "US-232-PHARMA" not in found  # announced only
    assert "US-IEEPA-IND-RUSSIAN-OIL" not in {
        m.id for m, _ in ms.tariffs_in_force("2025-09-01", "USA", exclude_ids=("US-IEEPA-IND-RUSSIAN-OIL",))}


def test_spec_from_measure() -> None:
    ban = ms.spec_from_measure("CN-2024-46-US-MINERALS")
    r = ban.measures[0]
    assert isinstance(r, ExportRestriction)
    assert r.severity == 1.0 and r.targets.countries == ("USA",) and not ban.uncertain
    assert ban.base_year == 2023 and r.start == dt.date(2024, 12, 3)
    lic = ms.spec_from_measure("CN-2025-18-RARE-EARTHS", base_year=2022)
    assert lic.base_year == 2022 and "severity.cn-2025-18-rare-earths" in lic.uncertain
    assert "assumption" in lic.description
    tar = ms.spec_from_measure("US-IEEPA-RECIPROCAL-CHN", as_of="2025-04-12")
    t = tar.measures[0]
    assert isinstance(t, Tariff) and t.rate == 1.25 and t.stacks
    assert t.source_measure == "US-IEEPA-RECIPROCAL-CHN"
    assert t.products.kind == "all" and "8542" in t.products.exclude
    jpn = ms.spec_from_measure("US-IEEPA-RECIPROCAL-JPN").measures[0]
    assert isinstance(jpn, Tariff) and jpn.all_in and jpn.rate == 0.15
    for m in ms.load_measures():  # every simulable measure gives a valid, round-tripping file
        if m.simulable():
            spec = ms.spec_from_measure(m.id)
            assert parse_spec(spec.to_yaml()) == spec


def test_spec_from_measure_errors() -> None:
    with pytest.raises(InputError, match=r"unknown measure 'CN-2025-18-RARE-EARTH'.*CN-2025-18-RARE-EARTHS"):
        ms.spec_from_measure("CN-2025-18-RARE-EARTH")
    with pytest.raises(ScenarioError, match="names no goods"):
        ms.spec_from_measure("CN-2023-TECH-CATALOGUE")


def test_broken_catalogue_is_refused() -> None:
    text = """
information_cutoff: 2026-03-01
sources: {C1: somewhere}
measures:
  - {id: X, issuer: CHN, authority: A, number: n, title: t, kind: export_control, instrument: ban,
     exporter: CHN, products: ["280530"], announced: 2025-01-01, effective: 2025-01-01,
     history: [{date: 2025-01-01, status: in_force, sources: [C9]}], sources: [C1], flag: V}
"""
    with pytest.raises(InputError, match=r"measure X cites unknown source keys \['C9'\]"):
        ms.parse_catalogue(text)
    with pytest.raises(InputError, match="status"):
        ms.parse_catalogue(text.replace("status: in_force", "status: maybe"))


def test_default_base_year_is_the_latest_year_not_after_the_year_before() -> None:
    m = ms.get_measure("CN-2025-18-RARE-EARTHS")  # effective 2025-04-04: the year before is 2024
    assert ms.measure_start(m) == dt.date(2025, 4, 4)
    assert ms.default_base_year(m, [2023, 2021, 2022, 2022]) == 2023  # data end before: the latest
    assert ms.default_base_year(m, range(2021, 2025)) == 2024  # the year before the measure
    assert ms.default_base_year(m.id, [2020, 2024, 2025, 2026]) == 2024  # later years are affected
    with pytest.raises(InputError, match=r"starts on 2025-04-04, but the trade data begin in 2025"):
        ms.default_base_year(m, [2025, 2026])
    with pytest.raises(InputError, match="no trade flows"):
        ms.default_base_year(m, [])
    # used by spec_from_measure when it knows the data's years; an explicit base year still wins
    assert ms.spec_from_measure(m.id, available_years=[2021, 2022, 2023]).base_year == 2023
    assert ms.spec_from_measure(m.id, available_years=range(2021, 2025)).base_year == 2024
    assert ms.spec_from_measure(m.id, base_year=2021, available_years=[2023]).base_year == 2021
    assert ms.spec_from_measure(m.id).base_year == 2024  # without the years: the year before, as before
    with pytest.raises(InputError, match="no year of data before the measure"):
        ms.spec_from_measure(m.id, available_years=[2025])


def _years(wh: Warehouse) -> list[int]:
    t = wh.table("trade_flows")
    return sorted(int(y) for y in wh.execute(t.select("year").distinct())["year"])


def test_measure_with_codes_partly_absent_runs_on_the_codes_present(tiny_warehouse: Warehouse) -> None:
    """SYNTHETIC sample: China's graphite controls (2023-12-01) name 681519, which the sample lacks."""
    years = _years(tiny_warehouse)
    assert years == [2021, 2022, 2023]
    spec = ms.spec_from_measure("CN-2023-39-GRAPHITE", available_years=years, draws=50)
    assert spec.base_year == 2022  # the year before the measure, held by the data
    r = spec.measures[0]
    assert isinstance(r, ExportRestriction) and "681519" in r.products.values
    res = run_scenario(spec, tiny_warehouse)
    assert res.left_out == {r.id: ("681519",)}
    assert any("681519" in n and "left out" in n for n in res.notes)
    # the same numbers as a run on the present codes only (an independent run of a smaller measure)
    present = tuple(c for c in r.products.values if c != "681519")
    small = spec.model_copy(update={"measures": [r.model_copy(update={"products": ProductSpec(
        kind="hs6", values=present)})]})
    ref = run_scenario(small, tiny_warehouse)
    assert not ref.left_out and len(res.table) > 0
    pd.testing.assert_frame_equal(res.table, ref.table)


def test_measure_with_every_code_absent_is_one_input_error(tiny_warehouse: Warehouse) -> None:
    spec = ms.spec_from_measure("CN-2025-55-SUPERHARD", available_years=_years(tiny_warehouse), draws=10)
    assert spec.base_year == 2023  # a measure of 2025 on data ending in 2023
    with pytest.raises(InputError, match=r"measures\[0\]\.products: none of the measure's HS codes is traded "
                                         r"in 2023 .*710510"):
        run_scenario(spec, tiny_warehouse)


def test_user_measure_with_a_present_and_an_absent_code(tiny_warehouse: Warehouse) -> None:
    """A scenario written by hand naming 850511 (traded in the SYNTHETIC sample in 2023) and 854420 (in the
    sample's nomenclature, not traded in 2023): it runs on 850511 and says 854420 was left out."""
    text = """
name: partly-absent
base_year: 2023
measures:
  - type: export_restriction
    id: two-codes
    exporter: CHN
    products: ["850511", "854420"]
parameters: {tiers: 0}
"""
    t = tiny_warehouse.table("trade_flows")
    traded = set(tiny_warehouse.execute(t.filter(t.year == 2023).select("hs6").distinct())["hs6"])
    assert "850511" in traded and "854420" not in traded
    res = run_scenario(parse_spec(text), tiny_warehouse)
    assert res.left_out == {"two-codes": ("854420",)}
    assert any("1 of 2 HS codes left out" in n and "854420" in n for n in res.notes)
    assert set(res.table.hs6) == {"850511"}
    ref = run_scenario(parse_spec(text.replace(', "854420"', "")), tiny_warehouse)
    pd.testing.assert_frame_equal(res.table, ref.table)
    # only absent codes: one error; a code unknown to the nomenclature in a hand-written file: a typo
    with pytest.raises(InputError, match=r"none of the measure's HS codes is traded in 2023 .*854420"):
        run_scenario(parse_spec(text.replace('"850511", ', "")), tiny_warehouse)
    with pytest.raises(InputError, match=r"unknown HS code '710510'"):
        run_scenario(parse_spec(text.replace('"854420"', '"710510"')), tiny_warehouse)
