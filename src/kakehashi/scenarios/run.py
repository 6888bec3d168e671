"""Run a scenario: warehouse → arrays → kernels under Monte-Carlo → tidy table.

:func:`run_scenario` pulls the base-year ``trade_flows`` through Ibis, filtered
to the affected products and countries inside the engine and aggregated there,
so only small frames reach Python. It then builds NumPy arrays, draws the
uncertain parameters once (shape ``(draws,)``) and runs the kernels of
:mod:`~kakehashi.scenarios.restriction` and :mod:`~kakehashi.scenarios.tariff`
vectorised over all draws.

Output: a tidy table with exactly the columns
``scenario, importer, exporter, hs6, tier, metric, p5, p50, p95`` plus
``importer_name, exporter_name, product_name``; see :data:`METRICS` for the
metrics and their units. ``importer = "WLD"`` marks world-market rows,
``exporter = "WLD"`` rows summed over all suppliers, ``hs6 = "ALL"`` rows
summed over products. For restrictions ``exporter`` is the restricting
exporter (several are joined with ``+``). USD values of restrictions cover the
restriction period (base-year flows × months / 12); restrictions of different
dates or durations on the same lane combine month by month, the severities in
force each month as independent cuts
(:func:`kakehashi.scenarios.restriction.time_combined_severity`). Tariff
values are per year.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from kakehashi.errors import InputError, KakehashiError, unknown_value_error
from kakehashi.scenarios import measures as ms
from kakehashi.scenarios import montecarlo as mc
from kakehashi.scenarios import restriction as rs
from kakehashi.scenarios import tariff as tf
from kakehashi.scenarios.spec import ProductSpec, ScenarioSpec, Tariff
from kakehashi.warehouse import Warehouse

KEY_COLUMNS = ["scenario", "importer", "exporter", "hs6", "tier", "metric", "p5", "p50", "p95"]
"""The tidy table's columns, in order; names follow."""

NAME_COLUMNS = ["importer_name", "exporter_name", "product_name"]

WORLD = "WLD"
ALL_PRODUCTS = "ALL"

METRICS: dict[str, tuple[str, str]] = {
    "direct_loss_usd": ("USD", "Σ over the months of the restriction period of the combined severity "
                        "in force that month × a month's imports from the restricting exporter"),
    "reallocated_usd": ("USD", "other suppliers' spare exports redirected to the importer"),
    "net_shortfall_usd": ("USD", "direct loss minus reallocation"),
    "net_shortfall_share": ("share", "net shortfall / the importer's imports of the product"),
    "price_pressure": ("share", "indicative world price rise (1 − z)^(−1/ε) − 1"),
    "supply_cut_share": ("share", "downstream supply cut at this tier, min(1, Σ a·s)"),
    "output_at_risk_usd": ("USD", "supply cut × the country's exports of the downstream product"),
    "tariff_before": ("rate", "ad-valorem duty before the measure (base + stacked duties in force)"),
    "tariff_after": ("rate", "ad-valorem duty after the measure"),
    "trade_creation_usd": ("USD/yr", "SMART trade creation (negative: imports destroyed)"),
    "trade_diversion_usd": ("USD/yr", "SMART trade diversion among suppliers"),
    "trade_total_usd": ("USD/yr", "creation + diversion + price effect"),
    "world_price_change": ("share", "change of the exporter's world price (finite supply elasticity)"),
    "tariff_revenue_change_usd": ("USD/yr", "importer's tariff revenue, after minus before"),
    "consumer_surplus_change_usd": ("USD/yr", "importer's consumer-surplus change"),
    "welfare_change_usd": ("USD/yr", "change in consumer surplus plus tariff revenue, ΔCS + ΔTR (SMART's "
                           "'welfare'; it includes the duty lost on imports that stop)"),
    "wits_welfare_triangle_usd": ("USD/yr", "WITS welfare triangle ½·|Δt|·ΔM with ΔM the trade creation "
                                  "(negative: a loss)"),
}
"""Every metric of the tidy table: unit and meaning."""

MAX_CELLS = 4_000_000
"""Largest draws × products × suppliers block a tariff kernel call works on (memory bound)."""


@dataclass
class ScenarioResult:
    """What :func:`run_scenario` returns."""

    spec: ScenarioSpec
    table: pd.DataFrame
    """Tidy results (see the module docstring)."""
    summary: pd.DataFrame
    """Largest net shortfalls (restrictions) and largest import reductions (tariffs)."""
    draws: int
    """Draws evaluated (1 when nothing is uncertain)."""
    notes: list[str] = field(default_factory=list)
    """Assumptions and data remarks worth printing with the results."""
    left_out: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """HS codes of each measure (by id) left out because the base year has no trade in them."""


# ----------------------------------------------------------------------------- helpers

