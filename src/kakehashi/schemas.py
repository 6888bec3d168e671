"""Canonical tables, defined once as data, and the check applied at ingest.

Each table is a :class:`TableSchema`: its columns (name, type, unit,
description), its key, whether it is partitioned by year, and per-column rules.
:func:`conform` turns a parser's frame into an Arrow table of exactly that
schema or raises an :class:`~kakehashi.errors.InputError` naming the file, the
line and the value.

Parsers may add a ``_line`` column (1-based line number in the source file);
:func:`conform` uses it in messages and drops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kakehashi.errors import InputError

DType = Literal["int32", "float64", "string", "bool", "list<string>"]
Rule = Literal["iso3", "hs6", "non_negative", "year", "hs_revision"]

_ARROW: dict[str, pa.DataType] = {
    "int32": pa.int32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "list<string>": pa.list_(pa.string()),
}

HS_REVISIONS: tuple[str, ...] = ("HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22")
"""HS revisions by their BACI names, oldest first."""


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    dtype: DType
    description: str
    unit: str | None = None
    nullable: bool = False
    rules: tuple[Rule, ...] = ()
    bounds: tuple[float, float] | None = None
    """Inclusive range of physically sensible values (numeric columns); ``None``: finite is enough."""


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: columns, key and storage layout."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition_by_year: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Column names in canonical order."""
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the table."""
        return pa.schema(
            [pa.field(c.name, _ARROW[c.dtype], nullable=c.nullable) for c in self.columns]
        )

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, dtype: DType, description: str, unit: str | None = None,
       nullable: bool = False, rules: tuple[Rule, ...] = (),
       bounds: tuple[float, float] | None = None) -> Column:
    return Column(name, dtype, description, unit, nullable, rules, bounds)


# Bounds per column: a value outside is a damaged file, not data. Each leaves a wide margin
# over the largest value in the publishers' files (checked on BACI V202601, USGS MCS 2023-24,
# WGI 1996-2022):
MAX_FLOW_USD = 1e12
"""One bilateral flow of one HS6 product in one year, USD (the largest real ones are about 5e10:
crude oil; all US imports of a year are about 3e12)."""
MAX_FLOW_T = 1e10
"""One bilateral flow in tonnes (the largest real one, iron ore AUS → CHN, is about 7e8 t)."""
MAX_PRODUCTION = 1e11
"""Yearly production of one country and commodity, in the row's unit (t, carat or m3; the largest in
the MCS files is China's cement, 2.4e9 t)."""
MAX_RESERVES = 1e13
"""Reserves or a world total, in the row's unit (the largest is world iron-ore reserves, 1.9e11 t)."""
WGI_RANGE = (-5.0, 5.0)
"""WGI estimates are standard-normal units, published within about -2.5 to 2.5."""


