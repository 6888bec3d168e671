"""The ingest's fast paths agree with the slow computations they replace (SYNTHETIC data).

* ``_stable_order_by_runs`` (moving exporter-importer runs as blocks) gives
  the same permutation as NumPy's stable argsort;
* ``_trade_totals`` (exporter totals summed in memory while the year file is
  written) gives the same bits as ``_derive_trade_year`` (a single-threaded
  DuckDB re-read of the written file), and the committed totals are what an
  independent pandas group-by finds;
* ``_fast_year`` (the BACI parser's chunk-by-chunk path) gives the general
  path's rows, order and left-out aggregates, across chunk boundaries and
  two codes of one country, and leaves failures and other layouts to it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

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


def _baci_rows(seed: int, n: int = 6000) -> dict[str, np.ndarray]:
    """SYNTHETIC rows in BACI's file order (exporter code, importer code, increasing product)."""
    rng = np.random.default_rng(seed)
    codes = np.array([4, 8, 12, 24, 31, 36, 697])  # 697: a non-country area (Europe EFTA, nes)
    drawn = (rng.choice(codes, n), rng.choice(codes, n), rng.integers(10_000, 999_999, n))
    flows = sorted({(int(i), int(j), int(k)) for i, j, k in zip(*drawn, strict=True) if i != j})
    i, j, k = (np.array(c, dtype=np.int32) for c in zip(*flows, strict=True))
    q = np.round(rng.lognormal(1, 2, len(k)), 3)
    q[rng.random(len(k)) < 0.05] = np.nan  # NA
    return {"t": np.full(len(k), 2021, dtype=np.int32), "i": i, "j": j, "k": k,
            "v": np.round(rng.lognormal(2, 2, len(k)), 3), "q": q}


def _chunked(rows: dict[str, np.ndarray], seed: int) -> pa.Table:
    """The rows as Arrow's CSV reader returns them: chunks of uneven sizes (pairs cut across chunks)."""
    rng = np.random.default_rng(seed)
    n = len(rows["k"])
    cuts = np.unique(np.concatenate(([0, n], rng.integers(1, n, 6))))
    batches = [pa.record_batch({c: pa.array(a[lo:hi], from_pandas=True) for c, a in rows.items()})
               for lo, hi in itertools.pairwise(cuts.tolist())]
    return pa.Table.from_batches(batches)


def _general(raw: pa.Table, table: dict[int, str | None]) -> tuple[pa.Table, dict[int, int]]:
    """The general path of the BACI parser (whole-column checks, mapping and ordering)."""
    from kakehashi.sources.baci import _check_values, _Checker, _finish, _resolve_codes

    check = _Checker(None, Path("BACI_HS22_Y2021_V202501.csv"), list("tijkvq"), "SYNTHETIC")
    _check_values(raw, check, 2021)
    codes_i, codes_j = raw.column("i").to_numpy(), raw.column("j").to_numpy()
    res = _resolve_codes(codes_i, codes_j, table, check)
    year = _finish(raw, codes_i, codes_j, res, check, "HS22", 2021, "202501")
    return year.flows, year.aggregate_rows


def test_fast_path_gives_the_general_paths_rows() -> None:
    from kakehashi.sources.baci import _fast_year

    table: dict[int, str | None] = {4: "XAA", 8: "XAB", 12: "XAC", 24: "XAD", 31: "XAE", 36: "XAF"}
    for seed in range(4):
        rows = _baci_rows(seed)
        raw = _chunked(rows, seed)
        assert raw.column("k").num_chunks > 2
        fast = _fast_year(raw, table, "SYNTHETIC", "HS22", 2021, "202501")
        assert fast is not None
        flows, aggregates = _general(raw, table)
        assert fast.flows.equals(flows)
        assert fast.aggregate_rows == aggregates
        is_697 = (rows["i"] == 697) | (rows["j"] == 697)
        assert aggregates == {697: int(is_697.sum())} and fast.flows.num_rows == int((~is_697).sum())
        # by hand: the rows are those of the file without 697, ordered by importer, exporter, product
        keep = ~is_697
        order = np.lexsort((rows["k"][keep], rows["i"][keep], rows["j"][keep]))
        assert np.array_equal(fast.flows.column("value_usd").to_numpy(),
                              np.round(rows["v"][keep][order] * 1000.0, 6))


