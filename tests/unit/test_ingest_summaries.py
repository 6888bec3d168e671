"""The world-export summary stored at ingest is the one the screen computes (SYNTHETIC data).

A one-importer screen needs every product's world exports, their sum of
squares and exporters (``metrics.screen.world_summary`` over the exporter
totals). The ingest now stores them per year (``derived/world_summary``), summed
in NumPy; these tests check the same bits as the engine's order-stable sums, on
random groups against a plain Python loop and on a warehouse against the Ibis
expression run by DuckDB, and that a snapshot written before the summary
existed is still screened (computed) and gains it at the next ingest.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from kakehashi import Warehouse
from kakehashi.metrics import derived
from kakehashi.metrics import screen as screen_mod
from kakehashi.metrics.flows import plan_trade
from kakehashi.warehouse import WORLD_SUMMARY, _group_order, _sorted_sums, _world_summary

KEY = [("hs6", "ascending"), ("year", "ascending")]


def test_sorted_sums_add_each_group_in_ascending_order() -> None:
    rng = np.random.default_rng(11)
    gid = rng.integers(0, 50, 4_000)
    values = rng.lognormal(8, 4, 4_000)  # wide range: the order of the additions shows in the bits
    got = _sorted_sums(gid, values, 50, _group_order(gid, values, 50))
    for g in range(50):
        expected = 0.0
        for v in sorted(values[gid == g]):
            expected += v
        assert got[g] == expected  # bit for bit
    # the order matters for these data: an unsorted sum differs somewhere
    assert any(sum(values[gid == g]) != got[g] for g in range(50))


def test_world_summary_of_totals_by_hand() -> None:
    totals = pa.table({
        "exporter": ["AUS", "CHN", "USA", "CHN", "JPN"],
        "hs6": ["280530", "280530", "280530", "811292", "811292"],
        "year": pa.array([2023, 2023, 2023, 2023, 2023], pa.int32()),
        "hs_revision": ["HS22"] * 5,
        "exports_usd": [30.0, 60.0, 10.0, 0.0, 5.0],
    })
    got = _world_summary(totals)
    assert got is not None
    rows = {r["hs6"]: r for r in got.to_pylist()}
    # 280530: X = 100, Q = 900 + 3600 + 100 = 4600 (HHI 0.46), three exporters
    assert rows["280530"]["world_exports"] == 100.0
    assert rows["280530"]["world_sumsq"] == 4600.0
    assert rows["280530"]["world_exporters"] == 3
    # 811292: CHN's zero total is no exporter
    assert (rows["811292"]["world_exports"], rows["811292"]["world_exporters"]) == (5.0, 1)
    with_null = totals.set_column(4, "exports_usd", pa.array([1.0, None, 2.0, 3.0, 4.0]))
    assert _world_summary(with_null) is None
    # a negative total (no checked source has one): the squares are ordered on their own
    negative = _world_summary(totals.set_column(4, "exports_usd", pa.array([-30.0, 60.0, 10.0, 0.0, 5.0])))
    assert negative is not None
    first = negative.to_pylist()[0]
    assert (first["world_sumsq"], first["world_exports"]) == (4600.0, 40.0)


def _computed_and_stored(wh: Warehouse, importer: str, rival: str) -> tuple[pa.Table, pa.Table | None]:
    req = screen_mod.resolve_request(wh, importer, rival)
    plan = plan_trade(wh, req.revision, req.years)
    req = replace(req, plan=plan)
    computed = wh.connect().to_pyarrow(screen_mod.request_world_expr(wh, req))
    stored = derived.world_summary(wh, plan.revision,
                                   screen_mod.persistence_years(req.years, req.available_years), req.products)
    return computed, stored


def test_stored_summary_is_the_computed_one(tiny_warehouse: Warehouse) -> None:
    computed, stored = _computed_and_stored(tiny_warehouse, "JPN", "CHN")
    assert stored is not None and stored.num_rows > 0
    assert stored.schema == computed.schema
    assert stored.sort_by(KEY).equals(computed.sort_by(KEY))
    files = tiny_warehouse.derived_files("world_summary")
    assert len(files) == len(tiny_warehouse.derived_files("export_totals")) == 3
    entries = tiny_warehouse.manifest()["files"]
    assert all(f"{WORLD_SUMMARY}/{f.name}" in entries for f in files)  # hashed like every file


def test_products_filter(tiny_warehouse: Warehouse) -> None:
    _, full = _computed_and_stored(tiny_warehouse, "JPN", "CHN")
    assert full is not None
    some = sorted(set(full.column("hs6").to_pylist()))[:3]
    part = derived.world_summary(tiny_warehouse, "HS22", [2021, 2022, 2023], some)
    assert part is not None
    assert sorted(set(part.column("hs6").to_pylist())) == some
    assert derived.world_summary(tiny_warehouse, "HS17", [2023]).num_rows == 0  # type: ignore[union-attr]


def test_snapshot_without_the_summary_is_screened_and_upgraded(tiny_warehouse: Warehouse,
                                                               tiny_sample_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "wh"
    shutil.copytree(tiny_warehouse.path, path)
    wh = Warehouse(path)
    snap = path / "snapshots" / wh.snapshot_id
    manifest = json.loads((snap / "manifest.json").read_text())
    for rel in manifest["derived"].pop("world_summary"):  # as written before the summary existed
        del manifest["files"][rel]
        (snap / rel).unlink()
    (snap / "manifest.json").write_text(json.dumps(manifest))
    wh.close()
    old = Warehouse(path)
    assert derived.world_summary(old, "HS22", [2023]) is None
    expected = screen_mod.screen_frame(tiny_warehouse, "IND", "CHN")
    assert screen_mod.screen_frame(old, "IND", "CHN").equals(expected)

    from kakehashi.sources.wgi import parse_wgi

    wgi = sorted((tiny_sample_dir / "wgi").iterdir())[0]
    old.ingest("governance", parse_wgi(wgi), source="wgi (synthetic)")
    computed, stored = _computed_and_stored(old, "JPN", "CHN")
    assert stored is not None and stored.sort_by(KEY).equals(computed.sort_by(KEY))


@pytest.mark.parametrize("importer", ["JPN", "IND", "USA"])
def test_screen_unchanged_by_the_stored_summary(tiny_warehouse: Warehouse, importer: str) -> None:
    """The screen read with the stored summary equals the screen of the whole expression, computed."""
    got = screen_mod.screen_frame(tiny_warehouse, importer, "CHN")
    req = screen_mod.resolve_request(tiny_warehouse, importer, "CHN")
    whole = tiny_warehouse.connect().to_pyarrow(screen_mod.request_expr(tiny_warehouse, req)).to_pandas()
    cols = list(screen_mod.SCREEN_COLUMNS)
    key = ["importer", "hs6", "year"]
    a = got[cols].sort_values(key, ignore_index=True)
    b = whole[cols].sort_values(key, ignore_index=True)
    assert len(a) > 0
    assert a.equals(b)


def test_recorded_country_counts_are_the_query_counts(tiny_warehouse: Warehouse) -> None:
    """Exporters and importers with a positive flow, recorded at ingest, against a pandas count."""
    from kakehashi.metrics.coverage import _recorded_countries, reporting_countries

    counts = derived.country_counts(tiny_warehouse)
    assert counts is not None and len(counts) == 3
    flows = tiny_warehouse.execute(tiny_warehouse.table("trade_flows"))
    positive = flows[flows["value_usd"] > 0]
    by_year = positive.groupby("year").agg(exporters=("exporter", "nunique"),
                                           importers=("importer", "nunique"))
    for row in counts.itertuples():
        assert (row.exporters, row.importers) == tuple(by_year.loc[row.year])
    plan = plan_trade(tiny_warehouse, None, None)
    got = reporting_countries(tiny_warehouse, plan)
    assert got[["exporters", "importers"]].to_numpy().tolist() == by_year.to_numpy().tolist()
    assert _recorded_countries(tiny_warehouse, plan, plan.years) is not None  # read, not queried


def test_country_counts_of_a_year_with_two_sources_and_zero_values(tmp_path: Path) -> None:
    """The in-memory counts per (revision, source) equal DuckDB's re-read, zero flows left out."""
    import pyarrow.parquet as pq

    from kakehashi.warehouse import _derive_trade_year, _trade_totals

    rng = np.random.default_rng(5)
    n = 2_000
    isos = pa.array(["AUS", "CHN", "DEU", "IND", "JPN", "USA", "VNM"])
    two = rng.random(n) < 0.4
    value = rng.lognormal(5, 2, n)
    value[rng.random(n) < 0.2] = 0.0
    exporter = rng.integers(0, 7, n).astype(np.int32)
    value[exporter == 6] = 0.0  # VNM ships nothing of value: not counted
    tbl = pa.table({
        "year": pa.array(np.full(n, 2022, dtype=np.int32)),
        "exporter": pa.DictionaryArray.from_arrays(pa.array(exporter), isos),
        "importer": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 7, n).astype(np.int32)), isos),
        "hs6": pa.array(rng.choice(["280530", "811292"], n)).dictionary_encode(),
        "value_usd": pa.array(value),
        "hs_revision": pa.array(np.where(two, "HS22", "HS17")).dictionary_encode(),
        "source": pa.array(np.where(two, "B (synthetic)", "A (synthetic)")).dictionary_encode(),
    })
    path = tmp_path / "2022.parquet"
    pq.write_table(tbl, path)
    expected = _derive_trade_year(path, tmp_path / "totals.parquet")
    held = _trade_totals(tbl)
    assert held is not None
    assert held[1] == expected
    df = tbl.to_pandas()
    for row in expected:
        sel = df[(df["source"] == row["source"]) & (df["value_usd"] > 0)]
        assert row["exporters"] == sel["exporter"].nunique()
        assert row["importers"] == sel["importer"].nunique()
        assert row["exporters"] == 6  # all but VNM


