"""The dependency screen: where is an importer (or a bloc) exposed to a rival?

Method
------
For an importer ``m`` (or a bloc ``M`` treated as one importer, trade between
its members excluded), each HS six-digit product ``k`` and year ``t``:

* ``imports_usd``      :math:`V_{mkt} = \\sum_s v_{s \\to m,k,t}` over suppliers ``s`` outside ``M``
* ``import_hhi``       :math:`\\sum_s (v_{s\\to m}/V_{mkt})^2`
* ``top_supplier``, ``top_share``  the largest supplier (ties: first ISO3 code) and its share
* ``rival_usd``, ``rival_share``    imports from the rival and their share of ``imports_usd``
* ``world_export_hhi`` :math:`\\sum_e (X_{ekt}/X_{kt})^2` over every exporter's world exports
* ``exports_usd``      the importer's (bloc's) own exports of ``k`` to countries outside ``M``
* ``import_export_ratio`` :math:`V_{mkt} / E_{mkt}`; null when ``exports_usd`` is 0 (an infinite ratio)
* ``dependent``        ``import_hhi > 0.4`` and ``world_export_hhi > 0.4`` and
  ``imports_usd > 1 × exports_usd`` (thresholds are the :class:`Thresholds` parameters)
* ``persistent``       dependent in at least 2 of the last 3 years available in the data
  up to and including ``t`` (years before the requested ones are read for this)
* ``world_exporters``  the number of exporters with exports of ``k`` in year ``t`` in the data
  (how complete the world-export figures are: see :mod:`kakehashi.metrics.coverage`)
* ``hs_revision``      the HS revision of ``hs6`` (the analysis revision, :mod:`kakehashi.metrics.flows`)
* ``converted``        true when some of the importer's flows behind the row were held in another
  HS revision and converted through the concordance
* ``severity``         :math:`100 \\cdot s_{rival} \\cdot HHI_{imports} \\cdot HHI_{world\\ exports}
  \\cdot \\max(0, 1 - E_{mkt}/V_{mkt})`

The dependency criteria are those of the European Commission's screen of
strategic dependencies (Commission Staff Working Document SWD(2021) 352,
"Strategic dependencies and capacities", 2021) as generalised to every
country by CEPII's GeoDep database (Lefebvre K. and Wibaux P., "Import
dependencies: where does the EU stand?", CEPII Policy Brief No 47, 2024),
with the same default thresholds 0.4 / 0.4 / 1 and the same persistence rule
(all three criteria in at least two years of a three-year window). GeoDep
writes 9999 for the ratio when exports are zero; kakehashi leaves it null and
still counts the product as a net importer.

Severity is kakehashi's ranking index, on 0–100: the product of four
fractions, the rival's share of the importer's supply (direct exposure), the
import HHI (how few other current suppliers there are), the world-export HHI
(how few suppliers the world has to switch to), and the net-import share
:math:`\\max(0, 1 - E/V)` (how little of the need the importer's own
production, proxied by its exports, could cover). It is 100 only when the
rival is the importer's sole supplier and the world's sole exporter and the
importer exports none of the product; it is 0 when nothing is bought from the
rival or the importer is a net exporter. It is unitless and ignores the value
at stake, so read it together with ``rival_usd``.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from threading import Lock
from typing import Any

import ibis
import numpy as np
import pandas as pd

from kakehashi.errors import InputError, unknown_value_error
from kakehashi.metrics.concentration import stable_sum
from kakehashi.metrics.flows import TradePlan, analysis_flows, plan_trade
from kakehashi.metrics.thresholds import (  # re-exported: the screen's parameters
    DEFAULT_THRESHOLDS,
    PERSISTENCE_MIN,
    PERSISTENCE_WINDOW,
    Thresholds,
    persistence_years,
)
from kakehashi.warehouse import Warehouse

SCREEN_COLUMNS: tuple[str, ...] = (
    "importer",
    "hs6",
    "year",
    "imports_usd",
    "import_hhi",
    "top_supplier",
    "top_share",
    "rival_usd",
    "rival_share",
    "world_export_hhi",
    "exports_usd",
    "import_export_ratio",
    "dependent",
    "persistent",
    "severity",
    "world_exporters",
    "hs_revision",
    "converted",
)
"""Columns of :func:`dependency_screen`, in order."""

SCREEN_UNITS: dict[str, str] = {
    "imports_usd": "USD",
    "import_hhi": "0-1",
    "top_share": "fraction",
    "rival_usd": "USD",
    "rival_share": "fraction",
    "world_export_hhi": "0-1",
    "exports_usd": "USD",
    "import_export_ratio": "ratio",
    "severity": "0-100",
    "world_exporters": "countries",
}
"""Unit of each numeric screen column."""

_ISO3 = re.compile(r"^[A-Z]{3}$")


# --------------------------------------------------------------------- helpers
def bloc_label(importers: Sequence[str]) -> str:
    """Name of an importer bloc: members joined by ``+`` (``JPN+IND``)."""
    return "+".join(importers)


def normalise_importers(importer: str | Sequence[str] | None) -> list[str] | None:
    """Turn ``"JPN"``, ``"JPN+IND"``, ``"JPN,IND"`` or ``["JPN", "IND"]`` into a list (``None`` = all)."""
    if importer is None:
        return None
    items = re.split(r"[+,]", importer) if isinstance(importer, str) else list(importer)
    out: list[str] = []
    for it in items:
        code = str(it).strip().upper()
        if code and code not in out:
            out.append(code)
    if not out:
        raise InputError("no importer given", hint="name an ISO3 code, e.g. JPN, or a bloc JPN+IND")
    return out


def year_index(available: Sequence[int]) -> dict[int, int]:
    """Rank of each available year (0 = earliest): persistence counts available years, not calendar ones."""
    return {int(y): i for i, y in enumerate(sorted({int(y) for y in available}))}


# ----------------------------------------------------------------- expression
def screen_expr(
    flows: ibis.Table,
    importers: Sequence[str] | None,
    rival: str,
    *,
    years: Sequence[int],
    available_years: Sequence[int],
    products: Sequence[str] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    totals: ibis.Table | None = None,
    world: ibis.Table | None = None,
) -> ibis.Table:
    """Build the dependency-screen expression on a ``trade_flows`` table of one HS revision.

    Parameters
    ----------
    flows
        Canonical ``trade_flows`` rows, all in one HS revision, hence at most
        one row per (year, exporter, importer, hs6), the table's key.
    importers
        One ISO3 code, several (a bloc: intra-bloc trade excluded), or ``None``
        for every importer, each on its own.
    rival
        ISO3 code of the rival supplier.
    years
        Years to report.
    available_years
        Years present in the data; persistence reads up to two of them before ``years``.
    products
        HS6 codes to screen, or ``None`` for all.
    thresholds
        Dependency thresholds.
    totals
        Optional precomputed exporter totals ``exporter, hs6, year,
        exports_usd`` (every exporter's exports of every product and year, as
        :func:`kakehashi.metrics.derived.export_totals` reads them); without
        it they are computed from ``flows`` in the same query.
    world
        Optional world-export summary of the same totals, years and products,
        already computed (:func:`world_summary` of :func:`totals_rows`: the
        same for every importer); without it it is computed in the query.

    Returns
    -------
    ibis.Table
        Columns :data:`SCREEN_COLUMNS`, one row per importer, product and
        requested year with positive imports.
    """
    idx = year_index(available_years)
    read_years = persistence_years(years, available_years)
    def rows(*columns: str) -> ibis.Table:
        # each use of the flows gets its own projection and filter, so that the engine scans the
        # files again (cheap, columnar) instead of materialising a shared copy of every row
        t = flows.select(*columns)
        t = t.filter(t.year.isin(read_years))
        return t if products is None else t.filter(t.hs6.isin(list(products)))

    bloc = list(importers) if importers is not None and len(importers) > 1 else None
    keys = ["unit", "hs6", "year"]

    # imports by supplier: canonical rows are unique per (year, exporter, importer, hs6) within
    # one revision, so only a bloc (several importers) needs summing per supplier
    has_conv = "converted" in flows.columns
    f = rows("year", "exporter", "importer", "hs6", "value_usd", "hs_revision",
             *(["converted"] if has_conv else []))
    if not has_conv:
        f = f.mutate(converted=ibis.literal(False))
    imp = f if importers is None else f.filter(f.importer.isin(list(importers)))
    if bloc:
        imp = imp.filter(~imp.exporter.isin(bloc))
        imp = imp.mutate(unit=ibis.literal(bloc_label(bloc)))
        sup = imp.group_by([*keys, "exporter"]).aggregate(
            v=stable_sum(imp.value_usd), _rev=imp.hs_revision.max(), _conv=imp.converted.any())
    else:
        sup = imp.select(unit=imp.importer, hs6=imp.hs6, year=imp.year, exporter=imp.exporter,
                         v=imp.value_usd, _rev=imp.hs_revision, _conv=imp.converted)
    # the largest supplier, ties to the first ISO3 code: min over (-value, exporter)
    top = ibis.struct({"nv": -sup.v, "e": sup.exporter}).min()
    # order-stable sums (:func:`~kakehashi.metrics.concentration.stable_sum`: each group's values sorted,
    # then added in that order) of the values and of their squares, from one sorted list per group: the
    # squares of the sorted values, sorted again, are the sorted squares. The rival's imports are one
    # supplier's row (rows are unique per supplier), so a plain sum adds only zeros to it: the same bits
    # in any order.
    stats = sup.group_by(keys).aggregate(
        _vs=sup.v.cast("float64").collect().sort(),
        rival_usd=ibis.ifelse(sup.exporter == rival, sup.v, 0.0).cast("float64").sum(),
        _top=top,
        _rev=sup._rev.max(),
        _conv=sup._conv.any(),
    )
    stats = stats.mutate(imports_usd=stats._vs.sums(), _sq=stats._vs.map(lambda x: x * x).sort().sums())
    stats = stats.select("unit", "hs6", "year", "imports_usd", "_sq", "rival_usd", "_top", "_rev", "_conv")
    stats = stats.filter(stats.imports_usd > 0)
    stats = stats.mutate(top_supplier=stats._top["e"], _top_v=-stats._top["nv"]).drop("_top")

    # exporter totals per product: the world-export summary and the importer's own exports
    if totals is None:
        fx = rows("year", "exporter", "hs6", "value_usd")
        x = fx.group_by(["exporter", "hs6", "year"]).aggregate(_x=stable_sum(fx.value_usd))
    else:
        x = totals_rows(totals, read_years, products)
    w = world if world is not None else world_summary(x)
    if bloc:
        fe = rows("year", "importer", "exporter", "hs6", "value_usd")
        ex = fe.filter(fe.exporter.isin(bloc) & ~fe.importer.isin(bloc))
        own = ex.group_by(["hs6", "year"]).aggregate(_exports=stable_sum(ex.value_usd)).mutate(
            unit=ibis.literal(bloc_label(bloc)))
    else:
        own = x if importers is None else x.filter(x.exporter.isin(list(importers)))
        own = own.rename(unit="exporter", _exports="_x")

    j = stats.left_join(own, [stats.unit == own.unit, stats.hs6 == own.hs6, stats.year == own.year]).select(
        *[stats[c] for c in stats.columns], own._exports
    )
    j = j.left_join(w, [j.hs6 == w.hs6, j.year == w.year]).select(
        *[j[c] for c in j.columns], w.world_exports, w.world_sumsq, w.world_exporters
    )
    exports = j._exports.fill_null(0.0)
    import_hhi = j._sq / (j.imports_usd * j.imports_usd)
    wx_hhi = ibis.ifelse(j.world_exports > 0, j.world_sumsq / (j.world_exports * j.world_exports),
                         ibis.null("float64"))
    j = j.mutate(
        import_hhi=import_hhi,
        top_share=j._top_v / j.imports_usd,
        rival_share=j.rival_usd / j.imports_usd,
        world_export_hhi=wx_hhi,
        exports_usd=exports,
        import_export_ratio=ibis.ifelse(exports > 0, j.imports_usd / exports, ibis.null("float64")),
        _yidx=j.year.cast("int64").substitute(idx),
    )
    dep = (
        (j.import_hhi > thresholds.import_hhi)
        & (j.world_export_hhi.fill_null(0.0) > thresholds.world_export_hhi)
        & (j.imports_usd > thresholds.import_export_ratio * j.exports_usd)
    )
    net_import_share = ibis.greatest(ibis.literal(0.0), 1.0 - j.exports_usd / j.imports_usd)
    severity = 100.0 * j.rival_share * j.import_hhi * j.world_export_hhi.fill_null(0.0) * net_import_share
    j = j.mutate(dependent=dep, severity=severity)

    # persistence: dependent in >= 2 of the last 3 available years (this one and the two before)
    d = j.select("unit", "hs6", "_yidx", _dep=j.dependent.cast("int32"))
    for lag in range(1, PERSISTENCE_WINDOW):
        dl = d.mutate(_yidx=d._yidx + lag).rename(**{f"_dep{lag}": "_dep"})
        j = j.left_join(dl, [j.unit == dl.unit, j.hs6 == dl.hs6, j._yidx == dl._yidx]).select(
            *[j[c] for c in j.columns], dl[f"_dep{lag}"]
        )
    total = j.dependent.cast("int32")
    for lag in range(1, PERSISTENCE_WINDOW):
        total = total + j[f"_dep{lag}"].fill_null(0)
    j = j.mutate(persistent=total >= PERSISTENCE_MIN)
    j = j.filter(j.year.isin(list(years)))
    return j.select(
        importer=j.unit,
        hs6=j.hs6,
        year=j.year,
        imports_usd=j.imports_usd,
        import_hhi=j.import_hhi,
        top_supplier=j.top_supplier,
        top_share=j.top_share,
        rival_usd=j.rival_usd,
        rival_share=j.rival_share,
        world_export_hhi=j.world_export_hhi,
        exports_usd=j.exports_usd,
        import_export_ratio=j.import_export_ratio,
        dependent=j.dependent,
        persistent=j.persistent,
        severity=j.severity,
        world_exporters=j.world_exporters.fill_null(0),
        hs_revision=j._rev,
        converted=j._conv,
    )


def totals_rows(totals: ibis.Table, read_years: Sequence[int], products: Sequence[str] | None) -> ibis.Table:
    """Exporter totals of the years read and the products screened: ``exporter, hs6, year, _x``."""
    x = totals.filter(totals.year.isin(list(read_years)))
    if products is not None:
        x = x.filter(x.hs6.isin(list(products)))
    return x.select("exporter", "hs6", "year", _x=x.exports_usd)


def world_summary(x: ibis.Table) -> ibis.Table:
    """Per product and year, from exporter totals ``_x``: world exports, their sum of squares, exporters.

    .. math:: X_{kt} = \\sum_e X_{ekt}, \\qquad Q_{kt} = \\sum_e X_{ekt}^2, \\qquad
              n_{kt} = \\#\\{e : X_{ekt} > 0\\}
    """
    return x.group_by(["hs6", "year"]).aggregate(
        world_exports=stable_sum(x._x), world_sumsq=stable_sum(x._x * x._x),
        world_exporters=ibis.ifelse(x._x > 0, 1, 0).sum().cast("int64"))


def world_export_summary(flows: ibis.Table) -> ibis.Table:
    """Per product and year: world exports and the sum of squared exporter totals.

    .. math:: X_{kt} = \\sum_e X_{ekt}, \\qquad Q_{kt} = \\sum_e X_{ekt}^2,
              \\qquad HHI^{world}_{kt} = Q_{kt} / X_{kt}^2
    """
    wx = flows.group_by(["hs6", "year", "exporter"]).aggregate(_x=stable_sum(flows.value_usd))
    return wx.group_by(["hs6", "year"]).aggregate(
        world_exports=stable_sum(wx._x), world_sumsq=stable_sum(wx._x * wx._x)
    )


# ------------------------------------------------------------ warehouse level
@dataclass(frozen=True)
class TradeCoverage:
    """What the warehouse's trade_flows hold: revisions and their years (:mod:`kakehashi.metrics.flows`)."""

    years_by_revision: dict[str, list[int]]
    warehouse: Warehouse | None = field(default=None, compare=False, repr=False)

    def choose(self, revision: str | None, years: Sequence[int] | None) -> tuple[str, list[int]]:
        """The analysis revision and the years to report (:func:`kakehashi.metrics.flows.plan_trade`).

        Every year of the data can be read in one revision (HS22 by default):
        rows of other revisions are converted through the concordance.
        """
        if self.warehouse is None:
            raise InputError("the warehouse holds no trade flows",
                             hint="ingest BACI or the sample first ('kakehashi ingest ...')")
        plan = plan_trade(self.warehouse, revision, years)
        return plan.revision, list(plan.years)


