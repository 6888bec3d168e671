"""Diversified sourcing portfolios from the warehouse, for one importer or a coalition.

:func:`diversify` reads one year of trade flows through Ibis and, for every
product the importer buys, builds a :class:`~kakehashi.optimize.problem.PortfolioProblem`:

* current shares ``w0[i, s]`` = importer ``i``'s imports from ``s`` over its total
  imports of the product (value, USD);
* spare exports of each supplier = its exports to countries outside the
  importer (or the coalition), computed by
  :func:`kakehashi.metrics.substitution.spare_exports`, the same function as the
  substitution-capacity analysis; in coalition mode a member supplies the
  other members from its exports outside the coalition;
* unit values = value_usd / quantity_t: of the importer's imports from ``s``
  where reported, else of ``s``'s exports of the product to the world; the
  ratio to the importer's current mix unit value is the cost ratio (1 when no
  quantity is reported, noted);
* supplier risk ``g_s`` = WGI scaled 0–10 (:func:`kakehashi.metrics.minerals.wgi_scaled`)
  of the latest WGI year not after the trade year; countries without WGI get 5
  (the scale's middle), noted.

All products are solved together (:func:`kakehashi.optimize.solve.solve_many`).

The rival cap can be each product's *current* rival share
(``cap_rival_at_current=True``), alone or with a numeric cap (the tighter of
the two applies): the proposed rival share then never exceeds today's, for
every product and importer. The current shares always satisfy that cap, the
capacity bounds and the limit on change per period, so only a numeric cap or
a partner minimum can make a product infeasible. Each product's row says
whether the partner's share falls (``partner_share_falls``) and whether the
rival's rises (``rival_share_rises``; never under the current-share cap).
:func:`frontier` sweeps λ and reports the risk–cost frontier per product and
for the whole set (import-weighted risk, summed cost: since each product's
cost is normalised by its own imports, the same λ for every product minimises
``Σ_p imports_p · risk_p + λ Σ_p extra_cost_p``, so the summed points lie on the
whole set's frontier).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import ibis
import numpy as np
import pandas as pd

from kakehashi.errors import InputError
from kakehashi.metrics.minerals import wgi_scaled
from kakehashi.metrics.screen import (
    annotate_products,
    normalise_importers,
    request_flows,
    resolve_request,
    validate_country,
)
from kakehashi.metrics.substitution import spare_exports
from kakehashi.optimize.draws import DEFAULT_DRAWS, restriction_draws
from kakehashi.optimize.problem import OBJECTIVES, Objective, PortfolioProblem
from kakehashi.optimize.readback import PortfolioSolution
from kakehashi.optimize.solve import Infeasible, InfeasibleError, Method, solve_many
from kakehashi.scenarios.restriction import DEFAULT_THETA
from kakehashi.warehouse import Warehouse

TABLE_COLUMNS: tuple[str, ...] = (
    "importer", "hs6", "supplier", "current_share", "proposed_share", "capacity_share",
    "risk_before", "risk_after", "extra_cost_usd",
)
"""Columns of :attr:`PortfolioResult.table` (one row per importer, product and supplier)."""

PRODUCT_COLUMNS: tuple[str, ...] = (
    "importer", "hs6", "product_name", "imports_usd", "n_suppliers", "rival_share_before",
    "rival_share_after", "partner_share_before", "partner_share_after", "partner_share_falls",
    "rival_share_rises", "risk_before", "risk_after", "extra_cost_usd", "extra_cost_share", "status", "note",
)
"""Columns of :attr:`PortfolioResult.products`."""

UNITS: dict[str, str] = {
    "current_share": "fraction", "proposed_share": "fraction", "capacity_share": "fraction",
    "extra_cost_usd": "USD", "imports_usd": "USD", "extra_cost_share": "fraction",
    "rival_share_before": "fraction", "rival_share_after": "fraction", "partner_share_before": "fraction",
    "partner_share_after": "fraction", "rival_share": "fraction", "partner_share": "fraction",
}
"""Units of the numeric columns."""

FRONTIER_COLUMNS: tuple[str, ...] = ("lam", "importer", "hs6", "imports_usd", "risk", "extra_cost_usd",
                                     "rival_share_before", "rival_share", "partner_share_before",
                                     "partner_share")
"""Columns of :func:`frontier`; ``hs6 == WHOLE_SET`` rows are the whole product set (shares
import-weighted there)."""

SHARE_TOL = 1e-9
"""A share moves (``partner_share_falls``, ``rival_share_rises``) when it changes by more than this."""

WHOLE_SET = "ALL"
"""``hs6`` of the :func:`frontier` rows that sum (cost) or import-weight (risk) the whole product set."""

DEFAULT_LAMS: tuple[float, ...] = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
"""λ values swept by :func:`frontier` (risk units per 100 % of the import bill)."""

MISSING_WGI_RISK = 5.0
"""Risk given to a supplier without WGI data (the middle of the 0–10 scale)."""

MIN_ROW_SHARE = 1e-6
"""Suppliers with current and proposed shares both below this are left out of the table."""

OnInfeasible = Literal["raise", "skip"]


@dataclass(frozen=True)
class PortfolioData:
    """What :func:`diversify` reads from the warehouse for one year."""

    year: int
    revision: str
    importers: list[str]
    rival: str
    partners: list[str]
    products: list[str]
    imports: pd.DataFrame  # importer, hs6, exporter, value_usd, unit_value
    spare: pd.DataFrame  # hs6, exporter, spare_usd
    world_unit_value: pd.DataFrame  # hs6, exporter, unit_value
    risk: dict[str, float]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PortfolioResult:
    """Proposed portfolios.

    Attributes
    ----------
    table
        :data:`TABLE_COLUMNS`, one row per importer, product and supplier.
    products
        :data:`PRODUCT_COLUMNS`, one row per importer and product (also the
        infeasible ones, with ``status`` and the reason in ``note``).
    solutions
        The solver's answers, for further analysis.
    year, revision, objective
        What was solved.
    notes
        Assumptions and data gaps met on the way.
    """

    table: pd.DataFrame
    products: pd.DataFrame
    solutions: list[PortfolioSolution]
    year: int
    revision: str
    objective: str
    notes: list[str]


def _unit_value(value: pd.Series, qty: pd.Series) -> pd.Series:
    return (value / qty).where(qty > 0)


def load_portfolio_data(
    wh: Warehouse,
    importer: str | Sequence[str],
    rival: str,
    *,
    partner: str | Sequence[str] | None = None,
    products: str | Sequence[str] | None = None,
    year: int | None = None,
    revision: str | None = None,
) -> PortfolioData:
    """Read current imports, spare exports, unit values and supplier risk (module docstring)."""
    members = normalise_importers(importer)
    assert members is not None
    req = resolve_request(wh, members, rival, years=[year] if year is not None else None,
                          products=products, revision=revision, all_products=False)
    assert req.importers is not None and req.products is not None
    members = req.importers
    yr = int(year) if year is not None else max(req.years)
    partners = [validate_country(p, wh) for p in (normalise_importers(partner) or [])]
    for p in partners:
        if p == req.rival:
            raise InputError(f"the partner {p} is the rival", value=p,
                             hint="choose a third country as partner")
    codes = req.products
    f = request_flows(wh, req, [yr])
    if wh.engine == "duckdb":  # scan the big table once; the three queries below read this small result
        f = ibis.memtable(wh.connect().to_pyarrow(
            f.select("year", "exporter", "importer", "hs6", "value_usd", "quantity_t")))
    qty_known = f.quantity_t.notnull() & (f.quantity_t > 0)
    vq = ibis.ifelse(qty_known, f.value_usd, 0.0)
    qq = ibis.ifelse(qty_known, f.quantity_t, 0.0)
    imp = f.filter(f.importer.isin(members) & (f.exporter != f.importer))
    imports = wh.execute(imp.group_by(["importer", "hs6", "exporter"]).aggregate(
        value_usd=imp.value_usd.sum(), _vq=ibis.ifelse(qty_known, imp.value_usd, 0.0).sum(),
        _q=ibis.ifelse(qty_known, imp.quantity_t, 0.0).sum()))
    imports["unit_value"] = _unit_value(imports["_vq"], imports["_q"])
    world = wh.execute(f.group_by(["hs6", "exporter"]).aggregate(_vq=vq.sum(), _q=qq.sum()))
    world["unit_value"] = _unit_value(world["_vq"], world["_q"])
    spare = wh.execute(spare_exports(f, members).select("hs6", "exporter", "spare_usd"))
    if len(members) > 1:  # members supply each other from their exports outside the coalition
        for j in members:
            others = [c for c in members if c != j]
            sj = wh.execute(spare_exports(f.filter(f.exporter == j), others)
                            .select("hs6", "exporter", "spare_usd"))
            spare = pd.concat([spare, sj], ignore_index=True)
    notes: list[str] = []
    risk = _supplier_risk(wh, yr, notes)
    return PortfolioData(year=yr, revision=req.revision, importers=members, rival=req.rival,
                         partners=partners, products=codes,
                         imports=imports[["importer", "hs6", "exporter", "value_usd", "unit_value"]],
                         spare=spare, world_unit_value=world[["hs6", "exporter", "unit_value"]],
                         risk=risk, notes=notes)


def _supplier_risk(wh: Warehouse, year: int, notes: list[str]) -> dict[str, float]:
    if "governance" not in wh.tables():
        return {}
    g = wh.table("governance")
    years = sorted(int(y) for y in wh.execute(g.select("year").distinct())["year"])
    usable = [y for y in years if y <= year] or years[:1]
    if not usable:
        return {}
    wy = usable[-1]
    if wy != year:
        notes.append(f"supplier risk uses WGI {wy} (latest not after {year})")
    df = wh.execute(wgi_scaled(g, wy))
    return {str(c): float(v) for c, v in zip(df["country"], df["wgi_scaled"], strict=True)}


def build_problems(
    data: PortfolioData,
    *,
    objective: Objective = "hhi",
    max_rival_share: float | None = None,
    cap_rival_at_current: bool = False,
    min_partner_share: float | None = None,
    max_change: float | None = None,
    lam: float = 0.0,
    draws: int = DEFAULT_DRAWS,
    seed: int = 20261121,
    reallocation: float = DEFAULT_THETA,
    other_disruption: float = 0.0,
) -> tuple[list[PortfolioProblem], list[dict[str, object]]]:
    """One problem per product the importers buy; also the rows of products left out, with why.

    The rival cap of a product is ``max_rival_share``, or with
    ``cap_rival_at_current`` each importer's current rival share, or the
    smaller of the two when both are given (see :func:`rival_caps`).
    """
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective {objective!r}", value=objective,
                         hint=f"choose one of: {', '.join(OBJECTIVES)}")
    if lam < 0:
        raise InputError(f"the weight on cost (lam) must be zero or positive, got {lam}", value=lam,
                         hint="the weight on cost weighs the extra cost against the risk; use 0 to "
                         "ignore cost")
    if objective == "governance" and not data.risk:
        raise InputError("the governance objective needs World Bank WGI data in the warehouse",
                         hint="ingest WGI ('kakehashi ingest wgi FILE') or use --objective hhi")
    if min_partner_share is not None and not data.partners and len(data.importers) == 1:
        raise InputError("a partner minimum needs a partner", hint="pass --partner, e.g. IND")
    imports = data.imports[data.imports["value_usd"] > 0]
    spare_all = data.spare.groupby(["hs6", "exporter"])["spare_usd"].sum()
    spare_by = _split_by_product(spare_all)
    wuv_by = _split_by_product(data.world_unit_value.set_index(["hs6", "exporter"])["unit_value"])
    mix_by = _mix_unit_values(imports)
    problems: list[PortfolioProblem] = []
    skipped: list[dict[str, object]] = []
    missing_risk: set[str] = set()
    no_qty = 0
    by_product = dict(tuple(imports.groupby("hs6")))
    for code in data.products:
        grp = by_product.get(code)
        if grp is None:
            for imp in data.importers:
                skipped.append({"importer": imp, "hs6": code, "status": "no imports",
                                "note": f"{imp} reports no imports of {code} in {data.year}"})
            continue
        members = [m for m in data.importers if m in set(grp["importer"])]
        for m in data.importers:
            if m not in members:
                skipped.append({"importer": m, "hs6": code, "status": "no imports",
                                "note": f"{m} reports no imports of {code} in {data.year}"})
        sp = spare_by.get(code, pd.Series(dtype=float))
        sup_set = set(grp["exporter"]) | set(sp[sp > 0].index)
        if len(members) == 1:
            sup_set.discard(members[0])
        suppliers = sorted(sup_set)
        si = {s: k for k, s in enumerate(suppliers)}
        m_, n_ = len(members), len(suppliers)
        value = np.zeros((m_, n_))
        uv = np.full((m_, n_), np.nan)
        ii = np.array([members.index(str(c)) for c in grp["importer"]], dtype=np.int64)
        ss = np.array([si[str(c)] for c in grp["exporter"]], dtype=np.int64)
        value[ii, ss] = grp["value_usd"].to_numpy(dtype=np.float64)
        uv[ii, ss] = grp["unit_value"].to_numpy(dtype=np.float64, na_value=np.nan)
        totals = value.sum(axis=1)
        current = value / totals[:, None]
        wuv = wuv_by.get(code, pd.Series(dtype=float)).reindex(suppliers).to_numpy(dtype=np.float64,
                                                                                  na_value=np.nan)
        uv = np.where(np.isnan(uv), wuv[None, :], uv)
        mix_uv = np.array([mix_by.get((m, code), np.nan) for m in members])
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = uv / mix_uv[:, None]
        if np.isnan(ratio).any():
            no_qty += int(np.isnan(ratio).sum())
        ratio = np.where(np.isfinite(ratio), ratio, 1.0)
        risk = np.array([data.risk.get(s, MISSING_WGI_RISK) for s in suppliers])
        missing_risk |= {s for s in suppliers if s not in data.risk}
        partners = np.zeros((m_, n_), dtype=bool)
        for i, imp in enumerate(members):
            for s, sup in enumerate(suppliers):
                partners[i, s] = sup != imp and (sup in data.partners or sup in members)
        rival_idx = si.get(data.rival)
        availability = None
        if objective == "shortfall":
            availability = restriction_draws(n_, rival_idx, draws=draws, seed=seed, risk=risk,
                                             other_disruption=other_disruption)
        problems.append(PortfolioProblem(
            hs6=code, importers=tuple(members), suppliers=tuple(suppliers), current=current,
            imports_usd=totals,
            spare_usd=np.maximum(sp.reindex(suppliers).fillna(0.0).to_numpy(dtype=np.float64), 0.0),
            cost_ratio=ratio, risk_weight=risk, objective=objective, rival=rival_idx,
            rival_cap=rival_caps(current, rival_idx, max_rival_share, cap_rival_at_current),
            partners=partners,
            min_partner_share=min_partner_share if partners.any() else None,
            max_change=max_change, lam=lam, availability=availability, reallocation=reallocation,
        ))
        if min_partner_share is not None and not partners.any():
            skipped.append({"importer": "+".join(members), "hs6": code, "status": "note",
                            "note": "no partner exports this product: partner minimum not applied"})
    if no_qty:
        data.notes.append(f"{no_qty} importer-supplier pairs without quantities: their unit value is "
                          "taken as the importer's mix (cost ratio 1)")
    if missing_risk and (objective == "governance" or (objective == "shortfall" and other_disruption > 0)):
        data.notes.append(f"{len(missing_risk)} suppliers without WGI data get risk {MISSING_WGI_RISK:g} "
                          f"of 10: {', '.join(sorted(missing_risk)[:8])}"
                          + (" ..." if len(missing_risk) > 8 else ""))
    return problems, skipped


def rival_caps(current: np.ndarray, rival: int | None, max_rival_share: float | None,
               cap_rival_at_current: bool) -> float | np.ndarray | None:
    """The rival cap of one product: a number, one value per importer, or ``None``.

    ``cap_rival_at_current``: each importer's current rival share
    ``current[i, rival]`` (the rival's share may fall or stay, never rise);
    with a numeric ``max_rival_share`` too, ``min(current[i, rival],
    max_rival_share)``. ``None`` when the rival does not supply the product
    nor could (no column) or when neither cap is asked for.

    Examples
    --------
    >>> rival_caps(np.array([[0.4, 0.6], [0.1, 0.9]]), 0, 0.3, True)
    array([0.3, 0.1])
    """
    if rival is None:
        return None
    if not cap_rival_at_current:
        return max_rival_share
    cap = np.asarray(current, dtype=np.float64)[:, rival].copy()
    if max_rival_share is not None:
        cap = np.minimum(cap, max_rival_share)
    return cap


def _split_by_product(series: pd.Series) -> dict[str, pd.Series]:
    """``{hs6: values indexed by exporter}`` from a series indexed by (hs6, exporter), in one pass."""
    series = series.sort_index()
    codes = series.index.get_level_values(0).to_numpy()
    exporters = series.index.get_level_values(1).to_numpy()
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    out: dict[str, pd.Series] = {}
    if not len(codes):
        return out
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    for a, b in zip(starts, ends, strict=True):
        out[str(codes[a])] = pd.Series(values[a:b], index=exporters[a:b])
    return out


def _mix_unit_values(imports: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Unit value (USD/t) of each importer's current mix per product, over the flows with quantities.

    ``Σ value / Σ tonnes`` where tonnes = value / unit value of each flow with a quantity.
    """
    q = imports[imports["unit_value"].notna() & (imports["unit_value"] > 0)]
    tonnes = q["value_usd"] / q["unit_value"]
    agg = pd.DataFrame({"importer": q["importer"], "hs6": q["hs6"], "v": q["value_usd"], "t": tonnes})
    agg = agg.groupby(["importer", "hs6"])[["v", "t"]].sum()
    agg = agg[agg["t"] > 0]
    return {(str(i), str(k)): float(v / t)
            for (i, k), v, t in zip(agg.index, agg["v"], agg["t"], strict=True)}


def diversify(
    wh: Warehouse,
    importer: str | Sequence[str],
    rival: str,
    *,
    partner: str | Sequence[str] | None = None,
    products: str | Sequence[str] | None = None,
    objective: Objective = "hhi",
    max_rival_share: float | None = None,
    cap_rival_at_current: bool = False,
    min_partner_share: float | None = None,
    max_change: float | None = None,
    lam: float = 0.0,
    year: int | None = None,
    revision: str | None = None,
    method: Method = "auto",
    on_infeasible: OnInfeasible = "raise",
    draws: int = DEFAULT_DRAWS,
    seed: int = 20261121,
    reallocation: float = DEFAULT_THETA,
    other_disruption: float = 0.0,
) -> PortfolioResult:
    """Propose next-period supplier shares that cut risk at a known extra cost.

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows`` (and ``governance`` for the governance objective).
    importer
        ISO3 code, or a coalition (``"JPN+IND"`` or a list): members optimise
        jointly, each member's partners include the other members, and no
        supplier's spare exports are counted twice.
    rival
        ISO3 code of the rival whose share is capped.
    partner
        ISO3 code(s) of partners for the partner minimum (friend-shoring).
    products
        Workstream key, HS 2022 codes, or ``None`` for every catalogue product.
    objective
        ``hhi``, ``governance`` or ``shortfall`` (:mod:`kakehashi.optimize.problem`).
    max_rival_share
        Cap on the rival's share (e.g. 0.3).
    cap_rival_at_current
        Cap the rival's share of each product at its current share (with
        ``max_rival_share`` too, at the smaller of the two): the proposal never
        raises the rival's share.
    min_partner_share
        Least combined share of the partners.
    max_change
        Largest change of any share in one period.
    lam
        λ ≥ 0, the weight of the extra cost as a fraction of the import bill.
    year, revision
        Trade year (default the latest) and HS revision (default chosen from the data).
    method
        ``auto``, ``highs`` or ``waterfill`` (:mod:`kakehashi.optimize.solve`).
    on_infeasible
        ``raise`` (default): an :class:`~kakehashi.optimize.solve.InfeasibleError`
        naming the binding constraints; ``skip``: report those products with
        ``status == "infeasible"`` and the reason.
    draws, seed, reallocation, other_disruption
        Disruption draws of the ``shortfall`` objective (:mod:`kakehashi.optimize.draws`);
        ``reallocation`` is θ of the restriction kernel.

    Returns
    -------
    PortfolioResult
        Its ``products`` table flags the products where the partner's share
        falls (``partner_share_falls``) and where the rival's rises
        (``rival_share_rises``), and ``notes`` counts them.
    """
    if on_infeasible not in ("raise", "skip"):
        raise InputError(f"on_infeasible must be 'raise' or 'skip', got {on_infeasible!r}")
    data = load_portfolio_data(wh, importer, rival, partner=partner, products=products, year=year,
                               revision=revision)
    problems, skipped = build_problems(
        data, objective=objective, max_rival_share=max_rival_share,
        cap_rival_at_current=cap_rival_at_current, min_partner_share=min_partner_share,
        max_change=max_change, lam=lam, draws=draws, seed=seed, reallocation=reallocation,
        other_disruption=other_disruption)
    results = solve_many(problems, method)
    failures = [r for r in results if isinstance(r, Infeasible)]
    if failures and on_infeasible == "raise":
        raise InfeasibleError(failures, total=len(problems))
    solutions = [r for r in results if isinstance(r, PortfolioSolution)]
    table = _table(solutions)
    prod = _products(solutions, failures, skipped, data)
    prod = annotate_products(prod, wh, data.revision).drop(columns=["workstream"])
    prod = prod[list(PRODUCT_COLUMNS)]
    notes = list(data.notes)
    from kakehashi.present import fmt_share
    from kakehashi.present.labels import column_label, country_label

    rival = country_label(data.rival)
    if cap_rival_at_current:
        notes.append(f"{rival}'s share capped at its current level in each product"
                     + (f" or at {fmt_share(max_rival_share)}, whichever is lower"
                        if max_rival_share is not None else "")
                     + ", so it never rises")
    ok = prod[prod["status"] == "optimal"]
    falls = int(ok["partner_share_falls"].sum())
    if falls:
        notes.append(f"the partners' share falls for {falls} of {len(ok)} products "
                     f"(column '{column_label('partner_share_falls')}')")
    rises = int(ok["rival_share_rises"].sum())
    if rises:
        notes.append(f"{rival}'s share rises for {rises} of {len(ok)} products "
                     f"(column '{column_label('rival_share_rises')}'); cap it at today's share "
                     "(cap_rival_at_current)")
    if failures:
        notes.append(f"{len(failures)} of {len(problems)} products cannot meet the constraints "
                     "(status 'infeasible', reason in 'note')")
    return PortfolioResult(table=table, products=prod, solutions=solutions, year=data.year,
                           revision=data.revision, objective=objective, notes=notes)


def _table(solutions: Sequence[PortfolioSolution]) -> pd.DataFrame:
    cols: dict[str, list[np.ndarray]] = {c: [] for c in TABLE_COLUMNS}
    for sol in solutions:
        p = sol.problem
        sup = np.array(p.suppliers, dtype=object)
        for i, imp in enumerate(p.importers):
            idx = np.flatnonzero((p.current[i] >= MIN_ROW_SHARE) | (sol.shares[i] >= MIN_ROW_SHARE))
            k = len(idx)
            cols["importer"].append(np.full(k, imp, dtype=object))
            cols["hs6"].append(np.full(k, p.hs6, dtype=object))
            cols["supplier"].append(sup[idx])
            cols["current_share"].append(p.current[i, idx])
            cols["proposed_share"].append(sol.shares[i, idx])
            cols["capacity_share"].append(sol.bounds.capacity[i, idx])
            cols["risk_before"].append(np.full(k, sol.risk_before[i]))
            cols["risk_after"].append(np.full(k, sol.risk_after[i]))
            cols["extra_cost_usd"].append(np.full(k, sol.extra_cost_usd[i]))
    if not solutions:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("importer", "hs6", "supplier")
                                          else "object") for c in TABLE_COLUMNS})
    out = pd.DataFrame({c: np.concatenate(v) for c, v in cols.items()})
    out = out.sort_values(["importer", "hs6", "proposed_share", "supplier"],
                          ascending=[True, True, False, True], kind="stable")
    return out[list(TABLE_COLUMNS)].reset_index(drop=True)


