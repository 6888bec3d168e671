"""Where the warehouse's data came from: ingest log, source labels, synthetic flag.

Presentation helpers for the "method and sources" appendix and the dashboard
footer. They read the warehouse's manifest and the ``source`` columns; they
compute no statistic.
"""

from __future__ import annotations

import ibis
import pandas as pd

from kakehashi.errors import year_span
from kakehashi.warehouse import Warehouse

SYNTHETIC_MARK = "SYNTHETIC"
"""Every row of the bundled sample world carries a source label containing this word."""

SOURCE_TABLES: tuple[str, ...] = ("trade_flows", "production", "reserves", "world_totals")
"""Canonical tables with a row-level ``source`` column."""


def source_labels(wh: Warehouse) -> pd.DataFrame:
    """Distinct ``source`` labels per table, with row counts and years.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``source``, ``rows``, ``first_year``, ``last_year``.
    """
    frames = []
    present = set(wh.tables())
    for name in SOURCE_TABLES:
        if name not in present:
            continue
        t = wh.table(name)
        expr = t.group_by("source").aggregate(
            rows=t.count(), first_year=t.year.min(), last_year=t.year.max()
        ).mutate(table=ibis.literal(name))
        frames.append(wh.execute(expr))
    if not frames:
        return pd.DataFrame(columns=["table", "source", "rows", "first_year", "last_year"])
    out = pd.concat(frames, ignore_index=True)
    return out[["table", "source", "rows", "first_year", "last_year"]].sort_values(
        ["table", "source"], ignore_index=True)


def ingest_log(wh: Warehouse) -> pd.DataFrame:
    """The warehouse's ingest log (table, source, origin, rows, years, mode, ingested_at)."""
    log = wh.log()
    if not log.empty:
        log = log.assign(years=log["years"].map(_years_text))
    return log


def _years_text(years: object) -> str:
    return year_span(years, empty="") if isinstance(years, list) else ""


def is_synthetic(wh: Warehouse, labels: pd.DataFrame | None = None) -> bool:
    """True when any data in the warehouse come from the synthetic sample world.

    Looks for :data:`SYNTHETIC_MARK` in the row-level ``source`` labels and in
    the ingest log, so a mixed warehouse is still flagged.
    """
    labels = source_labels(wh) if labels is None else labels
    texts = [*labels.get("source", pd.Series(dtype=str)).astype(str), *wh.log()["source"].astype(str)]
    return any(SYNTHETIC_MARK in s.upper() for s in texts)