def to_frame(wh: Warehouse, expr: ibis.Expr) -> pd.DataFrame:
    """Execute ``expr`` through Arrow into pandas.

    Same result as :meth:`Warehouse.execute`, but Arrow's own conversion is
    several times faster than Ibis's pandas conversion on large results
    (about 1.4 million screen rows: 0.2 s instead of 8 s).
    """
    from kakehashi.prepared import arrow_frame

    return arrow_frame(wh, expr)


def trade_coverage(wh: Warehouse) -> TradeCoverage:
    """Read which HS revisions and years the warehouse's trade flows hold (recorded at ingest)."""
    from kakehashi.metrics.derived import trade_revision_years

    df = trade_revision_years(wh) if "trade_flows" in wh.tables() else pd.DataFrame(
        {"hs_revision": [], "year": []})
    out: dict[str, list[int]] = {}
    for rev, grp in df.groupby("hs_revision"):
        out[str(rev)] = sorted(int(y) for y in grp["year"])
    return TradeCoverage(out, wh)


def known_countries(wh: Warehouse) -> list[str]:
    """ISO3 codes the warehouse knows: its countries table, else the codes in trade_flows."""
    if "countries" in wh.tables():
        c = wh.table("countries")
        return sorted(wh.execute(c.select("iso3"))["iso3"])
    t = wh.table("trade_flows")
    a = t.select(code=t.exporter).union(t.select(code=t.importer)).distinct()
    return sorted(wh.execute(a)["code"])


