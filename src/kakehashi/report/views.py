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

from kakehashi import catalogue
from kakehashi.errors import InputError, ScenarioError
from kakehashi.metrics import concentration, minerals
from kakehashi.metrics import screen as screen_mod
from kakehashi.metrics import substitution as subst
from kakehashi.present import metric_unit as present_metric_unit
from kakehashi.present import shorten
from kakehashi.scenarios import measures as scenario_measures
from kakehashi.scenarios import run as scenario_run
from kakehashi.scenarios import spec as scenario_spec_mod
from kakehashi.warehouse import Warehouse


def lib(module: str, name: str) -> Any:
    """A library function by module and name, imported when first used (for optional modules)."""
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
    return screen_mod.screen_frame(wh, importer, rival, years=[year], products=products)


def workstream_summary(screen_df: pd.DataFrame) -> pd.DataFrame:
    """Per workstream: products imported, how many are dependent and persistent, imports and rival imports.

    Columns ``workstream, products, dependent, persistent, imports_usd, rival_usd``,
    in the catalogue's workstream order.
    """
    cols = ["workstream", "products", "dependent", "persistent", "imports_usd", "rival_usd"]
    if screen_df.empty:
        return pd.DataFrame(columns=cols)
    ws = explode_workstreams(screen_df)
    out = ws.groupby("workstream", as_index=False).agg(
        products=("hs6", "nunique"), dependent=("dependent", "sum"), persistent=("persistent", "sum"),
        imports_usd=("imports_usd", "sum"), rival_usd=("rival_usd", "sum"))
    order = {w: i for i, w in enumerate(catalogue.workstreams())}
    out = out.assign(_o=out["workstream"].map(order)).sort_values("_o").drop(columns="_o")
    out[["dependent", "persistent"]] = out[["dependent", "persistent"]].astype(int)
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------- product
def trade_revision(wh: Warehouse, years: Sequence[int] | None = None) -> tuple[str, list[int]]:
    """HS revision and years of the trade data the pages read (as the screen chooses them)."""
    return screen_mod.trade_coverage(wh).choose(None, list(years) if years is not None else None)


def supplier_shares(wh: Warehouse, importer: str, hs6: str, *, keep: Sequence[str | None] = (),
                    top: int = TOP_SUPPLIERS) -> pd.DataFrame:
    """Each supplier's share of ``importer``'s imports of ``hs6``, per year.

    Columns ``year, supplier, value_usd, share`` (:func:`kakehashi.metrics.concentration.shares`),
    small suppliers grouped as ``other``.
    """
    rev, _ = trade_revision(wh)
    t = wh.table("trade_flows")
    f = t.filter((t.hs_revision == rev) & (t.importer == importer) & (t.hs6 == hs6))
    df = wh.execute(concentration.shares(f, ["year"], "exporter", "value_usd"))
    df = df.rename(columns={"exporter": "supplier"})
    return group_small(df[["year", "supplier", "value_usd", "share"]], by="supplier", value="value_usd",
                       top=top, keep=keep)


def world_supply(wh: Warehouse, hs6: str, *, keep: Sequence[str | None] = (),
                 top: int = TOP_SUPPLIERS) -> pd.DataFrame:
    """Each exporter's share of world exports of ``hs6``, per year (columns as :func:`supplier_shares`)."""
    rev, _ = trade_revision(wh)
    t = wh.table("trade_flows")
    f = t.filter((t.hs_revision == rev) & (t.hs6 == hs6))
    df = wh.execute(concentration.shares(f, ["year"], "exporter", "value_usd"))
    df = df.rename(columns={"exporter": "supplier"})
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
    goods = catalogue.strategic_goods()
    rows = goods[goods["hs6"] == hs6]
    usgs = catalogue.usgs_hs()
    commodities = sorted(set(usgs.loc[usgs["hs6"] == hs6, "commodity"]))
    if rows.empty:
        return ProductInfo(hs6, None, [], None, None, None, commodities)
    first = rows.iloc[0]
    return ProductInfo(hs6, str(first["name"]), sorted(set(rows["workstream"])), str(first["stage"]),
                       str(first["flag"]), str(first["source"]), commodities)


def product_screen(wh: Warehouse, importer: str, rival: str, hs6: str) -> pd.DataFrame:
    """The screen rows of one product in every year, oldest first."""
    df = screen_mod.screen_frame(wh, importer, rival, products=[hs6])
    return df.sort_values("year", ignore_index=True)