def _products(solutions: Sequence[PortfolioSolution], failures: Sequence[Infeasible],
              skipped: list[dict[str, object]], data: PortfolioData) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for sol in solutions:
        p = sol.problem
        for i, imp in enumerate(p.importers):
            r = p.rival
            part = p.partners[i]
            rows.append({
                "importer": imp, "hs6": p.hs6, "imports_usd": float(p.imports_usd[i]),
                "n_suppliers": int((sol.shares[i] > MIN_ROW_SHARE).sum()),
                "rival_share_before": float(p.current[i, r]) if r is not None else 0.0,
                "rival_share_after": float(sol.shares[i, r]) if r is not None else 0.0,
                "partner_share_before": float(p.current[i, part].sum()),
                "partner_share_after": float(sol.shares[i, part].sum()),
                "partner_share_falls": bool(sol.shares[i, part].sum() < p.current[i, part].sum() - SHARE_TOL),
                "rival_share_rises": bool(r is not None and sol.shares[i, r] > p.current[i, r] + SHARE_TOL),
                "risk_before": float(sol.risk_before[i]), "risk_after": float(sol.risk_after[i]),
                "extra_cost_usd": float(sol.extra_cost_usd[i]),
                "extra_cost_share": float(sol.extra_cost_usd[i] / p.imports_usd[i]),
                "status": "optimal", "note": "",
            })
    for f in failures:
        p = f.problem
        for i, imp in enumerate(p.importers):
            r = p.rival
            rows.append({"importer": imp, "hs6": p.hs6, "imports_usd": float(p.imports_usd[i]),
                         "rival_share_before": float(p.current[i, r]) if r is not None else 0.0,
                         "partner_share_before": float(p.current[i, p.partners[i]].sum()),
                         "partner_share_falls": False, "rival_share_rises": False,
                         "status": "infeasible", "note": f.message()})
    rows.extend({"partner_share_falls": False, "rival_share_rises": False, **s}
                for s in skipped if s["status"] != "note")
    df = pd.DataFrame(rows, columns=[c for c in PRODUCT_COLUMNS if c != "product_name"])
    order = {"optimal": 0, "infeasible": 1, "no imports": 2}
    df["_o"] = df["status"].map(order)
    df = df.sort_values(["_o", "importer", "hs6"], kind="stable").drop(columns="_o")
    return df.reset_index(drop=True)


