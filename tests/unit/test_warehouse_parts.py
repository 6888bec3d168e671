"""A large year is written as several part files in parallel; readers see one year (SYNTHETIC data).

``PART_ROWS`` is lowered so that a few thousand synthetic rows make several parts; the
checks compare the parted warehouse with one written whole, with an independent pandas
group-by of the exporter totals, and with the manifest's hashes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kakehashi import Warehouse
from kakehashi import warehouse as W
from kakehashi.questions.inventory import tables_frame
from kakehashi.sources.staging import write_trade_year
from kakehashi.warehouse import file_order, file_sha256, year_file_name, year_part


def _year(n: int, seed: int, year: int = 2021) -> pa.Table:
    """SYNTHETIC rows of one year with unique keys, dictionary-encoded as the BACI parser emits them."""
    rng = np.random.default_rng(seed)
    isos = ["AUS", "CHN", "DEU", "IND", "JPN", "KOR", "USA", "VNM"]
    codes = [f"{c:06d}" for c in range(10_000, 10_000 + 400)]
    keys = rng.choice(len(isos) * len(isos) * len(codes), n, replace=False)
    pair, k = np.divmod(keys, len(codes))
    ex, im = np.divmod(pair, len(isos))
    return pa.table({
        "year": pa.array(np.full(n, year, dtype=np.int32)),
        "exporter": pa.DictionaryArray.from_arrays(pa.array(ex.astype(np.int32)), pa.array(isos)),
        "importer": pa.DictionaryArray.from_arrays(pa.array(im.astype(np.int32)), pa.array(isos)),
        "hs6": pa.DictionaryArray.from_arrays(pa.array(k.astype(np.int32)), pa.array(codes)),
        "value_usd": pa.array(np.round(rng.lognormal(10, 3, n), 3)),
        "quantity_t": pa.array(rng.random(n)),
        "hs_revision": pa.array(["HS22"] * n).dictionary_encode(),
        "source": pa.array(["test (synthetic)"] * n).dictionary_encode(),
    })


def _frame(wh: Warehouse) -> pd.DataFrame:
    t = wh.table("trade_flows")
    return wh.execute(t.order_by(["year", "importer", "exporter", "hs6"])).reset_index(drop=True)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(W, "PARQUET_ROW_GROUP", 100)
    monkeypatch.setattr(W, "PART_ROWS", 1_000)
    return 1_000


def test_names_and_order() -> None:
    assert [year_file_name(2021, i) for i in range(3)] == ["2021.parquet", "2021-1.parquet", "2021-2.parquet"]
    assert year_part("2021-0.parquet") is None and year_part("21.parquet") is None
    names = ["2022.parquet", "2021-10.parquet", "2021-2.parquet", "all.parquet", "2021.parquet"]
    assert sorted(names, key=file_order) == ["2021.parquet", "2021-2.parquet", "2021-10.parquet",
                                             "2022.parquet", "all.parquet"]


def test_large_year_in_parts_reads_as_one(tmp_path: Path, small_parts: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    tbl = pa.concat_tables([_year(3_450, 1), _year(700, 2, year=2022)])
    parted = Warehouse(tmp_path / "parted")
    with parted.transaction() as tx:
        tx.write("trade_flows", tbl, source="test (synthetic)", validated=True)
    names = [p.name for p in parted.files("trade_flows")]
    # 3,450 rows: 35 groups of 100 rows, at most 1,000 rows a part -> four parts of 900, 900, 900, 750 rows
    assert names == ["2021.parquet", "2021-1.parquet", "2021-2.parquet", "2021-3.parquet", "2022.parquet"]
    rows = [pq.read_metadata(p).num_rows for p in parted.files("trade_flows")]
    assert rows == [900, 900, 900, 750, 700]
    # parts keep the warehouse's order: importer, exporter, hs6 across the files of a year
    read = pa.concat_tables([pq.read_table(p) for p in parted.files("trade_flows")[:4]]).to_pandas()
    keys = read[["importer", "exporter", "hs6"]].astype(str).apply(tuple, axis=1).tolist()
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    listed = tables_frame(parted).set_index("table").loc["trade_flows"]
    assert listed["years"] == [2021, 2022] and listed["rows"] == 4_150 and listed["files"] == 5
    # the same data written whole (one file a year) reads the same
    whole = Warehouse(tmp_path / "whole")
    monkeypatch.setattr(W, "PART_ROWS", 10**9)
    with whole.transaction() as tx:
        tx.write("trade_flows", tbl, source="test (synthetic)", validated=True)
    assert [p.name for p in whole.files("trade_flows")] == ["2021.parquet", "2022.parquet"]
    pd.testing.assert_frame_equal(_frame(parted), _frame(whole))
    # exporter totals: one file a year, equal to a pandas group-by of the rows
    got = pd.concat([pq.read_table(p).to_pandas() for p in parted.derived_files()])
    df = tbl.to_pandas()
    for c in ("exporter", "hs6", "hs_revision"):
        df[c] = df[c].astype(str)
    want = df.groupby(["year", "exporter", "hs6"])["value_usd"].sum()
    got_s = got.set_index(["year", "exporter", "hs6"])["exports_usd"].sort_index()
    np.testing.assert_allclose(got_s.to_numpy(), want.sort_index().to_numpy(), rtol=1e-12)
    assert [p.name for p in parted.derived_files()] == ["2021.parquet", "2022.parquet"]
    # the manifest's hashes, computed by the writer threads, are the files' own
    manifest = parted.manifest()
    for rel, entry in manifest["files"].items():
        path = tmp_path / "parted" / "snapshots" / manifest["snapshot"] / rel
        assert entry["sha256"] == file_sha256(path) and entry["size"] == path.stat().st_size
    assert parted.verify(full=True) == []


def test_a_smaller_year_replaces_every_old_part(tmp_path: Path, small_parts: int) -> None:
    wh = Warehouse(tmp_path)
    with wh.transaction() as tx:
        tx.write("trade_flows", _year(2_500, 3), source="big (synthetic)", validated=True)
    assert len(wh.files("trade_flows")) == 3
    with wh.transaction() as tx:
        tx.write("trade_flows", _year(400, 4), source="small (synthetic)", validated=True)
    assert [p.name for p in wh.files("trade_flows")] == ["2021.parquet"]
    t = wh.table("trade_flows")
    assert int(wh.execute(t.count())) == 400
    assert wh.verify(full=True) == []


def test_merge_with_a_parted_year_keeps_other_sources(tmp_path: Path, small_parts: int) -> None:
    wh = Warehouse(tmp_path)
    first = _year(2_500, 5)
    with wh.transaction() as tx:
        write_trade_year(tx, first, 2021, source="A", source_prefix="test (", origin="a")
    other = _year(300, 6).to_pandas()
    other["source"] = "other (synthetic)"
    other["hs_revision"] = "HS17"  # another revision: no key collides with the first rows
    with wh.transaction() as tx:
        write_trade_year(tx, pa.Table.from_pandas(other, preserve_index=False), 2021, source="B",
                         source_prefix="other (", origin="b")
    t = wh.table("trade_flows")
    counts = wh.execute(t.group_by("source").aggregate(n=t.count()).order_by("source"))
    assert dict(zip(counts["source"], counts["n"], strict=True)) == {"other (synthetic)": 300,
                                                                      "test (synthetic)": 2_500}


def test_ingest_memory_settings_are_restored(tmp_path: Path) -> None:
    import pyarrow as pa_
    from numpy._core import multiarray

    from kakehashi.warehouse import ingest_memory_pool

    before_pool, before_huge = pa_.default_memory_pool().backend_name, multiarray._get_madvise_hugepage()
    with ingest_memory_pool():
        assert multiarray._get_madvise_hugepage() is False
        inside = pa_.default_memory_pool().backend_name
    assert inside in ("jemalloc", before_pool)  # jemalloc when this Arrow build has it
    assert (pa_.default_memory_pool().backend_name, multiarray._get_madvise_hugepage()) == (before_pool,
                                                                                           before_huge)
    wh = Warehouse(tmp_path)
    with pytest.raises(RuntimeError), wh.transaction() as tx:
        tx.write("trade_flows", _year(50, 7), source="t (synthetic)", validated=True)
        raise RuntimeError("stop")  # an ingest that fails restores them too
    assert pa_.default_memory_pool().backend_name == before_pool
    assert wh.snapshot_id is None
