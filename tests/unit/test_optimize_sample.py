"""Portfolios and stockpiles on the SYNTHETIC tiny sample world: every proposal keeps every constraint."""

from __future__ import annotations

import numpy as np
import pytest

from kakehashi.optimize.portfolio import diversify
from kakehashi.optimize.stockpile import stockpile
from kakehashi.warehouse import Warehouse


@pytest.mark.parametrize("objective", ["hhi", "governance", "shortfall"])
def test_every_catalogue_product_keeps_its_constraints(tiny_warehouse: Warehouse, objective: str) -> None:
    res = diversify(tiny_warehouse, "JPN", "CHN", partner="IND", objective=objective,  # type: ignore[arg-type]
                    max_rival_share=0.5, min_partner_share=0.02, max_change=0.8, lam=0.1,
                    on_infeasible="skip", draws=40)
    assert res.solutions, "the sample should give some feasible products"
    for sol in res.solutions:
        w, b = sol.shares[0], sol.bounds
        assert w.sum() == pytest.approx(1.0, abs=1e-6)
        assert np.all(w <= b.upper[0] + 1e-6) and np.all(w >= b.lower[0] - 1e-6)
        p = sol.problem
        if p.rival is not None:
            assert w[p.rival] <= 0.5 + 1e-6
        if p.min_partner_share is not None:
            assert w[p.partners[0]].sum() >= 0.02 - 1e-6
    infeasible = res.products[res.products.status == "infeasible"]
    assert all(note.startswith("JPN ") for note in infeasible.note)


def test_coalition_on_the_sample_counts_spare_capacity_once(tiny_warehouse: Warehouse) -> None:
    res = diversify(tiny_warehouse, "JPN+IND", "CHN", products="critical-minerals", max_rival_share=0.6,
                    on_infeasible="skip")
    coalition = [s for s in res.solutions if s.problem.m == 2]
    assert coalition
    for sol in coalition:
        p = sol.problem
        used = (np.maximum(sol.shares - p.current, 0) * p.imports_usd[:, None]).sum(axis=0)
        assert np.all(used <= p.spare_usd + 1e-6 * p.imports_usd.sum())


def test_stockpile_on_the_sample(tiny_warehouse: Warehouse) -> None:
    res = stockpile(tiny_warehouse, "JPN", "850511", months=6, ramp=4)
    assert 0 < res.stock_usd <= res.initial_shortfall_usd_per_month * 6 + 1e-6
    assert res.stock_months_of_imports == pytest.approx(res.stock_usd / (res.imports_usd / 12))
