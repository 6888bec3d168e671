"""Solve sourcing problems (the *solve* step): HiGHS, and an exact water-filling path.

Two solvers give the same optimum:

``highs``
    The general path: the model of :func:`~kakehashi.optimize.problem.build_model`
    passed to HiGHS through ``highspy`` (its active-set QP solver for ``hhi`` and
    ``governance``, its simplex solver for ``shortfall``, in two stages when
    ``tie_break`` picks the optimum closest to the current shares). Handles
    every objective and coalition mode. An infeasible model is explained in
    words: first by the exact per-importer tests of
    :mod:`~kakehashi.optimize.feasibility`, then (coalitions) by an elastic LP
    that measures how far the shared spare capacity falls short, and as a last
    resort by naming the rows of HiGHS's irreducible infeasible subsystem.

``waterfill``
    An exact algorithm for the separable case — one importer, objective
    ``Σ g_s w_s² + b_s w_s`` with ``g_s > 0`` (``hhi``, ``governance``), box bounds,
    ``Σ w = 1`` and a partner floor. The KKT conditions give
    ``w_s(ν) = clip((ν - b_s) / 2g_s, lower_s, upper_s)``, a non-decreasing
    function of the multiplier ``ν`` of ``Σ w = 1``; ``ν`` is found by bisection
    (vectorised over all products at once) and polished on the free set. If the
    partner floor is violated at that optimum, it binds, and the partners'
    and the others' shares are two independent water-filling problems with totals
    ``m`` and ``1 - m`` (Boyd & Vandenberghe, *Convex Optimization*, 2004,
    example 5.2, "water-filling"). Tests check it against HiGHS.

``auto`` (default) uses ``waterfill`` where it applies and ``highs`` elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from kakehashi.errors import ScenarioError
from kakehashi.optimize.feasibility import describe_col, describe_row, explain_infeasible
from kakehashi.optimize.problem import Bounds, FloatArray, Model, PortfolioProblem, build_model, share_bounds
from kakehashi.optimize.readback import PortfolioSolution, read_back

Method = Literal["auto", "highs", "waterfill"]
METHODS: tuple[str, ...] = ("auto", "highs", "waterfill")


@dataclass(frozen=True)
class Infeasible:
    """A problem without solution and the sentences that say why."""

    problem: PortfolioProblem
    reasons: list[str]

    def message(self) -> str:
        """All reasons in one line."""
        return "; ".join(self.reasons)


class InfeasibleError(ScenarioError):
    """The constraints of one or more sourcing problems cannot all hold."""

    def __init__(self, failures: Sequence[Infeasible], *, total: int | None = None) -> None:
        self.failures = list(failures)
        first = self.failures[0].message()
        n = len(self.failures)
        lead = f"{n} of {total} products cannot meet the constraints; first: " if total and total > 1 else ""
        super().__init__(lead + first,
                         hint="relax the rival cap, the partner minimum or the max change"
                         + (", or skip the infeasible products" if n and (total or 0) > 1 else ""))


def _highs_model(model: Model, *, with_objective: bool = True) -> object:
    import highspy

    lp = highspy.HighsLp()
    amat = model.a_matrix
    ncol = len(model.col_lower)
    lp.num_col_ = ncol
    lp.num_row_ = len(model.row_lower)
    lp.col_cost_ = model.col_cost if with_objective else np.zeros(ncol)
    lp.col_lower_ = model.col_lower
    lp.col_upper_ = np.where(np.isinf(model.col_upper), highspy.kHighsInf, model.col_upper)
    lp.row_lower_ = np.where(np.isinf(model.row_lower), -highspy.kHighsInf, model.row_lower)
    lp.row_upper_ = np.where(np.isinf(model.row_upper), highspy.kHighsInf, model.row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = amat.indptr  # type: ignore[attr-defined]
    lp.a_matrix_.index_ = amat.indices  # type: ignore[attr-defined]
    lp.a_matrix_.value_ = amat.data  # type: ignore[attr-defined]
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.col_names_ = model.col_names
    lp.row_names_ = model.row_names
    hm = highspy.HighsModel()
    hm.lp_ = lp
    nz = np.flatnonzero(model.hessian_diag)
    if with_objective and nz.size:
        hess = highspy.HighsHessian()
        hess.dim_ = ncol
        hess.format_ = highspy.HessianFormat.kTriangular
        start = np.zeros(ncol + 1, dtype=np.int32)
        start[1:] = np.cumsum(model.hessian_diag != 0)
        hess.start_ = start
        hess.index_ = nz.astype(np.int32)
        hess.value_ = model.hessian_diag[nz]
        hm.hessian_ = hess
    return hm


def _new_highs() -> object:
    import highspy

    with _banner_to_stderr():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("threads", 1)
    return h


_BANNER_DONE = False


@contextlib.contextmanager
def _banner_to_stderr() -> Iterator[None]:
    """Send what C code writes to file descriptor 1 to descriptor 2 while the block runs.

    HiGHS prints its licence banner from C++ when the first ``Highs`` of a process
    is built, before any option can silence it; on stdout it would corrupt
    ``--format json|csv`` output. Only the first construction is redirected.
    """
    global _BANNER_DONE
    if _BANNER_DONE:
        yield
        return
    _BANNER_DONE = True
    flush = _c_flush()
    sys.stdout.flush()
    flush()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 at all: nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        flush()
        os.dup2(saved, 1)
        os.close(saved)


def _c_flush() -> Callable[[], None]:
    """``fflush(NULL)`` of the C library (a no-op where it cannot be found)."""
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        fflush = libc.fflush
    except (OSError, AttributeError):
        return lambda: None

    def flush() -> None:
        fflush(None)

    return flush


def explain_iis(model: Model) -> list[str]:
    """Name the constraints of HiGHS's irreducible infeasible subsystem of ``model``, in words."""
    h = _new_highs()
    h.passModel(_highs_model(model, with_objective=False))  # type: ignore[attr-defined]
    h.run()  # type: ignore[attr-defined]
    _, iis = h.getIis()  # type: ignore[attr-defined]
    parts: list[str] = []
    for r in list(iis.row_index_):
        parts.append(describe_row(model.row_names[int(r)]))
    upper_status = 3  # kIisBoundStatusUpper
    for c, bound in zip(list(iis.col_index_), list(iis.col_bound_), strict=True):
        parts.append(describe_col(model.col_names[int(c)], int(bound) == upper_status,
                                  model.problem, model.bounds))
    p = model.problem
    head = f"{'+'.join(p.importers)} {p.hs6}: "
    if not parts:
        return [head + "the constraints contradict each other (no irreducible subset found)"]
    return [head + "these constraints cannot hold together: " + "; ".join(parts)]


