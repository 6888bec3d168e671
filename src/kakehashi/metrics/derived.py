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

from collections import OrderedDict
from collections.abc import Callable, Sequence
from threading import Lock

import ibis
import pandas as pd
import pyarrow as pa

from kakehashi.warehouse import Warehouse


def export_totals(wh: Warehouse, revision: str) -> ibis.Table:
    """Every exporter's total exports of every product and year: ``exporter, hs6, year, exports_usd``.

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    The rows held in ``revision``, summed over sources; read from the snapshot's
    derived files when it has them, else computed in the query. For the totals of
    an analysis plan (one source per year, conversion), see
    :func:`kakehashi.metrics.flows.export_totals`.
    """
    stored = wh.derived_table("export_totals")
    if stored is not None:
        f = stored.filter(stored.hs_revision == revision)
        return f.select("exporter", "hs6", "year", "exports_usd")
    from kakehashi.metrics.concentration import stable_sum

    flows = wh.table("trade_flows")
    g = flows.filter(flows.hs_revision == revision)
    return g.group_by(["exporter", "hs6", "year"]).aggregate(exports_usd=stable_sum(g.value_usd))


MEMO_ENTRIES = 64
"""Small summaries kept in memory per process (:func:`memo_frame`), oldest dropped first."""
_MEMO: OrderedDict[tuple[str, str, str], pd.DataFrame] = OrderedDict()
_MEMO_LOCK = Lock()


def memo_frame(wh: Warehouse, name: str, build: Callable[[], ibis.Table]) -> pd.DataFrame:
    """A small summary of the current snapshot, computed once per process and kept in memory.

    Nothing is written to the warehouse (a read-only warehouse stays byte-identical);
    the key includes the snapshot id, so a new ingest is never answered from an old summary.
    """
    key = (str(wh.path), str(wh.snapshot_id), name)
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
        if hit is not None:
            _MEMO.move_to_end(key)
            return hit.copy()
    df = wh.execute(build())
    with _MEMO_LOCK:
        _MEMO[key] = df
        while len(_MEMO) > MEMO_ENTRIES:
            _MEMO.popitem(last=False)
    return df.copy()


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


def country_counts(wh: Warehouse) -> pd.DataFrame | None:
    """Exporters and importers with a positive flow per ``year, hs_revision, source``, recorded at ingest.

    ``year, hs_revision, source, exporters, importers`` (distinct countries with
    ``value_usd > 0``); ``None`` when a year of the snapshot was written before
    these counts were recorded (then they are counted in a query).
    """
    rows = (wh.manifest().get("derived") or {}).get("trade_summary")
    if not rows or any("exporters" not in r or "importers" not in r for r in rows):
        return None
    return pd.DataFrame(rows, columns=["year", "hs_revision", "source", "exporters", "importers"])


def trade_revision_years(wh: Warehouse) -> pd.DataFrame:
    """Distinct ``hs_revision, year`` pairs of ``trade_flows``."""
    return trade_summary(wh)[["hs_revision", "year"]].drop_duplicates(ignore_index=True)


def world_summary(wh: Warehouse, revision: str, years: Sequence[int],
                  products: Sequence[str] | None = None) -> pa.Table | None:
    """Every product's world exports in ``revision`` and ``years``, as the ingest stored them.

    ``hs6, year, world_exports, world_sumsq, world_exporters``: per product and
    year, :math:`X_{kt} = \\sum_e X_{ekt}`, :math:`Q_{kt} = \\sum_e X_{ekt}^2` and
    :math:`n_{kt} = \\#\\{e : X_{ekt} > 0\\}` over the stored exporter totals
    (:func:`export_totals`), the same bits as
    :func:`kakehashi.metrics.screen.world_summary` of those totals
    (``_world_summary`` in :mod:`kakehashi.warehouse`). Only ``products`` when
    given. ``None`` when the snapshot does not hold the summary of every year
    it holds totals for (snapshots written before it, a year with a null
    total) or is on object storage: the caller then computes it in the query.
    """
    from pathlib import Path

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = wh.derived_files("world_summary")
    totals = wh.derived_files("export_totals")
    if not files or any(not isinstance(f, Path) for f in files) or len(files) != len(totals):
        return None
    by_year = {int(f.name.split(".", 1)[0]): f for f in files if isinstance(f, Path)}
    wanted = [by_year[y] for y in sorted({int(y) for y in years}) if y in by_year]
    columns = ["hs6", "year", "world_exports", "world_sumsq", "world_exporters"]
    if not wanted:
        return pq.read_schema(files[0]).empty_table().select(columns)
    table = pa.concat_tables(pq.read_table(f, page_checksum_verification=True) for f in wanted)
    keep = pc.equal(table.column("hs_revision"), revision)
    if products is not None:
        keep = pc.and_(keep, pc.is_in(table.column("hs6"), value_set=pa.array(list(products), pa.string())))
    return table.filter(keep).select(columns)
