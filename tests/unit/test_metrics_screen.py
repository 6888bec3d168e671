"""Dependency screen: hand-calculated cases, bloc importers, persistence, DuckDB = Spark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _engines import on_engine

from kakehashi.errors import InputError
from kakehashi.metrics.screen import SCREEN_COLUMNS, Thresholds, dependency_screen, screen_frame
from kakehashi.warehouse import Warehouse

SRC = "hand-made test data (synthetic)"


def _rows(year: int, flows: dict[tuple[str, str, str], float]) -> list[dict[str, object]]:
    return [
        {"year": year, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": None,
         "hs_revision": "HS22", "source": SRC}
        for (e, i, k), v in flows.items()
    ]


MAGNET_DEP = {  # 2021 and 2023: JPN depends on CHN for magnets
    ("CHN", "JPN", "850511"): 80.0,
    ("VNM", "JPN", "850511"): 20.0,
    ("IND", "JPN", "850511"): 30.0,
    ("CHN", "IND", "850511"): 50.0,
    ("CHN", "USA", "850511"): 70.0,
    ("JPN", "USA", "850511"): 10.0,
    ("JPN", "IND", "850511"): 5.0,
    ("CHN", "JPN", "280530"): 100.0,
    ("JPN", "USA", "280530"): 500.0,
}
MAGNET_2022 = {  # 2022: import HHI 0.36, not dependent
    ("CHN", "JPN", "850511"): 40.0,
    ("VNM", "JPN", "850511"): 40.0,
    ("IND", "JPN", "850511"): 20.0,
    ("CHN", "USA", "850511"): 70.0,
}


@pytest.fixture(scope="module")
def hand_wh(tmp_path_factory: pytest.TempPathFactory, engine: str) -> Warehouse:
    """The hand-made warehouse, read through every engine (the same tests run on DuckDB and Spark)."""
    rows = _rows(2021, MAGNET_DEP) + _rows(2022, MAGNET_2022) + _rows(2023, MAGNET_DEP)
    wh = Warehouse(tmp_path_factory.mktemp("screen") / "wh")
    wh.ingest("trade_flows", pd.DataFrame(rows), source=SRC)
    return on_engine(wh, engine)


def _row(df: pd.DataFrame, hs6: str, year: int) -> pd.Series:
    sel = df[(df.hs6 == hs6) & (df.year == year)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_single_importer_hand_calculated(hand_wh: Warehouse) -> None:
    df = hand_wh.execute(dependency_screen(hand_wh, "JPN", "CHN"))
    assert tuple(df.columns) == SCREEN_COLUMNS
    r = _row(df, "850511", 2023)
    # imports: CHN 80 + IND 30 + VNM 20 = 130
    assert r.imports_usd == pytest.approx(130.0)
    # HHI = (80² + 30² + 20²) / 130² = 7700 / 16900
    assert r.import_hhi == pytest.approx(7700 / 16900)
    assert r.top_supplier == "CHN" and r.top_share == pytest.approx(80 / 130)
    assert r.rival_usd == pytest.approx(80.0) and r.rival_share == pytest.approx(80 / 130)
    # world exporters: CHN 80+50+70 = 200, IND 30, VNM 20, JPN 10+5 = 15; total 265
    # world HHI = (200² + 30² + 20² + 15²) / 265² = 41525 / 70225
    assert r.world_export_hhi == pytest.approx(41525 / 70225)
    assert r.exports_usd == pytest.approx(15.0)
    assert r.import_export_ratio == pytest.approx(130 / 15)
    assert bool(r.dependent)
    # dependent in 2021 and 2023, not 2022 (HHI (40²+40²+20²)/100² = 0.36) -> 2 of 3
    assert bool(r.persistent)
    # severity = 100 x rival share x import HHI x world-export HHI x net-import share (1 - 15/130)
    assert r.severity == pytest.approx(100 * (80 / 130) * (7700 / 16900) * (41525 / 70225) * (1 - 15 / 130))
    r22 = _row(df, "850511", 2022)
    assert r22.import_hhi == pytest.approx(0.36) and not bool(r22.dependent)
    # 2022: dependent 2021 only (1 of the 2 available years) -> not persistent
    assert not bool(r22.persistent)
    assert not bool(_row(df, "850511", 2021).persistent)  # only one year available
    # rare-earth metals: imports 100 < exports 500 -> ratio 0.2, not dependent although concentrated
    re_ = _row(df, "280530", 2023)
    assert re_.import_hhi == pytest.approx(1.0)
    assert re_.world_export_hhi == pytest.approx((100**2 + 500**2) / 600**2)
    assert re_.import_export_ratio == pytest.approx(0.2)
    assert not bool(re_.dependent)
    assert re_.severity == 0.0  # net exporter: max(0, 1 - 500/100) = 0
    # 280530 was not imported in 2022: no row
    assert df[(df.hs6 == "280530") & (df.year == 2022)].empty


def test_bloc_excludes_intra_bloc_trade(hand_wh: Warehouse) -> None:
    df = hand_wh.execute(dependency_screen(hand_wh, ["JPN", "IND"], "CHN", years=[2023]))
    r = _row(df, "850511", 2023)
    assert r.importer == "JPN+IND"
    # outside suppliers: CHN 80 (to JPN) + 50 (to IND) = 130, VNM 20; IND->JPN 30 is intra-bloc
    assert r.imports_usd == pytest.approx(150.0)
    assert r.import_hhi == pytest.approx((130**2 + 20**2) / 150**2)
    assert r.rival_share == pytest.approx(130 / 150)
    # exports outside the bloc: JPN->USA 10 (JPN->IND 5 is intra-bloc)
    assert r.exports_usd == pytest.approx(10.0)
    assert r.import_export_ratio == pytest.approx(15.0)
    # persistence reads the two years before the requested one: dependent 2021, 2023
    assert bool(r.dependent) and bool(r.persistent)
    same = hand_wh.execute(dependency_screen(hand_wh, "JPN+IND", "CHN", years=[2023]))
    pd.testing.assert_frame_equal(df.sort_values("hs6").reset_index(drop=True),
                                  same.sort_values("hs6").reset_index(drop=True))


def test_thresholds_are_parameters(hand_wh: Warehouse) -> None:
    strict = Thresholds(import_hhi=0.5)
    df = hand_wh.execute(dependency_screen(hand_wh, "JPN", "CHN", years=[2023], thresholds=strict))
    assert not bool(_row(df, "850511", 2023).dependent)  # 0.4556 is not above 0.5
    loose = Thresholds(import_export_ratio=0.1)
    df = hand_wh.execute(dependency_screen(hand_wh, "JPN", "CHN", years=[2023], thresholds=loose))
    assert bool(_row(df, "280530", 2023).dependent)  # 100 > 0.1 * 500
    with pytest.raises(InputError, match=r"threshold import_hhi must be between 0 and 1, got -1"):
        Thresholds(import_hhi=-1)


def test_products_and_all_importers(hand_wh: Warehouse) -> None:
    df = hand_wh.execute(dependency_screen(hand_wh, "JPN", "CHN", products=["850511"]))
    assert set(df.hs6) == {"850511"}
    every = hand_wh.execute(dependency_screen(hand_wh, None, "CHN", years=[2023]))
    assert set(every.importer) == {"JPN", "IND", "USA"}
    usa = _row(every[every.importer == "USA"], "850511", 2023)
    # USA buys 850511 from CHN 70 and JPN 10
    assert usa.import_hhi == pytest.approx((70**2 + 10**2) / 80**2)


def test_bad_input_names_the_value(hand_wh: Warehouse) -> None:
    with pytest.raises(InputError, match="JPX") as exc:
        dependency_screen(hand_wh, "JPX", "CHN")
    assert "JPN" in str(exc.value)
    with pytest.raises(InputError, match="2019"):
        dependency_screen(hand_wh, "JPN", "CHN", years=[2019])
    with pytest.raises(InputError, match="critical-mineral"):
        dependency_screen(hand_wh, "JPN", "CHN", products="critical-mineral")
    with pytest.raises(InputError, match="rival"):
        dependency_screen(hand_wh, ["JPN", "CHN"], "CHN")


def test_screen_frame_adds_names_and_sorts(hand_wh: Warehouse) -> None:
    df = screen_frame(hand_wh, "JPN", "CHN", years=[2023])
    assert list(df.columns) == [*SCREEN_COLUMNS, "product_name", "workstream"]
    assert df.severity.is_monotonic_decreasing
    r = _row(df, "850511", 2023)
    assert "magnet" in r.product_name.lower()
    assert r.workstream == "critical-minerals, clean-energy"  # in workstream order


@pytest.mark.spark
def test_same_screen_on_duckdb_and_spark(hand_wh: Warehouse, spark_available: None) -> None:
    spark = Warehouse(hand_wh.path, engine="spark", read_only=True)
    for importer in ("JPN", ["JPN", "IND"], None):
        a = hand_wh.execute(dependency_screen(hand_wh, importer, "CHN"))
        b = spark.execute(dependency_screen(spark, importer, "CHN"))
        key = ["importer", "hs6", "year"]
        a = a.sort_values(key).reset_index(drop=True)
        b = b.sort_values(key).reset_index(drop=True)
        assert len(a) == len(b) > 0
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-12)


def test_world_summary_stored_at_ingest_matches_inline(tmp_path_factory: pytest.TempPathFactory) -> None:
    from kakehashi.metrics.screen import screen_expr
    from kakehashi.warehouse import EXPORT_TOTALS

    wh = Warehouse(tmp_path_factory.mktemp("cache") / "wh")
    wh.ingest("trade_flows", pd.DataFrame(_rows(2022, MAGNET_2022) + _rows(2023, MAGNET_DEP)), source=SRC)
    snap = wh.path / "snapshots" / str(wh.snapshot_id)
    assert sorted(p.name for p in (snap / EXPORT_TOTALS).iterdir()) == ["2022.parquet", "2023.parquet"]
    stored = wh.execute(dependency_screen(wh, "JPN", "CHN")).sort_values(["hs6", "year"])
    inline = wh.execute(screen_expr(wh.table("trade_flows"), ["JPN"], "CHN", years=[2022, 2023],
                                    available_years=[2022, 2023])).sort_values(["hs6", "year"])
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), inline.reset_index(drop=True))
    # a new ingest of 2021 computes 2021's totals and keeps the other years' files (the same inode)
    before = (snap / EXPORT_TOTALS / "2022.parquet").stat().st_ino
    wh.ingest("trade_flows", pd.DataFrame(_rows(2021, MAGNET_DEP)), source=SRC)
    snap = wh.path / "snapshots" / str(wh.snapshot_id)
    assert (snap / EXPORT_TOTALS / "2022.parquet").stat().st_ino == before
    assert sorted(p.name for p in (snap / EXPORT_TOTALS).iterdir()) == ["2021.parquet", "2022.parquet",
                                                                       "2023.parquet"]
    assert not (wh.path / "derived").exists()  # nothing is written outside the snapshot


def test_workstream_screen_on_hs17_data_through_the_concordance(tmp_path: Path) -> None:
    # PV cells and modules (HS22 854142, 854143) were one code in HS17: 854140
    conc = pd.DataFrame(
        [("HS22", "854142", "HS17", "854140", "n:1", 1.0), ("HS22", "854143", "HS17", "854140", "n:1", 1.0)],
        columns=["from_revision", "from_hs6", "to_revision", "to_hs6", "relationship", "weight"],
    )
    flows = pd.DataFrame([
        {"year": 2019, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": None,
         "hs_revision": "HS17", "source": SRC}
        for e, i, k, v in [("CHN", "IND", "854140", 90.0), ("VNM", "IND", "854140", 10.0),
                           ("CHN", "USA", "854140", 50.0), ("CHN", "IND", "010121", 5.0)]
    ])
    wh = Warehouse(tmp_path / "wh")
    with wh.transaction() as tx:
        tx.write("hs_concordance", conc, source=SRC)
        tx.write("trade_flows", flows, source=SRC)
    df = screen_frame(wh, "IND", "CHN", products="clean-energy")
    assert df.hs6.tolist() == ["854140"]  # 010121 (horses) is not in the workstream
    r = df.iloc[0]
    assert r.import_hhi == pytest.approx(0.9**2 + 0.1**2)
    assert r.workstream == "clean-energy"
    with pytest.raises(InputError, match="HS22"):
        dependency_screen(wh, "IND", "CHN", revision="HS22")


def test_screen_on_the_synthetic_tiny_sample(tiny_warehouse: Warehouse) -> None:
    df = screen_frame(tiny_warehouse, ["JPN", "IND"], "CHN", products="critical-minerals")
    assert len(df) > 0 and set(df.importer) == {"JPN+IND"}
    assert df.severity.is_monotonic_decreasing
    assert df.import_hhi.between(0, 1).all() and df.world_export_hhi.between(0, 1).all()
    assert (df.rival_usd <= df.imports_usd + 1e-6).all()
    assert set(df.workstream.str.split(", ").explode()) >= {"critical-minerals"}


def test_screen_totals_by_hand() -> None:
    from kakehashi.metrics.screen import screen_totals

    df = pd.DataFrame({"dependent": [True, False, False], "persistent": [True, True, False],
                       "imports_usd": [100.0, 50.0, 50.0], "rival_usd": [80.0, 10.0, 0.0]})
    t = screen_totals(df)
    # the second product is persistent (dependent in 2 of the last 3 years) without being dependent now
    assert (t.products, t.dependent, t.persistent) == (3, 1, 2)
    assert (t.imports_usd, t.rival_usd, t.rival_import_share) == (200.0, 90.0, 0.45)
    empty = screen_totals(df.iloc[:0])
    assert (empty.products, empty.imports_usd, empty.rival_import_share) == (0, 0.0, None)


def test_hhi_thresholds_are_capped_at_one() -> None:
    """An HHI never exceeds 1, so a threshold above 1 can never flag anything: refused."""
    with pytest.raises(InputError, match=r"world_export_hhi must be between 0 and 1, got 1.5"):
        Thresholds(world_export_hhi=1.5)
    with pytest.raises(InputError, match=r"import_export_ratio must be a finite number"):
        Thresholds(import_export_ratio=float("nan"))
