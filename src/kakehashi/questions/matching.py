"""Where do the importer's needs meet the partner's capabilities? Country and firm-level matching.

:func:`partner_match` lists, for each product where the importer depends on
the rival (the dependency screen), what the partner could supply: its spare
exports exactly as ``kakehashi substitutes`` computes them (the same call,
:func:`kakehashi.questions.replacement.substitution`, hence
:func:`kakehashi.metrics.substitution.spare_exports`), its RCA, what it already
sells to the importer, and its export potential there
(:mod:`kakehashi.orgs.matching`: Decreux & Spies 2016 structure; formula,
sources and limits in that module). ``both=True`` adds the reverse direction.

:func:`organisation_matches` pairs a registered organisation's items seeking
alternatives with other organisations' capabilities
(:func:`kakehashi.orgs.matching.firm_matches`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from kakehashi.questions import defaults
from kakehashi.questions.request import parse_country
from kakehashi.warehouse import Warehouse

if TYPE_CHECKING:
    from kakehashi.orgs.store import Org, OrgStore

MATCH_COLUMNS: tuple[str, ...] = (
    "importer", "partner", "hs6", "product", "rival_usd", "partner_spare_usd", "partner_rca",
    "partner_exports_to_importer_usd", "export_potential_usd", "unrealised_potential_usd", "year",
)
"""Columns of :func:`partner_match`."""

MATCH_UNITS: dict[str, str] = {
    "rival_usd": "USD", "partner_spare_usd": "USD", "partner_exports_to_importer_usd": "USD",
    "export_potential_usd": "USD", "unrealised_potential_usd": "USD",
}


def _one_direction(wh: Warehouse, importer: str, partner: str, rival: str, products: str | list[str] | None,
                   year: int | None) -> pd.DataFrame:
    from kakehashi.metrics.complementarity import rca
    from kakehashi.metrics.screen import request_flows, resolve_request
    from kakehashi.orgs import matching as m
    from kakehashi.questions import replacement

    sub = replacement.substitution(wh, importer, rival, products, partner=partner,
                                   years=[year] if year is not None else None, only_dependent=True)
    if sub.empty:
        return pd.DataFrame(columns=list(MATCH_COLUMNS))
    base = int(sub["year"].max())
    sub = sub[sub["year"] == base]
    codes = sorted(set(sub["hs6"]))
    req = resolve_request(wh, importer, rival, years=[base])
    flows = request_flows(wh, req, [base])
    per_product, totals = m.potential_inputs(flows, partner, importer, codes, base)
    pp: dict[str, dict[str, float]] = {
        str(row["hs6"]): {str(c): float(v) for c, v in row.items() if c != "hs6"}
        for row in wh.execute(per_product).to_dict("records")}
    tot = wh.execute(totals).iloc[0]
    ti = m.trade_intensity(float(tot["partner_to_importer_total_usd"]), float(tot["partner_total_usd"]),
                           float(tot["importer_total_usd"]), float(tot["world_total_usd"]))
    r = wh.execute(rca(flows, exporters=[partner], products=codes))
    rcas = {str(h): float(v) for h, v, y in zip(r["hs6"], r["rca"], r["year"], strict=True) if int(y) == base}
    rows: list[dict[str, Any]] = []
    for s in sub.to_dict("records"):
        k = str(s["hs6"])
        t = pp.get(k, {})
        x_pk = t.get("partner_exports_usd", 0.0)
        x_wk = t.get("world_exports_usd", 0.0)
        m_mk = t.get("importer_imports_usd", 0.0)
        actual = t.get("partner_to_importer_usd", 0.0)
        ep = m.export_potential(x_pk, x_wk, m_mk, ti)
        rows.append({
            "importer": importer, "partner": partner, "hs6": k, "product": s["product_name"],
            "rival_usd": float(s["rival_usd"]), "partner_spare_usd": float(s["partner_spare_usd"]),
            "partner_rca": rcas.get(k, 0.0),
            "partner_exports_to_importer_usd": actual, "export_potential_usd": ep,
            "unrealised_potential_usd": max(0.0, ep - actual), "year": base,
        })
    return pd.DataFrame(rows, columns=list(MATCH_COLUMNS))


def partner_match(wh: Warehouse, importer: str = defaults.IMPORTER, partner: str = defaults.PARTNER,
                  rival: str = defaults.RIVAL, products: str | list[str] | None = None, *,
                  both: bool = False, year: int | None = None) -> pd.DataFrame:
    """What the partner could supply where the importer depends on the rival (module docstring).

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows``.
    importer, partner, rival
        ISO3 codes (one country each).
    products
        ``None`` (every HS6), a workstream key or HS codes.
    both
        Add the reverse direction (the partner as importer, the importer as partner).
    year
        Base year (default: the latest year of the data).

    Returns
    -------
    pandas.DataFrame
        :data:`MATCH_COLUMNS`, sorted by unrealised potential (largest first) within each direction.
    """
    imp = parse_country(importer, field="importer")
    par = parse_country(partner, field="partner")
    riv = parse_country(rival, field="rival")
    pairs = [(imp, par)] + ([(par, imp)] if both else [])
    parts = []
    for a, b in pairs:
        df = _one_direction(wh, a, b, riv, products, year)
        parts.append(df.sort_values(["unrealised_potential_usd", "hs6"], ascending=[False, True],
                                    kind="stable"))
    out = pd.concat(parts, ignore_index=True) if any(len(p) for p in parts) else parts[0]
    return out.reset_index(drop=True)


def organisation_matches(store: OrgStore, org: Org) -> list[dict[str, Any]]:
    """Other organisations' capabilities for ``org``'s items seeking alternatives
    (:func:`kakehashi.orgs.matching.firm_matches`); empty without a bill of materials."""
    from kakehashi.orgs.matching import firm_matches

    bom = store.get_upload(org, "bom") or []
    others = []
    for o in store.organisations():
        if o.org_id == org.org_id:
            continue
        caps = store.get_upload(o, "capabilities")
        if caps:
            others.append(({"name": o.name, "country": o.country, "disclose": o.disclose}, caps))
    seeker = {"name": org.name, "country": org.country, "disclose": org.disclose}
    return firm_matches(seeker, bom, others)
