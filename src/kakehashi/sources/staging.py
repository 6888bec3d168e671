"""Staging helpers shared by the trade sources: merge a year with rows already staged.

The warehouse replaces whole year files (``merge_years``). A year may hold
rows of several sources (BACI in one or more HS revisions, Comtrade), so the
trade sources merge before they write: the rows of the same source family
are replaced, other sources' rows are kept unless their key is in the new
data (new data wins on a key collision, so the key stays unique).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from kakehashi.errors import EngineError


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def merge_year(tx: Any, flows: pa.Table, year: int, source_prefix: str) -> pa.Table:
    """Rows of ``year`` to write: the new ones plus other sources' rows already staged.

    The warehouse replaces whole years. Rows of the same source family
    (``source_prefix``, e.g. ``"CEPII BACI HS92 "``) are replaced; rows of other
    sources (another HS revision, Comtrade) for the same year are kept unless
    their key is in the new data.
    """
    staged = Path(tx.path) / "trade_flows" / f"{year}.parquet"
    if not staged.exists():
        return flows
    con = duckdb.connect()
    try:
        con.register("new_rows", flows)
        kept = con.sql(
            f"SELECT * FROM read_parquet({_sql_str(staged)}) o WHERE NOT starts_with(o.source, "
            f"{_sql_str(source_prefix)}) AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.year = o.year "
            "AND n.exporter = o.exporter AND n.importer = o.importer AND n.hs6 = o.hs6 "
            "AND n.hs_revision = o.hs_revision)"
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise EngineError(f"could not read the staged year {year}: {exc}") from exc
    finally:
        con.close()
    if kept.num_rows == 0:
        return flows
    return pa.concat_tables([flows, kept.select(flows.column_names).cast(flows.schema)])


def write_trade_year(tx: Any, flows: pa.Table, year: int, *, source: str, source_prefix: str,
                     origin: str) -> int:
    """Stage one year of checked ``trade_flows`` rows, merged with other sources' rows.

    See :func:`merge_year`. Returns the number of new rows.
    """
    merged = merge_year(tx, flows, year, source_prefix)
    tx.write("trade_flows", merged, source=source, origin=origin, validated=True)
    return flows.num_rows


def write_products(tx: Any, products: pd.DataFrame, *, source: str, origin: str) -> int:
    """Stage ``products`` rows, replacing the revisions they cover and keeping the other revisions."""
    revisions = set(products["hs_revision"])
    staged = Path(tx.path) / "products" / "all.parquet"
    if staged.exists():
        others = pd.read_parquet(staged)
        others = others[~others["hs_revision"].isin(revisions)]
        if len(others):
            products = pd.concat([others, products], ignore_index=True)
    return int(tx.write("products", products, source=source, origin=origin, mode="replace"))