def explain_shared_capacity(model: Model) -> list[str]:
    """Explain a coalition that needs more spare capacity than the suppliers have.

    When each importer's own constraints can hold (see
    :func:`~kakehashi.optimize.feasibility.explain_infeasible`), only the shared
    ``Σ_i y_is ≤ spare_s`` rows couple them. Relaxing each by ``v_s ≥ 0`` and
    minimising ``Σ v_s`` (an elastic LP) gives the least excess demand on the
    suppliers' spare exports, in USD, and which suppliers it falls on.
    """
    p = model.problem
    shared = [k for k, name in enumerate(model.row_names) if name.startswith("shared|")]
    if not shared:
        return []
    h = _new_highs()
    h.passModel(_highs_model(model, with_objective=False))  # type: ignore[attr-defined]
    for r in shared:
        h.addCol(1.0, 0.0, 1e30, 1, np.array([r], dtype=np.int32), np.array([-1.0]))  # type: ignore[attr-defined]
    h.run()  # type: ignore[attr-defined]
    import highspy

    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # type: ignore[attr-defined]
        return []
    total = float(p.imports_usd.sum())
    v = np.asarray(h.getSolution().col_value)[len(model.col_lower):] * total  # type: ignore[attr-defined]
    if v.sum() <= 1e-9 * total:
        return []
    short = [(model.row_names[r].split("|")[2], float(x)) for r, x in zip(shared, v, strict=True) if x > 0]
    where = ", ".join(f"{s} by {x:,.0f} USD (spare {p.spare_usd[p.suppliers.index(s)]:,.0f})"
                      for s, x in short)
    return [f"{'+'.join(p.importers)} {p.hs6}: together the coalition needs at least {v.sum():,.0f} USD "
            f"more than the suppliers' spare exports allow (spare capacity is counted once for all "
            f"partners; one least-excess allocation: {where})"]


