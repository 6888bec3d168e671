"""Why a sourcing problem has no solution, in words (never a solver status).

For one importer the constraint system is a box ``lower ≤ w ≤ upper``, the
equality ``Σ w = 1`` and the partner floor ``Σ_P w ≥ m``. Writing ``x = Σ_P w``
for the partners' total, it is feasible exactly when the interval of ``x``
allowed by the partners' boxes and floor meets the interval left by the
others' boxes::

    max(m, Σ_P lower, 1 - Σ_O upper) ≤ min(Σ_P upper, 1 - Σ_O lower)

(``O`` = the other suppliers). Expanding the six pairs gives the five tests of
:func:`explain_infeasible` (one pair repeats a box test): a box that is empty
(the rival must fall below its cap faster than the maximum change allows), all
capacities summing to less than 1, all floors summing to more than 1, the
partner floor above the partners' capacity, and the partner floor plus the
others' floors above 1. Together they are necessary and sufficient for one
importer. In coalition mode the shared spare capacity adds coupling rows; when
the per-importer tests pass but the solver still finds no solution,
:func:`explain_iis` names the rows of HiGHS's irreducible infeasible subsystem.
"""

from __future__ import annotations

import numpy as np

from kakehashi.optimize.problem import Bounds, PortfolioProblem, share_bounds

TOL = 1e-9


def _names(problem: PortfolioProblem, idx: np.ndarray, limit: int = 4) -> str:
    names = [problem.suppliers[int(k)] for k in idx[:limit]]
    more = len(idx) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _upper_story(problem: PortfolioProblem, b: Bounds, i: int, mask: np.ndarray) -> str:
    """Say what limits the upper bounds of the suppliers in ``mask`` for importer ``i``."""
    parts = []
    r = problem.rival
    if r is not None and mask[r] and b.why_upper[i, r] == "rival cap":
        parts.append(f"rival {problem.suppliers[r]} capped at {b.upper[i, r]:.2f}")
        mask = mask.copy()
        mask[r] = False
    cap_mask = mask & (b.why_upper[i] == "capacity")
    chg_mask = mask & (b.why_upper[i] == "max change")
    if cap_mask.any():
        parts.append(f"capacity (current share + spare exports) {b.upper[i, cap_mask].sum():.2f}")
    if chg_mask.any():
        parts.append(f"max change {problem.max_change:.2f} limits {int(chg_mask.sum())} suppliers "
                     f"to {b.upper[i, chg_mask].sum():.2f}")
    return "; ".join(parts) if parts else "no supplier"


def explain_infeasible(problem: PortfolioProblem, bounds: Bounds | None = None) -> list[str]:
    """Return one sentence per violated condition (empty when each importer's system is feasible).

    Parameters
    ----------
    problem
        The problem to check.
    bounds
        Its :func:`~kakehashi.optimize.problem.share_bounds` (computed when omitted).

    Examples
    --------
    A rival cap of 0.3 where the others can take only 0.5 of the imports:

    >>> import numpy as np
    >>> p = PortfolioProblem("850511", ("JPN",), ("CHN", "VNM"), current=[[0.8, 0.2]],
    ...     imports_usd=[100.0], spare_usd=[0.0, 30.0], cost_ratio=[[1, 1]],
    ...     risk_weight=[1, 1], rival=0, rival_cap=0.3)
    >>> import textwrap
    >>> print(textwrap.fill(explain_infeasible(p)[0], 78))
    JPN 850511: suppliers can cover at most 0.80 of imports (rival CHN capped at
    0.30; capacity (current share + spare exports) 0.50), 0.20 short
    """
    b = bounds if bounds is not None else share_bounds(problem)
    out: list[str] = []
    mfloor = problem.min_partner_share
    for i, imp in enumerate(problem.importers):
        lo, hi = b.lower[i], b.upper[i]
        head = f"{imp} {problem.hs6}: "
        empty = np.flatnonzero(lo > hi + TOL)
        for s in empty:
            out.append(
                head + f"{problem.suppliers[s]}'s share must fall from {problem.current[i, s]:.2f} to "
                f"{hi[s]:.2f} ({b.why_upper[i, s]}) but may change by at most {problem.max_change:.2f} "
                f"per period, so it stays at least {lo[s]:.2f}"
            )
        if empty.size:
            continue
        all_mask = np.ones(problem.n, dtype=bool)
        if hi.sum() < 1 - TOL:
            out.append(head + f"suppliers can cover at most {hi.sum():.2f} of imports "
                       f"({_upper_story(problem, b, i, all_mask)}), {1 - hi.sum():.2f} short")
            continue
        if lo.sum() > 1 + TOL:  # cannot happen with lower ≤ current, kept for safety
            out.append(head + f"the shares that must be kept under the max change sum to {lo.sum():.2f} > 1")
            continue
        if mfloor is None:
            continue
        pmask = problem.partners[i]
        if not pmask.any():
            if mfloor > TOL:
                out.append(head + f"partner minimum {mfloor:.2f} but the importer has no partner "
                           "among the suppliers")
            continue
        p_hi = hi[pmask].sum()
        if mfloor > p_hi + TOL:
            out.append(head + f"partner minimum {mfloor:.2f} exceeds what partners "
                       f"{_names(problem, np.flatnonzero(pmask))} can supply, {p_hi:.2f} "
                       f"({_upper_story(problem, b, i, pmask)}), {mfloor - p_hi:.2f} short")
            continue
        o_lo = lo[~pmask].sum()
        if mfloor + o_lo > 1 + TOL:
            out.append(head + f"partner minimum {mfloor:.2f} + the {o_lo:.2f} that other suppliers keep "
                       f"under the max change {problem.max_change:.2f} exceeds 1 by {mfloor + o_lo - 1:.2f}")
    return out


def describe_row(name: str) -> str:
    """Turn a model row name (``kind|importer|supplier``) into words."""
    kind, imp, sup = [*name.split("|"), "", ""][:3]
    return {
        "sum": f"{imp}'s shares sum to 1",
        "partner": f"{imp}'s partner minimum",
        "shared": f"spare exports of {sup} shared by the coalition",
        "extra": f"{imp}'s additional purchases from {sup}",
        "short": f"{imp}'s shortfall in draw {sup}",
    }.get(kind, name)


def describe_col(name: str, at_upper: bool, problem: PortfolioProblem, bounds: Bounds) -> str:
    """Turn a model column name (``w|importer|supplier``) and a bound into words."""
    kind, imp, sup = [*name.split("|"), "", ""][:3]
    if kind != "w":
        return name
    i, s = problem.importers.index(imp), problem.suppliers.index(sup)
    if at_upper:
        return f"{imp}'s share from {sup} at most {bounds.upper[i, s]:.2f} ({bounds.why_upper[i, s]})"
    return f"{imp}'s share from {sup} at least {bounds.lower[i, s]:.2f} (max change)"