def iso3_validator() -> Callable[[str], str] | None:
    """``kakehashi.sources.countries.validate_iso3`` when that module is installed, else ``None``."""
    try:
        mod = importlib.import_module("kakehashi.sources.countries")
    except ImportError:
        return None
    fn = getattr(mod, "validate_iso3", None)
    return fn if callable(fn) else None


def validate_country(code: str, wh: Warehouse | None = None, *, known: Sequence[str] | None = None) -> str:
    """Upper-case and check an ISO3 code; unknown codes raise :class:`InputError` with close matches.

    Uses :func:`kakehashi.sources.countries.validate_iso3` when that module is
    installed, otherwise the codes the warehouse knows.
    """
    text = str(code).strip().upper()
    validate_iso3 = iso3_validator()
    if validate_iso3 is not None:
        return str(validate_iso3(text))
    pool = list(known) if known is not None else (known_countries(wh) if wh is not None else [])
    if not _ISO3.match(text) or (pool and text not in pool):
        raise unknown_value_error("country", text, pool)
    return text


@dataclass(frozen=True)
class ScreenRequest:
    """A validated screen request (what :func:`dependency_screen` resolved)."""

    importers: list[str] | None
    rival: str
    revision: str
    years: list[int]
    available_years: list[int]
    products: list[str] | None
    plan: TradePlan | None = None

    def with_years(self, years: Sequence[int]) -> ScreenRequest:
        """The same request for other years (of the same data)."""
        yrs = sorted({int(y) for y in years})
        plan = replace(self.plan, years=yrs) if self.plan is not None else None
        return replace(self, years=yrs, plan=plan)


