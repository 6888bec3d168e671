"""Mineral supply risk: hand-calculated case, WGI rescaling, and the real USGS rare-earths file."""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pytest
from _engines import on_engine

from kakehashi.errors import InputError
from kakehashi.metrics.minerals import SUPPLY_RISK_COLUMNS, supply_risk, wgi_scaled
from kakehashi.warehouse import Warehouse

SRC = "hand-made test data (synthetic)"


def _gov(country: str, values: list[float], year: int = 2021) -> list[dict[str, object]]:
    return [{"year": year, "country": country, "indicator": ind, "value": v}
            for ind, v in zip(["va", "pv", "ge", "rq", "rl", "cc"], values, strict=True)]


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Warehouse:
    """The hand-made warehouse, read through every engine (the same tests run on DuckDB and Spark)."""
    w = Warehouse(tmp_path_factory.mktemp("minerals") / "wh")
    prod = pd.DataFrame([
        {"year": 2023, "country": c, "commodity": "rare-earths", "stage": "mine", "quantity": q,
         "unit": "t", "source": SRC}
        for c, q in [("CHN", 60.0), ("USA", 30.0), ("AUS", 10.0), ("MMR", None)]
    ])
    world = pd.DataFrame([{"year": 2023, "commodity": "rare-earths", "stage": "mine", "quantity": 110.0,
                           "unit": "t", "source": SRC}])
    res = pd.DataFrame([
        {"year": 2023, "country": c, "commodity": "rare-earths", "quantity": q, "unit": "t", "source": SRC}
        for c, q in [("CHN", 40.0), ("VNM", 20.0), ("BRA", 20.0), ("AUS", 20.0)]
    ])
    # CHN mean -0.5, USA mean 1.0; AUS has no WGI row; 2019 rows must be ignored (2021 is latest <= 2023)
    gov = pd.DataFrame(_gov("CHN", [-1.5, -0.5, 0.5, -0.5, -0.5, -0.5]) + _gov("USA", [1.0] * 6)
                       + _gov("CHN", [2.0] * 6, year=2019))
    flows = pd.DataFrame([
        {"year": 2023, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": q,
         "hs_revision": "HS22", "source": SRC}
        for e, i, k, v, q in [
            ("CHN", "JPN", "280530", 70.0, 7.0),
            ("USA", "JPN", "284690", 30.0, 3.0),
            ("JPN", "USA", "280530", 5.0, 1.0),
            ("CHN", "JPN", "253090", 100.0, 1000.0),  # basket code (flag A): value yes, tonnes no
            ("CHN", "USA", "280530", 50.0, 12.0),
        ]
    ])
    with w.transaction() as tx:
        tx.write("production", prod, source=SRC)
        tx.write("world_totals", world, source=SRC)
        tx.write("reserves", res, source=SRC)
        tx.write("governance", gov, source=SRC)
        tx.write("trade_flows", flows, source=SRC)
    return on_engine(w, engine)


def test_wgi_rescaling_formula() -> None:
    gov = ibis.memtable(pd.DataFrame(_gov("AAA", [-2.5] * 6) + _gov("BBB", [0.0] * 6)
                                     + _gov("CCC", [2.5] * 6) + _gov("DDD", [3.0] * 6)))
    out = wgi_scaled(gov, 2021).execute().set_index("country")["wgi_scaled"]
    # 5 - 2 * mean: -2.5 -> 10, 0 -> 5, 2.5 -> 0, 3.0 -> -1 clipped to 0
    assert out.to_dict() == pytest.approx({"AAA": 10.0, "BBB": 5.0, "CCC": 0.0, "DDD": 0.0})


