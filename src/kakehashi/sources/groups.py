"""Stage rows that replace whole groups of a table and keep the other groups.

The warehouse rewrites a table that is not partitioned by year as a whole.
Reference data arrive in pieces (one USGS commodity file, one WGI release, one
HS revision), so a new piece must replace only the rows it covers: the rows of
the staged table whose group key (e.g. year and commodity) appears in the new
rows are dropped, the rest are kept, and the union is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from kakehashi.schemas import conform, schema

__all__ = ["replace_groups", "staged_rows"]


def staged_rows(tx: Any, table: str) -> pd.DataFrame | None:
    """The rows of ``table`` staged in the transaction (the committed ones at its start), or ``None``."""
    folder = Path(tx.path) / table
    staged = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not staged:
        return None
    old = pd.concat([pd.read_parquet(p) for p in staged], ignore_index=True)
    return old[schema(table).names]


def replace_groups(tx: Any, table: str, rows: pd.DataFrame, by: list[str], *, source: str,
                   origin: str | Path | None = None,
                   group_of: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> int:
    """Stage ``rows`` into ``table``, replacing the groups ``by`` they cover.

    Parameters
    ----------
    tx
        An open :class:`~kakehashi.warehouse.Transaction`.
    table
        Canonical table name (not partitioned by year).
    rows
        New rows in the table's columns.
    by
        Columns naming a group, e.g. ``["year", "commodity"]``.
    source, origin
        Recorded in the ingest log.
    group_of
        Computes the group columns of a frame when they are not columns of
        the table (e.g. USGS's year and file family of a commodity);
        default: ``frame[by]``.

    Returns
    -------
    int
        Number of new rows (the kept rows are not counted).
    """
    new = conform(rows, table, origin=origin).to_pandas()
    old = staged_rows(tx, table)
    groups = group_of or (lambda frame: frame[by])
    if old is not None:
        covered = groups(new).drop_duplicates()
        keys = list(covered.columns)
        marker = groups(old).reset_index(drop=True).merge(covered.assign(_covered=True), on=keys,
                                                          how="left")["_covered"]
        kept = old[marker.isna().to_numpy()]
        combined = pd.concat([kept, new], ignore_index=True) if len(kept) else new
    else:
        combined = new
    tx.write(table, combined, source=source, origin=origin, mode="replace")
    return len(new)
