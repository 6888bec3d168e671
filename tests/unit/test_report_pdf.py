"""Briefing PDFs looked at page by page: no half-empty page, key messages on page 1, fonts.

The pack is built from the SYNTHETIC tiny sample world (``tiny_warehouse``), printed with
WeasyPrint and rasterised with poppler's ``pdftoppm``; each page is measured as an image.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kakehashi import Warehouse
from kakehashi.report import fonts
from kakehashi.report.build import collect_briefing
from kakehashi.report.model import Briefing
from kakehashi.report.render import render_html, render_pdf

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftoppm, pdftotext) not installed")
needs_fc = pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig (fc-list) not installed")

WHITE = 245
"""Grey level from which a pixel counts as blank paper."""
BLOCK_MM = 4.0
"""Side of the squares a page is cut into: a square is blank when none of its pixels is inked."""
MAX_BLANK = 0.85
"""A page (except the last) may have at most this share of blank squares in its printed area."""
MAX_EMPTY_TAIL = 0.5
"""... and at most this share of its printed area's height empty below its last inked line."""
MARGIN_MM = (20.0, 15.0)
"""Top/bottom and side margins left out of the measure (the running title and page number)."""


def page_images(pdf: Path, out: Path, dpi: int = 50) -> list[np.ndarray]:
    """Every page of ``pdf`` as a grey-level array (``pdftoppm -gray``)."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(out / "page")], check=True)
    return [np.asarray(Image.open(p).convert("L")) for p in sorted(out.glob("page-*.png"))]


def blank_measures(page: np.ndarray, dpi: int = 50) -> tuple[float, float]:
    """(share of blank squares, share of empty height below the last inked row) in the printed area."""
    px_mm = dpi / 25.4
    top, side = (int(m * px_mm) for m in MARGIN_MM)
    body = page[top:page.shape[0] - top, side:page.shape[1] - side]
    b = max(1, int(BLOCK_MM * px_mm))
    h, w = body.shape[0] // b * b, body.shape[1] // b * b
    squares = body[:h, :w].reshape(h // b, b, w // b, b).min(axis=(1, 3))
    inked_rows = np.nonzero((body < WHITE).any(axis=1))[0]
    tail = 1.0 - (inked_rows.max() + 1) / body.shape[0] if len(inked_rows) else 1.0
    return float((squares >= WHITE).mean()), float(tail)


def test_blank_measures_on_drawn_pages() -> None:
    # a page inked over its whole printed area, one inked in its top quarter only, one left blank
    dpi, shape = 50, (585, 414)
    full = np.full(shape, 255, dtype=np.uint8)
    full[40:-40:5, 30:-30] = 0  # a line every 2.5 mm: every 4 mm square holds ink
    quarter = np.full(shape, 255, dtype=np.uint8)
    quarter[40:160:5, 30:-30] = 0
    assert blank_measures(full, dpi) == (pytest.approx(0.0, abs=0.02), pytest.approx(0.0, abs=0.02))
    blank, tail = blank_measures(quarter, dpi)
    # printed area: rows 39..546 (507 rows); ink ends at row 156, so 1 - (156 - 39 + 1) / 507 ≈ 0.77
    assert tail == pytest.approx(1 - (156 - 39 + 1) / 507, abs=0.01) and blank > MAX_BLANK - 0.2
    assert blank_measures(np.full(shape, 255, dtype=np.uint8), dpi) == (1.0, 1.0)


@pytest.fixture(scope="module")
def tiny_pack(tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[Briefing, Path]:
    b = collect_briefing(tiny_warehouse, "JPN", "CHN", "IND", "critical-minerals", draws=50)
    pdf = tmp_path_factory.mktemp("pdf-pack") / "pack.pdf"
    pdf.write_bytes(render_pdf(render_html(b)))
    return b, pdf


@pytest.fixture(scope="module")
def tiny_pdf(tiny_pack: tuple[Briefing, Path]) -> Path:
    return tiny_pack[1]


@needs_poppler
def test_no_page_is_half_empty(tiny_pdf: Path, tmp_path: Path) -> None:
    pages = page_images(tiny_pdf, tmp_path)
    assert len(pages) >= 4
    for i, page in enumerate(pages[:-1], start=1):  # the last page may end where the text ends
        blank, tail = blank_measures(page)
        assert blank <= MAX_BLANK, f"page {i}: {blank:.0%} blank"
        assert tail <= MAX_EMPTY_TAIL, f"page {i}: the lower {tail:.0%} is empty"


@needs_poppler
def test_page_one_holds_key_messages_and_actions(tiny_pack: tuple[Briefing, Path]) -> None:
    b, tiny_pdf = tiny_pack
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(tiny_pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    flat = " ".join(page1.split())
    assert "Key messages" in flat and "Recommended actions" in flat
    assert 3 <= len(b.summary) <= 5 and 1 <= len(b.actions) <= 5
    # the first message on page 1 is the one the questions layer wrote (its first words, line breaks aside)
    assert " ".join(b.summary[0].split()[:12]) in flat
    assert "Key figures" in flat


@pytest.fixture
def latin_only_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fontconfig that sees only DejaVu (Latin script: no CJK, no Devanagari) for one test."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        pytest.skip("no DejaVu fonts to build a Latin-only font configuration")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{dejavu}</dir>'
                    f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    fonts.has_font.cache_clear()
    yield
    fonts.has_font.cache_clear()  # before the environment is restored: the next test asks afresh


@needs_fc
def test_fontconfig_knows_the_scripts_of_this_machine(latin_only_fonts: None) -> None:
    text = "Japan 日本 (JPN), India भारत (IND), Korea 대한민국 (KOR)"
    assert [s.lang for s in fonts.scripts_in(text)] == ["ja", "ko", "hi"]
    assert fonts.strip_scripts(text, list(fonts.SCRIPTS)) == "Japan (JPN), India (IND), Korea (KOR)"
    # a fontconfig that sees only DejaVu (Latin, no CJK, no Devanagari) reports all three missing
    assert [s.lang for s in fonts.missing_scripts(text)] == ["ja", "ko", "hi"]
    assert fonts.has_font("en") is True
    message = fonts.warning_text(fonts.missing_scripts(text))
    assert "fonts-noto-cjk fonts-noto-core" in message


@needs_fc
@needs_poppler
def test_pdf_without_the_fonts_leaves_the_script_out_and_warns(
        tiny_pack: tuple[Briefing, Path], tmp_path: Path, latin_only_fonts: None) -> None:
    html = render_html(tiny_pack[0])
    assert "日本" in html and "भारत" in html  # the HTML keeps every script
    with pytest.warns(fonts.MissingFontWarning, match="fonts-noto-cjk fonts-noto-core"):
        pdf = render_pdf(html)
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "日本" not in text and "भारत" not in text and "Japan (JPN)" in text
    assert "left out of this PDF" in " ".join(text.split())


@needs_fc
@needs_poppler
def test_cli_says_which_fonts_to_install_in_one_line(tiny_warehouse: Warehouse, tmp_path: Path,
                                                      latin_only_fonts: None,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.cli import main

    out = tmp_path / "pack.pdf"
    status = main(["report", "--warehouse", str(tiny_warehouse.path), "--importer", "JPN",
                   "--rival", "CHN", "--partner", "IND", "--workstream", "critical-minerals",
                   "--format", "pdf", "--draws", "20", "--out", str(out)])
    assert status == 0 and out.exists()
    err = [line for line in capsys.readouterr().err.splitlines() if "font" in line]
    assert len(err) == 1 and err[0].startswith("note: no font for Japanese/Chinese, Hindi")
    assert "apt-get install fonts-noto-cjk fonts-noto-core" in err[0] and "Warning" not in err[0]


@needs_fc
def test_pdf_with_the_fonts_does_not_warn() -> None:
    fonts.has_font.cache_clear()
    if fonts.missing_scripts("日本 भारत"):
        pytest.skip("this machine lacks the Noto CJK or Devanagari fonts")
    html = '<!doctype html><html><body><p>Japan 日本 (JPN), India भारत (IND)</p></body></html>'
    with warnings.catch_warnings():
        warnings.simplefilter("error", fonts.MissingFontWarning)
        assert render_pdf(html).startswith(b"%PDF")


def test_html_contents_link_to_every_section_once(tiny_pack: tuple[Briefing, Path]) -> None:
    import re

    html = render_html(tiny_pack[0])
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert len(targets) >= 6 and len(set(targets)) == len(targets)
    for t in targets:
        assert html.count(f'id="{t}"') == 1, t
    assert [f"fig-{f.key}" for f in tiny_pack[0].figures] == [t for t in targets if t.startswith("fig-")]


def test_page_one_figures_reconcile_with_the_tables(tiny_pack: tuple[Briefing, Path]) -> None:
    from kakehashi.present import fmt_share, fmt_usd

    b = tiny_pack[0]
    kf = {k.label: k.value for k in b.key_figures}
    screen = b.data["screen"]
    assert kf["Imports from China"] == fmt_usd(screen["rival_usd"].sum())
    assert kf["Dependent"] == str(int(screen["dependent"].sum()))
    # the scenario total is the sum of the medians printed in the scenario table (positive ones)
    scen = next(f for f in b.figures if f.key == "scenario").table
    assert kf["Scenario shortfall"] == fmt_usd(scen.loc[scen["p50"] > 0, "p50"].sum())
    # the portfolio's import-weighted rival share, recomputed from the portfolio table
    port = next(f for f in b.figures if f.key == "portfolio").table
    ok = port[port["status"] == "optimal"]
    w = ok["imports_usd"]
    before = (ok["rival_share_before"] * w).sum() / w.sum()
    after = (ok["rival_share_after"] * w).sum() / w.sum()
    assert kf["China share, proposed"] == f"{fmt_share(before, 0)} → {fmt_share(after, 0)}"
    # and the key messages name the same totals
    assert any(fmt_usd(scen.loc[scen["p50"] > 0, "p50"].sum()) + " USD" in m for m in b.summary)
