"""Where the warehouse's data came from: ingest log, source labels, synthetic flag, licences.

Facts about the data, read by the questions layer (``kakehashi status``), the
dashboard's footer and the briefing packs' "method and sources" appendix. They
read the warehouse's manifest and the ``source`` columns; they compute no
statistic. The licence table is curated; each row carries its source.
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
    if any(SYNTHETIC_MARK in s.upper() for s in wh.log()["source"].astype(str)):
        return True  # the log (in the manifest) says so: no need to scan the tables' labels
    given = labels.get("source", pd.Series(dtype=str)) if labels is not None else None
    texts = source_texts(wh) if given is None else list(given.astype(str))
    return any(SYNTHETIC_MARK in s.upper() for s in texts)


def source_texts(wh: Warehouse) -> list[str]:
    """The distinct row-level ``source`` labels of :data:`SOURCE_TABLES` (those of :func:`source_labels`).

    Trade flows' labels come from the summary recorded at ingest when the snapshot
    has it (:meth:`kakehashi.warehouse.Warehouse.trade_summary`), so no trade row is scanned.
    """
    out: set[str] = set()
    present = set(wh.tables())
    summary = wh.trade_summary()
    for name in SOURCE_TABLES:
        if name not in present:
            continue
        if name == "trade_flows" and summary is not None:
            out.update(summary["source"].astype(str))
            continue
        t = wh.table(name)
        out.update(wh.execute(t.select("source").distinct())["source"].astype(str))
    return sorted(out)


LICENCES: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    # (words matched in source labels, publisher, licence, where the terms are)
    (("SYNTHETIC",), "kakehashi synthetic sample world (generated, not real data)",
     "Apache-2.0 (the project's licence)", "kakehashi.sample"),
    (("BACI", "CEPII"), "CEPII BACI, HS6 bilateral trade", "Etalab Open Licence 2.0",
     "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"),
    (("COMTRADE",), "UN Comtrade+", "UN Comtrade terms of use", "https://comtradeplus.un.org/"),
    (("USGS", "MINERAL COMMODITY SUMMARIES"), "U.S. Geological Survey, Mineral Commodity Summaries",
     "US public domain",
     "https://www.usgs.gov/centers/national-minerals-information-center/mineral-commodity-summaries"),
    (("WGI", "GOVERNANCE INDICATORS"), "World Bank, Worldwide Governance Indicators", "CC BY 4.0",
     "https://www.worldbank.org/en/publication/worldwide-governance-indicators"),
    (("HARMONIZED", "NOMENCLATURE", "WCO"),
     "World Customs Organization HS nomenclature (datasets/harmonized-system)", "ODC-PDDL",
     "https://github.com/datasets/harmonized-system"),
    (("TELEGEOGRAPHY", "SUBMARINE CABLE"),
     "TeleGeography Submarine Cable Map, open release (github.com/stevesong/open_undersea_cable_map)",
     "CC BY-NC-SA 3.0 (non-commercial, share alike; read at run time, never shipped)",
     "https://creativecommons.org/licenses/by-nc-sa/3.0/"),
)
"""Publishers and licences, matched on the warehouse's source labels (upper case).
Source: the publishers' pages listed in the last column."""


def licences_for(sources: list[str]) -> pd.DataFrame:
    """Publishers and licences of the given source labels (one row per matching publisher)."""
    rows = []
    upper = [s.upper() for s in sources]
    for marks, publisher, licence, terms in LICENCES:
        used = [s for s, u in zip(sources, upper, strict=True) if any(m in u for m in marks)
                and (marks == ("SYNTHETIC",) or "SYNTHETIC" not in u)]
        if used:
            rows.append({"publisher": publisher, "licence": licence, "terms": terms,
                         "labels": "; ".join(sorted(set(used)))})
    return pd.DataFrame(rows, columns=["publisher", "licence", "terms", "labels"])
