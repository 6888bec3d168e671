"""Derived summaries of a warehouse snapshot, read as the ingest stored them (no file is written here).

A single-importer screen reads a few thousand trade rows, but it also needs
every product's world-export concentration and the importer's own exports,
which are aggregations over the whole ``trade_flows`` table (whose files are
sorted by importer, so a filter on the exporter cannot skip any of them).
Both come from one small table, every exporter's total exports of every
product and year. The writing transaction computes it for the years it
rewrites and stores it in the snapshot
(``snapshots/<id>/derived/export_totals/<year>.parquet``), together with the
rows per year, HS revision and source (in the manifest); see
:mod:`kakehashi.warehouse`. Readers, the read-only web server included, only
read them. For a snapshot written before these summaries existed, the same
quantities are computed in the query, in memory.
"""

from __future__ import annotations

import ibis
import pandas as pd

from kakehashi.warehouse import Warehouse


def export_totals(wh: Warehouse, revision: str) -> ibis.Table:
    """Every exporter's total exports of every product and year: ``exporter, hs6, year, exports_usd``.

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    Read from the snapshot's derived files when it has them, else computed in the query.
    """
    stored = wh.derived_table("export_totals")
    if stored is not None:
        f = stored.filter(stored.hs_revision == revision)
        return f.select("exporter", "hs6", "year", "exports_usd")
    flows = wh.table("trade_flows")
    g = flows.filter(flows.hs_revision == revision)
    return g.group_by(["exporter", "hs6", "year"]).aggregate(exports_usd=g.value_usd.sum())


def trade_summary(wh: Warehouse) -> pd.DataFrame:
    """Rows and value of ``trade_flows`` per ``year, hs_revision, source``.

    Recorded at ingest; computed in the query for older snapshots.
    Columns ``year, hs_revision, source, rows, value_usd``, sorted by the first three.
    """
    stored = wh.trade_summary()
    if stored is None:
        if "trade_flows" not in wh.tables():
            return pd.DataFrame(columns=["year", "hs_revision", "source", "rows", "value_usd"])
        t = wh.table("trade_flows")
        expr = t.group_by(["year", "hs_revision", "source"]).aggregate(rows=t.count(),
                                                                       value_usd=t.value_usd.sum())
        stored = wh.execute(expr)
    out = stored.astype({"year": int, "rows": int})
    return out.sort_values(["year", "hs_revision", "source"], ignore_index=True)


def trade_revision_years(wh: Warehouse) -> pd.DataFrame:
    """Distinct ``hs_revision, year`` pairs of ``trade_flows``."""
    return trade_summary(wh)[["hs_revision", "year"]].drop_duplicates(ignore_index=True)
