"""kakehashi.present: one set of number formats, labels and units for the CLI, the web and the packs."""

from __future__ import annotations

import math
import subprocess
import sys

import pandas as pd
import pytest
from _checkout import checkout_env

from kakehashi import present
from kakehashi.present import (
    column_kind,
    fmt_by_kind,
    fmt_cell,
    fmt_count,
    fmt_hhi,
    fmt_share,
    fmt_usd,
    fmt_usd_m,
    fmt_year,
    metric_unit,
    printed_table,
    product_label,
    shorten,
    wrap,
)


@pytest.mark.parametrize(("value", "text"), [
    (1_234_000_000, "1.2 bn"), (340_000_000, "340.0 m"), (12_000, "12.0 k"), (950, "950"),
    (-25_400_000, "-25.4 m"), (2.5e12, "2.5 tn"), (None, "-"), (float("nan"), "-"), ("x", "-"),
])
def test_usd_with_units(value: object, text: str) -> None:
    assert fmt_usd(value) == text


def test_usd_in_millions_keeps_every_digit() -> None:
    # 24,396,080,000 USD = 24,396.08 million, printed with one decimal and separators
    assert fmt_usd_m(24_396_080_000) == "24,396.1"
    assert fmt_usd_m(None) == "-"


def test_shares_hhi_counts_years() -> None:
    assert fmt_share(0.4567) == "45.7%" and fmt_share(1.0, 0) == "100%"
    assert fmt_hhi(0.4512) == "0.45"
    assert fmt_count(1_234_567) == "1,234,567"
    assert fmt_year(2023.0) == "2023"
    assert fmt_cell(True) == "yes" and fmt_cell(math.nan) == "-" and fmt_cell(pd.NA) == "-"


def test_units_come_from_the_library_tables() -> None:
    from kakehashi.metrics.minerals import SUPPLY_RISK_UNITS
    from kakehashi.metrics.screen import SCREEN_UNITS
    from kakehashi.optimize.portfolio import UNITS

    assert SCREEN_UNITS["rival_share"] == "fraction" and column_kind("rival_share") == "share"
    assert SCREEN_UNITS["import_hhi"] == "0-1" and column_kind("import_hhi") == "hhi"
    assert SUPPLY_RISK_UNITS["hhi_wgi"] == "0-10" and column_kind("hhi_wgi") == "score"
    assert UNITS["proposed_share"] == "fraction" and column_kind("proposed_share") == "share"
    assert column_kind("imports_usd") == "usd"
    # a unit given by the caller wins over the name
    assert column_kind("imports", "USD m") == "usd_m"
    assert fmt_by_kind(0.25, column_kind("rival_share")) == "25.0%"


def test_metric_units_follow_the_scenario_table() -> None:
    from kakehashi.scenarios.run import METRICS

    assert METRICS["net_shortfall_usd"][0] == "USD" and metric_unit("net_shortfall_usd") == "USD"
    assert METRICS["tariff_after"][0] == "rate" and metric_unit("tariff_after") == "share"
    assert metric_unit("trade_total_usd") == "USD"  # "USD/yr"


def test_names_shorten_at_a_word_and_wrap() -> None:
    name = "Rare-earth metals, scandium and yttrium"
    assert shorten(name, 24) == "Rare-earth metals…"
    assert len(shorten(name, 24)) <= 24
    assert shorten(name, 80) == name and shorten(None, 10) == ""
    assert product_label("280530", name, 24) == "280530 Rare-earth metals…"
    assert product_label("280530", None) == "280530"
    assert wrap(name, 20) == ["Rare-earth metals,", "scandium and yttrium"]


def test_printed_table_formats_by_column() -> None:
    df = pd.DataFrame({"hs6": ["280530"], "rival_share": [0.5], "imports_usd": [2.5e9], "year": [2023]})
    t = printed_table(df, {"hs6": "HS", "rival_share": "Rival", "imports_usd": "Imports", "year": "Year"})
    assert t.headers == ["HS", "Rival", "Imports", "Year"]
    assert t.rows == [["280530", "50.0%", "2.5 bn", "2023"]]
    assert t.numeric == [False, True, True, True] and t.total_rows == 1


def test_country_columns_print_names_with_the_codes_on_hover() -> None:
    from kakehashi.sources.countries import country_name

    df = pd.DataFrame({"supplier": ["DEU", "other"], "importer": ["JPN+IND", "CHN, USA"],
                       "value_usd": [1.0, 2.0]})
    t = printed_table(df)
    names = [[country_name("DEU"), f"{country_name('JPN')} + {country_name('IND')}"],
             ["other", f"{country_name('CHN')}, {country_name('USA')}"]]
    assert [r[:2] for r in t.rows] == names
    assert t.hover == [["DEU", "JPN+IND", ""], ["", "CHN, USA", ""]]  # codes only where a name replaced them
    # keyword columns read as words
    assert printed_table(pd.DataFrame({"status": ["in_force"], "kind": ["export_control"]})).rows == [
        ["in force", "export control"]]


def test_report_and_web_use_the_same_formatters() -> None:
    from kakehashi.report import fmt
    from kakehashi.web import render

    assert fmt.fmt_usd is present.fmt_usd and fmt.printed_table is present.printed_table
    assert render.templates.env.filters["usd"] is present.fmt_usd
    assert render.fmt_metric(0.25, "tariff_after") == "25.0%"
    assert render.fmt_metric(3.4e8, "net_shortfall_usd") == "340.0 m"


def test_importing_present_loads_no_engine() -> None:
    code = ("import sys, kakehashi.present\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'ibis', 'duckdb'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=checkout_env())
    assert out.stdout.strip() == "[]"
