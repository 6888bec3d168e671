"""What a warehouse holds: tables, trade years by HS revision and source, the source each year uses,
sources, snapshots.

One answer for ``kakehashi status`` and ``/api/status`` (both only format it).
Row counts and the trade flows' years come from the snapshot's manifest and
the summaries recorded at ingest, so the answer does not scan the trade
flows; the small tables with a ``source`` column are read through the
engine. Publishers and licences are matched on the source labels
(:data:`kakehashi.provenance.LICENCES`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kakehashi.errors import InputError
from kakehashi.metrics.derived import trade_summary
from kakehashi.provenance import SOURCE_TABLES, SYNTHETIC_MARK, is_synthetic, licences_for
from kakehashi.schemas import schema
from kakehashi.storage import parquet_rows
from kakehashi.warehouse import REINGEST_HINT, UnverifiedSnapshotWarning, Warehouse, snapshot_time, year_part

VINTAGE = re.compile(r"\bV\d{6}\b|\bMCS ?\d{4}\b|\b(?:19|20)\d{2} edition\b", re.IGNORECASE)
"""Release named inside a source label: BACI ``V202501``, USGS ``MCS 2024``, ``2024 edition``."""


@dataclass(frozen=True)
class Inventory:
    """What a warehouse holds (see :func:`inventory`).

    Attributes
    ----------
    tables
        ``table, rows, files, years``: every table with data, rows as recorded at commit.
    trade_years
        ``hs_revision, source, years, rows, value_usd``: trade flows by HS revision and source.
    sources
        ``source, tables, rows, years, vintage, last_ingested, publisher, licence, terms, synthetic``.
    snapshots
        ``snapshot, committed_at, current, parent, tables, checksummed`` of every snapshot on disk.
    integrity
        ``checked`` (``"sizes"`` or ``"sha256"``), ``files``, ``checksummed`` and ``problems`` (none:
        a damaged warehouse is an error).
    sources_by_year
        ``year, source, hs_revisions, rows, set_aside``: the trade dataset every analysis uses for
        each year and the datasets of that year it sets aside
        (:func:`kakehashi.metrics.coverage.sources_by_year`, under ``precedence``).
    precedence
        Source prefixes in order of preference behind ``sources_by_year``.
    """

    warehouse: str
    snapshot: str | None
    synthetic: bool
    tables: pd.DataFrame
    trade_years: pd.DataFrame
    sources: pd.DataFrame
    snapshots: pd.DataFrame
    integrity: dict[str, Any]
    sources_by_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    precedence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (lists of years stay lists of integers)."""
        def recs(df: pd.DataFrame) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = json.loads(df.to_json(orient="records")) if len(df) else []
            return out

        def split(text: object, sep: str) -> list[str]:
            return [p for p in str(text).split(sep) if p] if isinstance(text, str) else []

        by_year = [{**r, "hs_revisions": split(r["hs_revisions"], ", "),
                    "set_aside": split(r["set_aside"], "; ")} for r in recs(self.sources_by_year)]
        return {"warehouse": self.warehouse, "snapshot": self.snapshot, "synthetic": self.synthetic,
                "integrity": self.integrity, "tables": recs(self.tables),
                "trade_years": recs(self.trade_years), "sources_by_year": by_year,
                "precedence": list(self.precedence), "sources": recs(self.sources),
                "snapshots": recs(self.snapshots)}


@dataclass(frozen=True)
class Vocabulary:
    """The values a request may name in this warehouse: countries, importers, HS6 codes, years,
    HS revisions of the trade flows, and the commodities of the production table."""

    countries: frozenset[str]
    importers: tuple[str, ...]
    products: frozenset[str]
    years: tuple[int, ...]
    revisions: tuple[str, ...]
    commodities: tuple[str, ...]


