"""Jinja2 environment of the dashboard and the value formatting shared with reports."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def fmt_usd(value: object) -> str:
    """Format a dollar amount compactly: ``1.2 bn``, ``340 m``, ``12 k``; ``-`` when missing."""
    v = _num(value)
    if v is None:
        return "-"
    a = abs(v)
    for size, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= size:
            return f"{v / size:,.1f} {unit}"
    return f"{v:,.0f}"


def fmt_share(value: object, digits: int = 1) -> str:
    """Format a fraction as a percentage: ``0.456`` → ``45.6%``."""
    v = _num(value)
    return "-" if v is None else f"{100 * v:.{digits}f}%"


def fmt_num(value: object, digits: int = 2) -> str:
    """Format a number with thousands separators, or ``-``."""
    v = _num(value)
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def fmt_cell(value: object) -> str:
    """Format a table cell of unknown type."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt_num(value, 3)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return "-"
    except (TypeError, ValueError):
        pass
    return str(value)


def _num(value: object) -> float | None:
    if value is None or isinstance(value, bool | str):
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def spec_json(spec: dict[str, Any]) -> Markup:
    """A Vega-Lite spec as JSON safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as JSON escapes, so no data value can close
    the script element.
    """
    text = json.dumps(spec, separators=(",", ":"), allow_nan=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters.update(usd=fmt_usd, share=fmt_share, num=fmt_num, cell=fmt_cell, spec_json=spec_json)
