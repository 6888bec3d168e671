"""Presentation helpers shared by the command line, the dashboard and the briefing packs.

One home for number formats (USD with units, shares as percentages, HHI,
counts, years), product labels (shortening and wrapping names) and the units of
the library's columns, read from the library's unit tables. Formatting only:
nothing here computes a result. Importing this package loads no query engine.
"""

from __future__ import annotations

from kakehashi.present.labels import product_label, shorten, wrap
from kakehashi.present.numbers import (
    MISSING,
    as_number,
    fmt_cell,
    fmt_count,
    fmt_hhi,
    fmt_num,
    fmt_share,
    fmt_sig,
    fmt_usd,
    fmt_usd_m,
    fmt_year,
    fmt_yes,
)
from kakehashi.present.tables import PrintedTable, printed_table
from kakehashi.present.units import column_kind, fmt_by_kind, kind_of_unit, library_units, metric_unit

__all__ = [
    "MISSING",
    "PrintedTable",
    "as_number",
    "column_kind",
    "fmt_by_kind",
    "fmt_cell",
    "fmt_count",
    "fmt_hhi",
    "fmt_num",
    "fmt_share",
    "fmt_sig",
    "fmt_usd",
    "fmt_usd_m",
    "fmt_year",
    "fmt_yes",
    "kind_of_unit",
    "library_units",
    "metric_unit",
    "printed_table",
    "product_label",
    "shorten",
    "wrap",
]