def test_fast_path_merges_two_codes_of_one_country() -> None:
    from kakehashi.sources.baci import _fast_year

    # 24 and 31 are one country: the pair (XAA, XAD) is two consecutive runs of codes, one run of
    # countries, whose products go on increasing across the codes
    rows = {"t": np.full(6, 2021, dtype=np.int32), "i": np.array([4, 4, 4, 4, 8, 8], dtype=np.int32),
            "j": np.array([24, 24, 31, 31, 4, 4], dtype=np.int32),
            "k": np.array([10_100, 20_100, 30_100, 40_100, 10_100, 20_100], dtype=np.int32),
            "v": np.arange(1.0, 7.0), "q": np.full(6, np.nan)}
    table: dict[int, str | None] = {4: "XAA", 8: "XAB", 24: "XAD", 31: "XAD"}
    raw = _chunked(rows, 1)
    fast = _fast_year(raw, table, "SYNTHETIC", "HS22", 2021, "202501")
    assert fast is not None and fast.flows.equals(_general(raw, table)[0])
    assert fast.flows.column("importer").to_pylist() == ["XAA", "XAA", "XAD", "XAD", "XAD", "XAD"]
    # the second code's products starting again below the first's: left to the general path
    rows["k"] = np.array([10_100, 30_100, 20_100, 40_100, 10_100, 20_100], dtype=np.int32)
    assert _fast_year(_chunked(rows, 1), table, "SYNTHETIC", "HS22", 2021, "202501") is None


def test_fast_path_leaves_failures_and_other_layouts_to_the_general_path() -> None:
    from kakehashi.sources.baci import _fast_year

    table: dict[int, str | None] = {4: "XAA", 8: "XAB", 12: "XAC", 24: "XAD", 31: "XAE", 36: "XAF"}
    rows = _baci_rows(9)

    def fast(**changed: np.ndarray) -> object:
        return _fast_year(_chunked({**rows, **changed}, 9), table, "SYNTHETIC", "HS22", 2021, "202501")

    assert fast() is not None
    n = len(rows["k"])
    bad_v = rows["v"].copy()
    bad_v[n // 2] = -1.0
    assert fast(v=bad_v) is None  # a negative value: the general path names its line
    bad_t = rows["t"].copy()
    bad_t[-1] = 2020
    assert fast(t=bad_t) is None  # another year
    assert fast(i=np.where(rows["i"] == 36, 999, rows["i"]).astype(np.int32)) is None  # unknown code
    flipped = {c: a[::-1].copy() for c, a in rows.items()}  # not BACI's order: sorted by the general path
    assert _fast_year(_chunked(flipped, 9), table, "SYNTHETIC", "HS22", 2021, "202501") is None


def test_order_check_by_blocks_sees_a_descent_at_a_block_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    import kakehashi.warehouse as warehouse

    monkeypatch.setattr(warehouse, "_ORDER_BLOCK", 4)
    a = np.array([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3], dtype=np.int32)
    b = np.array([0, 1, 0, 2, 5, 0, 0, 1, 2, 2, 7], dtype=np.int32)
    assert warehouse._sorted_ranks([a, b], [4, 8])
    for at in range(1, len(b)):  # every descent, at a boundary of the blocks of 4 or inside one
        c = b.copy()
        c[at] = -1 if a[at] == a[at - 1] else c[at]
        d = a.copy()
        d[at] = d[at - 1] - 1 if a[at] != a[at - 1] else d[at]
        assert not warehouse._sorted_ranks([d, c], [4, 8]), at
