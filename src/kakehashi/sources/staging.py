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
from kakehashi.warehouse import year_files


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def merge_year(tx: Any, flows: pa.Table, year: int, source_prefix: str | None) -> pa.Table:
    """Rows of ``year`` to write: the new ones plus the rows already staged that they do not replace.

    The warehouse replaces whole years. Rows whose source starts with
    ``source_prefix`` (e.g. ``"CEPII BACI HS92 "``: a BACI year file is
    complete, so a new one replaces the old one) are dropped; other rows are
    kept unless their key is in the new data. ``source_prefix=None`` (partial
    extracts such as Comtrade queries) keeps every old row whose key is not
    in the new data.
    """
    staged = year_files(Path(tx.path) / "trade_flows", year)
    if not staged:
        return flows
    family = "true" if source_prefix is None else f"NOT starts_with(o.source, {_sql_str(source_prefix)})"
    con = duckdb.connect()
    try:
        con.register("new_rows", flows)
        kept = con.sql(
            f"SELECT * FROM read_parquet([{', '.join(_sql_str(p) for p in staged)}]) o WHERE {family} "
            "AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.year = o.year "
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


def write_trade_year(tx: Any, flows: pa.Table, year: int, *, source: str, source_prefix: str | None,
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
