"""Derived summaries cached beside a warehouse snapshot (the one module of metrics/ that writes files).

A single-importer screen reads a few thousand trade rows, but it also needs
every product's world-export concentration and the importer's own exports,
which are aggregations over the whole ``trade_flows`` table (whose files are
sorted by importer, so a filter on the exporter cannot skip any of them).
Both come from one small table, every exporter's total exports of every
product and year, which depends only on the committed snapshot. It is
computed once and kept as Parquet under
``<warehouse>/derived/<snapshot id>/<name>.parquet``, together with the list
of HS revisions and years the trade flows hold.

The cache never changes a canonical table or the snapshot itself. Files are
written atomically (temporary file, then ``os.replace``), keyed by snapshot id
(a new ingest makes a new snapshot, so a stale summary is never read), and
folders of snapshots that no longer exist are swept when a new file is
written. Where the warehouse folder is not writable the summaries are simply
computed in the query.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from kakehashi.warehouse import Warehouse

if TYPE_CHECKING:
    from kakehashi.metrics.flows import TradePlan

DERIVED_DIR = "derived"
"""Folder of the warehouse holding derived summaries, one sub-folder per snapshot."""


def _path(wh: Warehouse, name: str) -> Path | None:
    sid = wh.snapshot_id
    if sid is None:
        return None
    return wh.path / DERIVED_DIR / sid / f"{name}.parquet"


def cached(wh: Warehouse, name: str, build: Callable[[], ibis.Table]) -> ibis.Table:
    """Return derived table ``name`` of the current snapshot, computing and caching it on first use.

    Parameters
    ----------
    wh
        The warehouse.
    name
        File name of the summary (letters, digits, ``_``).
    build
        Builds the Ibis expression of the summary from the warehouse's tables.
    """
    path = _path(wh, name)
    if path is None:
        return build()
    if not path.exists():
        try:
            _write(wh.execute(build()), path)
        except OSError:
            return build()
        sweep(wh)
    con = wh.connect()
    table_name = f"_kakehashi_{name}_{path.parent.name}".replace("-", "_")
    table: ibis.Table = con.read_parquet(str(path), table_name=table_name)
    return table


def cached_frame(wh: Warehouse, name: str, build: Callable[[], ibis.Table]) -> pd.DataFrame:
    """Like :func:`cached`, but return the (small) summary as pandas."""
    path = _path(wh, name)
    if path is not None and path.exists():
        return pd.read_parquet(path)
    df = wh.execute(build())
    if path is not None:
        try:
            _write(df, path)
            sweep(wh)
        except OSError:
            pass
    return df


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def export_totals(wh: Warehouse, revision: str, plan: TradePlan | None = None) -> ibis.Table:
    """Every exporter's total exports of every product and year: ``exporter, hs6, year, exports_usd``.

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    Without ``plan``, the rows held in ``revision``; with a plan
    (:func:`kakehashi.metrics.flows.plan_trade`), the analysis flows of the
    plan: one source per year, every row converted to the plan's revision.
    """
    if plan is not None:
        from kakehashi.metrics.flows import analysis_flows

        def build_plan() -> ibis.Table:
            f = analysis_flows(wh, plan)
            return f.group_by(["exporter", "hs6", "year"]).aggregate(exports_usd=f.value_usd.sum())

        return cached(wh, f"export_totals_{plan.revision}_{plan.key}", build_plan)

    def build() -> ibis.Table:
        flows = wh.table("trade_flows")
        f = flows.filter(flows.hs_revision == revision)
        return f.group_by(["exporter", "hs6", "year"]).aggregate(exports_usd=f.value_usd.sum())

    return cached(wh, f"export_totals_{revision}", build)


def trade_revision_years(wh: Warehouse) -> pd.DataFrame:
    """Distinct ``hs_revision, year`` pairs of ``trade_flows`` (cached per snapshot)."""
    def build() -> ibis.Table:
        t = wh.table("trade_flows")
        return t.select("hs_revision", "year").distinct()

    return cached_frame(wh, "trade_revision_years", build)


def sweep(wh: Warehouse) -> list[str]:
    """Remove derived folders of snapshots that no longer exist; return their ids."""
    root = wh.path / DERIVED_DIR
    if not root.is_dir():
        return []
    snaps = wh.path / "snapshots"
    alive = {p.name for p in snaps.iterdir()} if snaps.is_dir() else set()
    gone = []
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in alive:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder.name)
    return gone
