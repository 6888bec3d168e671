"""Briefing packs built from a warehouse: content, formats, CLI, errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _webdata import small_warehouse

from kakehashi import InputError, Warehouse
from kakehashi.cli import main
from kakehashi.report.build import briefing_scenario, build_briefing, collect_briefing, resolve


@pytest.fixture(scope="module")
def tiny(tiny_warehouse: Warehouse) -> Warehouse:
    return tiny_warehouse


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return Warehouse(small_warehouse(tmp_path_factory.mktemp("small") / "wh"), read_only=True)


def test_collect_on_hand_checked_data(small: Warehouse) -> None:
    b = collect_briefing(small, "JPN", "CHN", "IND", "critical-minerals", draws=20)
    assert b.synthetic and b.year == 2023
    kf = {k.label: k.value for k in b.key_figures}
    # 2023: JPN imports 280530 (120 m, 96 from CHN) and 850511 (120 m, 72 from CHN); one is dependent
    assert kf["Products screened"] == "2" and kf["Dependent"] == "1"
    assert kf["Imports from China"] == "168.0 m"
    sub = {k.label: k.note for k in b.key_figures}
    assert sub["Imports from China"] == "70.0% of 240.0 m USD"  # 168 / 240, by hand
    assert kf["India could replace"] == "0 of 1" and kf["World could replace"] == "0 of 1"
    keys = [f.key for f in b.figures]
    assert keys[:3] == ["dependencies", "suppliers", "scenario"]
    assert "minerals" in keys
    # one supplier figure holds a panel per severe dependency (none is a one-bar chart of its own)
    assert set(b.data["figure-suppliers"]["hs6"]) == {"280530", "850511"}
    scen = next(f for f in b.figures if f.key == "scenario")
    row = scen.table.set_index("hs6").loc["280530"]
    assert 0 < row["p5"] <= row["p50"] <= row["p95"] <= 96e6  # at most the whole CHN supply is lost
    assert list(b.top_table["hs6"]) == ["280530", "850511"]
    assert b.appendix.hs_revision == "HS22"
    # the method table prints the EU/CEPII thresholds as they are (not "0 / 0 / 1 / -")
    assert list(b.appendix.thresholds["value"]) == ["0.4", "0.4", "1", "2 of 3 years"]


def test_briefing_scenario_is_a_valid_spec(small: Warehouse) -> None:
    from kakehashi.scenarios.spec import parse_spec

    spec = parse_spec(briefing_scenario(resolve(small, "JPN", "CHN", "IND", "critical-minerals")))
    assert [m.exporter for m in spec.restrictions()] == ["CHN"]
    assert spec.restrictions()[0].targets.countries == ("JPN", "IND")


@pytest.mark.parametrize(("args", "fragment"), [
    (("JPN", "CHN", "IND", "minerals"), "unknown workstream 'minerals'"),
    (("JPN", "CHN", "CHN", "critical-minerals"), "rival CHN is also"),
    (("XXX", "CHN", None, "critical-minerals"), "XXX"),
])
def test_bad_requests_raise_input_error(small: Warehouse, args: tuple[str, str, str | None, str],
                                        fragment: str) -> None:
    with pytest.raises(InputError, match=re.escape(fragment)):
        build_briefing(small, *args, fmt="html")


def test_html_pack_from_the_sample(tiny: Warehouse, tmp_path: Path) -> None:
    path = build_briefing(tiny, "JPN", "CHN", "IND", "critical-minerals", "html", tmp_path)
    assert path.name == "briefing-JPN-CHN-IND-critical-minerals.html"
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert len(re.findall(r'<section class="page"', html)) == html.count("SYNTHETIC SAMPLE — not real data") \
        - 1 + html.count("SYNTHETIC SAMPLE — figures")  # a mark on every page (+ the @page margin text)
    assert html.count('src="data:image/svg+xml;base64,') >= 4
    for title in ("Most severe dependencies", "Key messages", "Contents",
                  "Scenario: export licensing by the rival", "Method and sources",
                  "Data vintages", "Licences", "Top dependencies"):
        assert title in html
    # the notes are in words with country names, not parameter names or codes
    text = re.sub(r"\s+", " ", __import__("html").unescape(html))
    assert "default_input_share" not in text and "rival cap:" not in text and "current CHN share" not in text
    assert ("no published input share: inputs assumed to be 25% of the product's value where no "
            "input-output share is known") in text
    assert "China's share capped at its current level in each product" in text
    assert not re.search(r"share of (IND|JPN|CHN)\b", text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_pdf_pack_via_cli(tiny: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pack.pdf"
    status = main(["report", "--warehouse", str(tiny.path), "--importer", "JPN", "--rival", "CHN",
                   "--partner", "IND", "--workstream", "critical-minerals", "--format", "pdf",
                   "--out", str(out)])
    assert status == 0
    assert str(out) in capsys.readouterr().out
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "日本" in text and "भारत" in text
    pages = text.count("\f")
    assert text.count("SYNTHETIC SAMPLE — not real data") >= pages >= 3


def test_cli_errors_exit_2(tiny: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["report", "--warehouse", str(tiny.path), "--importer", "JPN", "--rival", "CHN",
                   "--workstream", "minerals"])
    assert status == 2
    err = capsys.readouterr().err
    assert "unknown workstream 'minerals'" in err and "critical-minerals" in err


def test_frontier_figure_is_the_whole_product_set(small: Warehouse) -> None:
    from kakehashi.optimize.portfolio import DEFAULT_LAMS, WHOLE_SET
    from kakehashi.questions.replacement import frontier

    b = collect_briefing(small, "JPN", "CHN", "IND", "critical-minerals", draws=20)
    fig = next(f for f in b.figures if f.key == "frontier")
    # the pack's frontier is the questions layer's, under the shared defaults (rival cap, max change)
    full = frontier(small, "JPN", "CHN", partner="IND", products="critical-minerals")
    per_product = full[full["hs6"] != WHOLE_SET]
    assert set(b.data["frontier"]["hs6"]) == {WHOLE_SET} and len(fig.table) == len(DEFAULT_LAMS)
    imports = per_product.groupby("lam")["imports_usd"].sum()
    for lam, row in fig.table.set_index("lam").iterrows():  # cost sums, risk is import-weighted
        part = per_product[per_product["lam"] == lam]
        assert row["extra_cost_usd"] == pytest.approx(part["extra_cost_usd"].sum(), abs=1e-6)
        weighted = (part["risk"] * part["imports_usd"]).sum() / part["imports_usd"].sum()
        assert row["risk"] == pytest.approx(weighted)
        # the chart's cost axis: extra cost as a percentage of the import bill
        assert row["extra_cost_pct"] == pytest.approx(100 * part["extra_cost_usd"].sum() / imports[lam])


def test_pack_charts_and_headers_name_countries(tiny: Warehouse) -> None:
    from kakehashi.present.labels import country_label
    from kakehashi.report.charts import to_spec

    b = collect_briefing(tiny, "JPN", "CHN", "IND", "critical-minerals", draws=20)
    figures = {f.key: f for f in b.figures}
    for key, column in (("suppliers", "supplier"), ("minerals", "country")):
        spec = to_spec(figures[key].chart)
        shown = {row[column] for rows in spec.get("datasets", {}).values() for row in rows if column in row}
        codes = set(b.data["figure-suppliers"]["supplier"]) if key == "suppliers" else set()
        assert shown and not {s for s in shown if re.fullmatch(r"[A-Z]{3}", str(s))}, (key, shown)
        assert {country_label(c) for c in codes} <= shown | {"other"}
    headers = " ".join(str(h) for f in b.figures for h in (f.columns or {}).values())
    assert "China" in headers and not re.search(r"\b(CHN|IND|JPN)\b", headers)


def test_pack_title_names_the_workstream_in_words(tiny: Warehouse) -> None:
    b = collect_briefing(tiny, "JPN", "CHN", "IND", "ict", draws=20)
    assert b.title.endswith("ICT and undersea cables") and ", ict" not in b.title
