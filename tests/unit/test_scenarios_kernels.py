"""Scenario kernels against hand calculations (arithmetic written out in each test)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kakehashi.errors import ScenarioError
from kakehashi.scenarios import montecarlo as mc
from kakehashi.scenarios import restriction as rs
from kakehashi.scenarios import tariff as tf

# ---------------------------------------------------------------- restriction

# Hand-made world (synthetic): product p; CHN restricts exports to JPN and IND.
#   CHN -> JPN 60, CHN -> IND 40, CHN -> USA 30 (USA not targeted)
#   AUS -> JPN 40, AUS -> IND 10, AUS -> DEU 50, AUS -> USA 20, VNM -> KOR 30
# JPN imports 100 in total, IND 50.


def test_restriction_worked_example_by_hand() -> None:
    exposure = np.array([[60.0, 40.0]])  # (P=1, I=2): JPN, IND from CHN
    imports = np.array([[100.0, 50.0]])
    # spare = other suppliers' exports to third countries (not JPN/IND, not CHN's lanes):
    # AUS->DEU 50 + AUS->USA 20 + VNM->KOR 30 = 100
    spare = np.array([50.0 + 20.0 + 30.0])
    theta = np.array([0.2])
    sev = np.ones((1, 1, 1))

    loss = rs.direct_loss(exposure, sev)
    assert loss.tolist() == [[[60.0, 40.0]]]
    realloc = rs.reallocation(loss, spare, theta)
    # pool 0.2 * 100 = 20 shared by losses 60:40 -> 12 and 8
    assert realloc[0, 0] == pytest.approx([12.0, 8.0])
    net = rs.net_shortfall(loss, realloc)
    assert net[0, 0] == pytest.approx([48.0, 32.0])
    share = rs.shortfall_share(net, imports)
    assert share[0, 0] == pytest.approx([48.0 / 100.0, 32.0 / 50.0])
    # world supply = CHN 130 + AUS 120 + VNM 30 = 280; z = 80/280; eps = 0.5
    pp = rs.price_pressure(net.sum(axis=2), np.array([280.0]), np.array([0.5]))
    assert pp[0, 0] == pytest.approx((1 - 80.0 / 280.0) ** (-1 / 0.5) - 1)  # = 0.96
    assert pp[0, 0] == pytest.approx(0.96)


def test_reallocation_capped_by_each_loss() -> None:
    loss = np.array([[[60.0, 40.0]]])
    realloc = rs.reallocation(loss, np.array([1_000.0]), np.array([0.5]))
    # pool 500 > total loss 100: everyone is made whole, no more
    assert realloc[0, 0].tolist() == [60.0, 40.0]
    assert rs.net_shortfall(loss, realloc).sum() == 0.0


def test_partial_severity_and_combined_measures() -> None:
    cov = np.array([[[True, False]], [[True, True]]])  # measure 0 covers JPN only
    sev = rs.effective_severity(np.array([[0.5, 0.4]]), cov)
    # JPN: 1 - (1-0.5)(1-0.4) = 0.7 ; IND: 1 - (1-0.4) = 0.4
    assert sev[0, 0].tolist() == pytest.approx([0.7, 0.4])
    assert rs.direct_loss(np.array([[60.0, 40.0]]), sev)[0, 0] == pytest.approx([42.0, 16.0])


def test_chain_propagation_by_hand() -> None:
    # products: 0 = oxide (restricted), 1 = magnet, 2 = motor
    # links: oxide -> magnet a = 0.5 ; magnet -> motor share unknown (default 0.25)
    a, b = rs.link_matrices(3, np.array([0, 1]), np.array([1, 2]), np.array([0.5, np.nan]))
    assert a[1, 0] == 0.5 and b[2, 1] == 1.0
    s0 = np.zeros((1, 3, 2))
    s0[0, 0] = [0.48, 0.64]  # JPN, IND tier-0 shortfall shares from the example above
    tiers = rs.propagate(s0, a, b, np.array([0.25]), 2)
    # tier 1: magnet cut = 0.5 * s ; tier 2: motor cut = 0.25 * 0.5 * s
    assert tiers[0][0, 1] == pytest.approx([0.5 * 0.48, 0.5 * 0.64])
    assert tiers[1][0, 2] == pytest.approx([0.25 * 0.5 * 0.48, 0.25 * 0.5 * 0.64])
    assert tiers[0][0, 2].tolist() == [0.0, 0.0]  # motor only at tier 2


def test_chain_cut_floored_at_zero_supply() -> None:
    # two inputs with shares 0.8 and 0.7, both fully short -> cut 1.5 capped at 1
    a, b = rs.link_matrices(3, np.array([0, 1]), np.array([2, 2]), np.array([0.8, 0.7]))
    s0 = np.zeros((1, 3, 1))
    s0[0, :2, 0] = 1.0
    assert rs.propagate(s0, a, b, np.array([0.25]), 1)[0][0, 2, 0] == 1.0


def test_restriction_vectorised_over_draws_matches_single_draws() -> None:
    rng = np.random.default_rng(3)
    exposure = rng.uniform(0, 100, (4, 6))
    spare = rng.uniform(0, 300, 4)
    theta = rng.uniform(0, 1, 50)
    sev = rng.uniform(0, 1, (50, 1, 1))
    many = rs.net_shortfall(rs.direct_loss(exposure, sev),
                            rs.reallocation(rs.direct_loss(exposure, sev), spare, theta))
    for d in (0, 17, 49):
        loss = rs.direct_loss(exposure, sev[d:d + 1])
        one = rs.net_shortfall(loss, rs.reallocation(loss, spare, theta[d:d + 1]))
        np.testing.assert_allclose(many[d], one[0])


# ---------------------------------------------------------------------- tariff

def test_smart_worked_example_by_hand() -> None:
    """USA puts +20 % on supplier A (imports 100); B (50) untouched; no duty before.

    eps_m = 1, eps_x = inf (perfectly elastic supply), sigma = 1.5.
      TC_A = -100 * 1 * 0.20 / (1 + 0) = -20
      relative price change of A vs B = 0.20 -> x = -1.5 * 0.20 = -0.30
      TD_A = 100 * 50 * (-0.30) / (100 + 50 + 100 * (-0.30)) = -1500 / 120 = -12.5 ; TD_B = +12.5
      new imports: A = 100 - 20 - 12.5 = 67.5 ; B = 62.5
      revenue: 0.20 * 67.5 - 0 = 13.5
      consumer surplus A: -0.20 * (100 + (-20)/2) = -18
      welfare = -18 + 13.5 = -4.5
    """
    r = tf.smart(np.array([[100.0, 50.0]]), np.zeros((1, 2)), np.array([[0.2, 0.0]]),
                 np.array([[1.0]]), np.array([np.inf]), np.array([1.5]))
    assert r.trade_creation[0, 0] == pytest.approx([-20.0, 0.0])
    assert r.trade_diversion[0, 0] == pytest.approx([-12.5, 12.5])
    assert r.trade_total[0, 0] == pytest.approx([-32.5, 12.5])
    assert r.price_effect[0, 0] == pytest.approx([0.0, 0.0])
    assert r.tariff_revenue_change[0, 0] == pytest.approx([13.5, 0.0])
    assert r.consumer_surplus_change[0, 0] == pytest.approx([-18.0, 0.0])
    assert r.welfare_change[0, 0].sum() == pytest.approx(-4.5)


def test_smart_stacked_with_finite_supply_elasticity_by_hand() -> None:
    """A 10 % duty in force on A; +20 % stacked on top -> 30 %. eps_m = 2, eps_x = 99, sigma = 1.5."""
    t0, t1 = tf.stack_rates(np.array([[0.0, 0.0]]), np.array([[0.10, 0.0]]),
                            np.array([[0.20, 0.0]]), stacks=True)
    assert t0.tolist() == [[0.10, 0.0]] and t1.tolist() == [[pytest.approx(0.30), 0.0]]
    r = tf.smart(np.array([[100.0, 50.0]]), t0, t1, np.array([[2.0]]), np.array([99.0]),
                 np.array([1.5]))
    damp = 1 + 2 / 99                                   # 1 - (-2)/99
    tc_a = -100 * 2 * 0.20 / (1.10 * damp)              # = -35.6436
    dlnp_a = 0.20 / 1.10 / damp                         # = 0.178218
    x = -1.5 * dlnp_a                                   # = -0.267327
    td_a = 100 * 50 * x / (100 + 50 + 100 * x)          # = -10.8433
    dm_a, dm_b = tc_a + td_a, -td_a
    pw_a, pw_b = dm_a / 100 / 99, dm_b / 50 / 99        # world-price changes
    assert tc_a == pytest.approx(-35.6436, abs=1e-4) and td_a == pytest.approx(-10.8433, abs=1e-4)
    assert r.trade_creation[0, 0, 0] == pytest.approx(tc_a)
    assert r.trade_diversion[0, 0] == pytest.approx([td_a, -td_a])
    assert r.world_price_change[0, 0] == pytest.approx([pw_a, pw_b])
    assert r.price_effect[0, 0] == pytest.approx([(100 + dm_a) * pw_a, (50 + dm_b) * pw_b])
    rev_a = 0.30 * (100 + dm_a) * (1 + pw_a) - 0.10 * 100
    assert r.tariff_revenue_change[0, 0, 0] == pytest.approx(rev_a)
    cs_a = -((1.30 * (1 + pw_a)) - 1.10) * (100 + tc_a / 2)
    cs_b = -((1.0 * (1 + pw_b)) - 1.0) * 50
    assert r.consumer_surplus_change[0, 0] == pytest.approx([cs_a, cs_b])
    assert r.welfare_change[0, 0].sum() == pytest.approx(cs_a + cs_b + rev_a)


def test_smart_single_supplier_welfare_is_dead_weight_loss_change() -> None:
    # one supplier, eps_x = inf: dW = (t0 + t1)/2 * TC (trapezoid under linearised demand)
    r = tf.smart(np.array([[80.0]]), np.array([[0.05]]), np.array([[0.25]]), np.array([[1.3]]),
                 np.array([np.inf]), np.array([1.5]))
    tc = -80 * 1.3 * 0.20 / 1.05
    assert r.trade_creation[0, 0, 0] == pytest.approx(tc)
    assert r.trade_diversion[0, 0, 0] == 0.0
    assert r.welfare_change[0, 0, 0] == pytest.approx((0.05 + 0.25) / 2 * tc)


def test_smart_diversion_is_zero_sum_and_capped() -> None:
    # +145 % on A with sigma 3: x = -3 * 1.45 -> floored at -1: all of A's remaining trade diverted
    r = tf.smart(np.array([[100.0, 40.0, 60.0]]), np.zeros((1, 3)), np.array([[1.45, 0.0, 0.0]]),
                 np.array([[0.5]]), np.array([np.inf]), np.array([3.0]))
    td = r.trade_diversion[0, 0]
    assert td.sum() == pytest.approx(0.0, abs=1e-9)
    tc_a = -100 * 0.5 * 1.45
    assert td[0] == pytest.approx(-(100 + tc_a))  # A's imports fall exactly to zero
    assert td[1] / td[2] == pytest.approx(40 / 60)  # B's gain shared by import shares
    assert (100 + r.trade_creation[0, 0, 0] + td[0]) == pytest.approx(0.0, abs=1e-9)


def test_smart_uniform_duty_on_everyone_diverts_nothing() -> None:
    r = tf.smart(np.array([[100.0, 50.0]]), np.zeros((1, 2)), np.full((1, 2), 0.1),
                 np.array([[1.0]]), np.array([99.0]), np.array([1.5]))
    assert np.all(r.trade_diversion == 0.0)


# ----------------------------------------------------------------- monte carlo

def test_draws_are_seeded_vectorised_and_in_support() -> None:
    dists = {
        "theta": mc.Distribution("uniform", low=0.1, high=0.3),
        "phi": mc.Distribution("triangular", low=0.5, mode=0.9, high=1.0),
        "eps": mc.Distribution("normal", mean=1.0, sd=0.5, low=0.1),
        "share": mc.Distribution("beta", a=2.0, b=5.0),
    }
    fixed = {"theta": 0.2, "phi": 1.0, "eps": 1.0, "share": 0.25, "sigma": 1.5}
    p1, n = mc.draw_parameters(fixed, dists, 20_000, seed=7)
    p2, _ = mc.draw_parameters(fixed, dict(reversed(list(dists.items()))), 20_000, seed=7)
    assert n == 20_000
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])  # order of declaration does not matter
        assert p1[k].shape == (20_000,)
    assert p1["sigma"].min() == p1["sigma"].max() == 1.5
    assert 0.1 <= p1["theta"].min() and p1["theta"].max() <= 0.3
    assert p1["eps"].min() >= 0.1
    assert 0.0 <= p1["share"].min() and p1["share"].max() <= 1.0
    # means against the analytic ones (tolerance ~ 5 standard errors)
    assert p1["theta"].mean() == pytest.approx(0.2, abs=0.003)
    assert p1["phi"].mean() == pytest.approx((0.5 + 0.9 + 1.0) / 3, abs=0.003)
    assert p1["share"].mean() == pytest.approx(2 / 7, abs=0.005)


def test_no_uncertain_parameter_gives_one_draw_and_equal_percentiles() -> None:
    params, n = mc.draw_parameters({"theta": 0.2}, {}, 1000, seed=1)
    assert n == 1
    x = rs.reallocation(np.array([[[60.0, 40.0]]]), np.array([100.0]), params["theta"])
    p5, p50, p95 = mc.percentiles(x)
    assert np.array_equal(p5, p50) and np.array_equal(p50, p95)


def test_percentiles_by_hand() -> None:
    x = np.arange(1.0, 21.0)  # 1..20: p5 = 1 + 0.05*19 = 1.95 (linear interpolation)
    p5, p50, p95 = mc.percentiles(x)
    assert (float(p5), float(p50), float(p95)) == pytest.approx((1.95, 10.5, 19.05))


def test_uncertain_parameter_without_point_value_is_refused() -> None:
    with pytest.raises(ScenarioError, match="'theta2'"):
        mc.draw_parameters({"theta": 0.2}, {"theta2": mc.Distribution("uniform", low=0, high=1)}, 10, 1)


def test_triangular_degenerate_and_math() -> None:
    rng = np.random.default_rng(0)
    assert mc.draw(mc.Distribution("triangular", low=1.0, mode=1.0, high=1.0), 3, rng).tolist() == [1.0] * 3
    assert math.isfinite(float(rs.price_pressure(np.array([[1e9]]), np.array([1.0]), np.array([0.5]))[0, 0]))


def test_time_combined_severity_against_a_month_by_month_loop() -> None:
    rng = np.random.default_rng(7)
    sev = rng.uniform(0, 1, size=(5, 3))  # 5 draws, 3 restrictions
    cov = rng.uniform(size=(3, 2, 4)) < 0.7  # 2 products, 4 importers
    start = np.array([0, 2, 10])
    dur = np.array([12, 3, 6])  # months 0–11, 2–4, 10–15
    phi, period = rs.time_combined_severity(sev, cov, start, dur)
    want = np.zeros_like(phi)
    want_period = np.zeros(period.shape)
    for t in range(0, 16):  # every month, the restrictions in force then
        kept = np.ones_like(phi)
        on = np.zeros(period.shape, dtype=bool)
        for m in range(3):
            if start[m] <= t < start[m] + dur[m]:
                kept *= 1 - sev[:, m, None, None] * cov[m][None]
                on |= cov[m]
        want += (1 - kept) / 12
        want_period += on / 12
    np.testing.assert_allclose(phi, want, rtol=1e-12)
    np.testing.assert_allclose(period, want_period, rtol=1e-12)
    # one restriction alone: φ × months / 12, as before
    one, p1 = rs.time_combined_severity(sev[:, :1], cov[:1], start[:1], np.array([6]))
    np.testing.assert_allclose(one, sev[:, 0, None, None] * cov[0][None] * 0.5)
    np.testing.assert_allclose(p1, cov[0] * 0.5)


def test_smart_welfare_labels_and_wits_triangle_by_hand() -> None:
    """One product, one supplier: imports 100, duty 5 % raised to 25 %, ε_m = 1.5, ε_x = ∞.

      TC = −100 · 1.5 · 0.20 / 1.05 = −28.5714      (imports fall to 71.4286)
      ΔTR = 0.25 · 71.4286 − 0.05 · 100 = 12.8571
      ΔCS = −0.20 · (100 − 28.5714 / 2) = −17.1429
      ΔCS + ΔTR = −4.2857                           (metric welfare_change_usd)
      WITS triangle ½ · |Δt| · TC = ½ · 0.20 · (−28.5714) = −2.8571
      difference = t0 · TC = 0.05 · (−28.5714) = −1.4286, the duty lost on the imports that stop
    A cut from 25 % to 5 % gives a triangle of the same size with a positive sign.
    """
    r = tf.smart(np.array([[100.0]]), np.array([[0.05]]), np.array([[0.25]]), np.array([[1.5]]),
                 np.array([np.inf]), np.array([1.5]))
    tc = -100 * 1.5 * 0.20 / 1.05
    assert r.trade_creation[0, 0, 0] == pytest.approx(-28.5714, abs=1e-4)
    assert r.tariff_revenue_change[0, 0, 0] == pytest.approx(0.25 * (100 + tc) - 5.0)
    assert r.consumer_surplus_change[0, 0, 0] == pytest.approx(-0.20 * (100 + tc / 2))
    assert r.welfare_change[0, 0, 0] == pytest.approx(-4.2857, abs=1e-4)
    assert r.wits_welfare_triangle[0, 0, 0] == pytest.approx(-2.8571, abs=1e-4)
    assert r.welfare_change[0, 0, 0] - r.wits_welfare_triangle[0, 0, 0] == pytest.approx(0.05 * tc)
    cut = tf.smart(np.array([[100.0]]), np.array([[0.25]]), np.array([[0.05]]), np.array([[1.5]]),
                   np.array([np.inf]), np.array([1.5]))
    tc_cut = 100 * 1.5 * 0.20 / 1.25  # imports rise by 24
    assert cut.wits_welfare_triangle[0, 0, 0] == pytest.approx(0.5 * 0.20 * tc_cut)
    assert cut.wits_welfare_triangle[0, 0, 0] == pytest.approx(2.4)
