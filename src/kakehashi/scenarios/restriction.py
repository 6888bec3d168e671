"""Export-restriction kernel: direct loss, reallocation, shortfall, chain propagation.

Pure NumPy functions on arrays, no I/O. Axes are named in each docstring:
``D`` draws, ``M`` measures, ``P`` products (HS6), ``I`` importers, ``U``
products of the chain, ``L`` chain links. Every function accepts the draw axis
first so a whole Monte-Carlo run is one call (see
:mod:`kakehashi.scenarios.montecarlo`).

Method (per importer *i* and product *p*, values in USD of the base year)

1. Direct loss ``L[i,p] = φ · X[r,i,p]``: the severity φ ∈ [0, 1] (1 = ban) times
   the imports of *i* from the restricting exporter *r*, for targeted importers
   only. Several restrictions on the same lane combine as independent cuts
   *month by month* (:func:`time_combined_severity`): in month *t* the
   severity is ``φ_t = 1 − Π_{m in force at t} (1 − φ_m)`` over the
   restrictions in force that month, and the loss over the scenario is
   ``L = X/12 · Σ_t φ_t`` (``X`` a year's imports). A 3-month ban beside a
   12-month 50 % cut thus stops all trade for 3 months and half of it for the
   other 9 (``L = X · (3·1 + 9·0.5)/12``), not all of it for 12 months. A
   restriction's months start at its ``start`` date (month granularity;
   one without a date starts with the earliest dated one) and run for
   ``duration_months``; the restriction period of a lane is the number of
   months in which at least one restriction covers it.
2. Reallocation: the other suppliers of *p* can redirect a share θ of their
   exports of *p* to third countries (countries not hit by the restriction):
   a pool ``S[p] = θ · Σ_s Σ_{j third} X[s,j,p]``. All affected importers compete
   for the pool in proportion to their losses, and nobody gets more than it
   lost: ``R[i,p] = L[i,p] · min(1, S[p] / Σ_i L[i,p])``.
3. Net shortfall ``N = L − R`` in USD and as a share of the importer's total
   imports of *p*: ``s[i,p] = N[i,p] / M[i,p]``.
4. Price pressure (an indicator, not a forecast): if the world market of *p*
   loses the share ``z = Σ_i N[i,p] / W[p]`` of its traded supply ``W[p]`` and
   import demand has constant price elasticity ε (absolute value), the
   market-clearing price rises by ``Δp/p = (1 − z)^(−1/ε) − 1``. ``z`` is capped
   at :data:`MAX_WORLD_SHORTFALL` so the indicator stays finite.
5. Chain propagation, tier by tier along the catalogue's chain links
   (input → output, input share *a*): a shortfall share ``s_k`` of the inputs
   of product *o* in country *i* cuts the country's supply of *o* at tier
   ``k+1`` by ``s_{k+1}[i,o] = min(1, Σ_in a[in,o] · s_k[i,in])`` (remaining
   supply ``1 − s`` floored at 0). A link without a published input share uses
   :data:`DEFAULT_INPUT_SHARE`.

References: the reallocation of spare exports follows the substitution logic
of the EU strategic-dependencies work (European Commission, SWD(2021) 352) and
CEPII GeoDep; the price indicator is the inverse of a constant-elasticity
demand curve.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.integer[Any]]

DEFAULT_INPUT_SHARE = 0.25
"""Input share used for a chain link whose share is not published.

