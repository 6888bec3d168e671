"""Mineral supply risk from USGS production and reserves and World Bank governance.

For every commodity, stage (mine, refinery, ...) and year, with :math:`q_c`
the quantity reported for country ``c`` (withheld or missing values left out):

* ``country_sum`` :math:`Q = \\sum_c q_c`; every share is :math:`s_c = q_c / Q`.
  USGS also publishes a rounded "World total"; ``usgs_world_total`` shows it and
  ``sum_vs_world_total`` = :math:`Q / W` says how far the country rows are
  from it (rounding, and producers USGS does not list separately).
* ``hhi`` :math:`\\sum_c s_c^2` (0–1).
* ``hhi_wgi`` the governance-weighted concentration of the EU critical raw
  materials method (European Commission, "Methodology for establishing the EU
  list of critical raw materials", 2017; Blengini et al., JRC EUR 28654 EN,
  2017): :math:`\\sum_c s_c^2 \\cdot WGI^{scaled}_c`, on 0–10.
* ``WGI scaled`` (:func:`wgi_scaled`): the mean of a country's six Worldwide
  Governance Indicator estimates (voice and accountability, political
  stability, government effectiveness, regulatory quality, rule of law,
  control of corruption; each about −2.5 to 2.5, higher is better) mapped
  linearly onto 0–10 with higher meaning *worse* governance, as the EU method
  requires:

  .. math:: WGI^{scaled}_c = \\min(10, \\max(0, 5 - 2\\,\\overline{WGI}_c))

  so −2.5 → 10, 0 → 5, 2.5 → 0. The WGI year is the latest one not after the
  production year. Producers without WGI data are left out of ``hhi_wgi``;
  ``wgi_coverage`` is their share of production that *is* covered.
* ``top_producer`` / ``top_share``, ``rival_share`` (:math:`s_{rival}`).
* ``reserves_hhi``, ``top_reserves_holder`` / ``top_reserves_share``,
  ``rival_reserves_share``: the same on the latest reserves year not after
  the production year.
* With an ``importer`` and trade data: ``importer_imports_usd`` (imports of
  the commodity's HS codes, :func:`kakehashi.catalogue.usgs_hs`),
  ``importer_rival_import_share`` (share of those imports from the rival), and
  ``import_reliance`` :math:`= (M - X) / (P + M - X)` (the EU method's
  import-reliance formula), clipped to 0–1, with :math:`M, X` the importer's
  imports and exports in tonnes of the commodity's *established* (flag E) HS
  codes and :math:`P` its production in the USGS table (0 if not listed).
  Trade tonnes are gross weights, production is often metal or oxide content,
  so ``import_reliance`` is an indicator, not a mass balance; it is only given
  when the production unit is tonnes.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd

from kakehashi.errors import InputError, unknown_value_error
from kakehashi.warehouse import Warehouse

WGI_INDICATORS: tuple[str, ...] = ("va", "pv", "ge", "rq", "rl", "cc")
"""The six WGI dimensions averaged by :func:`wgi_scaled`."""

SUPPLY_RISK_COLUMNS: tuple[str, ...] = (
    "commodity", "stage", "year", "unit", "n_producers", "country_sum", "usgs_world_total",
    "sum_vs_world_total", "hhi", "hhi_wgi", "wgi_year", "wgi_coverage", "top_producer", "top_share",
    "rival", "rival_share", "reserves_year", "reserves_hhi", "top_reserves_holder", "top_reserves_share",
    "rival_reserves_share", "importer", "importer_imports_usd", "importer_rival_import_share",
    "import_reliance",
)
"""Columns of :func:`supply_risk`."""

SUPPLY_RISK_UNITS: dict[str, str] = {
    "country_sum": "see unit", "usgs_world_total": "see unit", "sum_vs_world_total": "ratio",
    "hhi": "0-1", "hhi_wgi": "0-10", "wgi_coverage": "fraction", "top_share": "fraction",
    "rival_share": "fraction", "reserves_hhi": "0-1", "top_reserves_share": "fraction",
    "rival_reserves_share": "fraction", "importer_imports_usd": "USD",
    "importer_rival_import_share": "fraction", "import_reliance": "fraction",
}
"""Units of the numeric columns."""


def wgi_scaled(governance: ibis.Table, year: int) -> ibis.Table:
    """Each country's WGI mean for ``year`` rescaled to 0–10, higher is worse (module docstring).

    Returns ``country, wgi_mean, wgi_scaled, n_indicators``.
    """
    g = governance.filter((governance.year == year) & governance.indicator.isin(list(WGI_INDICATORS)))
    g = g.filter(g.value.notnull())
    agg = g.group_by("country").aggregate(wgi_mean=g.value.mean(), n_indicators=g.value.count())
    raw = 5.0 - 2.0 * agg.wgi_mean
    scaled = ibis.greatest(ibis.literal(0.0), ibis.least(ibis.literal(10.0), raw))
    return agg.mutate(wgi_scaled=scaled)


def production_concentration(production: ibis.Table, wgi: ibis.Table | None = None) -> ibis.Table:
    """Country-sum, HHI and (with ``wgi``) governance-weighted HHI per commodity, stage, year and unit.

    Parameters
    ----------
    production
        Canonical ``production`` rows (or ``reserves`` with a constant ``stage``).
    wgi
        Output of :func:`wgi_scaled` (``country, wgi_scaled``).

    Returns
    -------
    ibis.Table
        ``commodity, stage, year, unit, n_producers, country_sum, hhi,
        top_quantity`` and, with ``wgi``, ``hhi_wgi, wgi_coverage``.
    """
    keys = ["commodity", "stage", "year", "unit"]
    p = production.filter(production.quantity.notnull())
    p = p.group_by([*keys, "country"]).aggregate(q=p.quantity.sum())
    tot = p.group_by(keys).aggregate(country_sum=p.q.sum(), n_producers=(p.q > 0).sum(),
                                     _sq=(p.q * p.q).sum(), top_quantity=p.q.max())
    tot = tot.filter(tot.country_sum > 0)
    out = tot.mutate(hhi=tot._sq / (tot.country_sum * tot.country_sum)).drop("_sq")
    if wgi is None:
        return out
    j = p.join(tot.select(*keys, "country_sum"), keys)
    j = j.left_join(wgi, j.country == wgi.country).select(*[j[c] for c in j.columns], wgi.wgi_scaled)
    share = j.q / j.country_sum
    weighted = j.group_by(keys).aggregate(
        hhi_wgi=ibis.ifelse(j.wgi_scaled.notnull(), share * share * j.wgi_scaled, 0.0).sum(),
        wgi_coverage=ibis.ifelse(j.wgi_scaled.notnull(), share, 0.0).sum(),
    )
    return out.join(weighted, keys)


def _top(df: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Largest country per group (ties: first ISO3 code) and its quantity."""
    d = df.dropna(subset=[value]).sort_values([*keys, value, "country"],
                                               ascending=[True] * len(keys) + [False, True])
    return d.groupby(keys, as_index=False).first()[[*keys, "country", value]]