def _field_error(fieldname: str, exc: KakehashiError) -> InputError:
    hint = exc.hint
    msg = exc.message
    return InputError(f"{fieldname}: {msg}", value=getattr(exc, "value", None), hint=hint)


class _Lookup:
    """Checks of countries and HS codes named by a scenario, querying the warehouse lazily."""

    def __init__(self, wh: Warehouse, base: Any, revision: str, year: int | None = None) -> None:
        self.wh, self.base, self.revision, self.year = wh, base, revision, year
        self._seen: set[str] | None = None
        self.present_codes: set[str] = set()
        self.absent_codes: set[str] = set()  # asked for and not traded in the base year
        self.present_countries: set[str] = set()

    def saw(self, frame: pd.DataFrame) -> None:
        """Record the codes and countries of a frame pulled from the base year (known to exist)."""
        if "hs6" in frame:
            self.present_codes |= set(frame["hs6"])
        for col in ("exporter", "importer"):
            if col in frame:
                self.present_countries |= set(frame[col])

    def country(self, code: str, fieldname: str) -> None:
        """Unknown ISO3 code → InputError naming the field, with close matches."""
        if code in self.present_countries:
            return
        try:
            from kakehashi.sources.countries import validate_iso3
        except ImportError:  # the country table is not installed: check against the data
            if self._seen is None:
                b = self.base
                df = self.wh.execute(b.select(c=b.exporter).union(b.select(c=b.importer)).distinct())
                self._seen = set(df["c"])
            if code not in self._seen:
                err = unknown_value_error("country", code, sorted(self._seen))
                raise _field_error(fieldname, err) from None
            return
        try:
            validate_iso3(code)
        except KakehashiError as exc:
            raise _field_error(fieldname, exc) from None

    def untraded(self, codes: Sequence[str]) -> list[str]:
        """The codes of ``codes`` with no trade flow at all in the base year, in their order."""
        b = self.base
        missing = [c for c in codes if c not in self.present_codes]
        ask = [c for c in missing if c not in self.absent_codes]
        if ask:
            found = set(self.wh.execute(b.filter(b.hs6.isin(ask)).select("hs6").distinct())["hs6"])
            self.present_codes |= found
            self.absent_codes |= set(ask) - found
            missing = [c for c in missing if c not in found]
        return list(dict.fromkeys(missing))

    def hs_codes(self, codes: Sequence[str], fieldname: str, *, catalogued: bool = False) -> list[str]:
        """Check a measure's explicit HS codes; return those to leave out (not traded in the base year).

        * A code neither traded in the base year nor in the nomenclature → InputError with close
          matches, for a measure written by the user (most likely a typo). For a catalogued measure
          (``catalogued``) such a code is left out like an untraded one: the warehouse's
          nomenclature may be narrower than the catalogue's (e.g. the sample's).
        * Known codes without trade in the base year are left out (returned).
        * No code traded at all → one InputError: the measure would have nothing to act on.

        Known codes: the warehouse's HS nomenclature (``products``) when loaded, else the codes
        traded in the base year plus those of the catalogues (HS 2022 only).
        """
        missing = self.untraded(codes)
        if not missing:
            return []
        if not catalogued:
            b = self.base
            universe = self._nomenclature()
            for code in missing:
                if code not in universe:
                    universe |= set(self.wh.execute(b.select("hs6").distinct())["hs6"])
                    raise _field_error(fieldname, unknown_value_error("HS code", code, sorted(universe)))
        if len(missing) == len(set(codes)):
            year = f" in {self.year}" if self.year is not None else ""
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            raise InputError(f"{fieldname}: none of the measure's HS codes is traded{year} in the warehouse "
                             f"({shown})", value=", ".join(missing),
                             hint="choose another base year, or a measure or products present in the data")
        return missing

    def _nomenclature(self) -> set[str]:
        if "products" in self.wh.tables():
            p = self.wh.table("products")
            return set(self.wh.execute(p.filter(p.hs_revision == self.revision).select("hs6"))["hs6"])
        out: set[str] = set()
        if self.revision == "HS22":
            for m in ms.load_measures():
                if m.products != "all":
                    out |= {c for c in m.products if len(c) == 6}
            try:
                out |= set(_catalogue().strategic_goods()["hs6"])
            except AttributeError:  # catalogue data not installed
                pass
        return out


def _country_names(codes: Sequence[str]) -> dict[str, str]:
    try:
        from kakehashi.sources.countries import country_name
    except ImportError:
        return {c: c for c in codes}
    out = {}
    for c in codes:
        try:
            out[c] = country_name(c)
        except KakehashiError:
            out[c] = "World" if c == WORLD else c
    return out


