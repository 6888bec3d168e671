"""Render a :class:`~kakehashi.report.model.Briefing` to one self-contained HTML file or a PDF.

HTML: inline CSS, charts as SVG data URIs, no script and no network access
(its own Content-Security-Policy forbids any). PDF: the same HTML through
WeasyPrint, with the title, the data snapshot, page numbers and (for the
synthetic sample) "SYNTHETIC SAMPLE" in the margin of every page.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from kakehashi.present.labels import column_labels
from kakehashi.report import charts
from kakehashi.report.fmt import PrintedTable, printed_table
from kakehashi.report.model import Briefing, Figure

SYNTHETIC_PAGE_MARK = "SYNTHETIC SAMPLE — not real data"


@dataclass
class _RenderedFigure:
    key: str
    title: str
    caption: str
    image: str | None
    empty: str
    table: PrintedTable
    max_rows: int = 15


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("kakehashi.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def _css_string(text: str) -> str:
    # a CSS string that cannot close the <style> element: backslash, quote and angle brackets escaped
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return '"' + escaped.replace("<", "\\3c ").replace(">", "\\3e ") + '"'


def page_css(b: Briefing) -> str:
    """``@page`` rules: running title, snapshot, page numbers, synthetic mark on every page."""
    mark = SYNTHETIC_PAGE_MARK if b.synthetic else ""
    return (
        "@page { size: A4; margin: 18mm 15mm 18mm 15mm;\n"
        f"  @top-left {{ content: {_css_string(b.title)}; font-size: 8pt; color: #5b6678; }}\n"
        f"  @top-right {{ content: {_css_string(mark)}; font-size: 8pt; color: #8a6d00; "
        "font-weight: bold; }\n"
        f"  @bottom-left {{ content: {_css_string('kakehashi briefing · data snapshot ' + b.snapshot)}; "
        "font-size: 7.5pt; color: #5b6678; }\n"
        '  @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt; '
        "color: #5b6678; }\n}\n"
    )


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:`` URI (base64)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _render_figure(f: Figure) -> _RenderedFigure:
    image = svg_data_uri(charts.to_svg(f.chart)) if f.chart is not None else None
    if image is None and f.chart is None and len(f.table):  # a table-only figure: its rows say it all
        empty = ""
    else:
        empty = f.empty or ("" if image or len(f.table) else "no data for this chart")
    return _RenderedFigure(f.key, f.title, f.caption, image, empty,
                           printed_table(f.table, f.columns or None, kinds=f.kinds), f.max_rows)


def render_html(b: Briefing, *, summary_key: str | None = None) -> str:
    """Render the briefing to one self-contained HTML document.

    Parameters
    ----------
    b
        The briefing content.
    summary_key
        Key of the figure repeated on the summary page (if present).
    """
    env = _environment()
    css = resources.files("kakehashi.report").joinpath("templates", "briefing.css").read_text("utf-8")
    figures = [_render_figure(f) for f in b.figures]
    summary_figure = next((f for f in figures if f.key == summary_key and f.image), None)
    app = b.appendix
    tables: dict[str, Any] = {
        "thresholds": printed_table(app.thresholds, column_labels(app.thresholds.columns)),
        "vintages": printed_table(app.vintages, column_labels(app.vintages.columns)),
        "sources": printed_table(app.sources, column_labels(app.sources.columns)),
        "licences": printed_table(app.licences, {c: c for c in ("publisher", "licence", "terms")
                                                 if c in app.licences} or None),
        "top": printed_table(b.top_table, b.top_columns or None),
    }
    return env.get_template("briefing.html").render(
        b=b, css=css, page_css=page_css(b), figures=[f for f in figures if f is not summary_figure],
        summary_figure=summary_figure, appendix_tables=tables,
    )


def render_pdf(html: str) -> bytes:
    """Print the briefing's HTML to PDF with WeasyPrint (offline: the HTML holds everything).

    Fonts come from the system (Noto Sans, Noto Sans CJK for Japanese, Chinese and Korean,
    Noto Sans Devanagari for Hindi). A script with no font on this machine
    (:func:`kakehashi.report.fonts.missing_scripts`) would print as empty boxes: its
    characters are left out, the pack says so on its last page, and a
    :class:`~kakehashi.report.fonts.MissingFontWarning` names the packages to install.
    """
    import warnings

    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from kakehashi.report import fonts

    missing = fonts.missing_scripts(html)
    if missing:
        message = fonts.warning_text(missing)
        warnings.warn(message, fonts.MissingFontWarning, stacklevel=2)
        note = (f'<p class="small" id="font-note">Names in {", ".join(s.name for s in missing)} script are '
                f"left out of this PDF: the machine that printed it had no font for them. "
                f"{fonts.INSTALL_HINT}.</p>")
        html = fonts.strip_scripts(html, missing).replace("</body>", note + "\n</body>", 1)
    fetcher = URLFetcher(allowed_protocols={"data"})  # images are data URIs; nothing else is fetched
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
