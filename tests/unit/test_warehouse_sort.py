"""Warehouse file writing: Arrow sort on ranks equals a plain string sort; files are sorted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kakehashi import Warehouse
from kakehashi.warehouse import _sort_indices


def _flows(n: int, seed: int) -> pa.Table:
    """Synthetic rows; importer and hs6 dictionary-encoded, exporter plain."""
    rng = np.random.default_rng(seed)
    isos = np.array(["JPN", "IND", "CHN", "USA", "AUS", "DEU"])
    hs = np.array(["850511", "280530", "010121", "811292"])
    imp = rng.integers(0, len(isos), n)
    return pa.table({
        "year": pa.array(np.full(n, 2021, dtype=np.int32)),
        "exporter": pa.array(isos[rng.integers(0, len(isos), n)]),
        "importer": pa.DictionaryArray.from_arrays(pa.array(imp.astype(np.int32)), pa.array(isos)),
        "hs6": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 4, n).astype(np.int32)), pa.array(hs)),
        "value_usd": pa.array(rng.random(n)),
        "quantity_t": pa.array(rng.random(n)),
        "hs_revision": pa.array(["HS17"] * n),
        "source": pa.array(["test (synthetic)"] * n),
    })


def test_rank_sort_matches_string_sort() -> None:
    # two chunks with different dictionaries, as after concatenating two sources
    a, b = _flows(500, 1), _flows(300, 2)
    b = b.set_column(2, "importer", b.column("importer").cast(pa.string()).dictionary_encode())
    tbl = pa.concat_tables([a, b.cast(a.schema)])
    keys = ["importer", "exporter", "hs6"]
    ours = tbl.take(_sort_indices(tbl, keys)).cast(pa.schema([
        (f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type) for f in tbl.schema]))
    plain = ours.sort_by([(k, "ascending") for k in keys])
    for k in keys:
        assert ours.column(k).to_pylist() == plain.column(k).to_pylist()


def test_written_year_file_is_sorted(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    wh.ingest("trade_flows", _flows(1000, 3).to_pandas().drop_duplicates(
        ["year", "exporter", "importer", "hs6", "hs_revision"]), source="test")
    df = pq.read_table(wh.files("trade_flows")[0]).to_pandas()
    keys = ["importer", "exporter", "hs6"]
    assert df[keys].values.tolist() == df.sort_values(keys)[keys].values.tolist()


def test_dictionary_columns_are_written_as_plain_strings_with_statistics(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    tbl = _flows(2000, 4)
    rows = _sort_indices(tbl, ["importer", "exporter", "hs6"])
    keys = tbl.take(rows).select(["year", "exporter", "importer", "hs6", "hs_revision"]).to_pandas()
    tbl = tbl.take(rows).filter(pa.array(~keys.duplicated().to_numpy()))
    with wh.transaction() as tx:
        tx.write("trade_flows", tbl, source="test", validated=True)
    path = wh.files("trade_flows")[0]
    read = pq.read_table(path)
    assert read.schema.field("importer").type == pa.string()
    assert read.schema.field("hs6").type == pa.string()
    assert read.column("importer").to_pylist() == tbl.column("importer").cast(pa.string()).to_pylist()
    column = read.schema.get_field_index("importer")
    stats = pq.ParquetFile(path).metadata.row_group(0).column(column).statistics
    assert stats is not None and stats.has_min_max
    assert (stats.min, stats.max) == ("AUS", "USA")


def test_sorted_input_needs_no_reordering() -> None:
    from kakehashi.warehouse import _sort_order

    tbl = _flows(300, 5)
    keys = ["importer", "exporter", "hs6"]
    assert _sort_order(tbl, keys) is not None
    ordered = tbl.take(_sort_indices(tbl, keys))
    assert _sort_order(ordered, keys) is None
    assert _sort_indices(ordered, keys).to_pylist() == list(range(300))