_YEAR = _c("year", "int32", "Calendar year of the observation.", "year", rules=("year",))
_SOURCE = _c("source", "string", "Publisher and release, e.g. 'BACI HS92 V202301'.")

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        TableSchema(
            "trade_flows",
            "Bilateral merchandise trade by HS six-digit product (BACI, Comtrade).",
            (
                _YEAR,
                _c("exporter", "string", "Exporting country, ISO 3166-1 alpha-3.", rules=("iso3",)),
                _c("importer", "string", "Importing country, ISO 3166-1 alpha-3.", rules=("iso3",)),
                _c("hs6", "string", "HS six-digit product code, zero-padded.", rules=("hs6",)),
                _c("value_usd", "float64", "Trade value.", "USD", rules=("non_negative",),
                   bounds=(0.0, MAX_FLOW_USD)),
                _c("quantity_t", "float64", "Quantity; null when not reported.", "t",
                   nullable=True, rules=("non_negative",), bounds=(0.0, MAX_FLOW_T)),
                _c("hs_revision", "string", "HS revision of hs6, e.g. HS92, HS17, HS22.",
                   rules=("hs_revision",)),
                _SOURCE,
            ),
            key=("year", "exporter", "importer", "hs6", "hs_revision"),
            partition_by_year=True,
        ),
        TableSchema(
            "production",
            "Mine or refinery production by country and commodity (USGS MCS). "
            "World totals are kept apart, in world_totals.",
            (
                _YEAR,
                _c("country", "string", "Producing country, ISO3.", rules=("iso3",)),
                _c("commodity", "string", "Stable commodity key, e.g. 'rare-earths'."),
                _c("stage", "string", "Supply-chain stage, e.g. mine, refinery, smelter."),
                _c("quantity", "float64", "Production; null where withheld or not available.",
                   "see unit", nullable=True, rules=("non_negative",), bounds=(0.0, MAX_PRODUCTION)),
                _c("unit", "string", "Unit of quantity, e.g. 't', 'kg', 't REO'."),
                _SOURCE,
            ),
            key=("year", "country", "commodity", "stage"),
        ),
        TableSchema(
            "reserves",
            "Economic reserves by country and commodity (USGS MCS).",
            (
                _YEAR,
                _c("country", "string", "Country, ISO3.", rules=("iso3",)),
                _c("commodity", "string", "Stable commodity key."),
                _c("quantity", "float64", "Reserves; null where not available.", "see unit",
                   nullable=True, rules=("non_negative",), bounds=(0.0, MAX_RESERVES)),
                _c("unit", "string", "Unit of quantity."),
                _SOURCE,
            ),
            key=("year", "country", "commodity"),
        ),
        TableSchema(
            "world_totals",
            "Publisher's world totals (rounded), kept apart from country rows.",
            (
                _YEAR,
                _c("commodity", "string", "Stable commodity key."),
                _c("stage", "string", "Stage, or 'reserves' for reserves totals."),
                _c("quantity", "float64", "World total as published.", "see unit",
                   nullable=True, rules=("non_negative",), bounds=(0.0, MAX_RESERVES)),
                _c("unit", "string", "Unit of quantity."),
                _SOURCE,
            ),
            key=("year", "commodity", "stage"),
        ),
        TableSchema(
            "governance",
            "World Bank Worldwide Governance Indicators, estimates (about -2.5 to 2.5).",
            (
                _YEAR,
                _c("country", "string", "Country, ISO3.", rules=("iso3",)),
                _c("indicator", "string", "va, pv, ge, rq, rl or cc."),
                _c("value", "float64", "Estimate; higher is better governance.", "index",
                   bounds=WGI_RANGE),
            ),
            key=("year", "country", "indicator"),
        ),
        TableSchema(
            "products",
            "HS nomenclature at six digits.",
            (
                _c("hs6", "string", "HS six-digit code.", rules=("hs6",)),
                _c("hs_revision", "string", "Revision, e.g. HS22.", rules=("hs_revision",)),
                _c("description", "string", "Official description."),
                _c("hs4", "string", "Heading (four digits)."),
                _c("section", "string", "HS section (Roman numeral).", nullable=True),
            ),
            key=("hs_revision", "hs6"),
        ),
        TableSchema(
            "hs_concordance",
            "Correspondence between HS revisions at six digits, with split weights.",
            (
                _c("from_revision", "string", "Source revision.", rules=("hs_revision",)),
                _c("from_hs6", "string", "Code in the source revision.", rules=("hs6",)),
                _c("to_revision", "string", "Target revision.", rules=("hs_revision",)),
                _c("to_hs6", "string", "Code in the target revision.", rules=("hs6",)),
                _c("relationship", "string", "1:1, n:1, 1:n or n:n."),
                _c("weight", "float64", "Share of the source code's value sent to the target "
                   "code; weights of one source code sum to 1.", "fraction",
                   rules=("non_negative",), bounds=(0.0, 1.0)),
            ),
            key=("from_revision", "from_hs6", "to_revision", "to_hs6"),
        ),
        TableSchema(
            "countries",
            "Countries and territories with their codes.",
            (
                _c("iso3", "string", "ISO 3166-1 alpha-3.", rules=("iso3",)),
                _c("iso2", "string", "ISO 3166-1 alpha-2.", nullable=True),
                _c("numeric", "int32", "ISO 3166-1 numeric (M49)."),
                _c("name", "string", "English short name."),
                _c("region", "string", "UN M49 region.", nullable=True),
            ),
            key=("iso3",),
        ),
        TableSchema(
            "cables",
            "Submarine cable systems (TeleGeography's open Submarine Cable Map release, "
            "CC BY-NC-SA 3.0: read at run time, never shipped).",
            (
                _c("cable", "string", "Publisher's cable id, e.g. 'seamewe-3'."),
                _c("name", "string", "Cable name as published."),
                _c("length_km", "float64", "Route length; null when not published.", "km",
                   nullable=True, rules=("non_negative",)),
                _c("rfs_year", "int32", "Ready-for-service year (planned year for planned cables); "
                   "null when not published.", "year", nullable=True, rules=("year",)),
                _c("is_planned", "bool", "True for a planned cable, False for one in service."),
                _c("owners", "list<string>", "Owners, split from the publisher's free text."),
                _c("suppliers", "list<string>", "Builders (system suppliers), normalised through "
                   "catalogue/data/cable_suppliers.csv; empty when not published."),
                _SOURCE,
            ),
            key=("cable",),
        ),
        TableSchema(
            "cable_landings",
            "Where each cable lands: one row per cable and landing station.",
            (
                _c("cable", "string", "Cable id (cables.cable)."),
                _c("station", "string", "Landing station id (landing_stations.station)."),
                _c("country", "string", "Country of the landing station, ISO3.", rules=("iso3",)),
            ),
            key=("cable", "station"),
        ),
        TableSchema(
            "landing_stations",
            "Cable landing stations (points) with their country and coordinates (WGS 84).",
            (
                _c("station", "string", "Publisher's landing point id, e.g. 'chikura-japan'."),
                _c("name", "string", "Name as published, e.g. 'Chikura, Japan'."),
                _c("country", "string", "Country, ISO3.", rules=("iso3",)),
                _c("lon", "float64", "Longitude.", "degree", nullable=True),
                _c("lat", "float64", "Latitude.", "degree", nullable=True),
            ),
            key=("station",),
        ),
        TableSchema(
            "cable_routes",
            "Drawn route of each cable as a GeoJSON MultiLineString (lon, lat; WGS 84). The "
            "publisher's lines are schematic, not surveyed positions.",
            (
                _c("cable", "string", "Cable id (cables.cable)."),
                _c("geometry", "string", "GeoJSON MultiLineString text."),
            ),
            key=("cable",),
        ),
    )
}