def _latest_not_after(years: Sequence[int], year: int) -> int | None:
    cands = [y for y in years if y <= year]
    return max(cands) if cands else (max(years) if years else None)


def supply_risk(
    wh: Warehouse,
    *,
    commodity: str | None = None,
    rival: str = "CHN",
    importer: str | None = None,
    years: Sequence[int] | None = None,
    stage: str | None = None,
) -> pd.DataFrame:
    """Mineral supply-risk table: one row per commodity, stage and year (module docstring).

    Parameters
    ----------
    wh
        Warehouse with ``production`` (and optionally ``world_totals``,
        ``reserves``, ``governance``, ``trade_flows``).
    commodity
        Commodity key such as ``"rare-earths"``; default every commodity.
    rival
        ISO3 code whose shares of production and reserves are reported.
    importer
        ISO3 code for the import columns (needs ``trade_flows``).
    years
        Production years (default all).
    stage
        Only this stage (e.g. ``"mine"``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUPPLY_RISK_COLUMNS`, sorted by commodity, stage and year.
    """
    from kakehashi.metrics.screen import known_countries, validate_country

    prod = wh.table("production")
    meta = wh.execute(prod.select("commodity", "stage", "year").distinct())
    if commodity is not None:
        have = sorted(set(meta["commodity"]))
        if commodity not in have:
            raise unknown_value_error("commodity", commodity, have)
        meta = meta[meta["commodity"] == commodity]
        prod = prod.filter(prod.commodity == commodity)
    if stage is not None:
        stages = sorted(set(meta["stage"]))
        if stage not in stages:
            raise unknown_value_error("stage", stage, stages)
        prod = prod.filter(prod.stage == stage)
    if years is not None:
        have_years = sorted({int(y) for y in meta["year"]})
        for y in years:
            if y not in have_years:
                raise InputError(f"year {y} is outside the production data", value=y,
                                 hint=f"production covers {', '.join(map(str, have_years))}")
        prod = prod.filter(prod.year.isin(list(years)))
    known = None if "countries" in wh.tables() else known_countries_production(wh)
    rival_code = validate_country(rival, wh, known=known)
    importer_code = None
    if importer is not None:
        importer_code = validate_country(importer, wh,
                                         known=known_countries(wh) if "trade_flows" in wh.tables() else known)

    rows = wh.execute(prod.select("commodity", "stage", "year", "unit", "country", "quantity"))
    rows = rows.dropna(subset=["quantity"])
    if rows.empty:
        return pd.DataFrame(columns=list(SUPPLY_RISK_COLUMNS))
    prod_years = sorted({int(y) for y in rows["year"]})

    # governance-weighted HHI, per production year with its WGI year
    gov_years: list[int] = []
    if "governance" in wh.tables():
        g = wh.table("governance")
        gov_years = sorted(int(y) for y in wh.execute(g.select("year").distinct())["year"])
    parts = []
    for y in prod_years:
        wy = _latest_not_after(gov_years, y)
        wgi = wgi_scaled(wh.table("governance"), wy) if wy is not None else None
        conc = production_concentration(prod.filter(prod.year == y), wgi)
        df = wh.execute(conc)
        df["wgi_year"] = wy
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    if "hhi_wgi" not in out.columns:
        out["hhi_wgi"] = float("nan")
        out["wgi_coverage"] = float("nan")
    keys = ["commodity", "stage", "year", "unit"]
    agg = rows.groupby([*keys, "country"])["quantity"].sum().reset_index()
    top = _top(agg, keys, "quantity").rename(columns={"country": "top_producer", "quantity": "_topq"})
    out = out.merge(top, on=keys, how="left")
    out["top_share"] = out["_topq"] / out["country_sum"]
    riv = agg[agg["country"] == rival_code].rename(columns={"quantity": "_rq"})[[*keys, "_rq"]]
    out = out.merge(riv, on=keys, how="left")
    out["rival"] = rival_code
    out["rival_share"] = out["_rq"].fillna(0.0) / out["country_sum"]

    out = _add_world_totals(wh, out)
    out = _add_reserves(wh, out, rival_code)
    out = _add_imports(wh, out, agg, importer_code, rival_code)
    out = out.sort_values(["commodity", "stage", "year"]).reset_index(drop=True)
    return out[list(SUPPLY_RISK_COLUMNS)]