An assumption, not an estimate: a quarter of the downstream product's supply
depends on the input. Override it with ``parameters.default_input_share`` in the
scenario file, or make it uncertain (``uncertain.default_input_share``)."""

DEFAULT_THETA = 0.2
"""Default share θ of other suppliers' third-country exports that can be
redirected within the scenario period (an assumption; make it uncertain)."""

DEFAULT_PRICE_ELASTICITY = 0.5
"""Default absolute price elasticity of import demand used by the price
indicator: short-run demand for critical inputs is inelastic (an assumption)."""

MAX_WORLD_SHORTFALL = 0.99
"""Cap on the world shortfall share in :func:`price_pressure`."""


def effective_severity(severity: FloatArray, coverage: BoolArray) -> FloatArray:
    """Combined severity of several restrictions on the same lanes.

    ``φ[d,p,i] = 1 − Π_m (1 − φ_m[d] · c_m[p,i])`` where ``c_m`` is 1 when
    measure *m* covers product *p* to importer *i*.

    Parameters
    ----------
    severity
        Shape (D, M): severity of each measure in each draw, in [0, 1].
    coverage
        Shape (M, P, I): whether measure *m* covers the lane.

    Returns
    -------
    ndarray
        Shape (D, P, I).

    Examples
    --------
    >>> effective_severity(np.array([[0.5, 0.5]]), np.ones((2, 1, 1), bool))[0, 0, 0]
    np.float64(0.75)
    """
    retained = np.ones((severity.shape[0], *coverage.shape[1:]))
    for m in range(coverage.shape[0]):  # loop over measures (few), never over draws
        retained *= 1.0 - severity[:, m, None, None] * coverage[m][None, :, :]
    return 1.0 - retained


def time_combined_severity(severity: FloatArray, coverage: BoolArray, start_month: IntArray,
                           duration_months: IntArray) -> tuple[FloatArray, FloatArray]:
    """Severities of restrictions of different dates and durations, combined month by month.

    For each month *t* the restrictions in force (``start_m ≤ t < start_m + duration_m``)
    combine as independent cuts, ``φ_t[d,p,i] = 1 − Π_{m in force at t} (1 − φ_m[d] · c_m[p,i])``
    (:func:`effective_severity`), and the result sums them over the months in years:
    ``Φ[d,p,i] = Σ_t φ_t[d,p,i] / 12``. Multiplied by a year's imports it gives the loss
    over the whole scenario (:func:`direct_loss`). Months are grouped into spans where
    the same restrictions are in force, so the cost grows with the number of
    restrictions, not of months.

    Parameters
    ----------
    severity
        Shape (D, M): severity of each restriction in each draw, in [0, 1].
    coverage
        Shape (M, P, I): whether restriction *m* covers the lane.
    start_month
        Shape (M,): first month of each restriction (any integer origin, e.g.
        ``12·year + month``).
    duration_months
        Shape (M,): months each restriction lasts, ≥ 1.

    Returns
    -------
    (ndarray, ndarray)
        ``Φ`` of shape (D, P, I), severity-years; and the restriction period of
        each lane, shape (P, I), in years: the months in which at least one
        restriction covers it, over 12.

    Examples
    --------
    A 3-month restriction at φ = 0.5 beside a 12-month one at φ = 0.5, both
    from the same month: 3 months at 1 − 0.5·0.5 = 0.75, 9 months at 0.5,
    ``Φ = (3·0.75 + 9·0.5)/12 = 0.5625`` over a period of one year:

    >>> phi, period = time_combined_severity(np.array([[0.5, 0.5]]), np.ones((2, 1, 1), bool),
    ...                                      np.array([0, 0]), np.array([3, 12]))
    >>> float(phi[0, 0, 0]), float(period[0, 0])
    (0.5625, 1.0)
    """
    start = np.asarray(start_month, dtype=np.int64)
    end = start + np.asarray(duration_months, dtype=np.int64)
    edges = np.unique(np.concatenate([start, end]))
    total = np.zeros((severity.shape[0], *coverage.shape[1:]))
    period = np.zeros(coverage.shape[1:])
    for a, b in itertools.pairwise(edges):  # spans of constant restrictions (few)
        active = np.flatnonzero((start <= a) & (a < end))
        if not active.size:
            continue
        years = (b - a) / 12.0
        total += years * effective_severity(severity[:, active], coverage[active])
        period += years * coverage[active].any(axis=0)
    return total, period


def direct_loss(exposure: FloatArray, severity: FloatArray) -> FloatArray:
    """Direct loss ``L = φ · X`` of imports from the restricting exporter.

    Parameters
    ----------
    exposure
        Shape (P, I): imports of each importer from the restricting exporter
        (zero for importers the measure does not target).
    severity
        Shape (D, P, I) or broadcastable, e.g. (D, 1, 1).

    Returns
    -------
    ndarray
        Shape (D, P, I), USD.
    """
    return severity * exposure[None, :, :]


def reallocation(loss: FloatArray, spare: FloatArray, theta: FloatArray) -> FloatArray:
    """Spare exports of other suppliers reallocated to the affected importers.

    ``R[d,p,i] = L[d,p,i] · min(1, θ[d] · S[p] / Σ_i L[d,p,i])``: the pool
    ``θ·S`` is shared in proportion to losses and capped by each loss.

    Parameters
    ----------
    loss
        Shape (D, P, I), direct losses.
    spare
        Shape (P,): other suppliers' exports of *p* to third countries.
    theta
        Shape (D,): share of those exports that can be redirected.

    Returns
    -------
    ndarray
        Shape (D, P, I), USD.

    Examples
    --------
    Two importers lose 60 and 40; a pool of 0.5 × 100 = 50 covers half of each:

    >>> reallocation(np.array([[[60.0, 40.0]]]), np.array([100.0]), np.array([0.5]))
    array([[[30., 20.]]])
    """
    pool = theta[:, None] * spare[None, :]
    total = loss.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(total > 0, np.minimum(1.0, pool / total), 0.0)
    return loss * cover[:, :, None]


def net_shortfall(loss: FloatArray, realloc: FloatArray) -> FloatArray:
    """Net shortfall ``N = L − R`` (USD), never negative."""
    return np.maximum(loss - realloc, 0.0)


def shortfall_share(net: FloatArray, imports: FloatArray) -> FloatArray:
    """Net shortfall as a share of the importer's total imports, ``N / M``.

    Parameters
    ----------
    net
        Shape (D, P, I).
    imports
        Shape (P, I): total imports from all suppliers; zero gives share 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(imports[None] > 0, net / imports[None], 0.0)