def _product_names(wh: Warehouse, revision: str, codes: Sequence[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    try:
        names.update(_catalogue().product_names())
    except AttributeError:  # a catalogue without product names
        pass
    if "products" in wh.tables():
        p = wh.table("products")
        sel = p.filter((p.hs_revision == revision) & p.hs6.isin(list(codes)))
        df = wh.execute(sel.select("hs6", "description"))
        names.update(dict(zip(df["hs6"], df["description"], strict=True)))
    names[ALL_PRODUCTS] = "all products"
    return names


def _idx(values: pd.Series, index: dict[str, int]) -> np.ndarray:
    """Positions of ``values`` in ``index`` as an integer array (empty-safe)."""
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))


def _catalogue() -> Any:
    """The strategic-goods catalogue module (workstreams, commodities, chain links)."""
    return importlib.import_module("kakehashi.catalogue")


def _prefix_predicate(col: Any, prefixes: Sequence[str]) -> Any:
    preds = [col.startswith(p) for p in prefixes]
    return ibis.or_(*preds) if preds else ibis.literal(False)


Deferred = list[tuple[Sequence[str], str]]


def _leave_out(lookup: _Lookup, deferred: Deferred, measure: Any, notes: list[str],
               left_out: dict[str, tuple[str, ...]]) -> set[str]:
    """Check the deferred codes of one measure; note and return those left out."""
    out: set[str] = set()
    for values, fieldname in deferred:
        gone = lookup.hs_codes(values, fieldname, catalogued=measure.source_measure is not None)
        if gone:
            year = f" in {lookup.year}" if lookup.year is not None else ""
            notes.append(f"measure {measure.id}: {len(gone)} of {len(set(values))} HS codes left out, "
                         f"no trade{year} in the data: {' '.join(gone)}; the results cover the other codes")
            key = str(measure.id)
            left_out[key] = (*left_out.get(key, ()), *gone)
            out |= set(gone)
    return out


def _resolve_products(ps: ProductSpec, fieldname: str, wh: Warehouse, revision: str,
                      lookup: _Lookup, deferred: Deferred | None = None
                      ) -> list[str] | None:
    """HS6 codes of a product selection (None: every code, filtered in the query).

    Explicit codes are checked with ``lookup`` now, or appended to ``deferred`` to be checked
    after the main query (which tells which codes are traded without another scan).
    """
    if ps.kind in ("all", "hs_prefix"):
        return None
    try:
        if ps.kind == "hs6":
            if deferred is None:
                lookup.hs_codes(ps.values, fieldname)
            else:
                deferred.append((ps.values, fieldname))
            codes = list(ps.values)
        elif ps.kind == "workstream":
            from kakehashi.metrics.concordance import select_products

            codes = select_products(ps.values[0], revision=revision, wh=wh)
        else:
            catalogue = _catalogue()
            table = catalogue.usgs_hs()
            keys = sorted(set(table["commodity"]))
            if ps.values[0] not in keys:
                raise unknown_value_error("mineral commodity", ps.values[0], keys)
            codes = sorted(set(table.loc[table["commodity"] == ps.values[0], "hs6"]))
            if revision != catalogue.CATALOGUE_REVISION:
                from kakehashi.metrics.concordance import convert_codes

                codes = convert_codes(codes, catalogue.CATALOGUE_REVISION, revision, wh)
    except KakehashiError as exc:
        raise _field_error(fieldname, exc) from None
    return sorted(c for c in set(codes) if not ps.excluded(c))


def _rows(values: np.ndarray, keys: dict[str, Any]) -> pd.DataFrame:
    """Percentile rows: ``values`` has shape (draws, n); ``keys`` columns of length n (or scalars)."""
    p5, p50, p95 = mc.percentiles(values, axis=0)
    df = pd.DataFrame({k: keys[k] for k in ("importer", "exporter", "hs6", "tier", "metric")})
    df["p5"], df["p50"], df["p95"] = p5, p50, p95
    return df


# ------------------------------------------------------------------------ restrictions

def _start_months(measures: Sequence[Any]) -> dict[str | None, int]:
    """First month of each restriction, counted ``12·year + month``; undated ones start with the earliest."""
    dated = [12 * m.start.year + m.start.month - 1 for m in measures if m.start is not None]
    origin = min(dated) if dated else 0
    return {m.id: (12 * m.start.year + m.start.month - 1) if m.start is not None else origin
            for m in measures}