def resolve_request(
    wh: Warehouse,
    importer: str | Sequence[str] | None,
    rival: str,
    *,
    years: Sequence[int] | None = None,
    products: str | Sequence[str] | None = None,
    revision: str | None = None,
    all_products: bool = True,
    precedence: Sequence[str] | None = None,
) -> ScreenRequest:
    """Validate countries, years and products against the warehouse.

    ``products``: ``None`` (every HS6 when ``all_products``, else every
    catalogue code), a workstream key, or a list of HS 2022 codes (in scope
    of the analysis revision by the concordance's weights,
    :func:`kakehashi.metrics.concordance.convert_codes`). ``revision`` and
    ``precedence`` choose the analysis revision and the source of each year
    (:func:`kakehashi.metrics.flows.plan_trade`).
    """
    from kakehashi.metrics.concordance import select_products

    importers = normalise_importers(importer)
    known = known_countries(wh) if iso3_validator() is None else None
    if importers is not None:
        importers = [validate_country(c, wh, known=known) for c in importers]
    rival_code = validate_country(rival, wh, known=known)
    if importers is not None and rival_code in importers:
        raise InputError(f"the rival {rival_code} is also an importer",
                         value=rival_code, hint="the rival must be outside the importer bloc")
    plan = plan_trade(wh, revision, list(years) if years is not None else None, precedence=precedence)
    rev, yrs = plan.revision, list(plan.years)
    codes: list[str] | None
    if products is None and all_products:
        codes = None
    else:
        codes = select_products(products if isinstance(products, str) or products is None else list(products),
                                revision=rev, wh=wh)
        if isinstance(products, list | tuple) and "products" in wh.tables():
            _check_known_codes(wh, codes, rev)
    return ScreenRequest(importers, rival_code, rev, yrs, list(plan.available_years), codes, plan)


