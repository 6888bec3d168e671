"""Portfolio optimiser maths: known optima, KKT conditions, infeasibility, coalitions.

All problems here are small synthetic arrays written in the tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from kakehashi.errors import InputError
from kakehashi.optimize import InfeasibleError, PortfolioProblem, solve, solve_many
from kakehashi.optimize.readback import expected_shortfall
from kakehashi.optimize.solve import Infeasible, waterfill

METHODS = ["highs", "waterfill"]


def _problem(current: list[float], spare: list[float], imports: float = 100.0,
             **kw: object) -> PortfolioProblem:
    n = len(current)
    args: dict[str, object] = {
        "current": [current], "imports_usd": [imports], "spare_usd": spare,
        "cost_ratio": [np.ones(n)], "risk_weight": np.ones(n),
    }
    args.update(kw)
    return PortfolioProblem("850511", ("JPN",), tuple(f"S{k}" for k in range(n)), **args)  # type: ignore[arg-type]


def _waterfill_by_bisection(cap: np.ndarray) -> np.ndarray:
    """Independent reference: min Σw² s.t. Σw=1, 0≤w≤cap is w = min(cap, τ) with Σ min(cap, τ) = 1."""
    lo, hi = 0.0, 1.0
    for _ in range(200):
        tau = (lo + hi) / 2
        if np.minimum(cap, tau).sum() < 1:
            lo = tau
        else:
            hi = tau
    return np.minimum(cap, (lo + hi) / 2)


@pytest.mark.parametrize("method", METHODS)
def test_hhi_with_loose_bounds_gives_equal_shares(method: str) -> None:
    p = _problem([0.7, 0.2, 0.1, 0.0], spare=[1000.0] * 4)
    sol = solve(p, method)  # type: ignore[arg-type]
    np.testing.assert_allclose(sol.shares[0], [0.25] * 4, atol=1e-7)
    assert sol.risk_before[0] == pytest.approx(0.7**2 + 0.2**2 + 0.1**2)
    assert sol.risk_after[0] == pytest.approx(0.25, abs=1e-7)


@pytest.mark.parametrize("method", METHODS)
def test_hhi_with_binding_caps_is_water_filling(method: str) -> None:
    current = np.array([0.6, 0.25, 0.1, 0.05, 0.0])
    spare = np.array([0.0, 5.0, 3.0, 30.0, 60.0])  # imports 100 → capacity current + spare/100
    p = _problem(current.tolist(), spare.tolist(), rival=0, rival_cap=0.3)
    cap = np.minimum(current + spare / 100, 1.0)
    cap[0] = 0.3
    expected = _waterfill_by_bisection(cap)
    # by hand: caps 0.3, 0.30, 0.13, 0.35, 0.60 → τ solves 0.13 + 4τ = 1 → τ = 0.2175
    assert expected == pytest.approx([0.2175, 0.2175, 0.13, 0.2175, 0.2175])
    sol = solve(p, method)  # type: ignore[arg-type]
    np.testing.assert_allclose(sol.shares[0], expected, atol=1e-7)


def _random_problem(seed: int, objective: str = "governance") -> PortfolioProblem:
    rng = np.random.default_rng(seed)
    n = 9
    current = rng.dirichlet(np.ones(n) * 0.5)
    partners = np.zeros(n, dtype=bool)
    partners[[2, 5]] = True
    return PortfolioProblem(
        "280530", ("IND",), tuple(f"S{k}" for k in range(n)), current=[current], imports_usd=[250.0],
        spare_usd=rng.uniform(0, 120, n), cost_ratio=[rng.uniform(0.7, 1.5, n)],
        risk_weight=rng.uniform(1, 9, n), objective=objective, rival=int(np.argmax(current)),  # type: ignore[arg-type]
        rival_cap=0.15, partners=[partners], min_partner_share=0.3, max_change=0.35, lam=0.4,
    )


def _slsqp(p: PortfolioProblem, start: np.ndarray) -> float:
    from kakehashi.optimize.problem import share_bounds

    b = share_bounds(p)
    g, c = p.weights(), p.linear_cost()[0]
    part = p.partners[0].astype(float)
    floor = p.min_partner_share or 0.0
    res = minimize(
        lambda w: float(g @ w**2 + c @ w), start, jac=lambda w: 2 * g * w + c, method="SLSQP",
        bounds=list(zip(b.lower[0], b.upper[0], strict=True)),
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones_like(w)},
                     {"type": "ineq", "fun": lambda w: part @ w - floor, "jac": lambda w: part}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert res.success, res.message
    return float(res.fun)


@pytest.mark.parametrize("seed", [3, 6, 17])  # partner floor binding; slack; a lower bound active
def test_kkt_conditions_hold_with_the_multipliers_read_back(seed: int) -> None:
    p = _random_problem(seed)
    sol = solve(p, "highs")
    b = sol.bounds
    w, g, c = sol.shares[0], p.weights(), p.linear_cost()[0]
    part = p.partners[0]
    tol = 1e-6
    # primal feasibility
    assert w.sum() == pytest.approx(1, abs=tol)
    assert np.all(w >= b.lower[0] - tol) and np.all(w <= b.upper[0] + tol)
    assert w[part].sum() >= p.min_partner_share - tol  # type: ignore[operator]
    # stationarity: ∇f − ν·1 − η·1_P − z = 0 with the duals HiGHS reports
    nu, eta, z = sol.sum_dual[0], sol.partner_dual[0], sol.share_dual[0]
    np.testing.assert_allclose(2 * g * w + c - nu - eta * part - z, 0, atol=1e-6)
    # dual feasibility and complementary slackness
    assert eta >= -tol
    assert eta * (w[part].sum() - p.min_partner_share) == pytest.approx(0, abs=tol)  # type: ignore[operator]
    at_lower = w <= b.lower[0] + tol
    at_upper = w >= b.upper[0] - tol
    assert np.all(z[~at_lower & ~at_upper] == pytest.approx(0, abs=1e-6))
    assert np.all(z[at_lower & ~at_upper] >= -tol) and np.all(z[at_upper & ~at_lower] <= tol)
    # the same optimum as SciPy's SLSQP from the current shares, and as the water-filling path
    f = float(g @ w**2 + c @ w)
    assert f == pytest.approx(_slsqp(p, p.current[0].copy()), abs=1e-7)
    wf = solve(p, "waterfill")
    np.testing.assert_allclose(wf.shares, sol.shares, atol=1e-6)
    assert wf.partner_dual[0] == pytest.approx(eta, abs=1e-5)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), lam=st.floats(0, 3), n=st.integers(2, 12))
def test_waterfill_and_highs_agree(seed: int, lam: float, n: int) -> None:
    rng = np.random.default_rng(seed)
    cur = rng.dirichlet(np.ones(n))
    p = PortfolioProblem(
        "x", ("JPN",), tuple(f"S{k}" for k in range(n)), current=[cur], imports_usd=[10.0],
        spare_usd=rng.uniform(0, 10, n), cost_ratio=[rng.uniform(0.5, 2, n)],
        risk_weight=rng.uniform(0.5, 10, n), objective="governance", lam=lam,
        max_change=float(rng.uniform(0.2, 1)),
    )
    a, b = solve_many([p], "highs")[0], solve_many([p], "waterfill")[0]
    if isinstance(a, Infeasible) or isinstance(b, Infeasible):
        assert isinstance(a, Infeasible) and isinstance(b, Infeasible)
        return
    assert a.objective_value == pytest.approx(b.objective_value, abs=1e-7)
    np.testing.assert_allclose(a.shares, b.shares, atol=1e-5)


def test_waterfill_batches_rows_independently() -> None:
    g = np.array([[1.0, 1.0, 1.0], [1.0, 3.0, 0.0 + 1.0]])
    b = np.zeros((2, 3))
    lo = np.zeros((2, 3))
    hi = np.array([[0.1, 1.0, 1.0], [1.0, 1.0, 0.0]])  # second row: third entry is padding
    w, nu = waterfill(g, b, lo, hi, np.array([1.0, 1.0]))
    # row 1: 0.1 + 2τ = 1; row 2: w ∝ 1/g → (0.75, 0.25)
    np.testing.assert_allclose(w, [[0.1, 0.45, 0.45], [0.75, 0.25, 0.0]], atol=1e-12)
    np.testing.assert_allclose(nu, [0.9, 1.5], atol=1e-12)


def test_infeasible_rival_cap_is_explained_in_words() -> None:
    p = _problem([0.8, 0.2], spare=[0.0, 30.0], rival=0, rival_cap=0.3)
    with pytest.raises(InfeasibleError) as err:
        solve(p)
    msg = err.value.message
    # capacity: CHN capped 0.30; S1 0.2 + 30/100 = 0.50 → 0.80 < 1, 0.20 short
    assert "at most 0.80 of imports" in msg
    assert "rival S0 capped at 0.30" in msg and "0.50" in msg and "0.20 short" in msg
    assert "status" not in msg.lower()


def test_infeasible_partner_floor_and_max_change_are_explained() -> None:
    partners = np.array([False, True, False])
    p = _problem([0.5, 0.1, 0.4], spare=[100.0, 20.0, 100.0], partners=[partners], min_partner_share=0.5)
    with pytest.raises(InfeasibleError, match=r"partner minimum 0\.50 exceeds what partners S1 can supply, "
                       r"0\.30 .*0\.20 short"):
        solve(p)
    q = _problem([0.9, 0.1], spare=[0.0, 100.0], rival=0, rival_cap=0.3, max_change=0.2)
    with pytest.raises(InfeasibleError, match=r"S0's share must fall from 0\.90 to 0\.30 \(rival cap\) but "
                       r"may change by at most 0\.20"):
        solve(q)
    r = _problem([0.5, 0.2, 0.3], spare=[100.0, 100.0, 100.0], partners=[[False, True, False]],
                 min_partner_share=0.5, max_change=0.1)
    with pytest.raises(InfeasibleError, match=r"partner minimum 0\.50 exceeds what partners S1 can supply, "
                       r"0\.30 \(max change 0\.10 limits 1 suppliers"):
        solve(r)


def test_infeasible_coalition_names_the_shared_spare_capacity() -> None:
    sup = ("CHN", "AUS", "USA", "JPN", "IND")
    cur = np.array([[0.7, 0.1, 0.1, 0.0, 0.1], [0.8, 0.1, 0.05, 0.05, 0.0]])
    p = PortfolioProblem("850511", ("JPN", "IND"), sup, current=cur, imports_usd=[100.0, 50.0],
                         spare_usd=[500, 20, 20, 10, 10], cost_ratio=np.ones((2, 5)), risk_weight=np.ones(5),
                         rival=0, rival_cap=0.3)
    # each alone is feasible; together they must move 0.4·100 + 0.5·50 = 65 USD away from CHN
    # but AUS, USA, JPN (for IND) and IND (for JPN) have 20 + 20 + 10 + 10 = 60 spare: 5 short
    with pytest.raises(InfeasibleError,
                       match=r"JPN\+IND 850511: together the coalition needs at least 5 USD"):
        solve(p)


def _coalition(seed: int, cap: float) -> PortfolioProblem:
    rng = np.random.default_rng(seed)
    n = 6
    sup = ("CHN", "JPN", "IND", "AUS", "USA", "VNM")
    cur = np.vstack([rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))])
    cur[0, 1] = 0.0
    cur[1, 2] = 0.0
    cur /= cur.sum(axis=1, keepdims=True)
    cur[:, 0] += 1.0  # the rival dominates
    cur /= cur.sum(axis=1, keepdims=True)
    partners = np.zeros((2, n), dtype=bool)
    partners[0, 2] = partners[1, 1] = True  # IND is JPN's partner and JPN is IND's
    return PortfolioProblem("260400", ("JPN", "IND"), sup, current=cur,
                            imports_usd=rng.uniform(10, 200, 2), spare_usd=rng.uniform(0, 120, n),
                            cost_ratio=rng.uniform(0.8, 1.2, (2, n)), risk_weight=np.ones(n), rival=0,
                            rival_cap=cap, partners=partners, min_partner_share=0.05, lam=0.1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), cap=st.floats(0.05, 0.6))
def test_coalition_never_counts_spare_capacity_twice(seed: int, cap: float) -> None:
    p = _coalition(seed, cap)
    (res,) = solve_many([p])
    if isinstance(res, Infeasible):
        assert res.reasons and all("status" not in r for r in res.reasons)
        return
    used = np.maximum(res.shares - p.current, 0.0) * p.imports_usd[:, None]  # USD drawn on top of today's
    assert np.all(used.sum(axis=0) <= p.spare_usd + 1e-6 * p.imports_usd.sum())
    assert np.all(res.shares[:, 0] <= cap + 1e-7)
    assert res.shares[0, 1] == 0 and res.shares[1, 2] == 0  # nobody supplies itself


def test_coalition_shares_less_than_each_alone_when_capacity_is_tight() -> None:
    sup = ("CHN", "AUS", "VNM")
    cur = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05]])
    common = dict(spare_usd=[0.0, 40.0, 40.0], cost_ratio=np.ones((1, 3)), risk_weight=np.ones(3),
                  rival=0, rival_cap=0.5)
    alone = solve(PortfolioProblem("x", ("JPN",), sup, current=cur[:1], imports_usd=[100.0], **common))  # type: ignore[arg-type]
    # alone, JPN reaches equal shares (AUS and VNM could each go to 0.05 + 40/100 = 0.45),
    # drawing 28.3 USD extra from each of AUS and VNM
    np.testing.assert_allclose(alone.shares[0], [1 / 3] * 3, atol=1e-6)
    common["cost_ratio"] = np.ones((2, 3))
    both = solve(PortfolioProblem("x", ("JPN", "IND"), sup, current=cur, imports_usd=[100.0, 100.0],
                                  **common))  # type: ignore[arg-type]
    # together they would need 2 × 28.3 USD from each supplier but only 40 is spare: each gets 20,
    # so both end at (0.5, 0.25, 0.25) and use all the spare capacity, once
    np.testing.assert_allclose(both.shares, [[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]], atol=1e-6)
    used = (np.maximum(both.shares - cur, 0) * 100).sum(axis=0)
    np.testing.assert_allclose(used, [0, 40, 40], atol=1e-5)


def test_shortfall_lp_matches_a_grid_search() -> None:
    # three suppliers; the rival is cut by 50 % or 100 %, the second is lost in one draw of four
    a = np.array([[0.0, 1.0, 1.0], [0.5, 1.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    p = _problem([0.6, 0.3, 0.1], spare=[50.0, 20.0, 15.0], objective="shortfall", availability=a,
                 reallocation=0.5, tie_break=False, rival=0)
    sol = solve(p)
    cap = sol.bounds.capacity
    best = np.inf
    step = 0.005
    for w0 in np.arange(0, 1 + 1e-9, step):
        for w1 in np.arange(0, 1 - w0 + 1e-9, step):
            w = np.array([[w0, w1, 1 - w0 - w1]])
            if np.all(w <= cap + 1e-12):
                best = min(best, float(expected_shortfall(w, cap, a, 0.5)[0]))
    assert sol.risk_after[0] <= best + 1e-9
    assert sol.risk_after[0] >= best - 0.01  # grid resolution
    assert sol.risk_after[0] < sol.risk_before[0]


def test_shortfall_tie_break_keeps_the_optimum_closest_to_current_shares() -> None:
    # the rival (index 1) is cut by 50-100 %; many portfolios have zero net shortfall
    a = np.ones((6, 4))
    a[:, 1] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    kw: dict[str, object] = dict(spare=[30.0, 100.0, 60.0, 40.0], objective="shortfall", availability=a,
                                 reallocation=0.2, rival=1)
    free = solve(_problem([0.1, 0.7, 0.1, 0.1], tie_break=False, **kw))  # type: ignore[arg-type]
    near = solve(_problem([0.1, 0.7, 0.1, 0.1], **kw))  # type: ignore[arg-type]
    assert near.risk_after[0] == pytest.approx(free.risk_after[0], abs=1e-8)
    w0 = np.array([0.1, 0.7, 0.1, 0.1])
    assert np.abs(near.shares[0] - w0).sum() <= np.abs(free.shares[0] - w0).sum() + 1e-9
    # by hand: with w_r the rival share and headroom h = Σ_{s≠r} cap_s − (1 − w_r) + (1−φ)(cap_r − w_r),
    # the worst draw (φ = 1) is short max(0, w_r − 0.2·h); the closest optimum keeps the largest w_r
    # with zero shortfall in every draw
    cap = near.bounds.capacity[0]
    wr = near.shares[0, 1]
    for phi in 1 - a[:, 1]:
        h = cap[[0, 2, 3]].sum() - (1 - wr) + (1 - phi) * (cap[1] - wr)
        assert wr * phi - 0.2 * h <= 1e-7
    # at φ = 1 the shortfall is 0.8·w_r − 0.2·(C − 1), C = 0.4 + 0.7 + 0.5 = 1.6 → w_r = 0.15
    assert wr == pytest.approx(0.15, abs=1e-7)


def test_kkt_polish_recovers_the_optimum_from_a_slightly_infeasible_answer() -> None:
    # HiGHS's QP solver sometimes stops at the right active set with Σw = 0.99996 and reports
    # "Solve error" (seen on a sample-world product); the polish re-solves that active set exactly
    from kakehashi.optimize.problem import build_model
    from kakehashi.optimize.solve import kkt_polish

    # (the last supplier has no capacity: a column pinned at 0, whose multiplier may take any sign)
    p = _problem([0.0, 0.65, 0.0, 0.0, 0.11, 0.0, 0.016, 0.0, 0.089, 0.135, 0.0],
                 spare=[1.6, 355.47, 12.29, 3.95, 33.77, 3.88, 0.0, 4.51, 53.69, 13.93, 0.0],
                 rival=1, rival_cap=0.5)
    exact = solve(p, "waterfill").shares[0]
    model = build_model(p)
    x, y, z = kkt_polish(model, exact * 0.99996)  # type: ignore[misc]
    np.testing.assert_allclose(x, exact, atol=1e-12)
    assert y[0] == pytest.approx(2 * exact[1])  # ν = 2τ on the free shares
    bounds = model.col_upper
    free = (exact > 1e-9) & (exact < bounds - 1e-9)
    assert np.all(np.abs(z[free]) < 1e-9)  # no bound multiplier on free shares
    assert np.all(z[(exact >= bounds - 1e-9) & (bounds > 0)] <= 1e-12)  # at an upper bound: z ≤ 0
    # a point on the wrong active set is not accepted
    assert kkt_polish(model, np.full(11, 1 / 11)) is None


def test_negative_lambda_and_bad_shapes_are_input_errors() -> None:
    with pytest.raises(InputError, match=r"weight on cost \(lam\) must be zero or positive"):
        _problem([0.5, 0.5], spare=[1.0, 1.0], lam=-0.1)
    with pytest.raises(InputError, match="current has shape"):
        PortfolioProblem("x", ("JPN",), ("A", "B"), current=[[1.0]], imports_usd=[1.0], spare_usd=[1.0, 1.0],
                         cost_ratio=[[1.0, 1.0]], risk_weight=[1.0, 1.0])
    with pytest.raises(InputError, match="unknown objective 'risk'"):
        _problem([0.5, 0.5], spare=[1.0, 1.0], objective="risk")
    with pytest.raises(InputError, match="needs availability draws"):
        _problem([0.5, 0.5], spare=[1.0, 1.0], objective="shortfall")


def test_cost_term_moves_shares_to_cheaper_suppliers() -> None:
    ratio = np.array([1.0, 2.0, 0.5])
    base = _problem([1 / 3] * 3, spare=[100.0] * 3, cost_ratio=[ratio])
    cheap = _problem([1 / 3] * 3, spare=[100.0] * 3, cost_ratio=[ratio], lam=0.2)
    w0, w1 = solve(base).shares[0], solve(cheap).shares[0]
    np.testing.assert_allclose(w0, [1 / 3] * 3, atol=1e-9)
    # stationarity by hand: 2w_s + 0.2(c_s − 1) = ν, Σw = 1 → w = (1/3)(1,1,1) + 0.1(0, −1, 0.5) + const
    np.testing.assert_allclose(w1, [1 / 3 + 0.05 / 3, 1 / 3 - 0.1 + 0.05 / 3, 1 / 3 + 0.05 + 0.05 / 3],
                               atol=1e-9)
    assert solve(cheap).extra_cost_usd[0] == pytest.approx(100 * float((w1 - 1 / 3) @ ratio))


def test_rival_cap_per_importer_array() -> None:
    current = [[0.5, 0.5, 0.0], [0.1, 0.6, 0.3]]
    p = PortfolioProblem("850511", ("JPN", "IND"), ("CHN", "VNM", "KOR"), current=current,
                         imports_usd=[100.0, 100.0], spare_usd=[1000.0, 1000.0, 1000.0],
                         cost_ratio=np.ones((2, 3)), risk_weight=np.ones(3), rival=0,
                         rival_cap=np.array([0.5, 0.1]))
    sol = solve(p, "highs")
    # JPN: equal thirds fit under 0.5; IND: CHN held at 0.1, the rest split 0.45 / 0.45
    np.testing.assert_allclose(sol.shares, [[1 / 3, 1 / 3, 1 / 3], [0.1, 0.45, 0.45]], atol=1e-6)
    with pytest.raises(InputError, match="one value per importer"):
        PortfolioProblem("850511", ("JPN", "IND"), ("CHN", "VNM", "KOR"), current=current,
                         imports_usd=[100.0, 100.0], spare_usd=[1.0, 1.0, 1.0], cost_ratio=np.ones((2, 3)),
                         risk_weight=np.ones(3), rival=0, rival_cap=np.array([0.5, 1.5]))
