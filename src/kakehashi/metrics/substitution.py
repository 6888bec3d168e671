"""Substitution capacity: who could replace the rival's supply to an importer?

For importer (or bloc) ``M``, rival ``r``, product ``k`` and year ``t``, the
*spare exports* of a supplier ``s`` are its current exports of ``k`` to third
countries, i.e. to every destination outside ``M``:

.. math:: S_{skt} = \\sum_{d \\notin M} x_{s \\to d,k,t}

They measure what ``s`` already ships abroad and could in principle redirect
to ``M`` (an upper bound on short-run substitution that ignores contracts,
quality and capacity limits). Capacity of a group ``G`` is
:math:`\\sum_{s\\in G} S_{skt}`, reported in USD and as *cover*, the multiple
of the rival's supply it represents:

.. math:: cover_G = \\sum_{s\\in G} S_{skt} / V_{r\\to M,k,t}

(1.0 means the group's spare exports equal what ``M`` buys from the rival.)
Three nested groups are reported: the partner alone, the coalition (the
partner plus the listed countries), and the rest of the world (every exporter
except the rival and the members of ``M``). Candidate suppliers are ranked by
spare exports and shown with their Balassa RCA in the product
(:func:`kakehashi.metrics.complementarity.rca`). The same spare exports feed
the reallocation step of the export-restriction scenarios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import ibis
import pandas as pd

from kakehashi.errors import InputError
from kakehashi.metrics.complementarity import rca
from kakehashi.metrics.screen import (
    DEFAULT_THRESHOLDS,
    Thresholds,
    annotate_products,
    bloc_label,
    request_expr,
    request_flows,
    resolve_request,
    validate_country,
)
from kakehashi.warehouse import Warehouse

SUBSTITUTION_COLUMNS: tuple[str, ...] = (
    "importer", "hs6", "year", "rival", "rival_usd", "rival_share", "dependent", "persistent",
    "partner", "partner_spare_usd", "partner_cover",
    "coalition", "coalition_spare_usd", "coalition_cover",
    "world_spare_usd", "world_cover", "top_candidates", "world_exporters", "hs_revision", "converted",
)
"""Columns of :func:`substitution_capacity` (before ``product_name`` and ``workstream``)."""

SUBSTITUTION_UNITS: dict[str, str] = {
    "rival_usd": "USD", "rival_share": "fraction", "partner_spare_usd": "USD", "partner_cover": "x rival",
    "coalition_spare_usd": "USD", "coalition_cover": "x rival", "world_spare_usd": "USD",
    "world_cover": "x rival", "world_exporters": "countries",
}
"""Units of the numeric columns."""


def spare_exports(
    flows: ibis.Table,
    importers: Sequence[str],
    *,
    products: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    not_suppliers: Sequence[str] | None = None,
) -> ibis.Table:
    """Each supplier's exports of each product to third countries (outside ``importers``).

    The one implementation of spare exports: substitution capacity, the
    sourcing optimiser and the stockpile sizing all call it.

    Parameters
    ----------
    not_suppliers
        Exporters left out (default: ``importers``, whose members are not
        suppliers of themselves). The stockpile passes the rival (and the
        importer), so that other hit importers still supply third countries.

    Returns
    -------
    ibis.Table
        ``exporter, hs6, year, spare_usd, to_importer_usd``: exports to
        destinations outside ``importers``, and current exports to them.
    """
    f = flows
    if years is not None:
        f = f.filter(f.year.isin(list(years)))
    if products is not None:
        f = f.filter(f.hs6.isin(list(products)))
    f = f.filter(~f.exporter.isin(list(importers if not_suppliers is None else not_suppliers)))
    inside = f.importer.isin(list(importers))
    return f.group_by(["exporter", "hs6", "year"]).aggregate(
        spare_usd=ibis.ifelse(inside, 0.0, f.value_usd).sum(),
        to_importer_usd=ibis.ifelse(inside, f.value_usd, 0.0).sum(),
    )


def _fmt_usd(v: float) -> str:
    for div, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.1f}{suffix}"
    return f"{v:.0f}"


def substitution_capacity(
    wh: Warehouse,
    importer: str | Sequence[str],
    rival: str,
    *,
    partner: str | None = None,
    coalition: Sequence[str] = (),
    years: Sequence[int] | None = None,
    products: str | Sequence[str] | None = None,
    only_dependent: bool = True,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    top: int = 3,
    revision: str | None = None,
    precedence: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Capacity of the partner, a coalition and the world to replace the rival (module docstring).

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows``.
    importer
        ISO3 code or bloc (list or ``"JPN+IND"``).
    rival
        ISO3 code of the rival.
    partner
        ISO3 code of the partner whose capacity is reported first.
    coalition
        Further ISO3 codes; the coalition is the partner plus these.
    years
        Years (default: the latest year of the data).
    products
        ``None`` (every HS6), a workstream, or HS 2022 codes.
    only_dependent
        Keep only products flagged dependent by the screen (default); else
        every product bought from the rival.
    thresholds
        Thresholds of the dependency flag.
    top
        Number of candidate suppliers listed per product.
    revision
        HS revision of the analysis (default HS22; other revisions converted,
        :mod:`kakehashi.metrics.flows`).
    precedence
        Source prefixes in order of preference (default: BACI, then Comtrade).

    Returns
    -------
    pandas.DataFrame
        :data:`SUBSTITUTION_COLUMNS` (``world_exporters``, ``hs_revision``
        and ``converted`` as in the screen) plus ``product_name`` and ``workstream``,
        sorted by rival imports (largest first). ``top_candidates`` reads
        ``"KOR 12.3m (RCA 2.10); ..."``: spare exports in USD and RCA.
    """
    if top < 1:
        raise InputError(f"top must be at least 1, got {top}", value=top)
    req = resolve_request(wh, importer, rival, years=years, products=products, revision=revision,
                          precedence=precedence)
    if req.importers is None:
        raise InputError("substitution needs an importer", hint="pass --importer, e.g. JPN or JPN+IND")
    members: list[str] = list(req.importers)
    if years is None:
        req = req.with_years([max(req.years)])
    partner_code = validate_country(partner, wh) if partner is not None else None
    coal = [validate_country(c, wh) for c in coalition]
    for code in [partner_code, *coal]:
        if code is not None and (code == req.rival or code in members):
            raise InputError(f"{code} cannot be a partner: it is the rival or an importer", value=code,
                             hint="partners and coalition members must be third countries")
    group = list(dict.fromkeys([c for c in [partner_code, *coal] if c is not None]))

    flows = request_flows(wh, req, req.years)
    scr = request_expr(wh, req, thresholds)
    scr = scr.filter(scr.rival_usd > 0)
    if only_dependent:
        scr = scr.filter(scr.dependent)
    base = wh.execute(scr.select("importer", "hs6", "year", "rival_usd", "rival_share", "dependent",
                                 "persistent", "world_exporters", "hs_revision", "converted"))
    cols = [*SUBSTITUTION_COLUMNS, "product_name", "workstream"]
    if base.empty:
        return pd.DataFrame(columns=cols)
    codes = sorted(set(base["hs6"]))
    spare = wh.execute(spare_exports(flows, members, products=codes, years=req.years))
    spare = spare[spare["exporter"] != req.rival]
    yr_flows = request_flows(wh, replace(req, products=None), req.years)  # RCA needs every product
    rcas = wh.execute(rca(yr_flows, products=codes))
    spare = spare.merge(rcas[["exporter", "hs6", "year", "rca"]], on=["exporter", "hs6", "year"], how="left")

    def group_sum(df: pd.DataFrame, who: list[str] | None) -> pd.Series:
        sel = df if who is None else df[df["exporter"].isin(who)]
        return sel.groupby(["hs6", "year"])["spare_usd"].sum()

    out = base.copy()
    key = pd.MultiIndex.from_frame(out[["hs6", "year"]])
    out["rival"] = req.rival
    out["partner"] = partner_code
    out["partner_spare_usd"] = (group_sum(spare, [partner_code]).reindex(key).fillna(0.0).to_numpy()
                                if partner_code else float("nan"))
    out["coalition"] = bloc_label(group) if group else None
    out["coalition_spare_usd"] = (group_sum(spare, group).reindex(key).fillna(0.0).to_numpy()
                                  if group else float("nan"))
    out["world_spare_usd"] = group_sum(spare, None).reindex(key).fillna(0.0).to_numpy()
    for g in ("partner", "coalition", "world"):
        out[f"{g}_cover"] = out[f"{g}_spare_usd"] / out["rival_usd"]
    ranked = spare[spare["spare_usd"] > 0].sort_values(["spare_usd", "exporter"], ascending=[False, True])
    tops: dict[tuple[str, str], str] = {}
    for key_, grp in ranked.groupby(["hs6", "year"], sort=False):
        k, y = key_
        head = grp.head(top)
        parts = []
        for exp, val, r in zip(head["exporter"], head["spare_usd"], head["rca"], strict=True):
            rca_text = f" (RCA {float(r):.2f})" if pd.notna(r) else ""
            parts.append(f"{exp} {_fmt_usd(float(val))}{rca_text}")
        tops[(str(k), str(y))] = "; ".join(parts)
    out["top_candidates"] = [tops.get((str(k), str(y)), "")
                             for k, y in zip(out["hs6"], out["year"], strict=True)]
    out = annotate_products(out, wh, req.revision)
    out = out.sort_values(["rival_usd", "hs6", "year"], ascending=[False, True, True], kind="stable")
    return out[cols].reset_index(drop=True)


def candidates(
    wh: Warehouse,
    importer: str | Sequence[str],
    rival: str,
    hs6: str,
    *,
    year: int | None = None,
    revision: str | None = None,
    precedence: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every possible replacement supplier of one product: spare exports, current supply and RCA.

    Returns ``exporter, hs6, year, spare_usd, to_importer_usd, rca`` sorted
    by spare exports (largest first); the rival and the importers are left out.
    """
    req = resolve_request(wh, importer, rival, years=[year] if year is not None else None,
                          products=[hs6], revision=revision, precedence=precedence)
    if req.importers is None:
        raise InputError("candidates need an importer")
    yrs = req.years if year is not None else [max(req.years)]
    flows = request_flows(wh, replace(req, products=None), yrs)
    codes = req.products or [hs6]
    sp = wh.execute(spare_exports(flows, req.importers, products=codes))
    r = wh.execute(rca(flows, products=codes))
    sp = sp[sp["exporter"] != req.rival].merge(r[["exporter", "hs6", "year", "rca"]],
                                               on=["exporter", "hs6", "year"], how="left")
    return sp.sort_values(["spare_usd", "exporter"], ascending=[False, True]).reset_index(drop=True)
