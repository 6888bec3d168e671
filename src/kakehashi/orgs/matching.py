"""Partner matching: the export-potential formula and firm-level matches of needs to capabilities.

Export potential (structure of ITC's Export Potential Indicator, Decreux &
Spies 2016, "Export Potential Assessments: a methodology to identify export
opportunities for developing countries", ITC working paper): the value the
partner ``p`` would export of product ``k`` to the importer ``m`` if it held its
world market share there, scaled by how much the two already trade with each
other:

.. math::

    EP_{pmk} = \\underbrace{X_{pk} / X_{wk}}_{\\text{supply share}}
               \\cdot \\underbrace{M_{mk}}_{\\text{demand}}
               \\cdot \\underbrace{TI_{pm}}_{\\text{ease of trade}}

    TI_{pm} = \\frac{x_{p \\to m} / X_p}{M_m / X_w}

with :math:`X_{pk}` the partner's exports of ``k`` to the world,
:math:`X_{wk}` world exports of ``k``, :math:`M_{mk}` the importer's imports of
``k`` (from every supplier, the rival included), and the trade-intensity index
:math:`TI_{pm}` (Brown 1949, Kojima 1964; WITS "trade intensity") over all
products: the share of the importer in the partner's exports divided by its
share in world imports (1: as much as the importer's size predicts). The
unrealised potential is :math:`\\max(0, EP_{pmk} - x_{p \\to m,k})`.

Limits: this keeps the *structure* of the ITC indicator, not its inputs. ITC
projects supply and demand five years ahead with GDP and population forecasts,
uses tariff-adjusted market access and a bilateral ease-of-trade term
estimated from a gravity model, and smooths over years; here every term is the
base year's trade flows of the warehouse, so the potential inherits the
data's mirror-flow reconciliation and its HS revision, and it says nothing about
prices, quality, standards or capacity.

Firm-level matches (:func:`firm_matches`) pair an organisation's items flagged
``seeking_alternatives`` with other organisations' capabilities in the same HS6
code, from organisations of another country; a counterpart's name is shown
only when both organisations opted in to disclosure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis


def trade_intensity(x_pm: float, x_p: float, m_m: float, x_w: float) -> float:
    """Trade-intensity index :math:`(x_{p\\to m}/X_p)/(M_m/X_w)` (module docstring); 0 when undefined.

    Examples
    --------
    >>> trade_intensity(10.0, 100.0, 50.0, 1000.0)
    2.0
    """
    if x_p <= 0 or m_m <= 0 or x_w <= 0:
        return 0.0
    return (x_pm / x_p) / (m_m / x_w)


def export_potential(x_pk: float, x_wk: float, m_mk: float, intensity: float) -> float:
    """Export potential :math:`X_{pk}/X_{wk} \\cdot M_{mk} \\cdot TI_{pm}` (module docstring).

    Examples
    --------
    >>> export_potential(20.0, 100.0, 50.0, 2.0)
    20.0
    """
    return 0.0 if x_wk <= 0 else x_pk / x_wk * m_mk * intensity


def potential_inputs(flows: ibis.Table, partner: str, importer: str, products: Sequence[str],
                     year: int) -> tuple[ibis.Table, ibis.Table]:
    """The terms of the export potential, as two Ibis expressions over ``flows`` in ``year``.

    Returns
    -------
    (per_product, totals)
        ``hs6, partner_exports_usd (X_pk), world_exports_usd (X_wk), importer_imports_usd (M_mk),
        partner_to_importer_usd (x_pmk)`` for ``products``, and one row
        ``partner_total_usd (X_p), world_total_usd (X_w), importer_total_usd (M_m),
        partner_to_importer_total_usd (x_pm)`` over every product.
    """
    f = flows.filter(flows.year == year)
    is_p = f.exporter == partner
    is_m = f.importer == importer
    v = f.value_usd
    fk = f.filter(f.hs6.isin(list(products)))
    pk, mk, vk = fk.exporter == partner, fk.importer == importer, fk.value_usd
    per_product = fk.group_by("hs6").aggregate(
        partner_exports_usd=ibis.ifelse(pk, vk, 0.0).sum(),
        world_exports_usd=vk.sum(),
        importer_imports_usd=ibis.ifelse(mk, vk, 0.0).sum(),
        partner_to_importer_usd=ibis.ifelse(pk & mk, vk, 0.0).sum(),
    )
    totals = f.aggregate(
        partner_total_usd=ibis.ifelse(is_p, v, 0.0).sum(),
        world_total_usd=v.sum(),
        importer_total_usd=ibis.ifelse(is_m, v, 0.0).sum(),
        partner_to_importer_total_usd=ibis.ifelse(is_p & is_m, v, 0.0).sum(),
    )
    return per_product, totals


MATCH_NAME_HIDDEN = "a registered supplier in {country}"
"""How a counterpart that did not opt in (or whose seeker did not) is named."""


def firm_matches(seeker: dict[str, Any], bom: Sequence[dict[str, Any]],
                 others: Sequence[tuple[dict[str, Any], Sequence[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Capabilities of other countries' organisations for the seeker's items ``seeking_alternatives``.

    Parameters
    ----------
    seeker
        ``{"name", "country", "disclose"}`` of the asking organisation.
    bom
        Its bill of materials rows.
    others
        ``(organisation, capability rows)`` of every other organisation.

    Returns
    -------
    list of dict
        ``item, hs6, counterpart, counterpart_country, supply_country, annual_capacity_usd``; the
        counterpart's name only when both opted in to disclosure, else
        :data:`MATCH_NAME_HIDDEN`. Sorted by item, then capacity (largest first).
    """
    wanted: dict[str, list[str]] = {}
    for r in bom:
        if r.get("seeking_alternatives"):
            items = wanted.setdefault(str(r["hs6"]), [])
            if r["item"] not in items:
                items.append(str(r["item"]))
    out: list[dict[str, Any]] = []
    for org, caps in others:
        if org.get("country") == seeker.get("country"):
            continue
        shown = (org["name"] if seeker.get("disclose") and org.get("disclose")
                 else MATCH_NAME_HIDDEN.format(country=org.get("country") or "another country"))
        for c in caps:
            for item in wanted.get(str(c["hs6"]), []):
                out.append({"item": item, "hs6": c["hs6"], "counterpart": shown,
                            "counterpart_country": org.get("country"), "supply_country": c["country"],
                            "annual_capacity_usd": float(c["annual_capacity_usd"])})
    out.sort(key=lambda r: (r["item"], -r["annual_capacity_usd"], r["counterpart"]))
    return out
