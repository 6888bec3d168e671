"""View models: the tables that the dashboard pages and the briefing packs show.

Each function fetches library results (:mod:`kakehashi.metrics`,
:mod:`kakehashi.scenarios`, :mod:`kakehashi.optimize`) and shapes them for
display: selecting, sorting, renaming, grouping small suppliers as "other"
and summing for a table's total row. No method lives here; every figure is
the library's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pandas as pd

from kakehashi.warehouse import Warehouse


def lib(module: str, name: str) -> Any:
    """A library function by module and name (imported when first used)."""
    return getattr(import_module(f"kakehashi.{module}"), name)


TOP_SUPPLIERS = 6
"""Suppliers shown by name in share charts; the rest are grouped as ``other``."""


# ---------------------------------------------------------------- display helpers
def group_small(df: pd.DataFrame, *, by: str, value: str, period: str = "year", top: int = TOP_SUPPLIERS,
                keep: Sequence[str | None] = ()) -> pd.DataFrame:
    """Keep the ``top`` largest ``by`` members (over all periods) plus ``keep``; sum the rest as ``other``.

    ``df`` has columns ``period, by, value, share``; the result has the same
    columns with at most ``top + len(keep) + 1`` members per period.
    """
    if df.empty:
        return df
    totals = df.groupby(by)[value].sum().sort_values(ascending=False)
    named = set(totals.index[:top]) | {k for k in keep if k}
    out = df.assign(**{by: df[by].where(df[by].isin(named), "other")})
    out = out.groupby([period, by], as_index=False)[[value, "share"]].sum(min_count=1)
    return out.sort_values([period, value], ascending=[True, False], ignore_index=True)


def explode_workstreams(screen: pd.DataFrame) -> pd.DataFrame:
    """One row per (screen row, workstream) from the screen's comma-separated ``workstream`` column."""
    ws = screen.assign(workstream=screen["workstream"].fillna("").str.split(", "))
    ws = ws.explode("workstream")
    return ws[ws["workstream"] != ""]


