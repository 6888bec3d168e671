"""The warehouse: year-partitioned Parquet snapshots read through Ibis.

Layout of a warehouse directory::

    CURRENT                      id of the committed snapshot (replaced atomically)
    LOCK                         writers hold an exclusive lock on it
    snapshots/<id>/manifest.json tables, files, rows and the ingest log
    snapshots/<id>/catalog.duckdb embedded DuckDB database: the ingest log
    snapshots/<id>/<table>/<year>.parquet   (year-partitioned tables)
    snapshots/<id>/<table>/all.parquet      (other tables)
    staging/<id>/                a snapshot being written

Ingest is copy-on-write: a transaction hard-links the committed snapshot's
files into ``staging/``, rewrites only what changes, and commits by renaming
the staging folder into ``snapshots/`` and then replacing ``CURRENT`` with
``os.replace`` (atomic on POSIX). A crash at any point leaves ``CURRENT``
pointing at the previous, complete snapshot; stale staging folders are swept
by the next writer.

Reads go through Ibis. ``engine="duckdb"`` opens the snapshot's embedded
DuckDB database (read-only when asked) and exposes each table as a view over
its Parquet files; ``engine="spark"`` registers the same files in a local
PySpark session. The same Ibis expression runs on both.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kakehashi import config
from kakehashi.errors import EngineError, InputError, unknown_value_error
from kakehashi.schemas import TABLES, conform, schema

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
KEEP_SNAPSHOTS = 3
"""Committed snapshots kept on disk (the current one and older ones for open readers)."""


@dataclass(frozen=True)
class IngestRecord:
    """One entry of the ingest log."""

    table: str
    source: str
    origin: str
    rows: int
    years: list[int]
    mode: str
    ingested_at: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _next_stamp(snapshots: Path) -> str:
    """Name of a new snapshot: UTC time to the microsecond and a random suffix.

    Names sort in commit order, which pruning relies on: when the clock has not moved past the
    newest existing snapshot (same microsecond, or a clock set back), the newest time plus one
    microsecond is used instead.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    existing = sorted(p.name for p in snapshots.iterdir()) if snapshots.is_dir() else []
    newest = _stamp_time(existing[-1]) if existing else None
    if newest is not None:
        now = max(now, newest + dt.timedelta(microseconds=1))
    return f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


def _stamp_time(name: str) -> dt.datetime | None:
    """Time of a snapshot name; names from before microsecond stamps count as the end of their second."""
    try:
        return dt.datetime.strptime(name[:21], "%Y%m%dT%H%M%S%f")
    except ValueError:
        pass
    try:
        return dt.datetime.strptime(name[:15], "%Y%m%dT%H%M%S") + dt.timedelta(seconds=1)
    except ValueError:
        return None