def schema(name: str) -> TableSchema:
    """Return the schema of canonical table ``name``."""
    try:
        return TABLES[name]
    except KeyError:
        from kakehashi.errors import unknown_value_error

        raise unknown_value_error("table", name, TABLES) from None


def _line_of(tbl: pa.Table, mask: pa.ChunkedArray | pa.Array) -> tuple[int | None, int]:
    """Return (source line, row index) of the first True in ``mask``."""
    idx = pc.index(mask, True).as_py()
    line = None
    if "_line" in tbl.column_names:
        line = int(tbl.column("_line")[idx].as_py())
    return line, int(idx)


def conform(
    data: pd.DataFrame | pa.Table,
    table: str,
    *,
    origin: str | Path | None = None,
    check_keys: bool = True,
) -> pa.Table:
    """Check ``data`` against canonical table ``table`` and return it as Arrow.

    Checks, in order: missing and unexpected columns; type conversion; nulls
    in non-nullable columns; the column rules (ISO3 codes, six-digit HS codes,
    known HS revisions, plausible years, non-negative quantities); finite
    numbers within each column's :attr:`Column.bounds`; duplicate keys. The
    first failure raises :class:`InputError` naming ``origin``, the
    source line (from a ``_line`` column if present) and the value.

    Parameters
    ----------
    data
        Parser output with the table's columns (and optionally ``_line``).
    table
        Name of a canonical table in :data:`TABLES`.
    origin
        File the data came from, for messages.
    check_keys
        Check for duplicate keys (costs one grouped count).

    Returns
    -------
    pyarrow.Table
        Columns in canonical order and types, ``_line`` removed.
    """
    spec = schema(table)
    tbl = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    present = set(tbl.column_names) - {"_line"}
    missing = [c for c in spec.names if c not in present]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} for table {table}",
            file=origin,
            hint=f"the {table} table needs columns: {', '.join(spec.names)}",
        )
    unexpected = sorted(present - set(spec.names))
    if unexpected:
        raise InputError(
            f"unexpected column(s) {', '.join(unexpected)} for table {table}",
            file=origin,
            hint=f"the {table} table has exactly: {', '.join(spec.names)}",
        )
    arrays: dict[str, pa.ChunkedArray] = {}
    for col in spec.columns:
        arr = tbl.column(col.name)
        target = _ARROW[col.dtype]
        if arr.type != target:
            try:
                arr = pc.cast(arr, target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InputError(
                    f"column {col.name} cannot be read as {col.dtype}: {exc}",
                    file=origin,
                    hint="check the file for text in a numeric column",
                ) from None
        arrays[col.name] = arr
        if not col.nullable and arr.null_count:
            line, row = _line_of(tbl, pc.is_null(arr))
            raise InputError(
                f"empty value in column {col.name} (row {row + 1})",
                file=origin,
                line=line,
                hint=f"{col.name} is required in table {table}",
            )
        _check_rules(col, arr, tbl, origin)
        _check_bounds(col, arr, tbl, origin)
    out = pa.table(arrays, schema=spec.arrow_schema())
    if check_keys and len(out):
        _check_duplicates(out, spec, tbl, origin)
    return out


def _check_bounds(col: Column, arr: pa.ChunkedArray, tbl: pa.Table, origin: str | Path | None) -> None:
    """Refuse a non-finite number, or one outside the column's documented bounds."""
    if col.dtype != "float64" or not len(arr):
        return
    checks = [(pc.invert(pc.fill_null(pc.is_finite(arr), True)), "not a finite number",
               "the file holds NaN or infinity where a number is expected; it may be damaged")]
    if col.bounds is not None:
        lo, hi = col.bounds
        checks.append((pc.fill_null(pc.or_(pc.less(arr, lo), pc.greater(arr, hi)), False),
                       f"outside the plausible range [{lo:g}, {hi:g}]",
                       f"{col.name} must lie within [{lo:g}, {hi:g}] {col.unit or ''}".rstrip()
                       + "; the file is probably damaged"))
    for bad, what, hint in checks:
        if pc.any(bad).as_py():
            line, row = _line_of(tbl, bad)
            value = arr[row].as_py()
            raise InputError(f"value {value!r} in column {col.name} is {what}",
                             file=origin, line=line, value=value, hint=hint)


def _check_rules(col: Column, arr: pa.ChunkedArray, tbl: pa.Table, origin: str | Path | None) -> None:
    for rule in col.rules:
        if rule == "non_negative":
            bad = pc.fill_null(pc.less(arr, 0), False)
            what, hint = "negative value", "quantities and values must be >= 0"
        elif rule == "year":
            bad = pc.fill_null(pc.or_(pc.less(arr, 1900), pc.greater(arr, 2100)), False)
            what, hint = "implausible year", "years must be between 1900 and 2100"
        elif rule == "iso3":
            bad = pc.invert(pc.fill_null(pc.match_substring_regex(arr, r"^[A-Z]{3}$"), True))
            what, hint = "not an ISO3 country code", "map the publisher's code to ISO 3166 alpha-3"
        elif rule == "hs6":
            bad = pc.invert(pc.fill_null(pc.match_substring_regex(arr, r"^[0-9]{6}$"), True))
            what, hint = "not a six-digit HS code", "HS codes are six digits, zero-padded"
        elif rule == "hs_revision":
            bad = pc.invert(pc.fill_null(pc.is_in(arr, pa.array(HS_REVISIONS)), True))
            what, hint = "unknown HS revision", f"use one of {', '.join(HS_REVISIONS)}"
        else:  # pragma: no cover - rules are a closed Literal
            raise AssertionError(rule)
        if pc.any(bad).as_py():
            line, row = _line_of(tbl, bad)
            value = arr[row].as_py()
            raise InputError(
                f"{what} {value!r} in column {col.name}",
                file=origin, line=line, value=value, hint=hint,
            )


def _check_duplicates(out: pa.Table, spec: TableSchema, raw: pa.Table, origin: str | Path | None) -> None:
    keys = ", ".join(f'"{k}"' for k in spec.key)
    con = duckdb.connect()
    try:
        con.register("t", out.select(list(spec.key)))
        dup = con.execute(
            f"SELECT {keys}, count(*) AS n FROM t GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if dup is None:
            return
        where = " AND ".join(f'"{k}" IS NOT DISTINCT FROM ?' for k in spec.key)
        row = con.execute(
            f"SELECT rn FROM (SELECT *, row_number() OVER () - 1 AS rn FROM t) WHERE {where} "
            "ORDER BY rn LIMIT 2",
            list(dup[:-1]),
        ).fetchall()
    finally:
        con.close()
    line = None
    if "_line" in raw.column_names and len(row) == 2:
        line = int(raw.column("_line")[int(row[1][0])].as_py())
    key_text = ", ".join(f"{k}={v!r}" for k, v in zip(spec.key, dup[:-1], strict=True))
    raise InputError(
        f"duplicate key ({key_text}) appears {dup[-1]} times in table {spec.name}",
        file=origin, line=line, hint="each key may appear once; remove or aggregate the repeats",
    )
