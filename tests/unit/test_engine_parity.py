"""The canonical queries give the same results on DuckDB and on PySpark.

Each query is built ONCE as an unbound Ibis expression over the ``trade_flows`` schema and
executed by both engines on the same warehouse (the SYNTHETIC tiny sample). The expressions
are written here (totals, supplier shares, import HHI = Σ_s share_s², the EU 2021 / CEPII
GeoDep concentration index) so the parity check does not depend on the metrics package; the
metrics package's own expressions are checked against hand calculations in its tests.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from kakehashi.schemas import schema
from kakehashi.warehouse import Warehouse

pytestmark = pytest.mark.spark


def _flows() -> ibis.Table:
    return ibis.table(schema("trade_flows").arrow_schema(), name="trade_flows")


def totals_by_importer_year(t: ibis.Table) -> ibis.Table:
    """Imports of each importer and year (USD) and their number of flows."""
    return t.group_by(["importer", "year"]).aggregate(imports_usd=t.value_usd.sum(), flows=t.count())


def supplier_shares(t: ibis.Table) -> ibis.Table:
    """Share of each supplier in an importer's imports of a product in a year."""
    by = t.group_by(["importer", "hs6", "year", "exporter"]).aggregate(value=t.value_usd.sum())
    total = by.value.sum().over(group_by=[by.importer, by.hs6, by.year])
    return by.mutate(share=by.value / total)


def import_hhi(t: ibis.Table) -> ibis.Table:
    """Import concentration HHI = Σ_s share_s² per importer, product and year."""
    s = supplier_shares(t)
    return s.group_by(["importer", "hs6", "year"]).aggregate(hhi=(s.share * s.share).sum(),
                                                             suppliers=s.count())


QUERIES = {
    "totals": (totals_by_importer_year, ["importer", "year"]),
    "shares": (supplier_shares, ["importer", "hs6", "year", "exporter"]),
    "hhi": (import_hhi, ["importer", "hs6", "year"]),
}


def _normalise(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = df.sort_values(keys, ignore_index=True)
    for c in out.columns:
        if pd.api.types.is_integer_dtype(out[c]):
            out[c] = out[c].astype("int64")
        elif pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object:
            out[c] = out[c].astype(str)
    return out


def test_canonical_queries_agree_on_duckdb_and_spark(spark_available: None,
                                                     tiny_warehouse: Warehouse) -> None:
    duck = tiny_warehouse
    spark = Warehouse(duck.path, engine="spark", read_only=True)
    flows = _flows()
    for name, (build, keys) in QUERIES.items():
        expr = build(flows)  # one unbound expression, run by both engines
        a = _normalise(duck.execute(expr), keys)
        b = _normalise(spark.execute(expr), keys)
        assert len(a) >= 36, name  # 12 importers × 3 years at least
        assert list(a.columns) == list(b.columns), name
        pd.testing.assert_frame_equal(a[keys], b[keys], obj=name)
        for col in a.columns.difference(keys):
            np.testing.assert_allclose(a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float),
                                       rtol=1e-12, atol=1e-12, err_msg=f"{name}.{col}")
    # the HHI rows are consistent with the shares: in [1/n, 1] for n suppliers
    hhi = duck.execute(import_hhi(flows))
    assert (hhi["hhi"] <= 1 + 1e-12).all() and (hhi["hhi"] >= 1 / hhi["suppliers"] - 1e-12).all()
