"""Revealed comparative advantage and trade complementarity.

* Balassa RCA, as computed by the Harvard Growth Lab ``ecomplexity`` package
  (Balassa, B., "Trade liberalisation and revealed comparative advantage",
  The Manchester School 33(2), 1965):

  .. math:: RCA_{ck} = \\frac{x_{ck} / \\sum_{k'} x_{ck'}}{\\sum_{c'} x_{c'k} / \\sum_{c'k'} x_{c'k'}}

  where :math:`x_{ck}` are country ``c``'s exports of product ``k`` in a year,
  and the sums run over every exporter and product in the data.

* Trade complementarity index (World Bank WITS, "Trade Complementarity Index",
  after Michaely, 1996):

  .. math:: TC_{ij} = 100 \\left(1 - \\tfrac{1}{2} \\sum_k |m_{ik} - x_{jk}|\\right)

  where :math:`m_{ik}` is product ``k``'s share of importer ``i``'s imports
  and :math:`x_{jk}` its share of exporter ``j``'s exports. 0 means the
  exporter sells nothing the importer buys; 100 means the two baskets have the
  same composition. Per workstream, both baskets are restricted to the
  workstream's codes and the shares renormalised within it.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd

from kakehashi.errors import InputError
from kakehashi.warehouse import Warehouse


def rca(flows: ibis.Table, *, exporters: Sequence[str] | None = None,
        products: Sequence[str] | None = None) -> ibis.Table:
    """Balassa RCA of every exporter in every product and year (see module docstring).

    Parameters
    ----------
    flows
        Canonical ``trade_flows`` rows (one HS revision).
    exporters, products
        Optional filters applied to the *output* only: the world totals and
        the exporters' totals always use every row of ``flows``.

    Returns
    -------
    ibis.Table
        ``exporter, hs6, year, exports_usd, rca``.
    """
    x = flows.group_by(["exporter", "hs6", "year"]).aggregate(exports_usd=flows.value_usd.sum())
    ctot = x.group_by(["exporter", "year"]).aggregate(_ctot=x.exports_usd.sum())
    ptot = x.group_by(["hs6", "year"]).aggregate(_ptot=x.exports_usd.sum())
    wtot = x.group_by("year").aggregate(_wtot=x.exports_usd.sum())
    out = x
    if exporters is not None:
        out = out.filter(out.exporter.isin(list(exporters)))
    if products is not None:
        out = out.filter(out.hs6.isin(list(products)))
    j = out.join(ctot, ["exporter", "year"]).join(ptot, ["hs6", "year"]).join(wtot, "year")
    value = (j.exports_usd / j._ctot) / (j._ptot / j._wtot)
    return j.select("exporter", "hs6", "year", "exports_usd", rca=value)


def basket_shares(flows: ibis.Table, side: str, country: str,
                  products: Sequence[str] | None = None) -> ibis.Table:
    """Share of each product in one country's imports (``side="importer"``) or exports (``"exporter"``).

    Returns ``hs6, year, value_usd, share`` with shares summing to 1 per year
    over ``products`` (or every product).
    """
    if side not in ("importer", "exporter"):
        raise InputError(f"side must be 'importer' or 'exporter', not {side!r}")
    f = flows.filter(flows[side] == country)
    if products is not None:
        f = f.filter(f.hs6.isin(list(products)))
    v = f.group_by(["hs6", "year"]).aggregate(value_usd=f.value_usd.sum())
    tot = v.group_by("year").aggregate(_tot=v.value_usd.sum())
    j = v.join(tot, "year")
    return j.select("hs6", "year", "value_usd", share=j.value_usd / j._tot)


def trade_complementarity(flows: ibis.Table, exporter: str, importer: str,
                          products: Sequence[str] | None = None) -> ibis.Table:
    """WITS trade complementarity index of ``exporter``'s exports with ``importer``'s imports, per year.

    Parameters
    ----------
    flows
        Canonical ``trade_flows`` rows (one HS revision).
    exporter, importer
        ISO3 codes.
    products
        Restrict both baskets to these codes (a workstream) and renormalise.

    Returns
    -------
    ibis.Table
        ``year, tci, exporter_exports_usd, importer_imports_usd, n_products``
        (products in either basket). Years where either country has no trade
        in scope are left out.

    Examples
    --------
    Identical baskets give 100; disjoint baskets give 0.
    """
    m = basket_shares(flows, "importer", importer, products)
    x = basket_shares(flows, "exporter", exporter, products)
    j = m.outer_join(x, [m.hs6 == x.hs6, m.year == x.year]).select(
        year=ibis.coalesce(m.year, x.year),
        m_share=m.share.fill_null(0.0),
        x_share=x.share.fill_null(0.0),
        m_value=m.value_usd.fill_null(0.0),
        x_value=x.value_usd.fill_null(0.0),
    )
    agg = j.group_by("year").aggregate(
        _dist=(j.m_share - j.x_share).abs().sum(),
        exporter_exports_usd=j.x_value.sum(),
        importer_imports_usd=j.m_value.sum(),
        n_products=j.year.count(),
    )
    agg = agg.filter((agg.exporter_exports_usd > 0) & (agg.importer_imports_usd > 0))
    return agg.select(
        "year",
        tci=100.0 * (1.0 - agg._dist / 2.0),
        exporter_exports_usd=agg.exporter_exports_usd,
        importer_imports_usd=agg.importer_imports_usd,
        n_products=agg.n_products,
    )


COMPLEMENTARITY_COLUMNS: tuple[str, ...] = (
    "exporter", "importer", "scope", "year", "tci",
    "exporter_exports_usd", "importer_imports_usd", "n_products",
    "world_exporters", "hs_revision", "converted",
)
"""Columns of :func:`complementarity_frame`."""


def complementarity_frame(
    wh: Warehouse,
    exporter: str,
    importer: str,
    *,
    years: Sequence[int] | None = None,
    workstream: str | None = None,
    revision: str | None = None,
    precedence: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Trade complementarity overall (scope ``all``) and per catalogue workstream.

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows``.
    exporter, importer
        ISO3 codes (validated).
    years
        Years to report (default: all of the chosen revision).
    workstream
        Only this workstream (plus the overall index); default every workstream.
    revision
        HS revision of the analysis (default HS22; other revisions converted,
        :mod:`kakehashi.metrics.flows`).
    precedence
        Source prefixes in order of preference (default: BACI, then Comtrade).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPLEMENTARITY_COLUMNS`, sorted by scope (``all``
        first, then workstream order) and year. ``world_exporters`` is the
        number of exporters reporting any product of the scope that year;
        ``converted`` is true when some of the two countries' trade in scope
        was held in another revision.
    """
    from kakehashi.catalogue import WORKSTREAMS
    from kakehashi.metrics.concordance import select_products
    from kakehashi.metrics.flows import analysis_flows, plan_trade
    from kakehashi.metrics.screen import iso3_validator, known_countries, validate_country

    known = known_countries(wh) if iso3_validator() is None else None
    exp = validate_country(exporter, wh, known=known)
    imp = validate_country(importer, wh, known=known)
    if exp == imp:
        raise InputError(f"exporter and importer are both {exp}", value=exp,
                         hint="compare two different countries")
    plan = plan_trade(wh, revision, list(years) if years is not None else None, precedence=precedence)
    rev, yrs = plan.revision, plan.years
    flows = analysis_flows(wh, plan, years=yrs)
    scopes: list[tuple[str, list[str] | None]] = [("all", None)]
    keys = [workstream] if workstream is not None else list(WORKSTREAMS)
    for key in keys:
        scopes.append((key, select_products(key, revision=rev, wh=wh)))
    frames = []
    for scope, codes in scopes:
        df = wh.execute(trade_complementarity(flows, exp, imp, codes))
        df.insert(0, "scope", scope)
        f = flows if codes is None else flows.filter(flows.hs6.isin(codes))
        cov = wh.execute(f.group_by("year").aggregate(
            world_exporters=f.exporter.nunique(where=f.value_usd > 0),
            converted=f.converted.any(where=(f.exporter == exp) | (f.importer == imp))))
        df = df.merge(cov, on="year", how="left")
        df["world_exporters"] = df["world_exporters"].fillna(0).astype("int64")
        df["converted"] = df["converted"].fillna(False).astype(bool)
        df["hs_revision"] = rev
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "importer", imp)
    out.insert(0, "exporter", exp)
    order = {s: i for i, (s, _) in enumerate(scopes)}
    out = out.sort_values(["scope", "year"], key=lambda c: c.map(order) if c.name == "scope" else c)
    return out[list(COMPLEMENTARITY_COLUMNS)].reset_index(drop=True)
