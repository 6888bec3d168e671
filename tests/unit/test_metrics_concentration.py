"""Shares and HHI: a hand-calculated case and hypothesis properties."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kakehashi.metrics.concentration import hhi, shares


def _table(values: list[float], market: str = "M") -> ibis.Table:
    return ibis.memtable(pd.DataFrame({
        "market": [market] * len(values),
        "supplier": [f"S{i:03d}" for i in range(len(values))],
        "v": values,
    }))


def test_hand_calculated() -> None:
    # two markets; supplier X appears twice in market A (rows are summed: 2 + 4 = 6)
    t = ibis.memtable(pd.DataFrame({
        "market": ["A", "A", "A", "B"],
        "supplier": ["X", "X", "Y", "X"],
        "v": [2.0, 4.0, 2.0, 5.0],
    }))
    s = shares(t, "market", "supplier", "v").execute().sort_values(["market", "supplier"])
    # A: X 6/8 = 0.75, Y 2/8 = 0.25; B: X 5/5 = 1
    assert s["share"].tolist() == pytest.approx([0.75, 0.25, 1.0])
    h = hhi(t, ["market"], "supplier", "v").execute().sort_values("market")
    # A: 0.75² + 0.25² = 0.5625 + 0.0625 = 0.625; B: 1
    assert h["hhi"].tolist() == pytest.approx([0.625, 1.0])
    assert h["total"].tolist() == [8.0, 5.0]
    assert h["n"].tolist() == [2, 1]


def test_zero_total_gives_null_not_error() -> None:
    h = hhi(_table([0.0, 0.0]), "market", "supplier", "v").execute()
    assert len(h) == 1 and pd.isna(h["hhi"].iloc[0])


values = st.lists(st.floats(min_value=1e-3, max_value=1e12, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(values)
def test_hhi_bounds(vs: list[float]) -> None:
    h = float(hhi(_table(vs), "market", "supplier", "v").execute()["hhi"].iloc[0])
    n = len(vs)
    assert 1 / n - 1e-9 <= h <= 1 + 1e-9


@settings(max_examples=30, deadline=None)
@given(values, st.randoms(use_true_random=False), st.floats(min_value=1e-3, max_value=1e3))
def test_hhi_invariant_to_order_and_scale(vs: list[float], rnd: object, k: float) -> None:
    base = float(hhi(_table(vs), "market", "supplier", "v").execute()["hhi"].iloc[0])
    shuffled = list(vs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = float(hhi(_table(shuffled), "market", "supplier", "v").execute()["hhi"].iloc[0])
    scaled = float(hhi(_table([k * v for v in vs]), "market", "supplier", "v").execute()["hhi"].iloc[0])
    assert again == pytest.approx(base, rel=1e-9)
    assert scaled == pytest.approx(base, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(values)
def test_shares_sum_to_one_and_match_hhi(vs: list[float]) -> None:
    s = shares(_table(vs), "market", "supplier", "v").execute()
    assert s["share"].sum() == pytest.approx(1.0, rel=1e-9)
    h = float(hhi(_table(vs), "market", "supplier", "v").execute()["hhi"].iloc[0])
    assert (s["share"] ** 2).sum() == pytest.approx(h, rel=1e-9)
