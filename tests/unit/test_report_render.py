"""Briefing rendering: self-contained HTML, PDF with Japanese and Hindi text, synthetic marks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.provenance import licences_for
from kakehashi.report import charts
from kakehashi.report.appendix import country_label
from kakehashi.report.fmt import fmt_share, fmt_usd, printed_table
from kakehashi.report.model import Appendix, Briefing, Figure, KeyFigure
from kakehashi.report.render import render_html, render_pdf


def _briefing(synthetic: bool = True) -> Briefing:
    shares = pd.DataFrame({"year": [2021, 2021, 2022, 2022], "supplier": ["CHN", "other"] * 2,
                           "share": [0.7, 0.3, 0.6, 0.4], "value_usd": [7e6, 3e6, 6e6, 4e6]})
    dmap = pd.DataFrame({"hs6": ["280530", "850511"], "product": ["Rare-earth metals", "Magnets"],
                         "severity": [0.5, 0.9], "substitutability": [0.3, 0.8],
                         "dependent": [True, False], "rival_share": [0.8, 0.4]})
    figures = [
        Figure("dependency-map", "Dependency map", "severity against substitutability", dmap,
               charts.dependency_map(dmap, title="Dependency map")),
        Figure("suppliers", "Supplier shares", "imports of 280530 by supplier", shares,
               charts.supplier_shares(shares, title="Supplier shares", rival="CHN")),
        Figure("frontier", "Risk–cost frontier", "no portfolio", pd.DataFrame(), None,
               empty="the optimiser found no feasible portfolio"),
        Figure("portfolio", "Proposed sourcing portfolio", "a table only",
               pd.DataFrame({"supplier": ["AUS"], "proposed_share": [0.4]}), None, empty=""),
        Figure("blank", "A chart without rows", "nothing", pd.DataFrame(), None, empty=""),
    ]
    appendix = Appendix(
        method=[("Dependency screen", "import HHI > 0.4, world-export HHI > 0.4, imports/exports > 1")],
        thresholds=pd.DataFrame({"threshold": ["import HHI"], "value": [0.4]}),
        vintages=pd.DataFrame({"table": ["trade_flows"], "source": ["SYNTHETIC sample"], "rows": [12]}),
        sources=pd.DataFrame({"source": ["SYNTHETIC sample"]}),
        licences=licences_for(["SYNTHETIC sample"]),
        hs_revision="HS22",
    )
    return Briefing(
        title="Japan 日本 and India भारत: critical minerals", subtitle="importer JPN, rival CHN, partner IND",
        importer="JPN", rival="CHN", partner="IND", workstream="critical-minerals", year=2023,
        synthetic=synthetic, snapshot="20260101T000000-test",
        key_figures=[KeyFigure("Dependent products", "2", "of 10 screened", alert=True)],
        summary=["Japan 日本 imports 80.0% of rare-earth metals from CHN."],
        figures=figures, appendix=appendix,
        names={"JPN": country_label("JPN", "Japan"), "IND": country_label("IND", "India")},
    )


def test_html_is_one_self_contained_file() -> None:
    html = render_html(_briefing())
    assert "<script" not in html
    # nothing is loaded from anywhere: every src is a data URI, no stylesheet link
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    assert "<link" not in html and "@import" not in html and "url(http" not in html
    assert "default-src 'none'" in html
    # every page carries the synthetic mark
    for section in re.split(r'<section class="page"', html)[1:]:
        assert "SYNTHETIC SAMPLE" in section
    assert "the optimiser found no feasible portfolio" in html
    assert "Table behind the chart" in html and "Rare-earth metals" in html
    assert "Etalab" not in html and "Apache-2.0 (the project&#39;s licence)" in html


def test_real_data_pack_has_no_synthetic_mark() -> None:
    html = render_html(_briefing(synthetic=False))
    assert "SYNTHETIC SAMPLE" not in html


def test_title_cannot_break_out_of_style() -> None:
    b = _briefing()
    b.title = 'x"</style><script>alert(1)</script>'
    html = render_html(b)
    assert "<script>" not in html and "</style><" not in html.split("</style>", 1)[0]


@pytest.mark.skipif(shutil.which("pdffonts") is None or shutil.which("pdftotext") is None,
                    reason="poppler-utils (pdffonts, pdftotext) not installed")
def test_pdf_embeds_japanese_and_devanagari_fonts(tmp_path: Path) -> None:
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(render_pdf(render_html(_briefing())))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK-JP" in fonts, fonts
    assert "Noto-Sans-Devanagari" in fonts, fonts
    # every font is embedded (column 'emb' = yes)
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, line
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "日本" in text and "भारत" in text
    assert text.count("SYNTHETIC SAMPLE — not real data") >= 3  # margin mark on each of 3 pages


def test_formatting_helpers() -> None:
    assert fmt_usd(1.234e9) == "1.2 bn" and fmt_usd(float("nan")) == "-"
    assert fmt_share(0.4567) == "45.7%"
    t = printed_table(pd.DataFrame({"value_usd": [2.5e6], "rival_share": [0.25], "year": [2021]}))
    assert t.rows == [["2.5 m", "25.0%", "2021"]] and t.numeric == [True, True, True]


def test_country_label_uses_own_script() -> None:
    assert country_label("JPN", "Japan") == "Japan 日本 (JPN)"
    assert country_label("IND", "India") == "India भारत (IND)"
    assert country_label("AUS", "Australia") == "Australia (AUS)"


def test_table_only_figures_are_not_called_empty() -> None:
    html = render_html(_briefing())
    portfolio = html[html.index('id="fig-portfolio"'):html.index('id="fig-blank"')]
    assert "Australia" in portfolio and "no data for this chart" not in portfolio
    assert "no data for this chart" in html[html.index('id="fig-blank"'):]
