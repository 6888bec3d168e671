"""Stockpile that bridges a disruption while alternative supply ramps up.

The rival restricts its exports of one product for ``D`` months. From the
export-restriction kernel (:mod:`kakehashi.scenarios.restriction`), per year:

* direct loss ``L = φ · X_r`` (severity φ times the importer's imports from the rival);
* reallocation ``R = L · min(1, θ S / Σ_i L_i)`` of other suppliers' spare
  exports ``S`` (shared with the other importers hit, in proportion to losses);
* steady-state net shortfall ``N = L - R``.

At the start nothing has been redirected yet, so the monthly net shortfall
is ``s0 = L / 12``; alternative supply ramps up linearly over ``R`` months, so
the shortfall falls linearly to ``s∞ = N / 12`` at month ``R`` (to 0 when the
reallocation covers the whole loss) and stays there::

    s(t) = s0 - (s0 - s∞) · t / R     for 0 ≤ t ≤ R
    s(t) = s∞                         for t > R

The stock that covers the cumulative shortfall over the disruption is the
integral ``C(D) = ∫_0^D s(t) dt``:

    C(D) = s0·D - (s0 - s∞)·D² / (2R)          if D ≤ R
    C(D) = (s0 + s∞)·R / 2 + s∞·(D - R)         if D > R

(``R = 0``: ``C = s∞·D``). In months of imports it is ``C / (M / 12)`` with
``M`` the importer's yearly imports of the product; holding it for a year
costs ``rate · C`` (financing and storage at the yearly ``rate``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

from kakehashi.errors import InputError
from kakehashi.metrics.screen import request_flows, resolve_request
from kakehashi.metrics.substitution import spare_exports
from kakehashi.scenarios import restriction as rs
from kakehashi.warehouse import Warehouse

Targets = Literal["all", "importer"]

STOCKPILE_COLUMNS: tuple[str, ...] = (
    "importer", "hs6", "year", "rival", "months", "ramp_months", "severity", "theta", "targets",
    "imports_usd", "rival_usd", "spare_usd", "initial_shortfall_usd_per_month",
    "steady_shortfall_usd_per_month", "stock_usd", "stock_months_of_imports", "holding_rate",
    "holding_cost_usd_per_year",
)
"""Columns of :meth:`StockpileResult.frame`."""

STOCKPILE_UNITS: dict[str, str] = {
    "months": "months", "ramp_months": "months", "imports_usd": "USD/year", "rival_usd": "USD/year",
    "spare_usd": "USD/year", "initial_shortfall_usd_per_month": "USD/month",
    "steady_shortfall_usd_per_month": "USD/month", "stock_usd": "USD",
    "stock_months_of_imports": "months", "holding_rate": "1/year", "holding_cost_usd_per_year": "USD/year",
}
"""Units of the numeric columns."""


def cumulative_shortfall(initial: float, steady: float, months: float, ramp: float) -> float:
    """``C(D)``: the integral of the monthly shortfall over ``months`` (module docstring).

    Examples
    --------
    10 a month at first, 2 a month after a 4-month ramp, over 6 months:
    (10 + 2)·4/2 + 2·2 = 28.

    >>> cumulative_shortfall(10.0, 2.0, 6.0, 4.0)
    28.0
    """
    if months < 0 or ramp < 0:
        raise InputError("months and ramp must be zero or positive")
    if ramp == 0:
        return steady * months
    if months <= ramp:
        return initial * months - (initial - steady) * months**2 / (2 * ramp)
    return (initial + steady) * ramp / 2 + steady * (months - ramp)


def monthly_shortfall(initial: float, steady: float, ramp: float, t: np.ndarray) -> np.ndarray:
    """``s(t)``: the monthly shortfall at time ``t`` (months) after the start."""
    t = np.asarray(t, dtype=np.float64)
    if ramp == 0:
        return np.full_like(t, steady)
    out: np.ndarray = np.where(t <= ramp, initial - (initial - steady) * t / ramp, steady)
    return out


@dataclass(frozen=True)
class StockpileResult:
    """The stock that bridges a disruption of one product for one importer (USD unless stated)."""

    importer: str
    hs6: str
    year: int
    rival: str
    months: float
    ramp_months: float
    severity: float
    theta: float
    targets: str
    imports_usd: float
    rival_usd: float
    spare_usd: float
    initial_shortfall_usd_per_month: float
    steady_shortfall_usd_per_month: float
    stock_usd: float
    stock_months_of_imports: float
    holding_rate: float
    holding_cost_usd_per_year: float

    def frame(self) -> pd.DataFrame:
        """One-row table with :data:`STOCKPILE_COLUMNS`."""
        return pd.DataFrame([asdict(self)])[list(STOCKPILE_COLUMNS)]


def stockpile(
    wh: Warehouse,
    importer: str,
    hs6: str,
    *,
    months: float,
    ramp: float,
    rival: str = "CHN",
    severity: float = 1.0,
    theta: float = rs.DEFAULT_THETA,
    targets: Targets = "all",
    holding_rate: float = 0.05,
    year: int | None = None,
    revision: str | None = None,
) -> StockpileResult:
    """Size the stock of ``hs6`` that covers ``importer``'s net shortfall during a disruption.

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows``.
    importer, hs6
        The importer (ISO3) and product (HS 2022 code).
    months
        Length ``D`` of the disruption, months (> 0).
    ramp
        Months ``R`` over which alternative supply ramps up linearly (≥ 0).
    rival
        The restricting exporter.
    severity
        φ in [0, 1], the share of the rival's exports withheld (1 = ban).
    theta
        θ in [0, 1], share of other suppliers' spare exports redirected at full ramp.
    targets
        ``all``: the rival restricts exports to every importer, who compete for
        the spare exports; ``importer``: only to this importer.
    holding_rate
        Yearly cost of holding the stock, as a fraction of its value.
    year, revision
        Trade year (default the latest) and HS revision.
    """
    for name, v in (("months", months), ("ramp", ramp), ("holding rate", holding_rate)):
        if not math.isfinite(v):
            raise InputError(f"the {name} must be a finite number, got {v}", value=v,
                             hint="months and ramp are durations in months; the holding rate is a "
                             "yearly fraction")
    if not months > 0:
        raise InputError(f"the disruption must last more than 0 months, got {months}", value=months)
    if ramp < 0:
        raise InputError(f"the ramp-up cannot be negative, got {ramp}", value=ramp)
    for name, v in (("severity", severity), ("theta", theta)):
        if not 0 <= v <= 1:
            raise InputError(f"{name} must lie between 0 and 1, got {v}", value=v)
    if holding_rate < 0:
        raise InputError(f"the holding rate cannot be negative, got {holding_rate}", value=holding_rate)
    if targets not in ("all", "importer"):
        raise InputError(f"targets must be 'all' or 'importer', got {targets!r}", value=targets)
    req = resolve_request(wh, importer, rival, years=[year] if year is not None else None,
                          products=[hs6], revision=revision)
    assert req.importers is not None and req.products is not None
    imp, r = req.importers[0], req.rival
    if len(req.importers) != 1:
        raise InputError("stockpiles are sized for one importer", hint="pass one ISO3 code, e.g. JPN")
    yr = int(year) if year is not None else max(req.years)
    flows = request_flows(wh, req, [yr])
    f = flows.filter(flows.exporter != flows.importer)
    df = wh.execute(f.group_by(["exporter", "importer"]).aggregate(value=f.value_usd.sum()))
    m_i = float(df.loc[df["importer"] == imp, "value"].sum())
    if m_i <= 0:
        raise InputError(f"{imp} reports no imports of {hs6} in {yr}", value=hs6,
                         hint="choose a product the importer buys (see 'kakehashi screen')")
    from_r = df[df["exporter"] == r].groupby("importer")["value"].sum()
    hit = [imp] if targets == "importer" else [c for c in from_r.index if from_r[c] > 0]
    if imp not in hit:
        hit.append(imp)
    # spare exports as in the restriction scenarios: other suppliers' exports to countries not hit
    # (with targets='importer', the importer's own exports are not a supplier of itself);
    # kakehashi.metrics.substitution.spare_exports, the one implementation
    not_suppliers = [r, imp] if targets == "importer" else [r]
    sp = spare_exports(f, hit, not_suppliers=not_suppliers)
    total = wh.execute(sp.aggregate(s=sp.spare_usd.sum()))["s"].iloc[0]
    spare = 0.0 if pd.isna(total) else float(total)
    exposure = np.array([[float(from_r.get(c, 0.0)) for c in hit]])  # (P=1, I)
    loss = rs.direct_loss(exposure, np.array([[[severity]]]))  # (D=1, P=1, I)
    realloc = rs.reallocation(loss, np.array([spare]), np.array([theta]))
    net = rs.net_shortfall(loss, realloc)
    k = hit.index(imp)
    s0 = float(loss[0, 0, k]) / 12.0
    s_inf = float(net[0, 0, k]) / 12.0
    stock = cumulative_shortfall(s0, s_inf, float(months), float(ramp))
    return StockpileResult(
        importer=imp, hs6=req.products[0], year=yr, rival=r, months=float(months), ramp_months=float(ramp),
        severity=float(severity), theta=float(theta), targets=targets, imports_usd=m_i,
        rival_usd=float(from_r.get(imp, 0.0)), spare_usd=spare, initial_shortfall_usd_per_month=s0,
        steady_shortfall_usd_per_month=s_inf, stock_usd=stock, stock_months_of_imports=stock / (m_i / 12.0),
        holding_rate=float(holding_rate), holding_cost_usd_per_year=holding_rate * stock,
    )
