"""How exposed is *this firm*? A bill of materials read against the public trade data.

Composes :mod:`kakehashi.orgs.exposure` (the formulas) with the warehouse:
the suppliers' own import sourcing (Ibis over the analysis trade flows of
:mod:`kakehashi.metrics.screen`), each supplier country's dependency flags
from the country screen, and alternative supplier countries ranked by spare
exports (:func:`kakehashi.metrics.substitution.spare_exports`, the one
implementation that ``kakehashi substitutes`` uses), the partner first.

The firm's data never leave this call: nothing is cached or logged here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kakehashi.present.numbers import fmt_usd
from kakehashi.questions import defaults
from kakehashi.questions.request import parse_country
from kakehashi.warehouse import Warehouse

ALTERNATIVES = 3
"""Alternative supplier countries listed per item (the partner first when it has spare exports)."""


@dataclass(frozen=True)
class FirmExposure:
    """A firm's exposure: one row per item (:data:`kakehashi.orgs.exposure.ITEM_COLUMNS`) and totals."""

    rival: str
    importer: str
    partner: str | None
    year: int
    revision: str
    items: pd.DataFrame
    total: dict[str, float]
    synthetic: bool
    measure: str | None = None
    notes: tuple[str, ...] = ()


BAND_COLUMNS: tuple[str, ...] = ("shortfall_p5_usd", "shortfall_p50_usd", "shortfall_p95_usd")
"""Columns added by ``measure=``: the firm's spend on the item times the scenario's net shortfall share."""


def measure_bands(wh: Warehouse, importer: str, codes: Sequence[str], measure: str
                  ) -> tuple[dict[str, tuple[float, float, float]], list[str]]:
    """Net-shortfall shares (p5, p50, p95) of the importer's imports of each code under a catalogued
    measure (:func:`kakehashi.questions.whatif.scenario_spec` with the shared draws, seed and base-year
    rule; tier 0, ``net_shortfall_share``), and the scenario's notes. A code the measure does not hit
    has no entry (a shortfall of 0)."""
    from kakehashi.questions import whatif

    spec = whatif.scenario_spec(measure_id=measure, data_years=whatif.data_years(wh))
    res = whatif.run(wh, spec)
    t = res.table
    t = t[(t["metric"] == "net_shortfall_share") & (t["tier"] == 0) & (t["importer"] == importer)
          & (t["hs6"].isin(list(codes)))]
    out: dict[str, tuple[float, float, float]] = {}
    for h, g in t.groupby("hs6"):
        out[str(h)] = (float(g["p5"].max()), float(g["p50"].max()), float(g["p95"].max()))
    notes = [f"shortfall bands: measure {measure}, base year {spec.base_year}, {res.draws} draws; the firm's "
             f"spend on an item times {importer}'s net shortfall share of that product (the firm is "
             "assumed to lose what its country loses)"]
    return out, notes


def vocabulary(wh: Warehouse) -> tuple[frozenset[str], frozenset[str]]:
    """Countries and HS6 codes a bill of materials may name: those of the warehouse's trade flows
    (and its product nomenclature)."""
    t = wh.table("trade_flows")
    countries = set(wh.execute(t.select(c=t.exporter).union(t.select(c=t.importer)).distinct())["c"])
    products = set(wh.execute(t.select("hs6").distinct())["hs6"])
    if "products" in wh.tables():
        p = wh.table("products")
        products |= set(wh.execute(p.select("hs6").distinct())["hs6"])
    return frozenset(str(c) for c in countries), frozenset(str(p) for p in products)


def _alternatives(spare: pd.DataFrame, hs6: str, partner: str | None, top: int) -> str:
    g = spare[(spare["hs6"] == hs6) & (spare["spare_usd"] > 0)]
    g = g.sort_values(["spare_usd", "exporter"], ascending=[False, True])
    order = list(g["exporter"])
    if partner is not None and partner in order:
        order.remove(partner)
        order.insert(0, partner)
    val = dict(zip(g["exporter"], g["spare_usd"], strict=True))
    return "; ".join(f"{c} {fmt_usd(float(val[c]))}" for c in order[:top])