# ---------------------------------------------------------------------- minerals
def production_shares(wh: Warehouse, commodity: str, *, year: int | None = None,
                      stage: str | None = None) -> pd.DataFrame:
    """Each country's share of world production of ``commodity`` (latest year unless given).

    Columns ``year, stage, country, quantity, unit, share``
    (:func:`kakehashi.metrics.concentration.shares` over the ``production`` table;
    country rows only, the publisher's world totals are kept apart).
    """
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
    df = wh.execute(concentration.shares(p, ["year", "stage", "unit"], "country", "quantity"))
    return df[cols].sort_values(["stage", "share"], ascending=[True, False], ignore_index=True)


def commodity_codes(commodity: str) -> list[str]:
    """HS 2022 codes a mineral commodity is traded under (catalogue ``usgs_hs``)."""
    table = catalogue.usgs_hs()
    return sorted(set(table.loc[table["commodity"] == commodity, "hs6"]))


def substitution(wh: Warehouse, importer: str, rival: str, products: str | Sequence[str] | None, *,
                 partner: str | None = None, coalition: Sequence[str] = (), year: int | None = None,
                 only_dependent: bool = False) -> pd.DataFrame:
    """Capacity of partner, coalition and world to replace the rival's supply.

    :func:`kakehashi.metrics.substitution.substitution_capacity` (covers are
    spare exports as a multiple of the rival's supply).
    """
    return subst.substitution_capacity(wh, importer, rival, partner=partner, coalition=tuple(coalition),
                                       years=[year] if year is not None else None, products=products,
                                       only_dependent=only_dependent)


def candidates(wh: Warehouse, importer: str, rival: str, hs6: str, *, top: int = 10) -> pd.DataFrame:
    """Possible replacement suppliers of one product, by spare exports
    (:func:`kakehashi.metrics.substitution.candidates`)."""
    return subst.candidates(wh, importer, rival, hs6).head(top).reset_index(drop=True)


def supply_risk(wh: Warehouse, commodity: str, rival: str, importer: str | None) -> pd.DataFrame:
    """Supply-risk indicators of a commodity (:func:`kakehashi.metrics.minerals.supply_risk`)."""
    return minerals.supply_risk(wh, commodity=commodity, rival=rival, importer=importer)


# -------------------------------------------------------------------- scenarios
def measures(country: str | None = None, as_of: str | None = None) -> pd.DataFrame:
    """Catalogued measures as of a date (:func:`kakehashi.scenarios.measures.measures_as_of`)."""
    return scenario_measures.measures_as_of(as_of, country=country)


DEFAULT_DRAWS: int = scenario_spec_mod.ScenarioSpec.model_fields["draws"].default
"""Monte-Carlo draws of a scenario that does not say."""


def scenario_spec(*, measure_id: str | None = None, scenario: dict[str, Any] | str | None = None,
                  base_year: int | None = None, draws: int | None = None,
                  severity: float | None = None, theta: float | None = None) -> Any:
    """Build a validated :class:`~kakehashi.scenarios.spec.ScenarioSpec`.

    From a catalogued measure (:func:`kakehashi.scenarios.measures.spec_from_measure`)
    or from a scenario given as a mapping or YAML text
    (:func:`kakehashi.scenarios.spec.parse_spec`); then the given overrides
    (draws, the severity of every export restriction, θ) are applied and the
    result is validated again.
    """
    if (measure_id is None) == (scenario is None):
        raise InputError("give either a catalogued measure or a scenario, not both or neither",
                         hint="send measure_id (see /api/measures) or a scenario mapping")
    parse_spec = scenario_spec_mod.parse_spec
    if measure_id is not None:
        kwargs: dict[str, Any] = {"base_year": base_year}
        if draws is not None:
            kwargs["draws"] = draws
        spec = scenario_measures.spec_from_measure(measure_id, **kwargs)
    else:
        assert scenario is not None
        spec = parse_spec(scenario)
    base_override = base_year if measure_id is None else None
    if draws is None and severity is None and theta is None and base_override is None:
        return spec
    data = spec.model_dump(mode="json", exclude_none=True)
    if draws is not None:
        data["draws"] = draws
    if base_override is not None:
        data["base_year"] = base_override
    if theta is not None:
        data.setdefault("parameters", {})["theta"] = theta
    if severity is not None:
        for m in data["measures"]:
            if m.get("type") == "export_restriction":
                m["severity"] = severity
        data["uncertain"] = {k: v for k, v in data.get("uncertain", {}).items()
                             if not k.startswith("severity")}
    return parse_spec(data)