def vocabulary(wh: Warehouse) -> Vocabulary:
    """What a request may name: the distinct countries (importers, exporters, producers), HS6 codes,
    years and revisions of ``trade_flows`` and the commodities of ``production`` (empty when absent)."""
    tables = wh.tables()
    countries: set[str] = set()
    importers: list[str] = []
    products: set[str] = set()
    years: list[int] = []
    revisions: list[str] = []
    commodities: list[str] = []

    def distinct(t: Any, col: str) -> list[Any]:
        return list(wh.execute(t.select(col).distinct())[col])

    if "trade_flows" in tables:
        t = wh.table("trade_flows")
        importers = sorted(str(c) for c in distinct(t, "importer"))
        countries |= set(importers) | {str(c) for c in distinct(t, "exporter")}
        products = {str(c) for c in distinct(t, "hs6")}
        years = sorted(int(y) for y in distinct(t, "year"))
        revisions = sorted(str(r) for r in distinct(t, "hs_revision"))
    if "production" in tables:
        p = wh.table("production")
        countries |= {str(c) for c in distinct(p, "country")}
        commodities = sorted(str(c) for c in distinct(p, "commodity"))
    return Vocabulary(frozenset(countries), tuple(importers), frozenset(products), tuple(years),
                      tuple(revisions), tuple(commodities))


def _table_rows(wh: Warehouse, table: str) -> int:
    entries = wh.manifest().get("files") or {}
    total = 0
    for path in wh.files(table):
        entry = entries.get(f"{table}/{path.name}")
        total += int(entry["rows"]) if entry and "rows" in entry else parquet_rows(path)
    return total


def _table_years(wh: Warehouse, table: str) -> list[int]:
    spec = schema(table)
    if spec.partition_by_year:
        return sorted({yp[0] for p in wh.files(table) if (yp := year_part(p.name)) is not None})
    if "year" not in spec.names:
        return []
    t = wh.table(table)
    return sorted(int(y) for y in wh.execute(t.select("year").distinct())["year"])


def tables_frame(wh: Warehouse) -> pd.DataFrame:
    """``table, rows, files, years`` (a list) of every table with data in the committed snapshot."""
    rows = []
    for t in wh.tables():
        years = _table_years(wh, t)
        rows.append({"table": t, "rows": _table_rows(wh, t), "files": len(wh.files(t)),
                     "years": years})
    return pd.DataFrame(rows, columns=["table", "rows", "files", "years"])


def trade_years_frame(wh: Warehouse) -> pd.DataFrame:
    """Trade flows by HS revision and source: ``hs_revision, source, years, rows, value_usd``."""
    cols = ["hs_revision", "source", "years", "rows", "value_usd"]
    summary = trade_summary(wh)
    if summary.empty:
        return pd.DataFrame(columns=cols)
    out = [{"hs_revision": rev, "source": src, "years": sorted(int(y) for y in g["year"]),
            "rows": int(g["rows"].sum()), "value_usd": float(g["value_usd"].sum())}
           for (rev, src), g in summary.groupby(["hs_revision", "source"], sort=True)]
    return pd.DataFrame(out, columns=cols)


def _labels(wh: Warehouse) -> pd.DataFrame:
    """Row-level source labels per table: ``table, source, rows, years``."""
    frames = []
    present = set(wh.tables())
    summary = trade_summary(wh)
    for (src,), g in summary.groupby(["source"]):
        frames.append(pd.DataFrame([{"table": "trade_flows", "source": src, "rows": int(g["rows"].sum()),
                                     "years": sorted({int(y) for y in g["year"]})}]))
    for name in SOURCE_TABLES:
        if name == "trade_flows" or name not in present:
            continue
        t = wh.table(name)
        df = wh.execute(t.group_by(["source", "year"]).aggregate(rows=t.count()))
        for src, g in df.groupby("source"):
            frames.append(pd.DataFrame([{"table": name, "source": src, "rows": int(g["rows"].sum()),
                                         "years": sorted(int(y) for y in g["year"])}]))
    if not frames:
        return pd.DataFrame(columns=["table", "source", "rows", "years"])
    return pd.concat(frames, ignore_index=True)