def firm_exposure(wh: Warehouse, rows: Sequence[dict[str, Any]], *, rival: str = defaults.RIVAL,
                  importer: str = defaults.IMPORTER, partner: str | None = defaults.PARTNER,
                  year: int | None = None, top: int = ALTERNATIVES, measure: str | None = None
                  ) -> FirmExposure:
    """Direct and look-through rival shares per item, flags, alternatives and the firm total.

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows``.
    rows
        The firm's validated bill of materials (:func:`kakehashi.orgs.bom.parse_bom`).
    rival
        ISO3 code of the rival.
    importer
        The firm's country (alternatives are countries' spare exports to destinations other than it).
    partner
        Partner country listed first among alternatives (``None``: none).
    year
        Base year (default: the latest year of the data).
    top
        Alternative countries listed per item.
    measure
        A catalogued measure id: adds :data:`BAND_COLUMNS` (:func:`measure_bands`).
    """
    from kakehashi.metrics.screen import annotate_products, request_expr, request_flows, resolve_request
    from kakehashi.metrics.substitution import spare_exports
    from kakehashi.orgs import exposure as ex
    from kakehashi.provenance import is_synthetic

    riv = parse_country(rival, field="rival")
    imp = parse_country(importer, field="importer")
    par = parse_country(partner, field="partner") if partner else None
    bom = pd.DataFrame(list(rows), columns=["item", "hs6", "supplier_country", "annual_spend_usd",
                                            "seeking_alternatives"])
    codes = sorted(set(bom["hs6"]))
    suppliers = sorted(set(bom["supplier_country"]))
    req = resolve_request(wh, None, riv, years=[year] if year is not None else None, products=codes)
    base = int(year) if year is not None else max(req.years)
    flows = request_flows(wh, req, [base])
    imports = wh.execute(ex.supplier_import_shares(flows, suppliers, codes, riv, base))
    items = ex.item_shares(bom, imports, riv)
    items["total_rival_share"] = items["direct_rival_share"] + items["indirect_rival_share"]

    scr = request_expr(wh, req)
    scr = scr.filter([scr.year == base, scr.importer.isin(suppliers)])
    flags = wh.execute(scr.select("importer", "hs6", "dependent", "persistent"))
    dep: dict[tuple[str, str], str] = {}
    for r in flags.itertuples(index=False):
        if bool(r.dependent):
            tag = " (persistent)" if bool(r.persistent) else ""
            dep[(str(r.importer), str(r.hs6))] = f"{r.importer}{tag}"
    spare = wh.execute(spare_exports(flows, [imp], products=codes, years=[base]))
    spare = spare[spare["exporter"] != riv]

    sup = bom.groupby(["item", "hs6"], sort=False)["supplier_country"].apply(lambda s: ", ".join(sorted(s)))
    seek = bom.groupby(["item", "hs6"], sort=False)["seeking_alternatives"].any()
    key = list(zip(items["item"], items["hs6"], strict=True))
    items["suppliers"] = [sup[k] for k in key]
    items["dependent_suppliers"] = [
        ", ".join(dep[(s, k[1])] for s in sup[k].split(", ") if (s, k[1]) in dep) for k in key]
    items["alternatives"] = [_alternatives(spare, k[1], par, top) for k in key]
    items["seeking_alternatives"] = [bool(seek[k]) for k in key]
    items = annotate_products(items, wh, req.revision).rename(columns={"product_name": "product"})
    items = items[list(ex.ITEM_COLUMNS)].sort_values(["total_rival_share", "spend_usd", "item"],
                                                    ascending=[False, False, True], kind="stable")
    items = items.reset_index(drop=True)
    total = ex.firm_total(items)
    notes: list[str] = []
    if measure is not None:
        bands, notes = measure_bands(wh, imp, codes, measure)
        for i, col in enumerate(BAND_COLUMNS):
            items[col] = [spend * bands.get(h, (0.0, 0.0, 0.0))[i]
                          for spend, h in zip(items["spend_usd"], items["hs6"], strict=True)]
            total[col] = float(items[col].sum())
    return FirmExposure(rival=riv, importer=imp, partner=par, year=base, revision=req.revision, items=items,
                        total=total, synthetic=is_synthetic(wh), measure=measure, notes=tuple(notes))