def price_pressure(world_shortfall: FloatArray, world_supply: FloatArray,
                   elasticity: FloatArray) -> FloatArray:
    """Price-pressure indicator ``Δp/p = (1 − z)^(−1/ε) − 1``.

    With constant-elasticity import demand ``Q = A·p^(−ε)``, removing the share
    ``z`` of supply raises the clearing price by the factor ``(1 − z)^(−1/ε)``.

    Parameters
    ----------
    world_shortfall
        Shape (D, P): sum of net shortfalls over importers, USD.
    world_supply
        Shape (P,): world exports of the product in the base year, USD.
    elasticity
        Shape (D,): absolute price elasticity of demand, > 0.

    Returns
    -------
    ndarray
        Shape (D, P): relative price increase (0.25 = +25 %).

    Examples
    --------
    Losing 19 % of supply with ε = 0.5 gives (0.81)^(−2) − 1 ≈ 0.524:

    >>> round(float(price_pressure(np.array([[19.0]]), np.array([100.0]), np.array([0.5]))[0, 0]), 3)
    0.524
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(world_supply[None] > 0, world_shortfall / world_supply[None], 0.0)
    z = np.clip(z, 0.0, MAX_WORLD_SHORTFALL)
    return np.power(1.0 - z, -1.0 / elasticity[:, None]) - 1.0


def link_matrices(n_products: int, input_idx: IntArray, output_idx: IntArray,
                  input_share: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Known-share and missing-share matrices of the chain links.

    Returns ``(A, B)``, both of shape (U, U) indexed ``[output, input]``: ``A``
    holds published input shares; ``B`` is 1 where a link has no share (NaN),
    to be multiplied by the default input share of each draw.
    """
    a = np.zeros((n_products, n_products))
    b = np.zeros((n_products, n_products))
    known = ~np.isnan(input_share)
    np.add.at(a, (output_idx[known], input_idx[known]), input_share[known])
    np.add.at(b, (output_idx[~known], input_idx[~known]), 1.0)
    return a, b


def propagate(share0: FloatArray, known: FloatArray, missing: FloatArray,
              default_share: FloatArray, tiers: int) -> list[FloatArray]:
    """Shortfall shares tier by tier down the chain links.

    ``s_{k+1}[d,o,i] = min(1, Σ_in (A[o,in] + a_def[d]·B[o,in]) · s_k[d,in,i])``

    Parameters
    ----------
    share0
        Shape (D, U, I): tier-0 shortfall shares (zero for products that are
        not restricted directly).
    known, missing
        Shape (U, U): from :func:`link_matrices`.
    default_share
        Shape (D,): input share used for links without a published one.
    tiers
        Number of downstream tiers to compute.

    Returns
    -------
    list of ndarray
        ``[s_1, ..., s_tiers]``, each of shape (D, U, I), values in [0, 1].

    Examples
    --------
    Oxide → magnet (a = 0.3) → motor (a = 0.2); a 50 % oxide shortfall cuts
    magnets by 15 % and motors by 3 %:

    >>> a = np.array([[0, 0, 0], [0.3, 0, 0], [0, 0.2, 0]])
    >>> s = propagate(np.array([[[0.5], [0.0], [0.0]]]), a, np.zeros((3, 3)), np.array([0.25]), 2)
    >>> [round(float(x), 3) for x in (s[0][0, 1, 0], s[1][0, 2, 0])]
    [0.15, 0.03]
    """
    out: list[FloatArray] = []
    s = share0
    for _ in range(tiers):  # loop over tiers (few), never over draws
        nxt = np.einsum("ou,dui->doi", known, s)
        if missing.any():
            nxt += default_share[:, None, None] * np.einsum("ou,dui->doi", missing, s)
        s = np.minimum(nxt, 1.0)
        out.append(s)
    return out