def _wide_year(path: Path) -> Warehouse:
    """A SYNTHETIC year where the order of additions shows in the bits: 40 countries trade 6 products
    with each other, values spread over eight orders of magnitude."""
    rng = np.random.default_rng(17)
    codes = ["ARG", "AUS", "AUT", "BEL", "BRA", "CAN", "CHE", "CHL", "CHN", "COL", "CZE", "DEU", "DNK",
             "EGY", "ESP", "FIN", "FRA", "GBR", "GRC", "HUN", "IDN", "IND", "IRL", "ISR", "ITA", "JPN",
             "KOR", "MEX", "MYS", "NLD", "NOR", "NZL", "PER", "PHL", "POL", "PRT", "SWE", "THA", "USA",
             "VNM"]
    products = ["280530", "281820", "811292", "850511", "850760", "854231"]
    rows = [(e, i, k) for e in codes for i in codes if e != i for k in products]
    n = len(rows)
    table = pa.table({
        "year": pa.array(np.full(n, 2023, dtype=np.int32)),
        "exporter": [r[0] for r in rows], "importer": [r[1] for r in rows], "hs6": [r[2] for r in rows],
        "value_usd": rng.lognormal(10, 4, n), "quantity_t": pa.array([None] * n, pa.float64()),
        "hs_revision": ["HS22"] * n, "source": ["order test (synthetic)"] * n,
    })
    wh = Warehouse(path)
    wh.ingest("trade_flows", table, source="order test (synthetic)")
    return Warehouse(path, read_only=True)