def test_supply_risk_hand_calculated(wh: Warehouse) -> None:
    df = supply_risk(wh, importer="JPN")
    assert tuple(df.columns) == SUPPLY_RISK_COLUMNS
    r = df.iloc[0]
    assert (r.commodity, r.stage, r.year, r.unit) == ("rare-earths", "mine", 2023, "t")
    assert r.country_sum == 100.0 and r.n_producers == 3  # MMR withheld (null) is left out
    assert r.usgs_world_total == 110.0 and r.sum_vs_world_total == pytest.approx(100 / 110)
    assert r.hhi == pytest.approx(0.6**2 + 0.3**2 + 0.1**2)  # 0.46
    # WGI 2021: CHN mean -0.5 -> 5 + 1 = 6; USA mean 1.0 -> 3; AUS not covered
    assert r.wgi_year == 2021
    assert r.hhi_wgi == pytest.approx(0.36 * 6 + 0.09 * 3)  # 2.43
    assert r.wgi_coverage == pytest.approx(0.9)
    assert r.top_producer == "CHN" and r.top_share == pytest.approx(0.6)
    assert r.rival == "CHN" and r.rival_share == pytest.approx(0.6)
    # reserves: CHN 40, VNM 20, BRA 20, AUS 20 of 100
    assert r.reserves_year == 2023
    assert r.reserves_hhi == pytest.approx(0.16 + 3 * 0.04)
    assert r.top_reserves_holder == "CHN" and r.top_reserves_share == pytest.approx(0.4)
    assert r.rival_reserves_share == pytest.approx(0.4)
    # JPN imports of rare-earth codes: 70 + 30 + 100 = 200, from CHN 170
    assert r.importer_imports_usd == pytest.approx(200.0)
    assert r.importer_rival_import_share == pytest.approx(170 / 200)
    # reliance on flag-E codes in tonnes: M = 7 + 3, X = 1, P = 0 -> 9 / 9
    assert r.import_reliance == pytest.approx(1.0)


def test_import_reliance_with_own_production(wh: Warehouse) -> None:
    r = supply_risk(wh, commodity="rare-earths", importer="USA").iloc[0]
    # USA: M = 12 (CHN) + 1 (JPN) = 13, X = 3 (to JPN), P = 30 -> (13 - 3) / (30 + 13 - 3) = 10 / 40
    assert r.import_reliance == pytest.approx(10 / 40)
    assert r.importer_rival_import_share == pytest.approx(50 / 55)  # 50 from CHN of 50 + 5


def test_bad_input(wh: Warehouse) -> None:
    with pytest.raises(InputError, match="rare-earths"):  # the close match is offered
        supply_risk(wh, commodity="rare-earth")
    with pytest.raises(InputError, match="2019"):
        supply_risk(wh, years=[2019])
    with pytest.raises(InputError, match="CHX"):
        supply_risk(wh, rival="CHX")


def test_real_usgs_rare_earths_2023(shared_data: Path, tmp_path: Path) -> None:
    from kakehashi.sources import usgs

    world = usgs.parse_usgs_world(shared_data / "usgs-mcs-2024" / "world" / "mcs2024-raree_world.csv")
    w = Warehouse(tmp_path / "wh")
    with w.transaction() as tx:
        tx.write("production", world.production, source="USGS MCS 2024")
        tx.write("world_totals", world.world_totals, source="USGS MCS 2024")
        tx.write("reserves", world.reserves, source="USGS MCS 2024")
    df = supply_risk(w, commodity="rare-earths", years=[2023])
    r = df[df.stage == df.stage.iloc[0]].iloc[0]
    # country rows 2023 (t REO): 43,000 + 18,000 + 80 + 38,000 + 0 + 240,000 + 0 + 2,900 + 960 + 80
    #   + 2,600 + 0 + 0 + 7,100 + 600 = 353,320; USGS world total (rounded) 350,000
    assert r.country_sum == pytest.approx(353_320)
    assert r.top_producer == "CHN"
    assert r.rival_share == pytest.approx(240_000 / 353_320)
    assert r.usgs_world_total == pytest.approx(350_000)
    assert r.sum_vs_world_total == pytest.approx(353_320 / 350_000)