def solve_highs(model: Model) -> PortfolioSolution | Infeasible:
    """Solve ``model`` with HiGHS and read the answer back."""
    import highspy

    h = _new_highs()
    h.passModel(_highs_model(model))  # type: ignore[attr-defined]
    h.run()  # type: ignore[attr-defined]
    status = h.getModelStatus()  # type: ignore[attr-defined]
    p = model.problem
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return Infeasible(p, explain_infeasible(p, model.bounds) or explain_shared_capacity(model)
                          or explain_iis(model))
    sol = h.getSolution()  # type: ignore[attr-defined]
    x = np.asarray(sol.col_value)
    ydual = np.asarray(sol.row_dual)
    zdual = np.asarray(sol.col_dual)
    if status != highspy.HighsModelStatus.kOptimal:
        # HiGHS's QP solver can stop at the right active set with a small primal error and report
        # "Solve error"; re-solve the KKT system on that active set and accept it only if every
        # optimality condition then holds.
        usable = len(x) == len(model.col_lower) and bool(np.all(np.isfinite(x)))
        polished = kkt_polish(model, x) if usable else None
        if polished is None:
            raise ScenarioError(f"{p.hs6}: the solver stopped without an optimum "
                                f"({h.modelStatusToString(status)})",  # type: ignore[attr-defined]
                                hint="this is unexpected for a convex problem; please report it")
        x, ydual, zdual = polished
    m, n = p.m, p.n
    if p.objective == "shortfall" and p.tie_break:
        x = _closest_optimum(h, model, float(h.getInfo().objective_function_value))  # type: ignore[attr-defined]
    partner_dual = np.zeros(m)
    if p.min_partner_share is not None:
        partner_dual = ydual[m:2 * m]
    return read_back(p, model.bounds, x[: m * n], "highs", sum_dual=ydual[:m],
                     partner_dual=partner_dual, share_dual=zdual[: m * n].reshape(m, n))


def kkt_polish(model: Model, x: FloatArray, *, tol: float = 1e-7
               ) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """Exact solution on the active set of an approximate one, if it satisfies the KKT conditions.

    With ``B`` the columns within ``act`` of a bound in ``x``, ``F`` the others,
    and ``R`` the equality rows and the inequality rows within ``act`` of a
    bound, solve (least squares, so a non-unique optimum is fine)::

        H_FF x_F - A_RF' y_R = -c_F - H_FB x_B
        A_RF x_F             =  b_R - A_RB x_B

    then check primal feasibility, ``z = Hx + c - A_R' y_R`` zero on ``F``,
    ``z ≥ 0`` at lower and ``≤ 0`` at upper bounds, ``y ≥ 0`` on rows at their
    lower and ``≤ 0`` at their upper bound (all within ``tol``). For a convex
    problem these conditions prove optimality. ``act`` runs from 1e-9 to 1e-4
    until the conditions hold.

    Returns
    -------
    ``(x, row duals, column duals)`` in HiGHS's sign convention, or ``None``
    when no tolerance gives an active set that satisfies the conditions.
    """
    amat = model.a_matrix.toarray()  # type: ignore[attr-defined]
    for act in (1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4):
        found = _kkt_on_active_set(model, amat, x, act, tol)
        if found is not None:
            return found
    return None