def _check_known_codes(wh: Warehouse, codes: list[str], revision: str) -> None:
    p = wh.table("products")
    have = set(wh.execute(p.filter(p.hs_revision == revision).select("hs6"))["hs6"])
    if not have:
        return
    for c in codes:
        if c not in have:
            raise unknown_value_error(f"{revision} product code", c, sorted(have))


def dependency_screen(
    wh: Warehouse,
    importer: str | Sequence[str] | None,
    rival: str,
    *,
    years: Sequence[int] | None = None,
    products: str | Sequence[str] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    revision: str | None = None,
    precedence: Sequence[str] | None = None,
) -> ibis.Table:
    """Dependency screen of an importer (or bloc) against a rival, as an Ibis expression.

    See the module docstring for every column's formula and sources.

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows`` (and ``hs_concordance`` for non-HS22 data
        with a product selector).
    importer
        ISO3 code; a bloc as a list or ``"JPN+IND"`` (one importer, intra-bloc
        trade excluded); ``None`` screens every importer separately.
    rival
        ISO3 code of the rival.
    years
        Years to report (default: every year of the chosen revision).
    products
        ``None`` (every HS6), a workstream key, or HS 2022 codes.
    thresholds
        Dependency thresholds (EU/CEPII defaults 0.4, 0.4, 1).
    revision
        HS revision of the analysis (default HS22, the catalogue's; trade held
        in other revisions is converted, :mod:`kakehashi.metrics.flows`).
    precedence
        Source prefixes in order of preference when a year has several
        sources (default: BACI, then Comtrade).

    Returns
    -------
    ibis.Table
        Columns :data:`SCREEN_COLUMNS`.

    Examples
    --------
    >>> t = dependency_screen(wh, ["JPN", "IND"], "CHN", products="critical-minerals")  # doctest: +SKIP
    >>> wh.execute(t.order_by(ibis.desc("severity")).limit(5))                          # doctest: +SKIP
    """
    req = resolve_request(wh, importer, rival, years=years, products=products, revision=revision,
                          precedence=precedence)
    return request_expr(wh, req, thresholds)


def request_expr(wh: Warehouse, req: ScreenRequest,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS, world: ibis.Table | None = None) -> ibis.Table:
    """The screen expression of a resolved request.

    World exports and each importer's own exports come from the snapshot's
    exporter totals (:func:`kakehashi.metrics.flows.export_totals`: written at
    ingest when the plan reads stored datasets, else computed from the plan's
    flows), for one importer, a bloc or every importer at once, so every screen
    reads the same totals: one importer's row of the all-importer screen is its
    own screen's row, bit for bit, and the all-importer screen does not sum
    every trade row a second time (a 30 M-row screen took 3.7 s instead of
    6.6 s). ``world``: the request's :func:`request_world_expr`, already
    computed (see :func:`screen_expr`; one importer or a bloc only).
    """
    from kakehashi.metrics.flows import export_totals

    plan = req.plan if req.plan is not None else plan_trade(wh, req.revision, req.years)
    flows = request_flows(wh, req)
    totals = export_totals(wh, plan)
    return screen_expr(flows, req.importers, req.rival, years=req.years, available_years=req.available_years,
                       products=req.products, thresholds=thresholds, totals=totals,
                       world=world if req.importers is not None else None)


