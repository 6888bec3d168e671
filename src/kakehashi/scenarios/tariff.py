"""Tariff kernel: the WITS/UNCTAD SMART partial-equilibrium model, for stacked tariffs.

Source: O. Jammes and M. Olarreaga (2005), "Explaining SMART and GSIM", World
Bank (work in progress, April 2005); WITS online help, "SMART Theoretical
Framework". One importing market, one HS6 product at a time; imports from
different suppliers are imperfect (Armington) substitutes; no income effects;
trade values are read as quantities with world prices normalised to 1.

Notation (per importer and product; ``c`` a supplier, ``D`` draws, ``P``
products, ``C`` suppliers; all arrays broadcast over draws):

``m_c``   base-year imports from *c* (USD, world prices)
``t0_c``  ad-valorem tariff in force (fraction; stacked rates already added)
``t1_c``  tariff after the scenario; ``Δt_c = t1_c − t0_c``
``ε_m``   import-demand elasticity, given as a positive magnitude; the paper's
          (negative) elasticity is ``−ε_m``
``ε_x``   export-supply elasticity (SMART default 99; ``inf`` = perfectly elastic)
``σ``     Armington elasticity of substitution among suppliers (default 1.5)

Equations

1. Trade creation (Jammes & Olarreaga, relaxing infinitely elastic supply)::

       TC_c = m_c · (−ε_m) · Δt_c / ((1 + t0_c) · (1 − (−ε_m)/ε_x))
            = −m_c · ε_m · Δt_c / ((1 + t0_c) · (1 + ε_m/ε_x))

   floored at ``−m_c`` (imports cannot fall below zero).
2. Domestic-price change of variety *c* (world price falls as exporters move
   down their supply curve)::

       d ln p_c = Δt_c / (1 + t0_c) · ε_x / (ε_x + ε_m)

3. Trade diversion between the suppliers whose tariff changes (group A,
   imports ``M_A``) and all others (group B, ``M_B``), from the SMART two-variety
   formula with the relative-price change of A against B
   ``dπ = Σ_a (m_a/M_A)·d ln p_a`` and the relative-quantity change
   ``x = −σ·dπ`` (floored at −1, the WITS ceiling "trade diversion cannot exceed
   existing trade")::

       TD_A = M_A · M_B · x / (M_A + M_B + M_A · x),   TD_B = −TD_A

   ``TD_A`` is shared within A in proportion to ``m_a · d ln p_a`` and
   ``TD_B`` within B in proportion to ``m_b``; diversion sums to zero on the
   market side. A supplier's diversion is limited so that its imports stay
   non-negative after creation.
4. Price effect (finite ε_x): the world price of *c* moves by
   ``d ln pw_c = (ΔM_c / m_c) / ε_x`` with ``ΔM_c = TC_c + TD_c``; its value is
   ``PE_c = (m_c + ΔM_c) · d ln pw_c``. Total trade effect ``TC + TD + PE``.
5. Tariff revenue ``TR = t·M`` at world prices: ``ΔTR_c = t1_c·(m_c + ΔM_c)·(1 + d ln pw_c)
   − t0_c·m_c``.
6. Consumer-surplus change from the domestic price change
   ``Δp_c = (1 + t1_c)(1 + d ln pw_c) − (1 + t0_c)`` along the demand curve
   (rectangle plus triangle)::

       ΔCS_c = −Δp_c · (m_c + TC_c / 2)

7. Change in consumer surplus plus tariff revenue of the importing country
   (consumers plus treasury; domestic producers are outside SMART):
   ``ΔCS_c + ΔTR_c`` (metric ``welfare_change_usd``: this, not the WITS
   triangle). With ε_x = ∞ and one supplier it is ``(t0 + t1)/2 · TC``, i.e.
   minus the change of the whole dead-weight loss ``½·t·(M_free − M)``,
   including the revenue ``t0 · TC`` lost on the imports that stop.
8. The WITS welfare triangle. WITS Online Help, *SMART Theoretical Framework*
   (World Bank 2010), gives SMART's welfare effect as the triangle between the
   old and new tariff along the import-demand curve, ``W = ½ · ΔT · ΔM``, with
   ``ΔT`` the tariff change and ``ΔM`` the change of imports, i.e. trade
   creation (written for a tariff cut, where it is a gain). Here, per
   supplier, ``W_c = ½ · |Δt_c| · TC_c``: its size is the triangle and its sign
   that of the welfare change (negative for a tariff rise, as imports fall;
   positive for a cut). It leaves out the rectangle ``t0 · TC`` of item 7, so
   the two agree only when the tariff before is zero.

Stacked tariffs: ``t0`` already includes the additional duties in force on the
scenario's start date (from the measures catalogue), and the new duty is added
on top: ``t1 = t0 + rate``. See :func:`stack_rates`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_SIGMA = 1.5
"""Armington substitution elasticity among suppliers (SMART default)."""

DEFAULT_EXPORT_SUPPLY_ELASTICITY = 99.0
"""Export-supply elasticity (SMART default: practically infinite)."""

DEFAULT_IMPORT_DEMAND_ELASTICITY = 1.0
"""Import-demand elasticity (absolute value) for products the user's table
does not cover: unit-elastic demand, a neutral assumption rather than an
estimate. Supply product- and country-specific values (e.g. Kee, Nicita and
Olarreaga 2008, the ones WITS ships) in ``parameters.import_demand_elasticities``."""


@dataclass(frozen=True)
class SmartResult:
    """SMART outputs, each of shape (D, P, C), USD unless stated."""

    trade_creation: FloatArray
    trade_diversion: FloatArray
    price_effect: FloatArray
    trade_total: FloatArray
    world_price_change: FloatArray
    """Relative change of the world (exporter) price, a fraction."""
    tariff_revenue_change: FloatArray
    consumer_surplus_change: FloatArray
    welfare_change: FloatArray
    """Change in consumer surplus plus tariff revenue, ``ΔCS + ΔTR`` (item 7), SMART's "welfare"."""
    wits_welfare_triangle: FloatArray
    """The WITS triangle ``½ · |Δt| · TC`` (item 8); negative: a loss."""