def _kkt_on_active_set(model: Model, amat: FloatArray, x: FloatArray, act: float, tol: float
                       ) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    lo, up = model.col_lower, model.col_upper
    rl, ru = model.row_lower, model.row_upper
    hd, c = model.hessian_diag, model.col_cost
    ax = amat @ x
    pinned = up - lo <= act  # fixed columns: their multiplier may take either sign
    at_lo = (np.abs(x - lo) <= act) & ~pinned
    at_up = (np.abs(x - up) <= act) & ~at_lo & ~pinned
    fixed = at_lo | at_up | pinned
    xb = np.where(at_lo | pinned, lo, np.where(at_up, up, x))
    equal = rl == ru
    r_lo = equal | (np.abs(ax - rl) <= act * np.maximum(1, np.abs(rl)))
    r_up = (np.abs(ax - ru) <= act * np.maximum(1, np.abs(ru))) & ~r_lo
    rows = np.flatnonzero(r_lo | r_up)
    target = np.where(r_lo, rl, ru)[rows]
    free = np.flatnonzero(~fixed)
    a_r = amat[rows]
    nf, nr = len(free), len(rows)
    kkt = np.zeros((nf + nr, nf + nr))
    kkt[:nf, :nf] = np.diag(hd[free])
    kkt[:nf, nf:] = -a_r[:, free].T
    kkt[nf:, :nf] = a_r[:, free]
    fx = np.flatnonzero(fixed)
    rhs = np.concatenate([-c[free], target - a_r[:, fx] @ xb[fx]])  # H is diagonal: no H_FB term
    sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
    xn = xb.copy()
    xn[free] = sol[:nf]
    y = np.zeros(len(rl))
    y[rows] = sol[nf:]
    z = hd * xn + c - amat.T @ y
    axn = amat @ xn
    lower_rows = rows[r_lo[rows] & ~equal[rows]]
    upper_rows = rows[r_up[rows]]
    ok = (np.all(xn >= lo - tol) and np.all(xn <= up + tol) and np.all(axn >= rl - tol)
          and np.all(axn <= ru + tol) and np.all(np.abs(z[free]) <= tol)
          and np.all(z[at_lo] >= -tol) and np.all(z[at_up] <= tol)
          and np.all(y[lower_rows] >= -tol) and np.all(y[upper_rows] <= tol))
    if not ok:
        return None
    return np.clip(xn, lo, up), y, z


def _closest_optimum(h: object, model: Model, best: float) -> FloatArray:
    """Second stage of the ``shortfall`` tie-break: the optimum closest to the current shares.

    Adds ``d ≥ |w - current|``, keeps the first stage's objective within a
    tolerance of its optimum ``best``, and minimises ``Σ d`` (warm-started).
    """
    import highspy

    p = model.problem
    k = model.n_shares
    ncol = len(model.col_lower)
    inf = highspy.kHighsInf
    w0 = p.current.ravel()
    hh = h  # the solved first stage
    hh.addCols(k, np.ones(k), np.zeros(k), np.full(k, inf), 0, np.zeros(k + 1, dtype=np.int32),  # type: ignore[attr-defined]
               np.zeros(0, dtype=np.int32), np.zeros(0))
    starts = np.arange(0, 4 * k + 1, 2, dtype=np.int32)
    idx = np.empty(4 * k, dtype=np.int32)
    val = np.empty(4 * k)
    for j in range(k):  # d_j - w_j ≥ -w0_j ; d_j + w_j ≥ w0_j
        idx[4 * j: 4 * j + 4] = [ncol + j, j, ncol + j, j]
        val[4 * j: 4 * j + 4] = [1.0, -1.0, 1.0, 1.0]
    lower = np.empty(2 * k)
    lower[0::2] = -w0
    lower[1::2] = w0
    hh.addRows(2 * k, lower, np.full(2 * k, inf), 4 * k, starts[:-1], idx, val)  # type: ignore[attr-defined]
    cost = model.col_cost
    nz = np.flatnonzero(cost).astype(np.int32)
    tol = 1e-9 * max(1.0, abs(best)) + 1e-10
    hh.addRow(-inf, best + tol, len(nz), nz, cost[nz])  # type: ignore[attr-defined]
    hh.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), np.zeros(ncol))  # type: ignore[attr-defined]
    hh.run()  # type: ignore[attr-defined]
    if hh.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # type: ignore[attr-defined]
        raise ScenarioError(f"{p.hs6}: the tie-break stage found no optimum",
                            hint="pass tie_break=False; please report it")
    out: FloatArray = np.asarray(hh.getSolution().col_value)[:ncol]  # type: ignore[attr-defined]
    return out


