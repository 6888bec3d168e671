"""Number and table formatting shared by the briefing packs and the dashboard."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


def fmt_usd(value: object) -> str:
    """Format a dollar amount compactly: ``1.2 bn``, ``340.0 m``, ``12.0 k``; ``-`` when missing.

    Examples
    --------
    >>> fmt_usd(1.234e9), fmt_usd(3.4e8), fmt_usd(950), fmt_usd(None)
    ('1.2 bn', '340.0 m', '950', '-')
    """
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
    if value is None:
        return "-"
    if isinstance(value, float | int) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isnan(value) and value.is_integer():
            return f"{value:,.0f}"
        return fmt_num(value, 3) if isinstance(value, float) else f"{value}"
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


def column_kind(name: str) -> str:
    """How a column is printed, from its name: ``usd``, ``share``, ``year``, ``num1``/``num2``
    (decimals) or ``other``."""
    n = name.lower()
    if n.endswith("_usd") or n in ("value", "cost_usd"):
        return "usd"
    if "share" in n or n.endswith("_pct") or n in ("substitutability", "coverage", "replaceable_fraction"):
        return "share"
    if n == "year" or n.endswith("_year"):
        return "year"
    if n == "severity":
        return "num1"
    if n.endswith("_cover") or n.endswith("hhi"):
        return "num2"
    return "other"


def fmt_by_kind(value: object, kind: str) -> str:
    """Format ``value`` as a column of ``kind`` (see :func:`column_kind`)."""
    if kind == "usd":
        return fmt_usd(value)
    if kind == "share":
        return fmt_share(value)
    if kind in ("num1", "num2"):
        return fmt_num(value, int(kind[-1]))
    if kind == "year":
        v = _num(value)
        return "-" if v is None else str(int(v))
    return fmt_cell(value)


@dataclass
class PrintedTable:
    """A table ready for a template: headers, formatted rows, right-aligned columns."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    total_rows: int


def printed_table(df: pd.DataFrame, columns: dict[str, str] | None = None, *,
                  max_rows: int | None = None, kinds: dict[str, str] | None = None) -> PrintedTable:
    """Format ``df`` for printing.

    ``columns`` maps column → header (and selects and orders the columns);
    ``kinds`` overrides :func:`column_kind` for some columns (``usd``, ``share``, ``year``).
    """
    columns = columns or {c: c for c in df.columns}
    cols = [c for c in columns if c in df.columns]
    kinds_list = [(kinds or {}).get(c) or column_kind(c) for c in cols]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in cols]
    body = df if max_rows is None else df.head(max_rows)
    rows = [[fmt_by_kind(v, k) for v, k in zip(rec, kinds_list, strict=True)]
            for rec in body[cols].itertuples(index=False, name=None)]
    return PrintedTable([columns[c] for c in cols], rows, numeric, len(df))
