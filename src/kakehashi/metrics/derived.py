"""Derived summaries cached beside a warehouse snapshot (the one module of metrics/ that writes files).

A single-importer screen reads a few thousand trade rows but needs every
product's world-export concentration, which is an aggregation over the whole
``trade_flows`` table. That summary depends only on the committed snapshot, so
it is computed once and kept as Parquet under
``<warehouse>/derived/<snapshot id>/world_exports_<revision>.parquet``.

The cache never changes a canonical table or the snapshot itself. It is
written atomically (temporary file, then ``os.replace``), keyed by snapshot
id (a new ingest makes a new snapshot, so a stale summary is never read), and
folders of snapshots that no longer exist are swept when a new summary is
written. Where the warehouse folder is not writable the summary is simply
computed in the query.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import ibis

from kakehashi.metrics.screen import world_export_summary
from kakehashi.warehouse import Warehouse

DERIVED_DIR = "derived"
"""Folder of the warehouse holding derived summaries, one sub-folder per snapshot."""


def _path(wh: Warehouse, revision: str) -> Path | None:
    sid = wh.snapshot_id
    if sid is None:
        return None
    return wh.path / DERIVED_DIR / sid / f"world_exports_{revision}.parquet"


def world_exports(wh: Warehouse, revision: str) -> ibis.Table:
    """World-export summary (``hs6, year, world_exports, world_sumsq``) of one HS revision.

    Read from the snapshot's cache when present; otherwise computed with
    :func:`kakehashi.metrics.screen.world_export_summary`, cached if the
    warehouse folder is writable, and returned.
    """
    path = _path(wh, revision)
    flows = wh.table("trade_flows")
    summary = world_export_summary(flows.filter(flows.hs_revision == revision))
    if path is None:
        return summary
    if not path.exists():
        try:
            _write(wh, summary, path)
        except OSError:
            return summary
    con = wh.connect()
    name = f"_kakehashi_world_exports_{revision}_{path.parent.name}".replace("-", "_")
    table: ibis.Table = con.read_parquet(str(path), table_name=name)
    return table


def _write(wh: Warehouse, summary: ibis.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        wh.execute(summary).to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    sweep(wh)


def sweep(wh: Warehouse) -> list[str]:
    """Remove derived folders of snapshots that no longer exist; return their ids."""
    root = wh.path / DERIVED_DIR
    if not root.is_dir():
        return []
    alive = {p.name for p in (wh.path / "snapshots").iterdir()} if (wh.path / "snapshots").is_dir() else set()
    gone = []
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in alive:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder.name)
    return gone