def request_world_expr(wh: Warehouse, req: ScreenRequest) -> ibis.Table:
    """The world-export summary a one-importer (or bloc) screen of ``req`` reads: the same for every importer.

    :func:`world_summary` of the snapshot's exporter totals for the years the
    screen reads and its products (what :func:`screen_expr` computes from ``totals``).
    """
    from kakehashi.metrics.flows import export_totals

    plan = req.plan if req.plan is not None else plan_trade(wh, req.revision, req.years)
    x = totals_rows(export_totals(wh, plan), persistence_years(req.years, req.available_years), req.products)
    return world_summary(x)


WORLD_ENTRIES = 32
"""World-export summaries kept per process by :func:`request_frame` (a few thousand rows each)."""
_WORLD: OrderedDict[tuple[object, ...], tuple[str, Any]] = OrderedDict()


def _world_table(wh: Warehouse, req: ScreenRequest, shape: tuple[object, ...]) -> tuple[str, Any]:
    """The request's world-export summary as an Arrow table, once per snapshot and shape, and the name it
    is registered under on each connection: read as the ingest stored it when the plan reads the stored
    exporter totals (:func:`kakehashi.metrics.derived.world_summary`), else computed
    (:func:`request_world_expr`)."""
    key = (str(wh.path), wh.snapshot_id, wh.engine, shape)
    with _LABELS_LOCK:
        hit = _WORLD.get(key)
        if hit is not None:
            _WORLD.move_to_end(key)
            return hit
    from kakehashi.metrics import derived
    from kakehashi.metrics.flows import _plan_is_stored

    plan = req.plan if req.plan is not None else plan_trade(wh, req.revision, req.years)
    table = (derived.world_summary(wh, plan.revision, persistence_years(req.years, req.available_years),
                                   req.products) if _plan_is_stored(plan) else None)
    if table is None:  # not stored (older snapshots, conversions): the same summary, computed
        con = wh.connect()
        try:
            table = con.to_pyarrow(request_world_expr(wh, req))
        except Exception as exc:  # engines raise many unrelated classes, as in Warehouse.execute
            raise wh.engine_error(exc) from exc
    name = "_kakehashi_world_" + hashlib.sha1(repr(key).encode()).hexdigest()[:16]
    with _LABELS_LOCK:
        _WORLD[key] = (name, table)
        while len(_WORLD) > WORLD_ENTRIES:
            _WORLD.popitem(last=False)
    return name, table


