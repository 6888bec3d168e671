"""Sourcing-portfolio problems as plain arrays (the *build* step's input).

One :class:`PortfolioProblem` is one product for one importer, or for a
coalition of importers that share the suppliers' spare capacity. The decision
variables are next-period supplier shares ``w[i, s]`` (value shares at current
prices) of importer ``i``'s imports from supplier ``s``. Constraints:

* ``Σ_s w[i, s] = 1`` for each importer;
* ``lower[i, s] ≤ w[i, s] ≤ upper[i, s]`` (:func:`share_bounds`), where the upper
  bound is the least of the supplier's *capacity share* ``current + spare /
  imports`` (what it already ships plus what it could redirect from its exports
  to third countries, as in the substitution-capacity analysis), the rival cap
  for the rival, ``current + max_change`` and 1; the lower bound is
  ``current - max_change`` (and 0);
* ``Σ_{s ∈ partners(i)} w[i, s] ≥ min_partner_share`` (friend-shoring);
* in coalition mode, for each supplier, the importers' combined *additional*
  purchases never exceed its spare exports:
  ``Σ_i max(0, (w[i, s] - current[i, s]) · imports[i]) ≤ spare[s]``
  (nobody's spare capacity is counted twice; volume that one partner stops
  buying is not assumed to be re-routable to the other within the period).

The objective is ``Σ_i risk_i(w_i) + λ · Σ_i extra_cost_i(w_i) / imports_i``
with

* ``hhi``: ``Σ_s w_s²`` (import HHI);
* ``governance``: ``Σ_s g_s w_s²`` with ``g_s`` the supplier's WGI-based risk
  on the EU 0–10 scale (the EU criticality method's governance-weighted HHI,
  European Commission 2017, *Methodology for establishing the EU list of
  critical raw materials*, section 3.2);
* ``shortfall``: expected net shortfall across disruption draws
  (:func:`kakehashi.optimize.solve.expected_shortfall`).

and the extra cost ``imports · Σ_s (w_s - current_s) · c_s`` where
``c_s = unit value_s / unit value of the current mix`` (USD per tonne), i.e.
the brief's ``Σ_s w_s (c_s - 1) · imports`` centred so that the current mix
costs nothing extra (the two differ by a constant, so they have the same
optimum). It is the first-order cost of buying the same volume elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from kakehashi.errors import InputError
from kakehashi.scenarios.restriction import DEFAULT_THETA

Objective = Literal["hhi", "governance", "shortfall"]
OBJECTIVES: tuple[str, ...] = ("hhi", "governance", "shortfall")

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _f(a: object, shape: tuple[int, ...], name: str) -> FloatArray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.shape != shape:
        raise InputError(f"{name} has shape {arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains a missing or infinite value",
                         hint="fill unknown values before building the problem")
    return arr


@dataclass(frozen=True)
class PortfolioProblem:
    """One product's sourcing problem for one importer or a coalition.

    Parameters
    ----------
    hs6
        Product code (a label).
    importers
        ``m`` importer codes (ISO3); more than one means coalition mode.
    suppliers
        ``n`` supplier codes (ISO3), shared by all importers.
    current
        ``(m, n)`` current value shares; each row sums to 1.
    imports_usd
        ``(m,)`` current imports of the product, USD.
    spare_usd
        ``(n,)`` spare exports of each supplier (its exports to countries outside
        the importers), USD.
    cost_ratio
        ``(m, n)`` unit value of supplier ``s`` over the unit value of importer
        ``i``'s current mix (1 where unknown).
    risk_weight
        ``(n,)`` supplier risk ``g_s`` (ones for the ``hhi`` objective).
    objective
        ``hhi``, ``governance`` or ``shortfall``.
    rival
        Index of the rival supplier, or ``None``.
    rival_cap
        Largest share of the rival, or ``None`` (no cap): one number for every
        importer, or an ``(m,)`` array with one cap per importer (e.g. each
        importer's current rival share, so that the rival's share never rises).
    partners
        ``(m, n)`` booleans: supplier ``s`` is a partner of importer ``i``.
    min_partner_share
        Least combined share of the partners, or ``None``.
    max_change
        Largest change of any share in one period, or ``None``.
    lam
        λ ≥ 0: weight of the extra cost (as a fraction of the import bill).
    availability
        ``(K, n)`` fraction of planned supply from each supplier that arrives in
        each of ``K`` disruption draws (``shortfall`` objective only).
    reallocation
        Fraction θ (0–1) of surviving suppliers' unused capacity that can be
        redirected within the period (``shortfall`` objective only; default the
        restriction kernel's ``DEFAULT_THETA``).
    tie_break
        ``shortfall`` only: among the portfolios with the least expected
        shortfall (there are often many, since only the exposed shares matter),
        return the one closest to the current shares, i.e. with the least total
        change ``Σ |w - current|`` (a second linear programme). ``False``
        returns whichever optimal vertex the solver finds.
    """

    hs6: str
    importers: tuple[str, ...]
    suppliers: tuple[str, ...]
    current: FloatArray
    imports_usd: FloatArray
    spare_usd: FloatArray
    cost_ratio: FloatArray
    risk_weight: FloatArray
    objective: Objective = "hhi"
    rival: int | None = None
    rival_cap: float | FloatArray | None = None
    partners: BoolArray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    min_partner_share: float | None = None
    max_change: float | None = None
    lam: float = 0.0
    availability: FloatArray | None = None
    reallocation: float = DEFAULT_THETA
    tie_break: bool = True

    def __post_init__(self) -> None:
        m, n = len(self.importers), len(self.suppliers)
        if m == 0 or n == 0:
            raise InputError(f"product {self.hs6}: a portfolio needs at least one importer and one supplier")
        set_ = object.__setattr__
        set_(self, "current", _f(self.current, (m, n), "current"))
        set_(self, "imports_usd", _f(self.imports_usd, (m,), "imports_usd"))
        set_(self, "spare_usd", _f(self.spare_usd, (n,), "spare_usd"))
        set_(self, "cost_ratio", _f(self.cost_ratio, (m, n), "cost_ratio"))
        set_(self, "risk_weight", _f(self.risk_weight, (n,), "risk_weight"))
        partners = np.asarray(self.partners, dtype=bool)
        if partners.size == 0:
            partners = np.zeros((m, n), dtype=bool)
        if partners.shape != (m, n):
            raise InputError(f"partners has shape {partners.shape}, expected {(m, n)}")
        set_(self, "partners", partners)
        if self.objective not in OBJECTIVES:
            raise InputError(f"unknown objective {self.objective!r}", value=self.objective,
                             hint=f"choose one of: {', '.join(OBJECTIVES)}")
        if self.lam < 0 or not np.isfinite(self.lam):
            raise InputError(f"the weight on cost (lam) must be zero or positive, got {self.lam}",
                             value=self.lam, hint="the weight on cost weighs the extra cost against the "
                             "risk; use 0 to ignore cost")
        if np.any(self.imports_usd <= 0):
            raise InputError(f"product {self.hs6}: imports must be positive for every importer")
        if np.any(self.current < 0) or np.any(np.abs(self.current.sum(axis=1) - 1) > 1e-6):
            raise InputError(f"product {self.hs6}: current shares must be non-negative and sum to 1")
        if np.any(self.spare_usd < 0) or np.any(self.cost_ratio < 0) or np.any(self.risk_weight < 0):
            raise InputError(f"product {self.hs6}: spare exports, cost ratios and risks must be >= 0")
        if self.rival_cap is not None and not np.isscalar(self.rival_cap):
            cap = np.asarray(self.rival_cap, dtype=np.float64)
            if cap.shape != (m,) or not np.all(np.isfinite(cap)) or np.any((cap < 0) | (cap > 1)):
                raise InputError(f"rival cap must be a number or one value per importer between 0 and 1, "
                                 f"got {self.rival_cap}")
            set_(self, "rival_cap", cap)
        scalar_cap = ("rival_cap",) if np.isscalar(self.rival_cap) else ()
        for name in (*scalar_cap, "min_partner_share", "max_change"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 1:
                raise InputError(f"{name.replace('_', ' ')} must lie between 0 and 1, got {v}", value=v)
        if self.rival is not None and not 0 <= self.rival < n:
            raise InputError(f"rival index {self.rival} outside 0..{n - 1}")
        if self.objective == "shortfall":
            if self.availability is None:
                raise InputError("the shortfall objective needs availability draws",
                                 hint="build them with kakehashi.optimize.draws.restriction_draws")
            a = np.asarray(self.availability, dtype=np.float64)
            if a.ndim != 2 or a.shape[1] != n or a.shape[0] == 0:
                raise InputError(f"availability has shape {a.shape}, expected (draws, {n})")
            if np.any((a < 0) | (a > 1)) or not np.all(np.isfinite(a)):
                raise InputError("availability must lie between 0 and 1")
            set_(self, "availability", a)
        if not 0 <= self.reallocation <= 1:
            raise InputError(f"reallocation must lie between 0 and 1, got {self.reallocation}")

    @property
    def m(self) -> int:
        """Number of importers."""
        return len(self.importers)

    @property
    def n(self) -> int:
        """Number of suppliers."""
        return len(self.suppliers)

    @property
    def coalition(self) -> bool:
        """True when several importers share the suppliers' spare capacity."""
        return self.m > 1

    def weights(self) -> FloatArray:
        """Per-supplier weights of the quadratic risk term (``g_s``, or ones)."""
        if self.objective == "governance":
            return self.risk_weight
        if self.objective == "hhi":
            return np.ones(self.n)
        return np.zeros(self.n)  # shortfall: a linear programme

    def linear_cost(self) -> FloatArray:
        """``(m, n)`` coefficients ``λ (c_s - 1)`` of the cost term per unit of share."""
        return self.lam * (self.cost_ratio - 1.0)


def capacity_share(problem: PortfolioProblem) -> FloatArray:
    """``(m, n)`` largest share each supplier could hold for each importer on its own.

    ``min(1, current[i, s] + spare[s] / imports[i])`` — what the supplier ships
    now plus all it could redirect from its exports to third countries; an
    importer never supplies itself.
    """
    cap = problem.current + problem.spare_usd[None, :] / problem.imports_usd[:, None]
    cap = np.minimum(cap, 1.0)
    for i, imp in enumerate(problem.importers):
        for s, sup in enumerate(problem.suppliers):
            if sup == imp:
                cap[i, s] = 0.0
    return cap


@dataclass(frozen=True)
class Bounds:
    """Effective share bounds and what sets each upper bound.

    ``why_upper[i, s]`` is one of ``capacity``, ``rival cap``, ``max change``;
    ``why_lower[i, s]`` is ``max change`` where the lower bound is positive.
    """

    lower: FloatArray
    upper: FloatArray
    capacity: FloatArray
    why_upper: NDArray[np.str_]


def share_bounds(problem: PortfolioProblem) -> Bounds:
    """Effective bounds ``lower ≤ w ≤ upper`` of every share (see module docstring)."""
    cur = problem.current
    cap = capacity_share(problem)
    upper = cap.copy()
    why = np.full(cur.shape, "capacity", dtype=object)
    if problem.max_change is not None:
        mc = np.minimum(cur + problem.max_change, 1.0)
        tighter = mc < upper
        upper = np.where(tighter, mc, upper)
        why[tighter] = "max change"
    if problem.rival is not None and problem.rival_cap is not None:
        r = problem.rival
        rcap = np.broadcast_to(np.asarray(problem.rival_cap, dtype=np.float64), (problem.m,))
        tighter_r = rcap < upper[:, r]
        upper[tighter_r, r] = rcap[tighter_r]
        why[tighter_r, r] = "rival cap"
    lower = np.zeros_like(cur)
    if problem.max_change is not None:
        lower = np.maximum(cur - problem.max_change, 0.0)
    return Bounds(lower=lower, upper=upper, capacity=cap, why_upper=why.astype(str))


@dataclass(frozen=True)
class Model:
    """A problem as a HiGHS model: ``min ½ xᵀHx + cᵀx + offset`` s.t. ``row_lower ≤ Ax ≤ row_upper``.

    Columns are, in order: the shares ``w|importer|supplier`` (``m·n``), in
    coalition mode the additional purchases ``y|importer|supplier`` as shares
    of the coalition's total imports (``m·n``), and for the ``shortfall``
    objective the per-draw net shortfalls ``z|importer|draw`` (``m·K``).
    Row names are ``kind|importer|supplier-or-draw``
    (see :func:`kakehashi.optimize.feasibility.describe_row`).
    """

    problem: PortfolioProblem
    bounds: Bounds
    col_lower: FloatArray
    col_upper: FloatArray
    col_cost: FloatArray
    hessian_diag: FloatArray
    a_matrix: object  # scipy.sparse.csc_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    col_names: list[str]
    row_names: list[str]

    @property
    def n_shares(self) -> int:
        """Number of share columns (``m·n``), which come first."""
        return self.problem.m * self.problem.n


def build_model(problem: PortfolioProblem, bounds: Bounds | None = None) -> Model:
    """Build the HiGHS model of ``problem`` (the *build* step).

    Rows: ``sum`` (shares sum to 1), ``partner`` (partner floor), in coalition
    mode ``extra`` (``y ≥ (M_i / M)(w - current)``) and ``shared``
    (``Σ_i y ≤ spare / M``, only for suppliers whose spare capacity could bind),
    and for ``shortfall`` one ``short`` row per importer and draw::

        z_k ≥ Σ_s w_s [(1 - a_ks) + ρ a_ks] - ρ Σ_s a_ks cap_s

    which is the linearisation of the net shortfall of
    :func:`kakehashi.optimize.readback.expected_shortfall`.
    """
    import scipy.sparse as sp

    b = bounds if bounds is not None else share_bounds(problem)
    m, n = problem.m, problem.n
    imp_names, sup_names = problem.importers, problem.suppliers
    lower: list[FloatArray] = [b.lower.ravel()]
    upper: list[FloatArray] = [b.upper.ravel()]
    cost: list[FloatArray] = [problem.linear_cost().ravel()]
    hess: list[FloatArray] = [np.tile(2.0 * problem.weights(), m)]
    names = [f"w|{i}|{s}" for i in imp_names for s in sup_names]
    rows: list[tuple[str, float, float, list[int], list[float]]] = []
    for i, imp in enumerate(imp_names):
        rows.append((f"sum|{imp}|", 1.0, 1.0, list(range(i * n, (i + 1) * n)), [1.0] * n))
    if problem.min_partner_share is not None:
        for i, imp in enumerate(imp_names):
            idx = [i * n + int(s) for s in np.flatnonzero(problem.partners[i])]
            rows.append((f"partner|{imp}|", problem.min_partner_share, np.inf, idx, [1.0] * len(idx)))
    ncol = m * n
    if problem.coalition:
        total = float(problem.imports_usd.sum())
        weight = problem.imports_usd / total
        extra_need = (np.maximum(b.upper - problem.current, 0.0) * problem.imports_usd[:, None]).sum(axis=0)
        binding = np.flatnonzero(extra_need > problem.spare_usd * (1 + 1e-12))
        for s in binding:
            ycols = []
            for i, imp in enumerate(imp_names):
                names.append(f"y|{imp}|{sup_names[s]}")
                ycols.append(ncol)
                rows.append((f"extra|{imp}|{sup_names[s]}", -weight[i] * problem.current[i, s], np.inf,
                              [ncol, i * n + int(s)], [1.0, -weight[i]]))
                ncol += 1
            rows.append((f"shared||{sup_names[s]}", -np.inf, problem.spare_usd[s] / total,
                         ycols, [1.0] * m))
        k = len(names) - m * n
        lower.append(np.zeros(k))
        upper.append(np.full(k, np.inf))
        cost.append(np.zeros(k))
        hess.append(np.zeros(k))
    if problem.objective == "shortfall":
        a = np.asarray(problem.availability)
        kd = a.shape[0]
        rho = problem.reallocation
        coef = (1.0 - a) + rho * a  # (K, n)
        for i, imp in enumerate(imp_names):
            rhs = -rho * (a * b.capacity[i][None, :]).sum(axis=1)
            for d in range(kd):
                names.append(f"z|{imp}|{d}")
                rows.append((f"short|{imp}|{d}", float(rhs[d]), np.inf,
                             [ncol, *range(i * n, (i + 1) * n)], [1.0, *(-coef[d]).tolist()]))
                ncol += 1
        lower.append(np.zeros(m * kd))
        upper.append(np.full(m * kd, np.inf))
        cost.append(np.full(m * kd, 1.0 / kd))
        hess.append(np.zeros(m * kd))
    r_idx: list[int] = []
    c_idx: list[int] = []
    vals: list[float] = []
    for r, (_, _, _, cols, coefs) in enumerate(rows):
        r_idx.extend([r] * len(cols))
        c_idx.extend(cols)
        vals.extend(coefs)
    amat = sp.csc_matrix((vals, (r_idx, c_idx)), shape=(len(rows), ncol))
    return Model(
        problem=problem,
        bounds=b,
        col_lower=np.concatenate(lower),
        col_upper=np.concatenate(upper),
        col_cost=np.concatenate(cost),
        hessian_diag=np.concatenate(hess),
        a_matrix=amat,
        row_lower=np.array([r[1] for r in rows], dtype=np.float64),
        row_upper=np.array([r[2] for r in rows], dtype=np.float64),
        col_names=names,
        row_names=[r[0] for r in rows],
    )
