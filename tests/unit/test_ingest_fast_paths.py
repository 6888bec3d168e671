"""The ingest's fast paths agree with the slow computations they replace (SYNTHETIC data).

* ``_stable_order_by_runs`` (moving exporter-importer runs as blocks) gives
  the same permutation as NumPy's stable argsort;
* ``_trade_totals`` (exporter totals summed in memory while the year file is
  written) gives the same bits as ``_derive_trade_year`` (a single-threaded
  DuckDB re-read of the written file), and the committed totals are what an
  independent pandas group-by finds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kakehashi import Warehouse
from kakehashi.sources.baci import _stable_order_by_runs
from kakehashi.warehouse import _derive_trade_year, _trade_totals


def test_run_order_is_the_stable_argsort() -> None:
    rng = np.random.default_rng(7)
    # runs of equal pairs as in a BACI file, plus pairs repeated in separate runs
    pair = np.repeat(rng.integers(0, 40, 300), rng.integers(1, 30, 300)).astype(np.int64)
    expected = np.argsort(pair, kind="stable")
    assert np.array_equal(_stable_order_by_runs(pair), expected)
    one = np.array([5], dtype=np.int64)
    assert np.array_equal(_stable_order_by_runs(one), [0])


def _year(n: int, seed: int) -> pa.Table:
    """SYNTHETIC rows of one year, strings dictionary-encoded as the BACI parser emits them."""
    rng = np.random.default_rng(seed)
    isos = pa.array(["AUS", "CHN", "DEU", "IND", "JPN", "USA"])
    hs = pa.array(["010121", "280530", "811292", "850511"])
    ex = rng.integers(0, 6, n).astype(np.int32)
    im = rng.integers(0, 6, n).astype(np.int32)
    k = rng.integers(0, 4, n).astype(np.int32)
    two = rng.random(n) < 0.3
    return pa.table({
        "year": pa.array(np.full(n, 2021, dtype=np.int32)),
        "exporter": pa.DictionaryArray.from_arrays(pa.array(ex), isos),
        "importer": pa.DictionaryArray.from_arrays(pa.array(im), isos),
        "hs6": pa.DictionaryArray.from_arrays(pa.array(k), hs),
        "value_usd": pa.array(rng.lognormal(10, 3, n)),
        "quantity_t": pa.array(rng.random(n)),
        "hs_revision": pa.array(np.where(two, "HS22", "HS17")).dictionary_encode(),
        "source": pa.array(np.where(two, "test B (synthetic)", "test A (synthetic)")).dictionary_encode(),
    })


def test_totals_in_memory_equal_the_duckdb_reread(tmp_path: Path) -> None:
    tbl = _year(5_000, 3)
    path = tmp_path / "2021.parquet"
    pq.write_table(tbl, path)
    expected_summary = _derive_trade_year(path, tmp_path / "totals.parquet")
    held = _trade_totals(tbl)
    assert held is not None
    totals, summary = held
    assert totals.equals(pq.read_table(tmp_path / "totals.parquet"))  # same rows, order and bits
    assert summary == expected_summary


def test_totals_fall_back_on_plain_strings() -> None:
    tbl = _year(100, 4)
    assert _trade_totals(tbl.set_column(1, "exporter", tbl.column("exporter").cast(pa.string()))) is None


def test_committed_totals_match_a_pandas_groupby(tmp_path: Path) -> None:
    tbl = _year(3_000, 5)
    wh = Warehouse(tmp_path / "wh")
    with wh.transaction() as tx:
        tx.write("trade_flows", tbl, source="test (synthetic)", validated=True)
    got = pq.read_table(wh.derived_files()[0]).to_pandas()
    df = tbl.to_pandas()
    for c in ("exporter", "hs6", "hs_revision"):
        df[c] = df[c].astype(str)
    ref = (df.groupby(["hs_revision", "exporter", "hs6"], as_index=False)["value_usd"].sum()
           .rename(columns={"value_usd": "exports_usd"}))
    merged = got.merge(ref, on=["hs_revision", "exporter", "hs6"], suffixes=("", "_ref"), validate="1:1")
    assert len(merged) == len(ref) == len(got)
    np.testing.assert_allclose(merged["exports_usd"], merged["exports_usd_ref"], rtol=1e-12)
    rows = {(r["hs_revision"], r["source"]): r["rows"] for r in wh.manifest()["derived"]["trade_summary"]}
    assert rows == df.groupby(["hs_revision", "source"], observed=True).size().to_dict()


def test_moving_runs_equals_sorting_by_importer_exporter_product() -> None:
    from kakehashi.sources.baci import _move_pairs, _move_runs, _pair_runs

    rng = np.random.default_rng(11)
    # SYNTHETIC rows in BACI's file order: by exporter, importer, then increasing product
    drawn = (rng.integers(0, 9, 4000), rng.integers(0, 9, 4000), rng.integers(10_000, 999_999, 4000))
    flows = sorted({(int(e), int(i), int(k)) for e, i, k in zip(*drawn, strict=True)})
    ex, im, k = (np.array(c, dtype=np.int32) for c in zip(*flows, strict=True))
    v = rng.random(len(k))
    runs = _pair_runs(ex, im, k, 9)
    assert runs is not None
    got = (*_move_pairs(runs, ex, im), _move_runs(runs, k), _move_runs(runs, v))
    order = np.lexsort((k, ex, im))
    for a, b in zip(got, (ex[order], im[order], k[order], v[order]), strict=True):
        assert np.array_equal(a, b)
    dup = np.concatenate([k[:5], k[4:5], k[5:]])  # a product repeated inside the first run
    assert _pair_runs(np.concatenate([ex[:1], ex]), np.concatenate([im[:1], im]), dup, 9) is None
    # the first pair coming back at the end: not BACI's layout, left to the general sort
    assert _pair_runs(np.append(ex, ex[0]), np.append(im, im[0]), np.append(k, 999_999), 9) is None
