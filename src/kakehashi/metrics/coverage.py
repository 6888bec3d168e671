"""How complete the trade behind an analysis is: sources per year and coverage warnings.

World-export concentration (``world_export_hhi``) needs every exporter's
exports to every destination. A year whose trade comes from an extract (the
flows of two exporters, or the reports of one country with a few partners)
gives an HHI over the few countries present, which says nothing about the
world, and so does the dependency flag built on it: with :math:`n`
exporters the HHI is at least :math:`1/n`, so with two exporters every
product passes the 0.4 threshold.

:func:`coverage_warnings` says so, in plain sentences, for every year whose
data used (:mod:`kakehashi.metrics.flows`: one dataset per year) show

* fewer than :data:`MIN_COUNTRIES` exporters or fewer than
  :data:`MIN_COUNTRIES` importers, or
* fewer exporters than :data:`MIN_SIDE_RATIO` times the importers, or fewer
  importers than that times the exporters (complete bilateral data such as
  BACI have about as many of each: 182 exporters and 215 importers for the
  30 codes of the 2024 critical-materials file).

Each output row also carries ``world_exporters``, the number of exporters
reporting the product in that year.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd

from kakehashi.errors import year_span
from kakehashi.metrics.flows import (
    COMTRADE_DATASET,
    TradePlan,
    choose_datasets,
    plan_trade,
    trade_inventory,
)
from kakehashi.warehouse import Warehouse

MIN_COUNTRIES = 10
"""A year with fewer exporters (or importers) than this covers only a few countries."""

MIN_SIDE_RATIO = 0.5
"""A year with fewer exporters than this share of its importers (or the reverse) is an extract."""

SOURCES_BY_YEAR_COLUMNS: tuple[str, ...] = (
    "year", "source", "hs_revisions", "rows", "set_aside",
)
"""Columns of :func:`sources_by_year`."""


def sources_by_year(wh: Warehouse, *, precedence: Sequence[str] | None = None) -> pd.DataFrame:
    """Which trade source each year uses (:mod:`kakehashi.metrics.flows` precedence).

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows``.
    precedence
        Source prefixes in order of preference (default
        :data:`kakehashi.metrics.flows.SOURCE_PRECEDENCE`: BACI, then Comtrade).

    Returns
    -------
    pandas.DataFrame
        :data:`SOURCES_BY_YEAR_COLUMNS`: the dataset used (a BACI label such
        as ``"CEPII BACI HS17 V202601"``, ``"UN Comtrade"`` for every
        Comtrade report of the year, or another source's label), its HS
        revisions (comma-separated), its rows, and the other datasets of that
        year that are not used ("; "-separated, empty when none).
    """
    from kakehashi.metrics.flows import SOURCE_PRECEDENCE, dataset_of

    prec = tuple(precedence) if precedence is not None else SOURCE_PRECEDENCE
    inv = trade_inventory(wh)
    chosen = choose_datasets(inv, prec)
    if not chosen:
        return pd.DataFrame(columns=list(SOURCES_BY_YEAR_COLUMNS))
    inv = inv.assign(dataset=inv["source"].astype(str).map(dataset_of))
    rows = []
    for year, (ds, revs, aside) in sorted(chosen.items()):
        n = int(inv.loc[(inv["year"] == year) & (inv["dataset"] == ds), "rows"].sum())
        rows.append({"year": year, "source": ds, "hs_revisions": ", ".join(revs), "rows": n,
                     "set_aside": "; ".join(aside)})
    return pd.DataFrame(rows, columns=list(SOURCES_BY_YEAR_COLUMNS))


def reporting_countries(wh: Warehouse, plan: TradePlan, years: Sequence[int] | None = None) -> pd.DataFrame:
    """Per year of the plan: ``year, source, exporters, importers`` (distinct countries in the data used)."""
    from kakehashi.metrics.derived import memo_frame
    from kakehashi.metrics.flows import _dataset_filter

    yrs = sorted(set(plan.datasets) if years is None else {int(y) for y in years} & set(plan.datasets))
    if not yrs:
        return pd.DataFrame(columns=["year", "source", "exporters", "importers"])

    def build() -> ibis.Table:
        t = wh.table("trade_flows")
        f = t.filter(_dataset_filter(t, plan, plan.available_years))
        f = f.filter(f.value_usd > 0)
        return f.group_by("year").aggregate(exporters=f.exporter.nunique(), importers=f.importer.nunique())

    df = _recorded_countries(wh, plan, yrs)
    if df is None:
        df = memo_frame(wh, f"reporting_countries_{plan.key}", build)
    df = df[df["year"].isin(yrs)].sort_values("year").reset_index(drop=True)
    df.insert(1, "source", df["year"].map(lambda y: plan.datasets[int(y)]))
    return df[["year", "source", "exporters", "importers"]]


def _recorded_countries(wh: Warehouse, plan: TradePlan, years: Sequence[int]) -> pd.DataFrame | None:
    """``year, exporters, importers`` from the counts recorded at ingest, when each year's dataset is one
    recorded (revision, source) row, so that its distinct countries are that row's; else ``None``."""
    from kakehashi.metrics.derived import country_counts

    counts = country_counts(wh)
    if counts is None:
        return None
    rows = []
    for year in years:
        ds = plan.datasets[year]
        src = counts["source"].astype(str)
        used = counts[(counts["year"] == year)
                      & (src.str.startswith(ds) if ds == COMTRADE_DATASET else src == ds)]
        if len(used) != 1:
            return None
        if int(used["exporters"].iloc[0]) == 0:
            continue  # no positive flow: the query finds no row for the year either
        rows.append({"year": year, "exporters": int(used["exporters"].iloc[0]),
                     "importers": int(used["importers"].iloc[0])})
    return pd.DataFrame(rows, columns=["year", "exporters", "importers"])


def coverage_warnings(
    wh: Warehouse,
    years: Sequence[int] | None = None,
    *,
    revision: str | None = None,
    precedence: Sequence[str] | None = None,
    plan: TradePlan | None = None,
    min_countries: int = MIN_COUNTRIES,
    min_side_ratio: float = MIN_SIDE_RATIO,
) -> list[str]:
    """Plain sentences on years whose trade covers only a few exporters or partners (module docstring).

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows``.
    years
        Years of the analysis (default: every year of the data).
    revision, precedence
        As for the analysis (:func:`kakehashi.metrics.flows.plan_trade`).
    plan
        A plan already made (then ``revision`` and ``precedence`` are ignored).
    min_countries, min_side_ratio
        Thresholds (:data:`MIN_COUNTRIES`, :data:`MIN_SIDE_RATIO`).

    Returns
    -------
    list of str
        One sentence per group of years with the same shortfall; empty when
        the data look complete.
    """
    p = plan if plan is not None else plan_trade(wh, revision, years, precedence=precedence)
    df = reporting_countries(wh, p, years if years is not None else p.years)
    groups: dict[tuple[str, str], list[int]] = {}
    for year, src, nx, nm in zip(df["year"], df["source"], df["exporters"], df["importers"], strict=True):
        nx, nm = int(nx), int(nm)
        what = None
        if nx < min_countries or nx < min_side_ratio * nm:
            what = f"only {nx} exporter{'s' if nx != 1 else ''} (to {nm} importers)"
        elif nm < min_countries or nm < min_side_ratio * nx:
            what = f"only {nm} importer{'s' if nm != 1 else ''} (from {nx} exporters)"
        if what is not None:
            groups.setdefault((what, str(src)), []).append(int(year))
    out = []
    for (what, src), yrs in groups.items():
        label = "UN Comtrade reports" if src == COMTRADE_DATASET else src
        out.append(f"Trade of {year_span(yrs)} ({label}) covers {what}: world-export concentration "
                   "and the dependency flag cannot be read from it.")
    return out


__all__ = [
    "MIN_COUNTRIES",
    "MIN_SIDE_RATIO",
    "SOURCES_BY_YEAR_COLUMNS",
    "coverage_warnings",
    "reporting_countries",
    "sources_by_year",
]