def waterfill(g: FloatArray, b: FloatArray, lower: FloatArray, upper: FloatArray,
              total: FloatArray, *, iterations: int = 200) -> tuple[FloatArray, FloatArray]:
    """Solve ``min Σ g w² + b w`` s.t. ``Σ w = total``, ``lower ≤ w ≤ upper``, row by row.

    Parameters
    ----------
    g, b, lower, upper
        ``(P, n)`` arrays, one problem per row (pad with ``lower = upper = 0``);
        ``g > 0``.
    total
        ``(P,)`` required sums; must lie within ``[Σ lower, Σ upper]``.

    Returns
    -------
    shares, nu
        ``(P, n)`` optimal ``w`` and ``(P,)`` multipliers of the sum constraint,
        with ``2 g w + b - ν = 0`` on the free entries.

    Examples
    --------
    Three suppliers, one capped at 0.2: the other two share the rest equally.

    >>> w, nu = waterfill(np.ones((1, 3)), np.zeros((1, 3)), np.zeros((1, 3)),
    ...                   np.array([[0.2, 1.0, 1.0]]), np.array([1.0]))
    >>> w.round(6).tolist(), nu.round(6).tolist()
    ([[0.2, 0.4, 0.4]], [0.8])
    """
    two_g = 2.0 * g
    lo_nu = (b + two_g * lower).min(axis=1)
    hi_nu = (b + two_g * upper).max(axis=1)

    def shares(nu: FloatArray) -> FloatArray:
        out: FloatArray = np.clip((nu[:, None] - b) / two_g, lower, upper)
        return out

    for _ in range(iterations):
        mid = 0.5 * (lo_nu + hi_nu)
        below = shares(mid).sum(axis=1) < total
        lo_nu = np.where(below, mid, lo_nu)
        hi_nu = np.where(below, hi_nu, mid)
        if np.all(hi_nu - lo_nu <= 1e-15 * np.maximum(1.0, np.abs(hi_nu))):
            break
    nu = 0.5 * (lo_nu + hi_nu)
    w = shares(nu)
    # polish: solve exactly for ν on the free set
    free = (w > lower + 1e-12) & (w < upper - 1e-12)
    inv = np.where(free, 1.0 / two_g, 0.0)
    fixed_sum = np.where(free, 0.0, w).sum(axis=1)
    denom = inv.sum(axis=1)
    ok = denom > 0
    nu_p = np.where(ok, (total - fixed_sum + (inv * b).sum(axis=1)) / np.where(ok, denom, 1.0), nu)
    w_p = shares(nu_p)
    better = np.abs(w_p.sum(axis=1) - total) <= np.abs(w.sum(axis=1) - total) + 1e-13
    nu = np.where(better, nu_p, nu)
    w = np.where(better[:, None], w_p, w)
    return w, nu


def _waterfill_eligible(p: PortfolioProblem) -> bool:
    return p.m == 1 and p.objective in ("hhi", "governance") and bool(np.all(p.weights() > 0))