class Transaction:
    """Stage table writes; committed all together or not at all.

    Obtain one from :meth:`Warehouse.transaction`.
    """

    def __init__(self, root: Path, staging: Path, manifest: dict[str, Any]) -> None:
        self._root = root
        self.path = staging
        self.manifest = manifest

    def write(
        self,
        table: str,
        data: pd.DataFrame | pa.Table,
        *,
        source: str,
        origin: str | Path | None = None,
        mode: Literal["merge_years", "replace"] = "merge_years",
        validated: bool = False,
    ) -> int:
        """Stage ``data`` as (part of) canonical table ``table``.

        Parameters
        ----------
        table
            Canonical table name.
        data
            Rows in the table's schema; checked with :func:`~kakehashi.schemas.conform`
            unless ``validated``.
        source
            Publisher and release, recorded in the ingest log.
        origin
            File the rows came from, for messages and the log.
        mode
            ``merge_years`` (year-partitioned tables): replace only the years
            present in ``data``, keep the others. ``replace``: replace the
            whole table.

        Returns
        -------
        int
            Number of rows written.
        """
        spec = schema(table)
        tbl = data if validated and isinstance(data, pa.Table) else conform(data, table, origin=origin)
        tdir = self.path / table
        years: list[int] = []
        if spec.partition_by_year and mode == "merge_years":
            tdir.mkdir(parents=True, exist_ok=True)
            stale = tdir / "all.parquet"
            if stale.exists():
                stale.unlink()
        else:
            if tdir.exists():
                shutil.rmtree(tdir)
            tdir.mkdir(parents=True)
        order = [k for k in ("importer", "exporter", "hs6") if k in spec.names]
        try:
            if spec.partition_by_year:
                years = sorted(int(y) for y in pc.unique(tbl.column("year")).to_pylist())
                for year in years:
                    target = tdir / f"{year}.parquet"
                    if target.exists():
                        target.unlink()  # a hard link: the committed copy is untouched
                    part = tbl if len(years) == 1 else tbl.filter(pc.equal(tbl.column("year"), year))
                    rows = _sort_order(part, order) if order else None
                    if rows is not None:
                        part = part.take(rows)
                    _write_parquet(_storage_table(part, spec.arrow_schema()), target)
            else:
                _write_parquet(_storage_table(tbl, spec.arrow_schema()), tdir / "all.parquet")
        except (pa.ArrowException, OSError) as exc:
            raise EngineError(f"could not write table {table}: {exc}") from exc
        record = IngestRecord(
            table=table,
            source=source,
            origin=str(origin) if origin is not None else "",
            rows=tbl.num_rows,
            years=years,
            mode=mode,
            ingested_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        self.manifest.setdefault("log", []).append(record.__dict__)
        return tbl.num_rows


PARQUET_ROW_GROUP = 122_880
"""Rows per Parquet row group (DuckDB's default), small enough for per-importer reads to skip groups."""


def _write_parquet(tbl: pa.Table, path: Path) -> None:
    """Write one table file: zstd-compressed Parquet written by Arrow.

    Arrow's writer (and its sort) is several times faster than a DuckDB
    ``COPY`` from a registered Arrow table (measured in
    ``benchmarks/bench_ingest.py``), and the files read the same on DuckDB
    and Spark. Dictionary-encoded string columns are written as they are
    (Parquet stores strings dictionary-encoded anyway) and the Arrow schema
    is not stored, so every reader sees plain strings. Floating-point columns
    (values, quantities: nearly all distinct) are not dictionary-encoded:
    trying costs time and the fallback pages are larger (a BACI-size year:
    3.1 s and 136 MB with dictionaries on every column, 2.1 s and 95 MB without
    them on the float columns).
    """
    dictionary = [f.name for f in tbl.schema if not pa.types.is_floating(f.type)]
    pq.write_table(tbl, path, compression="zstd", row_group_size=PARQUET_ROW_GROUP, store_schema=False,
                   use_dictionary=dictionary)


def _storage_table(tbl: pa.Table, target: pa.Schema) -> pa.Table:
    """``tbl`` in the column order and types of ``target``, keeping dictionary-encoded strings encoded.

    Decoding a dictionary column of ten million rows into plain strings costs
    more than writing it; Parquet's own dictionary pages hold the same data.
    """
    columns: list[pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for f in target:
        col = tbl.column(f.name)
        if pa.types.is_dictionary(col.type) and pa.types.is_string(f.type):
            typ = pa.dictionary(col.type.index_type, f.type)
            col = col if col.type == typ else col.cast(typ)
        elif col.type != f.type:
            col = col.cast(f.type)
        columns.append(col)
        fields.append(pa.field(f.name, col.type, nullable=f.nullable))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _dense_rank(col: pa.ChunkedArray) -> np.ndarray:
    """Dense ascending rank (0, 1, ...) of each value; cheap for dictionary-encoded columns.

    For a dictionary-encoded column whose dictionary is sorted and unique, the
    ranks are its indices (returned without copying, in their integer type).
    """
    if pa.types.is_dictionary(col.type) and col.null_count == 0:
        unified = col.unify_dictionaries()
        dictionary = unified.chunk(0).dictionary if unified.num_chunks else pa.array([], pa.string())
        by_value = np.asarray(pc.rank(dictionary, sort_keys="ascending", tiebreaker="dense")) - 1
        indices = [np.asarray(c.indices) for c in unified.chunks]
        if not indices:
            return np.zeros(0, dtype=np.int64)
        codes = indices[0] if len(indices) == 1 else np.concatenate(indices)
        if bool((by_value == np.arange(len(by_value))).all()):  # a sorted dictionary: indices are ranks
            return codes
        return np.asarray(by_value[codes], dtype=np.int64)
    return np.asarray(pc.rank(col, sort_keys="ascending", tiebreaker="dense"), dtype=np.int64) - 1


def _sort_indices(tbl: pa.Table, keys: Sequence[str]) -> pa.Array:
    """Row order sorting ``tbl`` by ``keys`` (ascending), as one integer sort on combined ranks."""
    order = _sort_order(tbl, keys)
    return pa.array(np.arange(tbl.num_rows, dtype=np.int64)) if order is None else order


def _sort_order(tbl: pa.Table, keys: Sequence[str]) -> pa.Array | None:
    """Like :func:`_sort_indices`, but ``None`` when ``tbl`` is already sorted (an O(n) check)."""
    if tbl.num_rows < 2:
        return None
    ranks = [_dense_rank(tbl.column(k)) for k in keys]
    sizes = [int(r.max()) + 1 for r in ranks]
    if float(np.prod([float(n) for n in sizes])) < 2.0**62:
        combined = np.zeros(tbl.num_rows, dtype=np.int64)
        for r, n in zip(ranks, sizes, strict=True):
            combined *= n
            combined += r
        if bool((combined[1:] >= combined[:-1]).all()):
            return None
        return pa.array(np.argsort(combined, kind="stable"))
    return pa.array(np.lexsort(ranks[::-1]))


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


class Warehouse:
    """A kakehashi warehouse directory, queried through Ibis.

    Parameters
    ----------
    path
        Warehouse directory; ``None`` resolves ``KAKEHASHI_WAREHOUSE`` or the default.
    engine
        ``"duckdb"`` (embedded, default) or ``"spark"`` (PySpark, local mode by default).
    read_only
        Refuse writes and open DuckDB read-only (the web server does this).

    Examples
    --------
    >>> wh = Warehouse(tmp_path)                                   # doctest: +SKIP
    >>> wh.table("production").filter(_.commodity == "rare-earths")  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | Path | None = None,
        engine: str | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self.path = config.warehouse_path(path)
        self.engine = engine or config.default_engine()
        if self.engine not in ENGINES:
            raise unknown_value_error("engine", self.engine, ENGINES)
        self.read_only = read_only
        self._con: Any = None
        self._snapshot: str | None = None

    # ----------------------------------------------------------------- state
    @property
    def snapshot_id(self) -> str | None:
        """Id of the committed snapshot, or ``None`` for an empty warehouse."""
        current = self.path / "CURRENT"
        if not current.exists():
            return None
        return current.read_text().strip() or None

    def _snapshot_dir(self) -> Path | None:
        sid = self.snapshot_id
        return self.path / "snapshots" / sid if sid else None

    def manifest(self) -> dict[str, Any]:
        """The committed snapshot's manifest (``{}`` when empty)."""
        snap = self._snapshot_dir()
        if snap is None:
            return {}
        try:
            data: dict[str, Any] = json.loads((snap / "manifest.json").read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise EngineError(
                f"warehouse {self.path} is damaged: {exc}",
                hint="re-create it with 'kakehashi ingest' into a new directory",
            ) from exc
        return data

    def tables(self) -> list[str]:
        """Canonical tables that hold data in the committed snapshot."""
        snap = self._snapshot_dir()
        if snap is None:
            return []
        return [t for t in TABLES if (snap / t).is_dir() and any((snap / t).glob("*.parquet"))]

    def files(self, table: str) -> list[Path]:
        """Parquet files of ``table`` in the committed snapshot."""
        schema(table)
        snap = self._snapshot_dir()
        if snap is None:
            return []
        return sorted((snap / table).glob("*.parquet"))

    def log(self) -> pd.DataFrame:
        """The ingest log: one row per staged write, oldest first."""
        return pd.DataFrame(self.manifest().get("log", []),
                            columns=list(IngestRecord.__dataclass_fields__))

    # ------------------------------------------------------------------ read
    def connect(self) -> Any:
        """Return the Ibis backend, with every table of the snapshot registered."""
        sid = self.snapshot_id
        if self._con is not None and sid == self._snapshot:
            return self._con
        snap = self._snapshot_dir()
        if self.engine == "duckdb":
            con = self._connect_duckdb(snap)
        else:
            con = self._connect_spark()
        if snap is not None:
            for name in self.tables():
                self._register(con, name, snap / name)
        self._con, self._snapshot = con, sid
        return con

    def _connect_duckdb(self, snap: Path | None) -> Any:
        try:
            if snap is not None and (snap / "catalog.duckdb").exists():
                return ibis.duckdb.connect(str(snap / "catalog.duckdb"), read_only=True)
            return ibis.duckdb.connect()
        except Exception as exc:  # duckdb raises several unrelated classes here
            raise EngineError(f"could not open DuckDB on {self.path}: {exc}") from exc

    def _connect_spark(self) -> Any:
        from kakehashi.engines import spark_session

        return ibis.pyspark.connect(spark_session())

    def _register(self, con: Any, name: str, tdir: Path) -> None:
        try:
            if self.engine == "duckdb":
                con.raw_sql(
                    f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * FROM read_parquet('
                    f"'{_sql_path(tdir)}/*.parquet', union_by_name = true)"
                )
            else:
                con.read_parquet(str(tdir), table_name=name)
        except Exception as exc:
            raise EngineError(f"could not register table {name} from {tdir}: {exc}") from exc

    def table(self, name: str) -> ibis.Table:
        """Return canonical table ``name`` as an Ibis table expression.

        Raises
        ------
        InputError
            If the table is not a canonical one or holds no data yet.
        """
        schema(name)
        if name not in self.tables():
            raise InputError(
                f"table {name} is empty in warehouse {self.path}",
                hint="load data first, e.g. 'kakehashi sample --size tiny --out DIR' then "
                "'kakehashi ingest sample DIR'",
            )
        return self.connect().table(name)

    def execute(self, expr: ibis.Expr, **kwargs: Any) -> pd.DataFrame:
        """Execute an Ibis expression on this warehouse's engine into pandas."""
        con = self.connect()
        try:
            result: pd.DataFrame = con.execute(expr, **kwargs)
        except Exception as exc:
            raise EngineError(f"{self.engine} failed to run the query: {exc}") from exc
        return result

    def close(self) -> None:
        """Close the engine connection (the Spark session is shared and left running)."""
        if self._con is not None and self.engine == "duckdb":
            self._con.disconnect()
        self._con = None
        self._snapshot = None

    # ----------------------------------------------------------------- write
    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Stage writes and commit them atomically on exit.

        An exception inside the ``with`` block (or a killed process) leaves
        the committed snapshot untouched.
        """
        if self.read_only:
            raise EngineError(f"warehouse {self.path} is open read-only")
        self.path.mkdir(parents=True, exist_ok=True)
        lock = open(self.path / "LOCK", "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._sweep_staging()
            stamp = _next_stamp(self.path / "snapshots")
            staging = self.path / "staging" / stamp
            staging.mkdir(parents=True)
            manifest = self._clone_into(staging)
            tx = Transaction(self.path, staging, manifest)
            try:
                yield tx
                self._commit(tx)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
        self.close()

    def ingest(self, table: str, data: pd.DataFrame | pa.Table, *, source: str,
               origin: str | Path | None = None,
               mode: Literal["merge_years", "replace"] = "merge_years") -> int:
        """Write one table in its own transaction; see :meth:`Transaction.write`."""
        with self.transaction() as tx:
            return tx.write(table, data, source=source, origin=origin, mode=mode)

    def _sweep_staging(self) -> None:
        stage = self.path / "staging"
        if stage.exists():
            for leftover in stage.iterdir():
                shutil.rmtree(leftover, ignore_errors=True)

    def _clone_into(self, staging: Path) -> dict[str, Any]:
        snap = self._snapshot_dir()
        manifest: dict[str, Any] = {"log": []}
        if snap is None:
            return manifest
        manifest = self.manifest()
        for table in self.tables():
            (staging / table).mkdir()
            for f in (snap / table).glob("*.parquet"):
                try:
                    os.link(f, staging / table / f.name)
                except OSError:
                    shutil.copy2(f, staging / table / f.name)
        return manifest

    def _commit(self, tx: Transaction) -> None:
        staging = tx.path
        tables = {}
        for t in TABLES:
            files = sorted(p.name for p in (staging / t).glob("*.parquet")) if (staging / t).is_dir() else []
            if files:
                tables[t] = files
        tx.manifest["tables"] = tables
        tx.manifest["snapshot"] = staging.name
        tx.manifest["parent"] = self.snapshot_id
        (staging / "manifest.json").write_text(json.dumps(tx.manifest, indent=1))
        self._write_catalog(staging, tx.manifest)
        for f in staging.rglob("*"):
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        snapshots = self.path / "snapshots"
        snapshots.mkdir(exist_ok=True)
        final = snapshots / staging.name
        os.replace(staging, final)
        _fsync_dir(snapshots)
        tmp_current = self.path / "CURRENT.tmp"
        tmp_current.write_text(staging.name + "\n")
        with open(tmp_current, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_current, self.path / "CURRENT")
        _fsync_dir(self.path)
        self._prune(keep=staging.name)

    @staticmethod
    def _write_catalog(staging: Path, manifest: dict[str, Any]) -> None:
        con = duckdb.connect(str(staging / "catalog.duckdb"))
        try:
            con.execute(
                "CREATE TABLE ingest_log (table_name VARCHAR, source VARCHAR, origin VARCHAR, "
                "rows BIGINT, years INTEGER[], mode VARCHAR, ingested_at VARCHAR)"
            )
            for r in manifest.get("log", []):
                con.execute(
                    "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [r["table"], r["source"], r["origin"], r["rows"], r["years"], r["mode"],
                     r["ingested_at"]],
                )
            con.execute("CHECKPOINT")
        finally:
            con.close()

    def _prune(self, keep: str) -> None:
        # snapshot names sort in commit order (see _next_stamp), so the oldest come first
        snapshots = sorted((self.path / "snapshots").iterdir(), key=lambda p: p.name)
        old = [p for p in snapshots if p.name != keep][: max(0, len(snapshots) - KEEP_SNAPSHOTS)]
        for p in old:
            shutil.rmtree(p, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r}, engine={self.engine!r}, snapshot={self.snapshot_id!r})"