def stack_rates(base: FloatArray, in_force: FloatArray, rate: FloatArray,
                stacks: bool) -> tuple[FloatArray, FloatArray]:
    """Tariffs before and after a new duty.

    ``stacks=True``: ``t0 = base + in_force``, ``t1 = t0 + rate`` (the new duty
    comes on top of the additional duties in force). ``stacks=False``: the
    duties in force are left out of both (``t0 = base``, ``t1 = base + rate``),
    i.e. the duty is studied on its own.

    Examples
    --------
    >>> stack_rates(np.array([0.025]), np.array([0.10]), np.array([0.25]), True)
    (array([0.125]), array([0.375]))
    """
    t0 = base + in_force if stacks else base + 0.0 * in_force
    return t0, t0 + rate


def smart(m: FloatArray, t0: FloatArray, t1: FloatArray, eps_m: FloatArray,
          eps_x: FloatArray, sigma: FloatArray) -> SmartResult:
    """Run SMART for one importing market over products and draws.

    Parameters
    ----------
    m
        Shape (P, C): base imports by product and supplier, USD.
    t0, t1
        Shape (P, C): tariffs before and after, fractions (0.25 = 25 %).
    eps_m
        Shape (D, P): import-demand elasticities, positive magnitudes.
    eps_x
        Shape (D,): export-supply elasticity, > 0 (may be ``inf``).
    sigma
        Shape (D,): Armington elasticity, ≥ 0.

    Returns
    -------
    SmartResult
        Arrays of shape (D, P, C).

    Examples
    --------
    A 20 % duty on supplier A (imports 100) with B (50) untouched, ε_m = 1,
    ε_x = ∞, σ = 1.5: creation −20 and diversion −12.5 on A, +12.5 on B.

    >>> r = smart(np.array([[100.0, 50.0]]), np.zeros((1, 2)), np.array([[0.2, 0.0]]),
    ...           np.array([[1.0]]), np.array([np.inf]), np.array([1.5]))
    >>> np.round(r.trade_total[0, 0], 6).tolist()
    [-32.5, 12.5]
    """
    mm = m[None, :, :]
    dt = (t1 - t0)[None, :, :]
    base = (1.0 + t0)[None, :, :]
    e = eps_m[:, :, None]
    ex = eps_x[:, None, None]
    damp = 1.0 + e / ex  # = 1 − ε_m(neg)/ε_x

    # 1. trade creation
    tc = np.maximum(-mm * e * dt / (base * damp), -mm)

    # 2. domestic price change of each variety
    dlnp = dt / base / damp

    # 3. trade diversion between group A (tariff changes) and group B
    hit = (t1 != t0)[None, :, :]
    m_a = np.where(hit, mm, 0.0)
    big_a = m_a.sum(axis=2)  # (1, P)
    big_b = np.where(hit, 0.0, mm).sum(axis=2)
    weighted = (m_a * dlnp).sum(axis=2)  # (D, P)
    with np.errstate(divide="ignore", invalid="ignore"):
        dpi = np.where(big_a > 0, weighted / big_a, 0.0)
        x = np.maximum(-sigma[:, None] * dpi, -1.0)
        denom = big_a + big_b + big_a * x
        td_a = np.where((big_b > 0) & (denom > 0), big_a * big_b * x / denom, 0.0)
        share_a = np.where(weighted[:, :, None] != 0, m_a * dlnp / weighted[:, :, None], 0.0)
    td = td_a[:, :, None] * share_a
    td = np.where(hit, np.maximum(td, -(mm + tc)), 0.0)  # imports stay >= 0
    td_a_eff = td.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_b = np.where(hit | (big_b[:, :, None] <= 0), 0.0, mm / big_b[:, :, None])
    td = td - td_a_eff[:, :, None] * share_b

    # 4. price effect
    dm = tc + td
    with np.errstate(divide="ignore", invalid="ignore"):
        dlnpw = np.where(mm > 0, dm / mm, 0.0) / ex
    pe = (mm + dm) * dlnpw

    # 5-7. revenue, consumer surplus, welfare
    tr0 = (t0[None] * mm)
    tr1 = t1[None] * (mm + dm) * (1.0 + dlnpw)
    dtr = tr1 - tr0
    dp = (1.0 + t1[None]) * (1.0 + dlnpw) - base
    dcs = -dp * (mm + 0.5 * tc)
    triangle = 0.5 * np.abs(dt) * tc
    return SmartResult(
        trade_creation=tc,
        trade_diversion=td,
        price_effect=pe,
        trade_total=tc + td + pe,
        world_price_change=np.broadcast_to(dlnpw, tc.shape).copy(),
        tariff_revenue_change=dtr,
        consumer_surplus_change=dcs,
        welfare_change=dcs + dtr,
        wits_welfare_triangle=triangle,
    )