def test_one_importers_rows_of_the_full_screen_are_its_own_screen(tmp_path: Path) -> None:
    """Every screen reads the same exporter totals: JPN's rows of the all-importer screen are JPN's screen,
    bit for bit, on data where summing an exporter's flows in another order changes the last bits."""
    wh = _wide_year(tmp_path / "wh")
    flows = wh.execute(wh.table("trade_flows"))
    in_rows = flows.groupby(["exporter", "hs6"])["value_usd"].agg(lambda v: sum(v.tolist()))
    in_order = flows.groupby(["exporter", "hs6"])["value_usd"].agg(lambda v: sum(sorted(v.tolist())))
    assert (in_rows != in_order).any()  # the data can tell two summing orders apart
    full = screen_mod.screen_frame(wh, None, "CHN")
    cols = list(screen_mod.SCREEN_COLUMNS)
    key = ["hs6", "year"]
    for importer in ("JPN", "IND", "USA"):
        own = screen_mod.screen_frame(wh, importer, "CHN")[cols]
        own = own.sort_values(key, ignore_index=True)
        part = full[full["importer"] == importer][cols].sort_values(key, ignore_index=True)
        assert len(own) == 6
        assert part.equals(own)  # bit for bit, world-export HHI and own exports included


def test_stored_summary_is_the_computed_one_where_the_order_shows(tmp_path: Path) -> None:
    """The same check as on the tiny sample, on 40 exporters per product over eight orders of magnitude."""
    wh = _wide_year(tmp_path / "wh")
    computed, stored = _computed_and_stored(wh, "JPN", "CHN")
    assert stored is not None and stored.num_rows == 6
    assert stored.sort_by(KEY).equals(computed.sort_by(KEY))
    totals = wh.execute(wh.table("trade_flows")).groupby(["exporter", "hs6"])["value_usd"].sum()
    by_product = totals.groupby(level="hs6")
    in_rows = by_product.agg(lambda v: sum(v.tolist()))
    assert (in_rows != by_product.agg(lambda v: sum(sorted(v.tolist())))).any()  # the order shows