def _solve_waterfill(problems: Sequence[PortfolioProblem],
                     bounds: Sequence[Bounds]) -> list[PortfolioSolution]:
    if not problems:
        return []
    big = max(p.n for p in problems)
    count = len(problems)
    g = np.ones((count, big))
    b = np.zeros((count, big))
    lo = np.zeros((count, big))
    hi = np.zeros((count, big))
    part = np.zeros((count, big), dtype=bool)
    floor = np.full(count, -np.inf)
    for k, (p, bd) in enumerate(zip(problems, bounds, strict=True)):
        n = p.n
        g[k, :n] = p.weights()
        b[k, :n] = p.linear_cost()[0]
        lo[k, :n] = bd.lower[0]
        hi[k, :n] = bd.upper[0]
        part[k, :n] = p.partners[0]
        if p.min_partner_share is not None:
            floor[k] = p.min_partner_share
    w, nu = waterfill(g, b, lo, hi, np.ones(count))
    psum = np.where(part, w, 0.0).sum(axis=1)
    viol = np.flatnonzero(psum < floor - 1e-12)
    eta = np.zeros(count)
    if viol.size:
        pv = part[viol]
        w_p, nu_p = waterfill(g[viol], b[viol], np.where(pv, lo[viol], 0.0), np.where(pv, hi[viol], 0.0),
                              floor[viol])
        w_o, nu_o = waterfill(g[viol], b[viol], np.where(pv, 0.0, lo[viol]), np.where(pv, 0.0, hi[viol]),
                              1.0 - floor[viol])
        w[viol] = np.where(pv, w_p, w_o)
        nu[viol] = nu_o
        eta[viol] = nu_p - nu_o
    out = []
    for k, (p, bd) in enumerate(zip(problems, bounds, strict=True)):
        n = p.n
        grad = 2.0 * g[k, :n] * w[k, :n] + b[k, :n] - nu[k] - eta[k] * part[k, :n]
        out.append(read_back(p, bd, w[k, :n], "waterfill", sum_dual=nu[k:k + 1],
                             partner_dual=eta[k:k + 1], share_dual=grad[None, :]))
    return out


def solve_many(problems: Sequence[PortfolioProblem], method: Method = "auto"
               ) -> list[PortfolioSolution | Infeasible]:
    """Solve several problems; return, in order, a solution or an :class:`Infeasible` for each.

    ``waterfill`` problems are solved together in one vectorised pass.
    """
    if method not in METHODS:
        raise ScenarioError(f"unknown method {method!r}", hint=f"choose one of: {', '.join(METHODS)}")
    results: list[PortfolioSolution | Infeasible | None] = [None] * len(problems)
    batch: list[int] = []
    all_bounds = [share_bounds(p) for p in problems]
    for k, (p, bd) in enumerate(zip(problems, all_bounds, strict=True)):
        reasons = explain_infeasible(p, bd)
        if reasons:
            results[k] = Infeasible(p, reasons)
            continue
        eligible = _waterfill_eligible(p)
        if method == "waterfill" and not eligible:
            raise ScenarioError(f"{p.hs6}: the waterfill method needs one importer and the hhi or "
                                "governance objective with positive weights", hint="use method='highs'")
        if method != "highs" and eligible:
            batch.append(k)
        else:
            results[k] = solve_highs(build_model(p, bd))
    for k, sol in zip(batch, _solve_waterfill([problems[k] for k in batch],
                                              [all_bounds[k] for k in batch]), strict=True):
        results[k] = sol
    return [r for r in results if r is not None]


def solve(problem: PortfolioProblem, method: Method = "auto") -> PortfolioSolution:
    """Solve one problem; raise :class:`InfeasibleError` (with the reasons) when it has no solution."""
    (result,) = solve_many([problem], method)
    if isinstance(result, Infeasible):
        raise InfeasibleError([result])
    return result
