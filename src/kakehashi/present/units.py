"""Units of the library's columns, read from the library's own unit tables, and how each prints.

The tables are :data:`kakehashi.metrics.screen.SCREEN_UNITS`,
:data:`kakehashi.metrics.substitution.SUBSTITUTION_UNITS`,
:data:`kakehashi.metrics.minerals.SUPPLY_RISK_UNITS`,
:data:`kakehashi.optimize.portfolio.UNITS`,
:data:`kakehashi.optimize.stockpile.STOCKPILE_UNITS` and
:data:`kakehashi.scenarios.run.METRICS`; they are imported when first asked
for (they load the query engine), and nothing is copied from them.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from kakehashi.present.labels import COUNTRY_COLUMNS, country_cell
from kakehashi.present.numbers import (
    fmt_cell,
    fmt_count,
    fmt_hhi,
    fmt_num,
    fmt_share,
    fmt_sig,
    fmt_usd,
    fmt_usd_m,
    fmt_year,
)

WORD_COLUMNS: frozenset[str] = frozenset({"kind", "status", "type"})
"""Columns of keywords (``export_control``, ``in_force``) printed as words (``export control``)."""

_TABLES: tuple[tuple[str, str], ...] = (
    ("kakehashi.metrics.screen", "SCREEN_UNITS"),
    ("kakehashi.metrics.substitution", "SUBSTITUTION_UNITS"),
    ("kakehashi.metrics.minerals", "SUPPLY_RISK_UNITS"),
    ("kakehashi.optimize.portfolio", "UNITS"),
    ("kakehashi.optimize.stockpile", "STOCKPILE_UNITS"),
)


@cache
def library_units() -> dict[str, str]:
    """Every column's unit from the library's unit tables (first table wins on a clash)."""
    units: dict[str, str] = {}
    for module, name in _TABLES:
        try:
            table = getattr(import_module(module), name)
        except (ImportError, AttributeError):  # a build without that part of the library
            continue
        for col, unit in table.items():
            units.setdefault(col, unit)
    return units


def metric_unit(metric: str) -> str:
    """Unit of a scenario metric (:data:`kakehashi.scenarios.run.METRICS`) as ``USD``, ``share`` or
    ``value``."""
    try:
        metrics = import_module("kakehashi.scenarios.run").METRICS
    except (ImportError, AttributeError):
        metrics = {}
    unit = metrics.get(metric, ("", ""))[0]
    if unit.startswith("USD"):
        return "USD"
    if unit in ("share", "rate"):
        return "share"
    if metric.endswith("_usd"):
        return "USD"
    if "share" in metric or metric.endswith(("_pct", "_fraction")):
        return "share"
    return "value"


def kind_of_unit(unit: str | None) -> str | None:
    """How a value of ``unit`` prints: ``usd``, ``share``, ``hhi``, ``score``, ``count`` or ``None``.

    Examples
    --------
    >>> kind_of_unit("USD/year"), kind_of_unit("fraction"), kind_of_unit("0-1"), kind_of_unit("x rival")
    ('usd', 'share', 'hhi', 'num2')
    """
    if not unit:
        return None
    u = unit.lower()
    if u in ("usd m", "usd million", "usd millions"):
        return "usd_m"
    if u.startswith("usd"):
        return "usd"
    if u in ("fraction", "share", "rate"):
        return "share"
    if u == "0-1":
        return "hhi"
    if u in ("0-100", "0-10"):
        return "score"
    if u in ("ratio", "x rival"):
        return "num2"
    if u == "months":
        return "num1"
    return None


def column_kind(name: str, unit: str | None = None) -> str:
    """How column ``name`` prints: from ``unit`` or the library's unit of the column, else its name.

    Kinds: ``usd``, ``usd_m`` (millions), ``share`` (``share0``: no decimals), ``hhi``, ``score``,
    ``sig``, ``year``, ``count``, ``num1``/``num2``/``num3`` (decimals) or ``other``. The reader's tables
    (:func:`~kakehashi.present.tables.printed_table`, for the dashboard and the packs) also use
    ``country`` and ``words`` (:func:`display_kind`); the terminal keeps the codes.
    """
    kind = kind_of_unit(unit) if unit else None
    if kind is None and unit is None:
        kind = kind_of_unit(library_units().get(name))
    if kind is not None:
        return kind
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
    if n in ("rows", "n_products", "products", "draws"):
        return "count"
    return "other"


def display_kind(name: str) -> str:
    """How column ``name`` prints for a reader (dashboard, packs): ``country`` for ISO3 columns
    (:data:`~kakehashi.present.labels.COUNTRY_COLUMNS`, printed as names), ``words`` for keyword
    columns (:data:`WORD_COLUMNS`, underscores as spaces), else :func:`column_kind`.

    Examples
    --------
    >>> display_kind("supplier"), display_kind("status"), display_kind("imports_usd")
    ('country', 'words', 'usd')
    """
    n = name.lower()
    if n in COUNTRY_COLUMNS:
        return "country"
    if n in WORD_COLUMNS:
        return "words"
    return column_kind(name)


def fmt_by_kind(value: object, kind: str) -> str:
    """Format ``value`` as a column of ``kind`` (see :func:`column_kind`)."""
    if kind == "usd":
        return fmt_usd(value)
    if kind == "usd_m":
        return fmt_usd_m(value)
    if kind == "share":
        return fmt_share(value)
    if kind == "share0":
        return fmt_share(value, 0)
    if kind == "hhi":
        return fmt_hhi(value)
    if kind == "score":
        return fmt_num(value, 1)
    if kind == "sig":
        return fmt_sig(value)
    if kind in ("num1", "num2", "num3"):
        return fmt_num(value, int(kind[-1]))
    if kind == "year":
        return fmt_year(value)
    if kind == "count":
        return fmt_count(value)
    if kind == "country":
        return country_cell(value) or fmt_cell(value)
    if kind == "words" and isinstance(value, str):
        return value.replace("_", " ")
    return fmt_cell(value)
