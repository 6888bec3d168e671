"""The canonical queries give the same results on DuckDB and on PySpark.

Each query is built ONCE as an unbound Ibis expression over the ``trade_flows`` schema and
executed by both engines on the same warehouse (the SYNTHETIC tiny sample): imports by importer
and year, supplier shares and import HHI (Σ_s share_s², the EU 2021 / CEPII GeoDep index) from
:mod:`kakehashi.metrics.concentration`. A second HHI written here with a window function
(share over the market total, then Σ share²) cross-checks the metrics package's one-pass
formula Σv²/(Σv)².
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from kakehashi.metrics.concentration import hhi, shares
from kakehashi.schemas import schema
from kakehashi.warehouse import Warehouse

pytestmark = pytest.mark.spark


def _flows() -> ibis.Table:
    return ibis.table(schema("trade_flows").arrow_schema(), name="trade_flows")


def totals_by_importer_year(t: ibis.Table) -> ibis.Table:
    """Imports of each importer and year (USD) and their number of flows."""
    return t.group_by(["importer", "year"]).aggregate(imports_usd=t.value_usd.sum(), flows=t.count())


MARKET = ["importer", "hs6", "year"]


def supplier_shares(t: ibis.Table) -> ibis.Table:
    """Share of each supplier in an importer's imports of a product in a year (metrics package)."""
    return shares(t, MARKET, "exporter", "value_usd")


def import_hhi(t: ibis.Table) -> ibis.Table:
    """Import concentration HHI per importer, product and year (metrics package)."""
    return hhi(t, MARKET, "exporter", "value_usd")


def window_hhi(t: ibis.Table) -> ibis.Table:
    """The same HHI another way: shares over a window, then Σ share² (independent check)."""
    by = t.group_by([*MARKET, "exporter"]).aggregate(value=t.value_usd.sum())
    s = by.mutate(share=by.value / by.value.sum().over(group_by=[by.importer, by.hs6, by.year]))
    return s.group_by(MARKET).aggregate(hhi_window=(s.share * s.share).sum(), suppliers=s.count())


QUERIES = {
    "totals": (totals_by_importer_year, ["importer", "year"]),
    "shares": (supplier_shares, ["importer", "hs6", "year", "exporter"]),
    "hhi": (import_hhi, MARKET),
    "window_hhi": (window_hhi, MARKET),
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
    # the metrics package's one-pass HHI equals the window formula; both lie in [1/n, 1]
    both = duck.execute(import_hhi(flows)).merge(duck.execute(window_hhi(flows)), on=MARKET)
    assert len(both) > 1000
    np.testing.assert_allclose(both["hhi"], both["hhi_window"], rtol=1e-12)
    assert (both["n"] == both["suppliers"]).all()
    assert (both["hhi"] <= 1 + 1e-12).all() and (both["hhi"] >= 1 / both["n"] - 1e-12).all()
