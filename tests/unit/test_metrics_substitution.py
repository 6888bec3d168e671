"""Substitution capacity: hand-calculated spare exports, covers and candidates."""

from __future__ import annotations

import pandas as pd
import pytest
from _engines import on_engine

from kakehashi.errors import InputError
from kakehashi.metrics.substitution import SUBSTITUTION_COLUMNS, candidates, substitution_capacity
from kakehashi.warehouse import Warehouse

FLOWS_2023 = {
    ("CHN", "JPN", "850511"): 80.0,
    ("VNM", "JPN", "850511"): 20.0,
    ("IND", "JPN", "850511"): 30.0,
    ("CHN", "IND", "850511"): 50.0,
    ("CHN", "USA", "850511"): 70.0,
    ("JPN", "USA", "850511"): 10.0,
    ("JPN", "IND", "850511"): 5.0,
    ("IND", "USA", "850511"): 12.0,
    ("KOR", "USA", "850511"): 40.0,
    ("KOR", "DEU", "850511"): 8.0,
    ("VNM", "USA", "850511"): 4.0,
    ("CHN", "JPN", "280530"): 100.0,
    ("JPN", "USA", "280530"): 500.0,
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Warehouse:
    """The hand-made warehouse, read through every engine (the same tests run on DuckDB and Spark)."""
    rows = [{"year": 2023, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": None,
             "hs_revision": "HS22", "source": "hand-made test data (synthetic)"}
            for (e, i, k), v in FLOWS_2023.items()]
    w = Warehouse(tmp_path_factory.mktemp("subst") / "wh")
    w.ingest("trade_flows", pd.DataFrame(rows), source="hand-made test data")
    return on_engine(w, engine)


def test_capacity_hand_calculated(wh: Warehouse) -> None:
    df = substitution_capacity(wh, "JPN", "CHN", partner="IND", coalition=["KOR"])
    assert list(df.columns) == [*SUBSTITUTION_COLUMNS, "product_name", "workstream"]
    # only 850511 is dependent (280530: JPN exports 500 > imports 100)
    assert df.hs6.tolist() == ["850511"]
    r = df.iloc[0]
    assert r.rival_usd == 80.0
    # spare exports = exports to destinations other than JPN: IND 12, KOR 40 + 8, VNM 4
    assert r.partner_spare_usd == pytest.approx(12.0)
    assert r.partner_cover == pytest.approx(12 / 80)
    assert r.coalition == "IND+KOR"
    assert r.coalition_spare_usd == pytest.approx(12 + 48)
    assert r.coalition_cover == pytest.approx(60 / 80)
    # world: everyone except CHN (rival) and JPN (importer): 12 + 48 + 4 = 64
    assert r.world_spare_usd == pytest.approx(64.0)
    assert r.world_cover == pytest.approx(0.8)
    # KOR RCA in 850511: (48/48) / (329/929); 329 = world 850511 exports, 929 = all exports
    assert r.top_candidates.startswith(f"KOR 48 (RCA {929 / 329:.2f}); IND 12")
    assert r.top_candidates.count(";") == 2


def test_all_rival_products_and_candidates(wh: Warehouse) -> None:
    df = substitution_capacity(wh, "JPN", "CHN", only_dependent=False)
    assert set(df.hs6) == {"850511", "280530"}
    assert df.partner.isna().all() and df.partner_spare_usd.isna().all()
    c = candidates(wh, "JPN", "CHN", "850511")
    assert c.exporter.tolist()[:3] == ["KOR", "IND", "VNM"]
    ind = c.set_index("exporter").loc["IND"]
    assert ind.spare_usd == 12.0 and ind.to_importer_usd == 30.0


def test_bloc_importer_excludes_members(wh: Warehouse) -> None:
    df = substitution_capacity(wh, ["JPN", "IND"], "CHN", coalition=["KOR"])
    r = df.set_index("hs6").loc["850511"]
    # bloc buys from CHN 80 + 50; spare exports outside the bloc: KOR 48, VNM 4 (IND is a member)
    assert r.rival_usd == 130.0
    assert r.world_spare_usd == pytest.approx(52.0)


def test_bad_partner(wh: Warehouse) -> None:
    with pytest.raises(InputError, match="CHN cannot be a partner: it is the rival"):
        substitution_capacity(wh, "JPN", "CHN", partner="CHN")
    with pytest.raises(InputError, match="INX"):
        substitution_capacity(wh, "JPN", "CHN", partner="INX")
