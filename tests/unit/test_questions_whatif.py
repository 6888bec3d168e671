"""Which catalogued measures can be simulated on a warehouse (SYNTHETIC small warehouse of _webdata).

The hand-made warehouse trades only HS 280530 and 850511 (2021-2023), so a
measure is runnable only if one of its HS codes is one of those two, and a
measure naming no HS codes never is.
"""

from __future__ import annotations

import pytest
from _webdata import small_warehouse

from kakehashi import Warehouse
from kakehashi.errors import KakehashiError
from kakehashi.questions import whatif
from kakehashi.scenarios.measures import get_measure

TRADED = {"280530", "850511"}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return Warehouse(small_warehouse(tmp_path_factory.mktemp("whatif") / "wh"), read_only=True)


def test_runnable_measures_follow_the_run(wh: Warehouse) -> None:
    df = whatif.runnable_measures(wh).set_index("id")
    assert list(df.columns[-2:]) == ["runnable", "reason"]
    superhard = df.loc["CN-2025-55-SUPERHARD"]
    assert not superhard["runnable"] and "none of its HS codes" in superhard["reason"]
    assert not set(get_measure("CN-2025-55-SUPERHARD").products) & TRADED  # independent check
    equipment = df.loc["CN-2025-56-RE-EQUIPMENT"]
    assert not equipment["runnable"] and equipment["reason"] == "names no goods with HS codes"
    assert df.loc["CN-2025-18-RARE-EARTHS", "runnable"]
    assert (df["reason"] == "").eq(df["runnable"]).all()  # a reason exactly when not runnable
    # every export control the flag calls runnable runs, and every one it refuses fails to run
    for mid in ("CN-2025-18-RARE-EARTHS", "CN-2025-55-SUPERHARD", "CN-2025-56-RE-EQUIPMENT"):
        try:
            spec = whatif.measure_spec(mid, data_years=whatif.data_years(wh), draws=5)
            whatif.run(wh, spec)
            ran = True
        except KakehashiError:
            ran = False
        assert ran == bool(df.loc[mid, "runnable"]), mid
    # an export control naming six-digit codes runs exactly when one of them is traded
    for mid, row in df[df["kind"] == "export_control"].iterrows():
        m = get_measure(str(mid))
        codes = {c for c in m.products if len(c) == 6} if m.simulable() else set()
        if codes:
            assert bool(row["runnable"]) == bool(codes & TRADED), mid

