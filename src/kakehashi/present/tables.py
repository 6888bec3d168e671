"""Tables ready to print: headers and formatted cells (for templates and terminals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kakehashi.present.units import display_kind, fmt_by_kind

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class PrintedTable:
    """A table ready for a template: headers, formatted rows, right-aligned columns."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    total_rows: int
    hover: list[list[str]] = field(default_factory=list)
    """Per cell, the text to show on hover: the ISO3 codes of a country cell printed as names, else
    ``""`` (the dashboard's ``<abbr title>``)."""


def _codes(value: object) -> str:
    """The codes of a country cell as text (``"CHN, USA"``), ``""`` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) or callable(getattr(value, "tolist", None)):
        items = value if isinstance(value, list | tuple) else getattr(value, "tolist")()  # noqa: B009
        return ", ".join(str(v) for v in items)
    return ""


def printed_table(df: pd.DataFrame, columns: dict[str, str] | None = None, *,
                  max_rows: int | None = None, kinds: dict[str, str] | None = None) -> PrintedTable:
    """Format ``df`` for printing.

    ``columns`` maps column → header (and selects and orders the columns);
    ``kinds`` overrides :func:`~kakehashi.present.units.display_kind` for some columns
    (``usd``, ``share``, ``year``, ...). Country columns (ISO3 codes) print as names, with the codes
    in :attr:`PrintedTable.hover`.
    """
    import pandas as pd

    columns = columns or {c: c for c in df.columns}
    cols = [c for c in columns if c in df.columns]
    kinds_list = [(kinds or {}).get(c) or display_kind(c) for c in cols]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in cols]
    body = df if max_rows is None else df.head(max_rows)
    records = list(body[cols].itertuples(index=False, name=None))
    rows = [[fmt_by_kind(v, k) for v, k in zip(rec, kinds_list, strict=True)] for rec in records]
    hover = [["" if k != "country" or _codes(v) == cell else _codes(v)
              for v, k, cell in zip(rec, kinds_list, row, strict=True)]
             for rec, row in zip(records, rows, strict=True)]
    return PrintedTable([columns[c] for c in cols], rows, numeric, len(df), hover)