def request_frame(wh: Warehouse, req: ScreenRequest,
                  thresholds: Thresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """The screen rows of a resolved request as pandas, unsorted: :func:`request_expr` executed.

    On DuckDB the expression is built and compiled once per *shape* (the
    plan: revision, years, datasets; the products; the thresholds; the number
    of importers) with the importers, the bloc's name and the rival as bound
    parameters (:func:`kakehashi.prepared.prepared_frame`), which takes the
    Python work of Ibis off every request after the first of its shape. The
    frame is the same as ``to_frame(wh, request_expr(wh, req, thresholds))``.
    """
    df: pd.DataFrame = request_table(wh, req, thresholds).to_pandas()
    return df


def request_table(wh: Warehouse, req: ScreenRequest, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Any:
    """The screen rows of a resolved request as an Arrow table, unsorted (:func:`request_frame`
    before its conversion to pandas)."""
    from kakehashi.prepared import prepared_table

    plan = req.plan if req.plan is not None else plan_trade(wh, req.revision, req.years)
    n = len(req.importers) if req.importers is not None else 0
    names = [f"importer{i}" for i in range(n)]
    shape = ("screen", _plan_shape(plan), tuple(req.years), tuple(req.available_years),
             tuple(req.products) if req.products is not None else None, thresholds,
             req.importers is None, n)

    world_name: str | None = None
    if wh.engine == "duckdb" and req.importers is not None:
        # the world-export summary is the same for every importer: computed once, registered on
        # this connection for this query (so that a connection collects no views), read as a table
        world_name, world_table = _world_table(wh, replace(req, plan=plan), shape[1:5])

    def build(values: Mapping[str, str]) -> ibis.Table:
        importers = [values[k] for k in names] if req.importers is not None else None
        world = wh.connect().table(world_name) if world_name is not None else None
        return request_expr(wh, replace(req, importers=importers, rival=values["rival"], plan=plan),
                            thresholds, world)

    values = {"rival": req.rival, **dict(zip(names, req.importers or [], strict=True))}
    if world_name is None:
        return prepared_table(wh, shape, build, values)
    raw = wh.connect().con
    raw.register(world_name, world_table)
    try:
        return prepared_table(wh, (*shape, world_name), build, values)
    finally:
        raw.unregister(world_name)


def _plan_shape(plan: TradePlan) -> tuple[object, ...]:
    """Everything of a trade plan that the screen's expression depends on, hashable."""
    return (plan.revision, tuple(plan.years), tuple(plan.available_years),
            tuple(sorted(plan.datasets.items())),
            tuple(sorted((y, tuple(r)) for y, r in plan.revisions.items())),
            tuple(sorted((y, tuple(r)) for y, r in plan.set_aside.items())), tuple(plan.precedence))


def request_flows(wh: Warehouse, req: ScreenRequest, years: Sequence[int] | None = None) -> ibis.Table:
    """The trade flows of a resolved request: its revision, one source per year, ``converted`` flag.

    See :func:`kakehashi.metrics.flows.analysis_flows`; ``years`` defaults to
    every year of the data (persistence reads earlier years).
    """
    plan = req.plan if req.plan is not None else plan_trade(wh, req.revision, req.years)
    return analysis_flows(wh, plan, years=years, products=req.products)


def screen_frame(
    wh: Warehouse,
    importer: str | Sequence[str] | None,
    rival: str,
    *,
    years: Sequence[int] | None = None,
    products: str | Sequence[str] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    revision: str | None = None,
    precedence: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Run :func:`dependency_screen` and add ``product_name`` and ``workstream``.

    Rows are sorted by severity (highest first), then importer, product and year.
    ``product_name`` comes from the catalogue (HS 2022 codes), else from the
    warehouse's ``products`` table for the data's revision when loaded, else
    from the code's HS chapter (:func:`kakehashi.catalogue.chapter_description`);
    ``workstream`` lists the catalogue workstreams of the code (converted to
    the data's revision), empty when the code is in none.
    """
    req = resolve_request(wh, importer, rival, years=years, products=products, revision=revision,
                          precedence=precedence)
    return annotate_products(sort_screen(request_table(wh, req, thresholds)), wh, req.revision)


SCREEN_ORDER: tuple[tuple[str, bool], ...] = (("severity", False), ("importer", True), ("hs6", True),
                                              ("year", True))
"""The order of screen rows: (column, ascending); a missing severity last."""


def sort_screen(table: Any) -> pd.DataFrame:
    """Screen rows (an Arrow table) in :data:`SCREEN_ORDER`, as pandas with a fresh index.

    The same frame as pandas' stable ``sort_values`` (missing values last) of
    the converted table; sorted by Arrow before the conversion (a stable sort,
    in C), unless a sort column holds a float NaN, which Arrow orders apart
    from nulls and pandas with them: then by pandas.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = [c for c, _ in SCREEN_ORDER]
    floats = [c for c in cols if pa.types.is_floating(table.schema.field(c).type)]
    if any(pc.any(pc.is_nan(table[c])).as_py() for c in floats):
        df: pd.DataFrame = table.to_pandas()
        ascending = [a for _, a in SCREEN_ORDER]
        return df.sort_values(cols, ascending=ascending, kind="stable").reset_index(drop=True)
    order = [(c, "ascending" if a else "descending") for c, a in SCREEN_ORDER]
    try:  # pyarrow >= 21 takes the null placement per key
        ordered = table.sort_by([(c, o, "at_end") for c, o in order])
    except (TypeError, ValueError):
        ordered = table.sort_by(order, null_placement="at_end")
    out: pd.DataFrame = ordered.to_pandas()
    return out


@dataclass(frozen=True)
class ScreenTotals:
    """Totals of a one-year screen (see :func:`screen_totals`)."""

    products: int
    dependent: int
    persistent: int
    imports_usd: float
    rival_usd: float

    @property
    def rival_import_share(self) -> float | None:
        """Rival imports over all imports of the screened products, ``None`` when nothing is imported."""
        return self.rival_usd / self.imports_usd if self.imports_usd else None


def screen_totals(df: pd.DataFrame) -> ScreenTotals:
    """Totals of a one-year screen frame (:func:`screen_frame` for one year).

    ``products`` counts rows, ``dependent`` and ``persistent`` the rows with each
    flag (a product can be persistent, dependent in 2 of the last 3 years,
    without being dependent this year), and the USD columns are sums:

    .. math:: s_{rival} = \\frac{\\sum_k M_{rival,k}}{\\sum_k M_k}
    """
    if df.empty:
        return ScreenTotals(0, 0, 0, 0.0, 0.0)
    return ScreenTotals(products=len(df), dependent=int(df["dependent"].sum()),
                        persistent=int(df["persistent"].sum()), imports_usd=float(df["imports_usd"].sum()),
                        rival_usd=float(df["rival_usd"].sum()))


def annotate_products(df: pd.DataFrame, wh: Warehouse | None, revision: str) -> pd.DataFrame:
    """Add ``product_name`` and ``workstream`` columns for the ``hs6`` column of ``df``."""
    from kakehashi.catalogue import chapter_description

    out = df.copy()
    if out.empty:
        names, workstreams = product_labels(wh, revision)
        # a code with neither a catalogue name nor a loaded description is named by its HS chapter
        named = out["hs6"].map(lambda c: names.get(c) or chapter_description(str(c)))
        out["product_name"] = named.astype("object")
        out["workstream"] = out["hs6"].map(lambda c: workstreams.get(c, ""))
        return out
    # the same values, looked up in one vectorised step: positions of the codes among the labelled ones
    (names, _), (index, name_of, ws_of) = _label_index(wh, revision)
    pos = index.get_indexer(out["hs6"])
    found = pos >= 0
    if not len(index):  # nothing labelled: every code is named by its chapter
        name_of, ws_of, pos = np.array([None], dtype=object), np.array([""], dtype=object), pos * 0
    looked_up = name_of[pos]
    looked_up[~found] = None
    product_name: list[Any] = looked_up.tolist()
    codes = out["hs6"].tolist()
    by_chapter: dict[Any, str] = {}
    for i, name in enumerate(product_name):
        if name is None:  # no name (or an empty one): named by its HS chapter, as one by one
            c = codes[i]
            label = by_chapter.get(c)
            if label is None:
                label = by_chapter[c] = names.get(c) or chapter_description(str(c))
            product_name[i] = label
    out["product_name"] = pd.Series(product_name, index=out.index, dtype="object")
    workstream = ws_of[pos]
    workstream[~found] = ""
    out["workstream"] = pd.Series(workstream, index=out.index)
    return out


LABEL_ENTRIES = 16
"""(warehouse snapshot, revision) pairs whose product labels :func:`product_labels` keeps."""
_Labels = tuple[dict[str, str], dict[str, str]]
_LABELS: OrderedDict[tuple[str | None, str | None, str], _Labels] = OrderedDict()
_LABELS_LOCK = Lock()


def product_labels(wh: Warehouse | None, revision: str) -> _Labels:
    """Every code's name and workstreams in ``revision``: ``({hs6: name}, {hs6: "ws1, ws2"})``.

    Names come from the catalogue (HS 2022 codes), then from the warehouse's
    ``products`` table for the data's revision when loaded; workstreams are the
    catalogue workstreams whose codes, converted to ``revision``, include the
    code (:func:`kakehashi.metrics.concordance.select_products`), in catalogue
    order; a code in none has none listed. Computed once per warehouse snapshot
    and revision in a process (nothing is written).
    """
    key = (str(wh.path), wh.snapshot_id, revision) if wh is not None else (None, None, revision)
    return _product_labels(wh, revision, key)


def _product_labels(wh: Warehouse | None, revision: str, key: tuple[str | None, str | None, str]) -> _Labels:
    """:func:`product_labels` under its cache ``key`` (the snapshot read once by the caller)."""
    from kakehashi.catalogue import CATALOGUE_REVISION, WORKSTREAMS, product_names
    from kakehashi.metrics.concordance import select_products

    with _LABELS_LOCK:
        hit = _LABELS.get(key)
        if hit is not None:
            _LABELS.move_to_end(key)
            return hit
    names: dict[str, str] = {}
    if revision == CATALOGUE_REVISION:
        names.update(product_names())
    if wh is not None and "products" in wh.tables():
        p = wh.table("products")
        got = wh.execute(p.filter(p.hs_revision == revision).select("hs6", "description"))
        for code, desc in zip(got["hs6"], got["description"], strict=True):
            names.setdefault(str(code), str(desc))
    ws: dict[str, list[str]] = {}
    for name in WORKSTREAMS:
        try:
            codes_ws = select_products(name, revision=revision, wh=wh)
        except InputError:
            continue
        for c in codes_ws:
            ws.setdefault(c, []).append(name)
    labels = (names, {c: ", ".join(v) for c, v in ws.items()})
    with _LABELS_LOCK:
        _LABELS[key] = labels
        while len(_LABELS) > LABEL_ENTRIES:
            _LABELS.popitem(last=False)
    return labels


_LabelArrays = tuple[Any, Any, Any]
_INDEX: OrderedDict[tuple[str | None, str | None, str], tuple[_Labels, _LabelArrays]] = OrderedDict()


def _label_index(wh: Warehouse | None, revision: str) -> tuple[_Labels, _LabelArrays]:
    """:func:`product_labels` and the same as arrays: the labelled codes (a pandas Index), each one's
    name (``None`` when it has no name or an empty one) and workstreams (``""`` when none)."""
    key = (str(wh.path), wh.snapshot_id, revision) if wh is not None else (None, None, revision)
    labels = _product_labels(wh, revision, key)
    with _LABELS_LOCK:
        hit = _INDEX.get(key)
        if hit is not None and hit[0] is labels:
            return labels, hit[1]
    names, workstreams = labels
    codes = list(dict.fromkeys([*names, *workstreams]))
    arrays: _LabelArrays = (pd.Index(codes), np.array([names.get(c) or None for c in codes], dtype=object),
                            np.array([workstreams.get(c, "") for c in codes], dtype=object))
    with _LABELS_LOCK:
        _INDEX[key] = (labels, arrays)
        while len(_INDEX) > LABEL_ENTRIES:
            _INDEX.popitem(last=False)
    return labels, arrays
