"""Tables ready to print: headers and formatted cells (for templates and terminals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kakehashi.present.units import column_kind, fmt_by_kind

if TYPE_CHECKING:
    import pandas as pd


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
    ``kinds`` overrides :func:`~kakehashi.present.units.column_kind` for some columns
    (``usd``, ``share``, ``year``, ...).
    """
    import pandas as pd

    columns = columns or {c: c for c in df.columns}
    cols = [c for c in columns if c in df.columns]
    kinds_list = [(kinds or {}).get(c) or column_kind(c) for c in cols]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in cols]
    body = df if max_rows is None else df.head(max_rows)
    rows = [[fmt_by_kind(v, k) for v, k in zip(rec, kinds_list, strict=True)]
            for rec in body[cols].itertuples(index=False, name=None)]
    return PrintedTable([columns[c] for c in cols], rows, numeric, len(df))