def _restriction_block(spec: ScenarioSpec, wh: Warehouse, base: Any, params: dict[str, np.ndarray],
                       links: pd.DataFrame | None, lookup: _Lookup, notes: list[str],
                       left_out: dict[str, tuple[str, ...]]) -> list[pd.DataFrame]:
    measures = spec.restrictions()
    if not measures:
        return []
    rev = spec.hs_revision
    index = {m.id: i for i, m in enumerate(spec.measures)}
    codes: dict[str | None, list[str]] = {}
    deferred: dict[str | None, Deferred] = {}
    for m in measures:
        i = index[m.id]
        deferred[m.id] = []
        found = _resolve_products(m.products, f"measures[{i}].products", wh, rev, lookup, deferred[m.id])
        if found is None:
            raise InputError(f"measures[{i}].products: an export restriction needs HS6 codes, a workstream "
                             "or a commodity, not 'all'", hint="list the restricted products")
        codes[m.id] = found
    restricted = sorted(set().union(*codes.values()))
    # downstream products reachable along the chain links within `tiers` steps
    tiers = spec.parameters.tiers
    lk = (links if links is not None else pd.DataFrame(columns=["input_hs6", "output_hs6", "input_share"]))
    lk = lk[["input_hs6", "output_hs6", "input_share"]].copy()
    universe = list(restricted)
    frontier = set(restricted)
    for _ in range(tiers):
        nxt = set(lk.loc[lk["input_hs6"].isin(frontier), "output_hs6"]) - set(universe)
        universe.extend(sorted(nxt))
        frontier = nxt
    downstream = universe[len(restricted):]
    exporters = sorted({m.exporter for m in measures})
    flows = base.filter(base.hs6.isin(universe))  # one scan, filtered and aggregated in the engine
    pairs = wh.execute(flows.group_by(["hs6", "exporter", "importer"]).aggregate(value=flows.value_usd.sum()))
    lookup.saw(pairs)
    for m in measures:  # codes without trade carry no flow: leaving them out changes no number
        gone = _leave_out(lookup, deferred[m.id], m, notes, left_out)
        codes[m.id] = [c for c in codes[m.id] if c not in gone]
    for m in measures:
        i = index[m.id]
        lookup.country(m.exporter, f"measures[{i}].exporter")
        if m.targets.mode != "all":
            for c in m.targets.countries:
                lookup.country(c, f"measures[{i}].targets")
    imports = pairs.groupby(["hs6", "importer"])["value"].sum().reset_index()
    from_r = pairs[pairs["exporter"].isin(exporters) & pairs["hs6"].isin(restricted)]
    exports = pd.DataFrame(columns=["hs6", "exporter", "value"])
    if tiers and downstream:  # every chain product's exports: the base of output at risk
        exports = pairs.groupby(["hs6", "exporter"])["value"].sum().reset_index()
    countries = sorted(set(imports["importer"]) | set(from_r["importer"]) | set(exports["exporter"])
                       | set(exporters))
    ci = {c: k for k, c in enumerate(countries)}
    ui = {h: k for k, h in enumerate(universe)}
    n_p, n_u, n_c = len(restricted), len(universe), len(countries)
    big_m = np.zeros((n_u, n_c))
    big_m[_idx(imports["hs6"], ui), _idx(imports["importer"], ci)] = imports["value"]
    x = np.zeros((len(exporters), n_p, n_c))
    ri = {r: k for k, r in enumerate(exporters)}
    x[_idx(from_r["exporter"], ri), _idx(from_r["hs6"], ui),
      _idx(from_r["importer"], ci)] = from_r["value"]
    n = len(next(iter(params.values())))
    # coverage and period of every measure
    loss = np.zeros((n, n_p, n_c))
    loss_by_r: dict[str, np.ndarray] = {}
    covered_any = np.zeros((n_p, n_c), dtype=bool)
    period = np.zeros((n_p, n_c))
    starts = _start_months(measures)
    for r in exporters:
        group = [m for m in measures if m.exporter == r]
        cov = np.zeros((len(group), n_p, n_c), dtype=bool)
        for g, m in enumerate(group):
            pmask = np.isin(restricted, codes[m.id])
            target_ok = np.array([m.targets.covers(c) and c != r for c in countries])
            cov[g] = pmask[:, None] & target_ok[None, :]
        sev = np.stack([params[f"severity.{m.id}"] for m in group], axis=1)
        # month by month: the severities in force each month combine, then sum over the months
        phi, per = rs.time_combined_severity(sev, cov, np.array([starts[m.id] for m in group]),
                                             np.array([m.duration_months for m in group]))
        lr = rs.direct_loss(x[ri[r]], phi)
        loss_by_r[r] = lr
        loss += lr
        covered_any |= cov.any(axis=0) & (x[ri[r]] > 0)
        period = np.maximum(period, per)
    period_p = period.max(axis=1)
    world = big_m[:n_p].sum(axis=1)
    exports_r = x.sum(axis=2).sum(axis=0)
    from_others = big_m[:n_p] - x.sum(axis=0)
    spare = np.maximum(world - exports_r - np.where(covered_any, from_others, 0.0).sum(axis=1), 0.0)
    realloc = rs.reallocation(loss, spare * period_p, params["theta"])
    net = rs.net_shortfall(loss, realloc)
    share = rs.shortfall_share(net, big_m[:n_p] * period)
    price = rs.price_pressure(net.sum(axis=2), world * period_p, params["price_elasticity"])
    who = "+".join(exporters)
    out: list[pd.DataFrame] = []
    pp, cc = np.nonzero(covered_any)
    hs = np.array(restricted)[pp]
    imp = np.array(countries)[cc]
    base_keys = {"importer": imp, "hs6": hs, "tier": 0}
    for r in exporters:
        rp, rc = np.nonzero(covered_any & (x[ri[r]] > 0))
        out.append(_rows(loss_by_r[r][:, rp, rc], {"importer": np.array(countries)[rc], "exporter": r,
                                                   "hs6": np.array(restricted)[rp], "tier": 0,
                                                   "metric": "direct_loss_usd"}))
    for metric, arr in (("reallocated_usd", realloc), ("net_shortfall_usd", net),
                        ("net_shortfall_share", share)):
        out.append(_rows(arr[:, pp, cc], {**base_keys, "exporter": who, "metric": metric}))
    hit = np.nonzero(covered_any.any(axis=1))[0]
    out.append(_rows(price[:, hit], {"importer": WORLD, "exporter": who, "hs6": np.array(restricted)[hit],
                                     "tier": 0, "metric": "price_pressure"}))
    # chain propagation
    if tiers and downstream:
        lk = lk[lk["input_hs6"].isin(ui) & lk["output_hs6"].isin(ui)]
        shares = pd.to_numeric(lk["input_share"], errors="coerce").to_numpy(dtype=float)
        n_missing = int(np.isnan(shares).sum())
        if n_missing:
            notes.append(_input_share_note(n_missing, len(lk), spec.parameters.default_input_share,
                                           spec.uncertain.get("default_input_share")))
        known_a, missing_a = rs.link_matrices(n_u, _idx(lk["input_hs6"], ui),
                                              _idx(lk["output_hs6"], ui), shares)
        s0 = np.zeros((n, n_u, n_c))
        s0[:, :n_p, :] = share
        ex = np.zeros((n_u, n_c))
        if len(exports):
            ex[_idx(exports["hs6"], ui), _idx(exports["exporter"], ci)] = exports["value"]
        horizon = float(period.max()) if period.size else 1.0
        for k, s in enumerate(rs.propagate(s0, known_a, missing_a, params["default_input_share"], tiers),
                              start=1):
            uu, kc = np.nonzero(s.max(axis=0) > 0)
            if not len(uu):
                break
            keys = {"importer": np.array(countries)[kc], "exporter": who, "hs6": np.array(universe)[uu],
                    "tier": k}
            out.append(_rows(s[:, uu, kc], {**keys, "metric": "supply_cut_share"}))
            out.append(_rows(s[:, uu, kc] * ex[uu, kc] * horizon, {**keys, "metric": "output_at_risk_usd"}))
    return out