def run_scenario(wh: Warehouse, spec: Any) -> Any:
    """Run a scenario (:func:`kakehashi.scenarios.run.run_scenario`)."""
    return scenario_run.run_scenario(spec, wh)


def scenario_table(result: Any) -> pd.DataFrame:
    """The tidy result table of a scenario run (``ScenarioResult.table``)."""
    table: pd.DataFrame = result.table
    return table


def scenario_summary(result: Any) -> pd.DataFrame:
    """The summary of a scenario run as a table (``ScenarioResult.summary``)."""
    summary = getattr(result, "summary", None)
    if isinstance(summary, pd.DataFrame):
        return summary
    if isinstance(summary, dict):
        return pd.DataFrame([summary])
    return pd.DataFrame()


def parse_scenario_text(text: str) -> dict[str, Any]:
    """Read a scenario written as YAML into a mapping (validated later by the scenario spec)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"the scenario is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                         hint="check indentation and quoting") from None
    if not isinstance(data, dict):
        raise InputError("a scenario must be a YAML mapping with name, base_year and measures")
    return data


METRIC_PREFERENCE: tuple[str, ...] = ("net_shortfall_usd", "direct_loss_usd", "trade_total_usd",
                                      "welfare_change_usd")
"""Metrics drawn first on the scenario page when present."""


def default_metric(table: pd.DataFrame) -> str | None:
    """The metric to chart first: a shortfall in USD if present, else the first metric."""
    if table.empty or "metric" not in table:
        return None
    present = list(dict.fromkeys(table["metric"].astype(str)))
    for m in METRIC_PREFERENCE:
        if m in present:
            return m
    usd = [m for m in present if m.endswith("_usd")]
    return usd[0] if usd else present[0]


def metric_unit(metric: str) -> str:
    """Unit of a scenario metric: USD, share or value (:func:`kakehashi.present.metric_unit`)."""
    return present_metric_unit(metric)


def bands_table(table: pd.DataFrame, metric: str, *, top: int = 15, with_importer: bool = True
                ) -> pd.DataFrame:
    """The ``top`` rows of one metric, by median, labelled for a bands chart.

    Columns ``label, importer, exporter, hs6, tier, p5, p50, p95``.
    """
    rows = table[(table["metric"] == metric) & (table["hs6"] != scenario_run.ALL_PRODUCTS)
                 & (table["importer"] != scenario_run.WORLD)]
    rows = rows.sort_values("p50", ascending=False, kind="stable").head(top)
    name = rows["product_name"].map(lambda n: shorten(n, 32)) if "product_name" in rows else ""
    label = rows["hs6"].astype(str) + " " + name
    if with_importer:
        label = rows["importer"].astype(str) + " " + label
    if "tier" in rows:
        label = label + rows["tier"].map(lambda t: f" (tier {int(t)})" if pd.notna(t) and int(t) > 0 else "")
    out = rows.assign(label=label.str.strip())
    cols = [c for c in ("label", "importer", "exporter", "hs6", "tier", "p5", "p50", "p95") if c in out]
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------- portfolio
def portfolio(wh: Warehouse, importer: str, rival: str, partner: str | None,
              products: str | Sequence[str] | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The optimiser's portfolio and risk–cost frontier (:mod:`kakehashi.optimize.portfolio`).

    Returns ``(portfolio table, frontier, note)``; the frontier keeps the rows of
    the whole product set (``hs6 == "ALL"``), one point per λ. Both tables are
    empty, and the note says why, when the optimiser is not installed or finds
    no portfolio.
    """
    try:
        diversify = lib("optimize.portfolio", "diversify")
        frontier_fn = lib("optimize.portfolio", "frontier")
        whole_set = lib("optimize.portfolio", "WHOLE_SET")
    except (ImportError, AttributeError):
        return pd.DataFrame(), pd.DataFrame(), "The sourcing optimiser is not available in this build."
    try:
        result = diversify(wh, importer, rival, partner=partner, products=products)
        front = frontier_fn(wh, importer, rival, partner=partner, products=products)
    except ScenarioError as exc:  # no feasible portfolio: the optimiser says why, in words
        return pd.DataFrame(), pd.DataFrame(), f"No portfolio: {exc}"
    table = getattr(result, "table", pd.DataFrame())
    if "hs6" in front and (front["hs6"] == whole_set).any():  # the whole product set, one point per λ
        front = front[front["hs6"] == whole_set].reset_index(drop=True)
    return (table, front,
            "Portfolio from kakehashi.optimize: supply risk minimised subject to cost and capacity.")