def frontier(
    wh: Warehouse,
    importer: str | Sequence[str],
    rival: str,
    *,
    lams: Sequence[float] = DEFAULT_LAMS,
    partner: str | Sequence[str] | None = None,
    products: str | Sequence[str] | None = None,
    objective: Objective = "hhi",
    max_rival_share: float | None = None,
    cap_rival_at_current: bool = False,
    min_partner_share: float | None = None,
    max_change: float | None = None,
    year: int | None = None,
    revision: str | None = None,
    method: Method = "auto",
    draws: int = DEFAULT_DRAWS,
    seed: int = 20261121,
    reallocation: float = DEFAULT_THETA,
    other_disruption: float = 0.0,
) -> pd.DataFrame:
    """Risk–cost frontier: the optimum for each λ, per product and for the whole set.

    Infeasible products (their feasibility does not depend on λ) are left out
    of every point, with their reasons in ``.attrs["infeasible"]`` (``{hs6:
    reason}``); the ``ALL`` rows sum the feasible products.

    Returns
    -------
    pandas.DataFrame
        :data:`FRONTIER_COLUMNS`: ``risk`` is the product's risk, or the
        import-weighted mean over the set in the ``hs6 == "ALL"`` rows;
        ``extra_cost_usd`` is summed there. ``rival_share`` and
        ``partner_share`` are the proposed shares (``_before``: today's),
        import-weighted in the ``ALL`` rows; with ``cap_rival_at_current``
        ``rival_share ≤ rival_share_before`` at every λ.
    """
    lam_list = [float(x) for x in lams]
    if not lam_list:
        raise InputError("frontier needs at least one λ", hint="e.g. lams=(0, 0.1, 1)")
    for x in lam_list:
        if x < 0 or not np.isfinite(x):
            raise InputError(f"the weight on cost (lam) must be zero or positive, got {x}", value=x)
    data = load_portfolio_data(wh, importer, rival, partner=partner, products=products, year=year,
                               revision=revision)
    problems, _ = build_problems(
        data, objective=objective, max_rival_share=max_rival_share,
        cap_rival_at_current=cap_rival_at_current, min_partner_share=min_partner_share,
        max_change=max_change, lam=0.0, draws=draws, seed=seed, reallocation=reallocation,
        other_disruption=other_disruption)
    batch = [dataclasses.replace(p, lam=x) for x in lam_list for p in problems]
    results = solve_many(batch, method)
    rows: list[dict[str, object]] = []
    left_out = {res.problem.hs6: res.message() for res in results if isinstance(res, Infeasible)}
    for k, res in enumerate(results):
        if isinstance(res, Infeasible):
            continue
        x = lam_list[k // max(len(problems), 1)]
        p = res.problem
        r = p.rival
        for i, imp in enumerate(p.importers):
            part = p.partners[i]
            rows.append({"lam": x, "importer": imp, "hs6": p.hs6, "imports_usd": float(p.imports_usd[i]),
                         "risk": float(res.risk_after[i]), "extra_cost_usd": float(res.extra_cost_usd[i]),
                         "rival_share_before": float(p.current[i, r]) if r is not None else 0.0,
                         "rival_share": float(res.shares[i, r]) if r is not None else 0.0,
                         "partner_share_before": float(p.current[i, part].sum()),
                         "partner_share": float(res.shares[i, part].sum())})
    df = pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))
    df.attrs["infeasible"] = left_out
    if df.empty:
        return df
    weighted = ["risk", "rival_share_before", "rival_share", "partner_share_before", "partner_share"]
    tmp = df.copy()
    for c in weighted:
        tmp[c] = tmp[c] * tmp["imports_usd"]
    agg = tmp.groupby(["lam", "importer"], as_index=False)[["imports_usd", "extra_cost_usd", *weighted]].sum()
    for c in weighted:
        agg[c] = agg[c] / agg["imports_usd"]
    agg["hs6"] = WHOLE_SET
    out = pd.concat([df, agg[list(FRONTIER_COLUMNS)]], ignore_index=True)
    out = out.sort_values(["importer", "hs6", "lam"], kind="stable").reset_index(drop=True)[
        list(FRONTIER_COLUMNS)]
    out.attrs["infeasible"] = left_out
    return out