# ------------------------------------------------------------------------------ tariffs

def _elasticity_table(spec: ScenarioSpec, importer: str) -> dict[str, float]:
    """The user's elasticities for ``importer``: its own table over the generic one (no I/O: tables
    given by file name were read when the scenario file was loaded, see :mod:`kakehashi.scenarios.spec`)."""
    table = spec.parameters.import_demand_elasticities or {}
    generic = {k: v for k, v in table.items() if isinstance(v, float)}
    own = table.get(importer)
    return {**generic, **(own if isinstance(own, dict) else {})}


def _tariff_block(spec: ScenarioSpec, m: Tariff, pos: int, wh: Warehouse, base: Any,
                  params: dict[str, np.ndarray], lookup: _Lookup,
                  notes: list[str], max_cells: int, left_out: dict[str, tuple[str, ...]],
                  measures: ms.MeasuresFiles = None) -> list[pd.DataFrame]:
    rev = spec.hs_revision
    deferred: Deferred = []
    codes = _resolve_products(m.products, f"measures[{pos}].products", wh, rev, lookup, deferred)
    flows = base.filter(base.importer == m.importer)
    if codes is not None:
        flows = flows.filter(flows.hs6.isin(codes))
    elif m.products.kind == "hs_prefix":
        flows = flows.filter(_prefix_predicate(flows.hs6, m.products.values))
    if m.products.exclude:
        flows = flows.filter(~_prefix_predicate(flows.hs6, m.products.exclude))
    if m.exporters != "all":  # only products the taxed exporters ship matter
        taxed = flows.filter(flows.exporter.isin(list(m.exporters))).select("hs6").distinct()
        flows = flows.filter(flows.hs6.isin(taxed.hs6))
    df = wh.execute(flows.group_by(["hs6", "exporter"]).aggregate(value=flows.value_usd.sum()))
    lookup.saw(df)
    if len(df):
        lookup.present_countries.add(m.importer)
    _leave_out(lookup, deferred, m, notes, left_out)
    lookup.country(m.importer, f"measures[{pos}].importer")
    if m.exporters != "all":
        for c in m.exporters:
            lookup.country(c, f"measures[{pos}].exporters")
    if df.empty:
        notes.append(f"measure {m.id}: {m.importer} imported none of the selected products from the taxed "
                     f"exporters in {spec.base_year}")
        return []
    products = sorted(set(df["hs6"]))
    suppliers = sorted(set(df["exporter"]))
    pi = {h: k for k, h in enumerate(products)}
    si = {c: k for k, c in enumerate(suppliers)}
    mm = np.zeros((len(products), len(suppliers)))
    mm[_idx(df["hs6"], pi), _idx(df["exporter"], si)] = df["value"]
    # duties before: base rate + catalogued duties in force on the start date (stacking)
    t0 = np.full(mm.shape, m.base_rate)
    if m.stacks:
        assert m.start is not None
        own = (m.source_measure,) if m.source_measure else ()
        used = []
        for cm, st in ms.tariffs_in_force(m.start, m.importer, exclude_ids=own, extra=measures):
            pmask = np.array([cm.covers_product(h) for h in products])
            add = np.zeros(len(suppliers))
            for c, k in si.items():
                if cm.covers_exporter(c):
                    rate, all_in = st.rate_for(c)
                    add[k] = max(0.0, rate - m.base_rate) if all_in else rate
            contribution = pmask[:, None] * add[None, :] * (mm > 0)
            if contribution.any():
                t0 += pmask[:, None] * add[None, :]
                used.append(f"{cm.id} ({st.rate:.0%})")
        if used:
            notes.append(f"measure {m.id}: duties in force on {m.start} stacked under it: {', '.join(used)}")
    taxed_mask = np.array([m.exporters == "all" or c in m.exporters for c in suppliers])
    add_new = max(0.0, m.rate - m.base_rate) if m.all_in else m.rate
    t1 = t0 + taxed_mask[None, :] * add_new
    # elasticities
    n = len(params["sigma"])
    table = _elasticity_table(spec, m.importer)
    has = np.array([h in table for h in products])
    tab = np.array([table.get(h, np.nan) for h in products])
    eps_all = np.where(has[None, :], tab[None, :], params["import_demand_elasticity"][:, None])
    if not has.all():
        notes.append(f"measure {m.id}: {int((~has).sum())} of {len(products)} products use the default "
                     f"import-demand elasticity {spec.parameters.import_demand_elasticity}")
    who = m.importer
    out: list[pd.DataFrame] = []
    totals: dict[str, np.ndarray] = {k: np.zeros(n) for k in (
        "trade_total_usd", "tariff_revenue_change_usd", "consumer_surplus_change_usd", "welfare_change_usd",
        "wits_welfare_triangle_usd")}
    step = max(1, max_cells // max(1, n * len(suppliers)))
    sup = np.array(suppliers)
    for start in range(0, len(products), step):  # chunks of products bound memory; draws stay vectorised
        sl = slice(start, start + step)
        res = tf.smart(mm[sl], t0[sl], t1[sl], eps_all[:, sl], params["export_supply_elasticity"],
                       params["sigma"])
        prod = np.array(products[sl])
        a_p, a_c = np.nonzero((mm[sl] > 0) & taxed_mask[None, :])
        keys_a = {"importer": who, "exporter": sup[a_c], "hs6": prod[a_p], "tier": 0}
        for metric, arr in (("tariff_before", np.broadcast_to(t0[sl], res.trade_creation.shape)),
                            ("tariff_after", np.broadcast_to(t1[sl], res.trade_creation.shape)),
                            ("trade_creation_usd", res.trade_creation),
                            ("trade_diversion_usd", res.trade_diversion),
                            ("trade_total_usd", res.trade_total),
                            ("world_price_change", res.world_price_change),
                            ("tariff_revenue_change_usd", res.tariff_revenue_change),
                            ("consumer_surplus_change_usd", res.consumer_surplus_change),
                            ("welfare_change_usd", res.welfare_change),
                            ("wits_welfare_triangle_usd", res.wits_welfare_triangle)):
            out.append(_rows(arr[:, a_p, a_c], {**keys_a, "metric": metric}))
        b_p, b_c = np.nonzero((mm[sl] > 0) & ~taxed_mask[None, :])
        if len(b_p):
            out.append(_rows(res.trade_diversion[:, b_p, b_c], {"importer": who, "exporter": sup[b_c],
                                                                "hs6": prod[b_p], "tier": 0,
                                                                "metric": "trade_diversion_usd"}))
        for metric, arr in (("trade_total_usd", res.trade_total),
                            ("tariff_revenue_change_usd", res.tariff_revenue_change),
                            ("consumer_surplus_change_usd", res.consumer_surplus_change),
                            ("welfare_change_usd", res.welfare_change),
                            ("wits_welfare_triangle_usd", res.wits_welfare_triangle)):
            per_product = arr.sum(axis=2)
            totals[metric] += per_product.sum(axis=1)
            out.append(_rows(per_product, {"importer": who, "exporter": WORLD, "hs6": prod, "tier": 0,
                                           "metric": metric}))
    for metric, tot in totals.items():
        out.append(_rows(tot[:, None], {"importer": [who], "exporter": [WORLD], "hs6": [ALL_PRODUCTS],
                                        "tier": [0], "metric": [metric]}))
    return out


# ---------------------------------------------------------------------------- the run

def _parameters(spec: ScenarioSpec) -> tuple[dict[str, np.ndarray], int]:
    p = spec.parameters
    fixed: dict[str, float] = {
        "theta": p.theta, "price_elasticity": p.price_elasticity,
        "default_input_share": p.default_input_share, "sigma": p.sigma,
        "export_supply_elasticity": p.export_supply_elasticity,
        "import_demand_elasticity": p.import_demand_elasticity,
    }
    restrictions = spec.restrictions()
    if "severity" in spec.uncertain:
        fixed["severity"] = 1.0
    for m in restrictions:
        fixed[f"severity.{m.id}"] = m.severity
    uncertain = {k: d.to_distribution() for k, d in spec.uncertain.items()}
    params, n = mc.draw_parameters(fixed, uncertain, spec.draws, spec.seed)
    if "severity" in spec.uncertain:  # one common draw for every restriction without its own
        for m in restrictions:
            if f"severity.{m.id}" not in spec.uncertain:
                params[f"severity.{m.id}"] = params["severity"]
    return params, n


def _input_share_note(missing: int, links: int, share: float, uncertain: Any = None) -> str:
    """The note on chain links without a published input share, in words (the parameter itself,
    ``parameters.default_input_share``, keeps its name in the scenario and its JSON).

    Examples
    --------
    >>> _input_share_note(3, 10, 0.25).split(": ")[1]
    "inputs assumed to be 25% of the product's value where no input-output share is known"
    """
    digits = 0 if float(100 * share).is_integer() else 1
    text = (f"{missing} of {links} chain links used have no published input share: inputs assumed to be "
            f"{100 * share:.{digits}f}% of the product's value "
            "where no input-output share is known")
    if uncertain is not None:
        text += " (uncertain: drawn in each Monte-Carlo draw)"
    return text


def _base_flows(year: int, revision: str, wh: Warehouse) -> Any:
    """The base year's trade flows in ``revision`` (one source per year, other revisions converted).

    Raises
    ------
    InputError
        No trade flows for the year and revision (naming those available).
    """
    from kakehashi.metrics.flows import analysis_flows, plan_trade

    t = wh.table("trade_flows")
    try:  # one source per year; rows of other revisions converted (kakehashi.metrics.flows)
        plan = plan_trade(wh, revision, [year])
        base = analysis_flows(wh, plan, years=[year]).drop("converted")
    except InputError:
        base = t.filter((t.year == year) & (t.hs_revision == revision))
    if wh.execute(base.select("year").limit(1)).empty:
        avail = wh.execute(t.group_by(["year", "hs_revision"]).aggregate(n=t.year.count()))
        have = ", ".join(f"{y} {r}" for y, r in sorted(zip(avail["year"], avail["hs_revision"], strict=True)))
        raise InputError(f"base_year: no trade flows for {year} in {revision} in the "
                         f"warehouse", value=year,
                         hint=f"available: {have or 'none'}; set base_year (and hs_revision) accordingly")
    return base


def preflight(specs: Sequence[ScenarioSpec], wh: Warehouse) -> list[KakehashiError | None]:
    """Whether each scenario can run, by the checks :func:`run_scenario` makes before computing.

    For each spec: trade flows exist for its base year and revision, and each
    measure naming explicit HS codes has at least one of them traded in the base
    year (:meth:`_Lookup.hs_codes`, the run's own check; a catalogued measure's
    untraded codes are otherwise left out). Specs sharing a base year share one
    lookup, so a catalogue of measures costs one query per base year and batch of codes.

    Returns
    -------
    list
        ``None`` for a spec that passes, else the error the run would raise.
    """
    lookups: dict[tuple[int, str], _Lookup | KakehashiError] = {}
    out: list[KakehashiError | None] = []
    for spec in specs:
        key = (spec.base_year, spec.hs_revision)
        if key not in lookups:
            try:
                made = _Lookup(wh, _base_flows(spec.base_year, spec.hs_revision, wh), spec.hs_revision,
                               spec.base_year)
                made.untraded([c for s in specs if (s.base_year, s.hs_revision) == key  # one query
                               for m in s.measures if m.products.kind == "hs6" for c in m.products.values])
                lookups[key] = made
            except KakehashiError as exc:
                lookups[key] = exc
        lookup = lookups[key]
        if isinstance(lookup, KakehashiError):
            out.append(lookup)
            continue
        error: KakehashiError | None = None
        for i, m in enumerate(spec.measures):
            if m.products.kind != "hs6":
                continue
            try:
                lookup.hs_codes(m.products.values, f"measures[{i}].products",
                                catalogued=m.source_measure is not None)
            except KakehashiError as exc:
                error = exc
                break
        out.append(error)
    return out


def run_scenario(spec: ScenarioSpec, wh: Warehouse, *, links: pd.DataFrame | None = None,
                 max_cells: int = MAX_CELLS, measures: ms.MeasuresFiles = None) -> ScenarioResult:
    """Run ``spec`` on the warehouse's base-year trade flows.

    Parameters
    ----------
    spec
        A validated scenario (:func:`~kakehashi.scenarios.spec.load_spec`).
    wh
        Warehouse holding ``trade_flows`` for ``spec.base_year`` in ``spec.hs_revision``.
    links
        Chain links (``input_hs6, output_hs6, input_share``); default the
        catalogue's :func:`kakehashi.catalogue.chain_links`.
    max_cells
        Memory bound of one tariff-kernel block (draws × products × suppliers).
    measures
        User measures files whose tariffs in force are stacked under a tariff,
        beside the bundled catalogue's (:func:`kakehashi.scenarios.measures.load_catalogue`).

    Returns
    -------
    ScenarioResult
        ``.table`` (tidy, see the module docstring), ``.summary``, ``.draws``, ``.notes``.

    HS codes of a measure without trade in the base year are left out, named
    in ``.notes`` and ``.left_out``; they carry no flow, so the results are
    those of the codes present.

    Raises
    ------
    InputError
        Unknown HS code in a measure written by the user, country, workstream
        or commodity (naming the field); a measure none of whose HS codes is
        traded in the base year; or no trade flows for the base year and revision.
    """
    base = _base_flows(spec.base_year, spec.hs_revision, wh)
    lookup = _Lookup(wh, base, spec.hs_revision, spec.base_year)
    if links is None and spec.restrictions() and spec.parameters.tiers > 0:
        links = _catalogue().chain_links()
    params, n = _parameters(spec)
    notes: list[str] = []
    if n == 1:
        notes.append("no uncertain parameter: one evaluation, p5 = p50 = p95")
    left_out: dict[str, tuple[str, ...]] = {}
    parts: list[pd.DataFrame] = []
    parts += _restriction_block(spec, wh, base, params, links, lookup, notes, left_out)
    for pos, m in enumerate(spec.measures):
        if isinstance(m, Tariff):
            parts += _tariff_block(spec, m, pos, wh, base, params, lookup, notes, max_cells, left_out,
                                   measures)
    parts = [p for p in parts if len(p)]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=KEY_COLUMNS[1:])
    table.insert(0, "scenario", spec.name)
    table["tier"] = table["tier"].astype("int64")
    cnames = _country_names(sorted(set(table["importer"]) | set(table["exporter"].str.split("+").explode())))
    cnames[WORLD] = "World"
    pnames = _product_names(wh, spec.hs_revision, sorted(set(table["hs6"])))
    table["importer_name"] = table["importer"].map(cnames).fillna(table["importer"])
    table["exporter_name"] = table["exporter"].map(
        lambda e: " + ".join(cnames.get(x, x) for x in str(e).split("+")))
    table["product_name"] = table["hs6"].map(pnames).fillna("")
    table = table[KEY_COLUMNS + NAME_COLUMNS]
    return ScenarioResult(spec=spec, table=table, summary=summarise(table), draws=n, notes=notes,
                          left_out=left_out)


def summarise(table: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """Largest net shortfalls (restrictions) and largest import cuts of taxed suppliers (tariffs).

    Returns the table's columns plus ``share_p50`` (net shortfall as a share
    of imports, median) for shortfall rows; sorted by the median, largest
    first.
    """
    out = []
    short = table[(table["metric"] == "net_shortfall_usd") & (table["tier"] == 0)]
    if len(short):
        shares = table[table["metric"] == "net_shortfall_share"].set_index(["importer", "hs6"])["p50"]
        s = short.nlargest(top, "p50").copy()
        s["share_p50"] = [shares.get((i, h), np.nan) for i, h in zip(s["importer"], s["hs6"], strict=True)]
        out.append(s)
    cut = table[(table["metric"] == "trade_total_usd") & (table["exporter"] != WORLD)]
    if len(cut):
        c = cut.nsmallest(top, "p50").copy()
        c["share_p50"] = np.nan
        out.append(c)
    if not out:
        return pd.DataFrame(columns=[*KEY_COLUMNS, *NAME_COLUMNS, "share_p50"])
    return pd.concat(out, ignore_index=True)


__all__ = ["KEY_COLUMNS", "METRICS", "NAME_COLUMNS", "ScenarioResult", "run_scenario", "summarise"]