# ----------------------------------------------------------------------- screen
def screen(wh: Warehouse, importer: str | Sequence[str], rival: str, year: int,
           products: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The dependency screen for one year (:func:`kakehashi.metrics.screen.screen_frame`), by severity."""
    from kakehashi.metrics.screen import screen_frame

    return screen_frame(wh, importer, rival, years=[year], products=products)


def workstream_summary(screen_df: pd.DataFrame) -> pd.DataFrame:
    """Per workstream: products imported, how many are dependent and persistent, imports and rival imports.

    Columns ``workstream, products, dependent, persistent, imports_usd, rival_usd``,
    in the catalogue's workstream order.
    """
    workstreams = lib("catalogue", "workstreams")

    cols = ["workstream", "products", "dependent", "persistent", "imports_usd", "rival_usd"]
    if screen_df.empty:
        return pd.DataFrame(columns=cols)
    ws = explode_workstreams(screen_df)
    out = ws.groupby("workstream", as_index=False).agg(
        products=("hs6", "nunique"), dependent=("dependent", "sum"), persistent=("persistent", "sum"),
        imports_usd=("imports_usd", "sum"), rival_usd=("rival_usd", "sum"))
    order = {w: i for i, w in enumerate(workstreams())}
    out = out.assign(_o=out["workstream"].map(order)).sort_values("_o").drop(columns="_o")
    out[["dependent", "persistent"]] = out[["dependent", "persistent"]].astype(int)
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------- product
def trade_revision(wh: Warehouse, years: Sequence[int] | None = None) -> tuple[str, list[int]]:
    """HS revision and years of the trade data the pages read (as the screen chooses them)."""
    from kakehashi.metrics.screen import trade_coverage

    return trade_coverage(wh).choose(None, list(years) if years is not None else None)


def supplier_shares(wh: Warehouse, importer: str, hs6: str, *, keep: Sequence[str | None] = (),
                    top: int = TOP_SUPPLIERS) -> pd.DataFrame:
    """Each supplier's share of ``importer``'s imports of ``hs6``, per year.

    Columns ``year, supplier, value_usd, share`` (:func:`kakehashi.metrics.concentration.shares`),
    small suppliers grouped as ``other``.
    """
    from kakehashi.metrics.concentration import shares

    rev, _ = trade_revision(wh)
    t = wh.table("trade_flows")
    f = t.filter((t.hs_revision == rev) & (t.importer == importer) & (t.hs6 == hs6))
    df = wh.execute(shares(f, ["year"], "exporter", "value_usd")).rename(columns={"exporter": "supplier"})
    return group_small(df[["year", "supplier", "value_usd", "share"]], by="supplier", value="value_usd",
                       top=top, keep=keep)


def world_supply(wh: Warehouse, hs6: str, *, keep: Sequence[str | None] = (),
                 top: int = TOP_SUPPLIERS) -> pd.DataFrame:
    """Each exporter's share of world exports of ``hs6``, per year (columns as :func:`supplier_shares`)."""
    from kakehashi.metrics.concentration import shares

    rev, _ = trade_revision(wh)
    t = wh.table("trade_flows")
    f = t.filter((t.hs_revision == rev) & (t.hs6 == hs6))
    df = wh.execute(shares(f, ["year"], "exporter", "value_usd")).rename(columns={"exporter": "supplier"})
    return group_small(df[["year", "supplier", "value_usd", "share"]], by="supplier", value="value_usd",
                       top=top, keep=keep)


@dataclass(frozen=True)
class ProductInfo:
    """Catalogue facts about one HS6 code (``name`` is ``None`` outside the catalogue)."""

    hs6: str
    name: str | None
    workstreams: list[str]
    stage: str | None
    flag: str | None
    source: str | None
    commodities: list[str]


def product_info(hs6: str) -> ProductInfo:
    """Catalogue facts about ``hs6``: name, workstreams, stage, flag, source, mineral commodities."""
    goods = lib("catalogue", "strategic_goods")()
    rows = goods[goods["hs6"] == hs6]
    minerals = lib("catalogue", "usgs_hs")()
    commodities = sorted(set(minerals.loc[minerals["hs6"] == hs6, "commodity"]))
    if rows.empty:
        return ProductInfo(hs6, None, [], None, None, None, commodities)
    first = rows.iloc[0]
    return ProductInfo(hs6, str(first["name"]), sorted(set(rows["workstream"])), str(first["stage"]),
                       str(first["flag"]), str(first["source"]), commodities)


def product_screen(wh: Warehouse, importer: str, rival: str, hs6: str) -> pd.DataFrame:
    """The screen rows of one product in every year, oldest first."""
    df: pd.DataFrame = lib("metrics.screen", "screen_frame")(wh, importer, rival, products=[hs6])
    return df.sort_values("year", ignore_index=True)


# ---------------------------------------------------------------------- minerals
def production_shares(wh: Warehouse, commodity: str, *, year: int | None = None,
                      stage: str | None = None) -> pd.DataFrame:
    """Each country's share of world production of ``commodity`` (latest year unless given).

    Columns ``year, stage, country, quantity, unit, share``
    (:func:`kakehashi.metrics.concentration.shares` over the ``production`` table;
    country rows only, the publisher's world totals are kept apart).
    """
    from kakehashi.metrics.concentration import shares

    cols = ["year", "stage", "country", "quantity", "unit", "share"]
    if "production" not in wh.tables():
        return pd.DataFrame(columns=cols)
    p = wh.table("production")
    p = p.filter((p.commodity == commodity) & p.quantity.notnull())
    if stage is not None:
        p = p.filter(p.stage == stage)
    if year is None:
        latest = wh.execute(p.aggregate(y=p.year.max()))["y"].iloc[0]
        if pd.isna(latest):
            return pd.DataFrame(columns=cols)
        year = int(latest)
    p = p.filter(p.year == year)
    df = wh.execute(shares(p, ["year", "stage", "unit"], "country", "quantity"))
    return df[cols].sort_values(["stage", "share"], ascending=[True, False], ignore_index=True)


def commodity_codes(commodity: str) -> list[str]:
    """HS 2022 codes a mineral commodity is traded under (catalogue ``usgs_hs``)."""
    table = lib("catalogue", "usgs_hs")()
    return sorted(set(table.loc[table["commodity"] == commodity, "hs6"]))


def substitution(wh: Warehouse, importer: str, rival: str, products: str | Sequence[str] | None, *,
                 partner: str | None = None, coalition: Sequence[str] = (), year: int | None = None,
                 only_dependent: bool = False) -> pd.DataFrame:
    """Capacity of partner, coalition and world to replace the rival's supply.

    :func:`kakehashi.metrics.substitution.substitution_capacity` (covers are
    spare exports as a multiple of the rival's supply); empty when the module is
    not installed.
    """
    try:
        fn = lib("metrics.substitution", "substitution_capacity")
    except (ImportError, AttributeError):
        return pd.DataFrame()
    df: pd.DataFrame = fn(wh, importer, rival, partner=partner, coalition=tuple(coalition),
                          years=[year] if year is not None else None, products=products,
                          only_dependent=only_dependent)
    return df


def candidates(wh: Warehouse, importer: str, rival: str, hs6: str, *, top: int = 10) -> pd.DataFrame:
    """Possible replacement suppliers of one product, by spare exports
    (:func:`kakehashi.metrics.substitution.candidates`); empty when not installed."""
    try:
        fn = lib("metrics.substitution", "candidates")
    except (ImportError, AttributeError):
        return pd.DataFrame()
    df: pd.DataFrame = fn(wh, importer, rival, hs6)
    return df.head(top).reset_index(drop=True)


def supply_risk(wh: Warehouse, commodity: str, rival: str, importer: str | None) -> pd.DataFrame:
    """Supply-risk indicators of a commodity (:func:`kakehashi.metrics.minerals.supply_risk`).

    Empty when the minerals module is not installed.
    """
    try:
        fn = lib("metrics.minerals", "supply_risk")
    except (ImportError, AttributeError):
        return pd.DataFrame()
    df: pd.DataFrame = fn(wh, commodity=commodity, rival=rival, importer=importer)
    return df