def known_countries_production(wh: Warehouse) -> list[str]:
    """Country codes present in the production table."""
    p = wh.table("production")
    return sorted(wh.execute(p.select("country").distinct())["country"])


def _add_world_totals(wh: Warehouse, out: pd.DataFrame) -> pd.DataFrame:
    out["usgs_world_total"] = float("nan")
    if "world_totals" in wh.tables():
        w = wh.table("world_totals")
        wt = wh.execute(w.select("commodity", "stage", "year", "unit", "quantity"))
        wt = wt.rename(columns={"quantity": "_wt"})
        wt = wt.groupby(["commodity", "stage", "year", "unit"])["_wt"].sum(min_count=1).reset_index()
        out = out.drop(columns="usgs_world_total").merge(wt, on=["commodity", "stage", "year", "unit"],
                                                         how="left")
        out["usgs_world_total"] = out["_wt"]
    out["sum_vs_world_total"] = out["country_sum"] / out["usgs_world_total"]
    return out


def _add_reserves(wh: Warehouse, out: pd.DataFrame, rival: str) -> pd.DataFrame:
    for c in ("reserves_year", "reserves_hhi", "top_reserves_holder", "top_reserves_share",
              "rival_reserves_share"):
        out[c] = None
    if "reserves" not in wh.tables():
        return out
    r = wh.table("reserves")
    res = wh.execute(r.select("commodity", "year", "country", "quantity", "unit")).dropna(subset=["quantity"])
    res = res[res["quantity"] > 0]
    for i, row in out.iterrows():
        sub = res[res["commodity"] == row["commodity"]]
        if sub.empty:
            continue
        ry = _latest_not_after(sorted({int(y) for y in sub["year"]}), int(row["year"]))
        sub = sub[sub["year"] == ry].groupby("country")["quantity"].sum()
        total = float(sub.sum())
        if total <= 0:
            continue
        shares = (sub / total).sort_index()
        top_holder = str(shares.sort_values(ascending=False, kind="stable").index[0])
        out.at[i, "reserves_year"] = ry
        out.at[i, "reserves_hhi"] = float((shares**2).sum())
        out.at[i, "top_reserves_holder"] = top_holder
        out.at[i, "top_reserves_share"] = float(shares[top_holder])
        out.at[i, "rival_reserves_share"] = float(shares.get(rival, 0.0))
    for c in ("reserves_hhi", "top_reserves_share", "rival_reserves_share"):
        out[c] = pd.to_numeric(out[c])
    out["reserves_year"] = out["reserves_year"].astype("Int64")
    return out


