"""Jinja2 environment of the dashboard (number formats from :mod:`kakehashi.present`, shared with
the command line and the briefing packs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from kakehashi.present import fmt_cell, fmt_num, fmt_share, fmt_usd, metric_unit, printed_table
from kakehashi.present.labels import PARAMETERS, column_label, column_labels, country_label

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def spec_json(spec: dict[str, Any]) -> Markup:
    """A Vega-Lite spec as JSON safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as JSON escapes, so no data value can close
    the script element.
    """
    text = json.dumps(spec, separators=(",", ":"), allow_nan=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def fmt_metric(value: object, metric: str) -> str:
    """Format a scenario value in its metric's unit (USD compactly, shares as percentages)."""
    unit = metric_unit(metric)
    if unit == "USD":
        return fmt_usd(value)
    if unit == "share":
        return fmt_share(value)
    return fmt_num(value, 3)


templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters.update(usd=fmt_usd, share=fmt_share, num=fmt_num, cell=fmt_cell, spec_json=spec_json)
templates.env.filters["to_frame"] = pd.DataFrame
templates.env.filters["metric"] = fmt_metric
templates.env.globals.update(printed_table=printed_table, column_labels=column_labels)
templates.env.globals["text_columns"] = ("product_name", "product", "title", "name", "description", "note")
"""Columns of running text: their cells keep a readable width in a narrow table (``td.text``)."""
templates.env.filters.update(country=country_label, col=column_label)
templates.env.globals["parameters"] = PARAMETERS
"""Reader's name and one-line help of the model parameters a form asks for (``kakehashi.present``)."""


def country_abbr(code: object) -> Markup:
    """``<abbr title="ISO3">name</abbr>``: a country's name with its ISO3 code on hover."""
    if not isinstance(code, str) or not code:
        return Markup("")
    name = country_label(code)
    if name == code:
        return Markup("{}").format(code)
    return Markup('<abbr title="{}">{}</abbr>').format(code, name)


templates.env.filters["cabbr"] = country_abbr
templates.env.filters["by_name"] = lambda codes: sorted(codes, key=country_label)


def workstream_names(keys: object) -> str:
    """Workstream key(s), one or a comma-separated list, as readers' names (``catalogue.workstream_name``)."""
    from kakehashi.catalogue import workstream_name

    if not isinstance(keys, str) or not keys:
        return ""
    return ", ".join(workstream_name(k.strip()) for k in keys.split(","))


templates.env.filters["workstream"] = workstream_names


def markdown_lite(text: object) -> Markup:
    """The small Markdown of the API's docstrings as HTML: paragraphs, ``*`` lists, `code`, **bold**.

    Everything is escaped first, so no HTML in the text reaches the page.
    """
    import re

    from markupsafe import escape

    if not isinstance(text, str) or not text:
        return Markup("")

    def inline(line: str) -> str:
        out = str(escape(line))
        out = re.sub(r"``?([^`]+)``?", r"<code>\1</code>", out)
        return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)

    html: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        items: list[str] = []
        para: list[str] = []
        for ln in lines:
            if ln.startswith(("* ", "- ")):
                items.append(ln[2:])
            elif items:
                items[-1] += " " + ln
            else:
                para.append(ln)
        if para:
            html.append("<p>" + inline(" ".join(para)) + "</p>")
        if items:
            html.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
    return Markup("".join(html))


templates.env.filters["md"] = markdown_lite