def sources_frame(wh: Warehouse, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every source: tables, rows, years, vintage, last ingest, publisher, licence, synthetic.

    Sources of tables with a ``source`` column are those of their rows; tables
    without one (countries, products, governance, concordance) take the sources
    of the ingest log's writes. ``rows`` counts the rows that carry the label
    (empty for log-only sources).
    """
    labels = _labels(wh) if labels is None else labels
    log = wh.log()
    by_source: dict[str, dict[str, Any]] = {}
    for r in labels.itertuples(index=False):  # table, source, rows, years
        e = by_source.setdefault(str(r.source), {"tables": set(), "rows": 0, "years": set()})
        e["tables"].add(r.table)
        e["rows"] += int(r.rows)  # type: ignore[arg-type]
        e["years"].update(r.years)
    labelled = set(labels["table"])
    present = set(wh.tables())
    for r in log.itertuples(index=False):
        if r.table in labelled or r.table not in present:
            continue
        e = by_source.setdefault(str(r.source), {"tables": set(), "rows": None, "years": set()})
        e["tables"].add(r.table)
        e["years"].update(r.years or [])
    last = log.groupby("source")["ingested_at"].max().to_dict() if len(log) else {}
    rows = []
    for src in sorted(by_source):
        e = by_source[src]
        lic = licences_for([src])
        m = VINTAGE.search(src)
        rows.append({
            "source": src, "tables": ", ".join(sorted(e["tables"])), "rows": e["rows"],
            "years": sorted(int(y) for y in e["years"]), "vintage": m.group(0) if m else "",
            "last_ingested": last.get(src, ""),
            "publisher": "; ".join(lic["publisher"]) if len(lic) else "",
            "licence": "; ".join(lic["licence"]) if len(lic) else "",
            "terms": "; ".join(lic["terms"]) if len(lic) else "",
            "synthetic": SYNTHETIC_MARK in src.upper(),
        })
    out = pd.DataFrame(rows, columns=["source", "tables", "rows", "years", "vintage", "last_ingested",
                                      "publisher", "licence", "terms", "synthetic"])
    out["rows"] = pd.Series([r["rows"] for r in rows], dtype=object)  # whole numbers, None when unknown
    return out


def snapshots_frame(wh: Warehouse) -> pd.DataFrame:
    """Every snapshot on disk, oldest first: id, commit time (UTC), current, parent, tables."""
    current = wh.snapshot_id
    rows = []
    for name in wh.snapshot_names():
        manifest = wh.snapshot_manifest(name)
        when = snapshot_time(name)
        rows.append({
            "snapshot": name, "committed_at": when.replace(tzinfo=dt.UTC).isoformat() if when else "",
            "current": name == current,
            "parent": (manifest or {}).get("parent") or "",
            "tables": len((manifest or {}).get("tables") or {}) if manifest is not None else None,
            "checksummed": manifest is not None and "files" in manifest,
        })
    return pd.DataFrame(rows, columns=["snapshot", "committed_at", "current", "parent", "tables",
                                       "checksummed"])


def inventory(wh: Warehouse, *, verify: bool = False, precedence: Sequence[str] | None = None) -> Inventory:
    """Describe what the warehouse holds, after checking its files.

    Parameters
    ----------
    wh
        The warehouse (read-only is enough: nothing is written).
    verify
        Hash every file of the committed snapshot (sha256) instead of the
        cheap check of presence and sizes.
    precedence
        Source prefixes in order of preference for ``sources_by_year``
        (default :data:`kakehashi.metrics.flows.SOURCE_PRECEDENCE`).

    Raises
    ------
    InputError
        When the warehouse has no snapshot, or a file is missing or damaged
        (the message names the first one and counts the others).
    """
    sid = wh.snapshot_id
    if sid is None:
        raise InputError(f"no warehouse at {wh.path}",
                         hint="create one with 'kakehashi sample --size tiny --out sample' and "
                         "'kakehashi ingest sample sample', or pass --warehouse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedSnapshotWarning)
        problems = wh.verify(full=verify)
    if problems:
        more = f" (and {len(problems) - 1} more damaged or missing files)" if len(problems) > 1 else ""
        raise InputError(f"{problems[0].path} {problems[0].reason}{more}", hint=REINGEST_HINT)
    checksummed = wh.checksummed
    files = len(wh.manifest().get("files") or {})
    labels = _labels(wh)
    integrity = {"checked": "sha256" if verify and checksummed else "sizes", "checksummed": checksummed,
                 "files": files, "problems": 0}
    from kakehashi.metrics.coverage import sources_by_year
    from kakehashi.metrics.flows import SOURCE_PRECEDENCE

    prec = tuple(precedence) if precedence is not None else SOURCE_PRECEDENCE
    return Inventory(
        warehouse=str(wh.path), snapshot=sid,
        synthetic=is_synthetic(wh, labels),
        tables=tables_frame(wh), trade_years=trade_years_frame(wh),
        sources=sources_frame(wh, labels), snapshots=snapshots_frame(wh), integrity=integrity,
        sources_by_year=sources_by_year(wh, precedence=prec), precedence=prec)