def _add_imports(wh: Warehouse, out: pd.DataFrame, prod_rows: pd.DataFrame,
                 importer: str | None, rival: str) -> pd.DataFrame:
    out["importer"] = importer
    for c in ("importer_imports_usd", "importer_rival_import_share", "import_reliance"):
        out[c] = float("nan")
    if importer is None or "trade_flows" not in wh.tables():
        return out
    from kakehashi.catalogue import usgs_hs
    from kakehashi.metrics.concordance import select_products
    from kakehashi.metrics.flows import analysis_flows, plan_trade

    hs_map = usgs_hs()
    for i, row in out.iterrows():
        codes_all = hs_map.loc[hs_map["commodity"] == row["commodity"]]
        if codes_all.empty:
            continue
        try:
            plan = plan_trade(wh, None, [int(row["year"])])
        except InputError:
            continue
        rev, yrs = plan.revision, plan.years
        codes = select_products(sorted(set(codes_all["hs6"])), revision=rev, wh=wh)
        codes_e = select_products(sorted(set(codes_all.loc[codes_all["flag"] == "E", "hs6"])) or ["000000"],
                                  revision=rev, wh=wh)
        f = analysis_flows(wh, plan, years=yrs, products=codes)
        imp = f.filter(f.importer == importer)
        m = wh.execute(imp.aggregate(
            total=imp.value_usd.sum(),
            from_rival=ibis.ifelse(imp.exporter == rival, imp.value_usd, 0.0).sum(),
        ))
        total = m["total"].iloc[0]
        if pd.notna(total) and total > 0:
            out.at[i, "importer_imports_usd"] = float(total)
            out.at[i, "importer_rival_import_share"] = float(m["from_rival"].iloc[0]) / float(total)
        unit = str(row["unit"]).strip().lower()
        if not (unit == "t" or unit.startswith("t ") or unit == "metric tons"):
            continue
        fe = f.filter(f.hs6.isin(codes_e))
        q = wh.execute(fe.aggregate(
            m_t=ibis.ifelse(fe.importer == importer, fe.quantity_t, 0.0).sum(),
            x_t=ibis.ifelse(fe.exporter == importer, fe.quantity_t, 0.0).sum(),
        ))
        m_t = float(q["m_t"].iloc[0] or 0.0)
        x_t = float(q["x_t"].iloc[0] or 0.0)
        own = prod_rows[(prod_rows["commodity"] == row["commodity"]) & (prod_rows["stage"] == row["stage"])
                        & (prod_rows["year"] == row["year"]) & (prod_rows["country"] == importer)]
        p = float(own["quantity"].sum())
        denom = p + m_t - x_t
        if denom > 0 and (m_t > 0 or x_t > 0):
            out.at[i, "import_reliance"] = min(1.0, max(0.0, (m_t - x_t) / denom))
    return out
