"""Read a solver's answer back into shares, risks and costs (the *read back* step)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kakehashi.optimize.problem import Bounds, FloatArray, PortfolioProblem


def expected_shortfall(shares: FloatArray, capacity: FloatArray, availability: FloatArray,
                       reallocation: float) -> FloatArray:
    """Expected net shortfall, as a share of imports, of each importer's portfolio.

    In draw ``k`` supplier ``s`` delivers the fraction ``a_ks`` of its planned
    share ``w_s``; the surviving suppliers redirect the fraction ``ρ`` of their
    unused capacity ``a_ks (cap_s - w_s)``. The net shortfall is what remains::

        short_k = max(0, Σ_s w_s (1 - a_ks) - ρ Σ_s a_ks (cap_s - w_s))
        E[short] = (1/K) Σ_k short_k

    This is the direct-shortfall-minus-reallocation logic of the restriction
    scenarios applied to every supplier in each draw.

    Parameters
    ----------
    shares, capacity
        ``(m, n)`` shares and capacity shares.
    availability
        ``(K, n)`` delivered fraction per draw and supplier.
    reallocation
        ``ρ`` in [0, 1].

    Returns
    -------
    ``(m,)`` expected net shortfall.

    Examples
    --------
    Half the draws lose the first supplier entirely; no reallocation:

    >>> import numpy as np
    >>> a = np.array([[0.0, 1.0], [1.0, 1.0]])
    >>> expected_shortfall(np.array([[0.6, 0.4]]), np.array([[1.0, 1.0]]), a, 0.0)
    array([0.3])
    """
    w = np.atleast_2d(shares)
    cap = np.atleast_2d(capacity)
    a = np.asarray(availability, dtype=np.float64)
    lost = w @ (1.0 - a).T  # (m, K)
    realloc = reallocation * ((cap - w) @ a.T)  # (m, K)
    result: FloatArray = np.maximum(lost - realloc, 0.0).mean(axis=1)
    return result


def portfolio_risk(problem: PortfolioProblem, shares: FloatArray, capacity: FloatArray) -> FloatArray:
    """``(m,)`` risk of each importer's shares under the problem's objective.

    ``hhi``: ``Σ w²``; ``governance``: ``Σ g w²``; ``shortfall``:
    :func:`expected_shortfall` (without the tie-break term).
    """
    w = np.atleast_2d(shares)
    if problem.objective == "hhi":
        out: FloatArray = (w**2).sum(axis=1)
        return out
    if problem.objective == "governance":
        out = (problem.risk_weight[None, :] * w**2).sum(axis=1)
        return out
    assert problem.availability is not None
    return expected_shortfall(w, capacity, problem.availability, problem.reallocation)


def extra_cost_usd(problem: PortfolioProblem, shares: FloatArray) -> FloatArray:
    """``(m,)`` extra import bill of the new shares, USD.

    ``imports · Σ_s (w_s - current_s) · c_s`` with ``c_s`` the unit-value ratio
    (see :mod:`kakehashi.optimize.problem`); negative when the new mix is cheaper.
    """
    d = np.atleast_2d(shares) - problem.current
    out: FloatArray = problem.imports_usd * (d * problem.cost_ratio).sum(axis=1)
    return out


@dataclass(frozen=True)
class PortfolioSolution:
    """The optimal portfolio of one problem.

    Attributes
    ----------
    shares
        ``(m, n)`` proposed shares.
    risk_before, risk_after
        ``(m,)`` objective's risk of the current and proposed shares.
    extra_cost_usd
        ``(m,)`` extra import bill of the proposed shares, USD.
    objective_value
        Value of ``Σ risk + λ Σ extra cost / imports`` at the optimum (without
        the tie-break term).
    method
        ``highs`` or ``waterfill``.
    sum_dual
        ``(m,)`` multiplier of each importer's ``Σ w = 1`` row.
    partner_dual
        ``(m,)`` multiplier of the partner floor (0 when slack or absent).
    share_dual
        ``(m, n)`` reduced costs of the shares (bound multipliers).
    """

    problem: PortfolioProblem
    bounds: Bounds
    shares: FloatArray
    risk_before: FloatArray
    risk_after: FloatArray
    extra_cost_usd: FloatArray
    objective_value: float
    method: str
    sum_dual: FloatArray = field(default_factory=lambda: np.zeros(0))
    partner_dual: FloatArray = field(default_factory=lambda: np.zeros(0))
    share_dual: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))


def read_back(problem: PortfolioProblem, bounds: Bounds, shares: FloatArray, method: str, *,
              sum_dual: FloatArray | None = None, partner_dual: FloatArray | None = None,
              share_dual: FloatArray | None = None) -> PortfolioSolution:
    """Clean the solver's shares (clip to the bounds' tolerance) and compute risks and costs."""
    w = np.clip(np.asarray(shares, dtype=np.float64).reshape(problem.m, problem.n), 0.0, 1.0)
    w = np.where(np.abs(w) < 1e-12, 0.0, w)
    before = portfolio_risk(problem, problem.current, bounds.capacity)
    after = portfolio_risk(problem, w, bounds.capacity)
    cost = extra_cost_usd(problem, w)
    obj = float(after.sum() + problem.lam * (cost / problem.imports_usd).sum())
    m, n = problem.m, problem.n
    return PortfolioSolution(
        problem=problem,
        bounds=bounds,
        shares=w,
        risk_before=before,
        risk_after=after,
        extra_cost_usd=cost,
        objective_value=obj,
        method=method,
        sum_dual=np.zeros(m) if sum_dual is None else np.asarray(sum_dual, dtype=np.float64),
        partner_dual=np.zeros(m) if partner_dual is None else np.asarray(partner_dual, dtype=np.float64),
        share_dual=np.zeros((m, n)) if share_dual is None else np.asarray(share_dual, dtype=np.float64),
    )
