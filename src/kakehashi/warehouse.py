"""The warehouse: year-partitioned Parquet snapshots read through Ibis.

Layout of a warehouse directory::

    CURRENT                      id of the committed snapshot (replaced atomically)
    LOCK                         writers hold an exclusive lock on it
    snapshots/<id>/manifest.json tables, files (size, sha256, rows), the ingest log, derived summaries
    snapshots/<id>/catalog.duckdb embedded DuckDB database: the ingest log
    snapshots/<id>/<table>/<year>.parquet   (year-partitioned tables)
    snapshots/<id>/<table>/all.parquet      (other tables)
    snapshots/<id>/derived/export_totals/<year>.parquet   every exporter's exports per product
    staging/<id>/                a snapshot being written

Ingest is copy-on-write: a transaction hard-links the committed snapshot's
files into ``staging/``, rewrites only what changes, and commits by renaming
the staging folder into ``snapshots/`` and then replacing ``CURRENT`` with
``os.replace`` (atomic on POSIX). A crash at any point leaves ``CURRENT``
pointing at the previous, complete snapshot; stale staging folders are swept
by the next writer.

Derived summaries (every exporter's total exports of each product and year,
and the years, HS revisions and sources the trade flows hold) are computed in
the writing transaction, for the years it rewrote, and stored in the snapshot:
a reader, the read-only web server included, never writes a file.

Integrity: the manifest records each file's size, modification time and
sha256 at commit. Opening a snapshot checks that every file is there with its
size (and re-hashes a file whose modification time moved); :meth:`Warehouse.verify`
hashes every file. A missing or damaged file is an :class:`InputError` naming
it, never an answer from partial data. Parquet files carry page checksums
(CRC32), which Arrow and Spark (as configured here) verify when they read
them; DuckDB does not check them.

Reads go through Ibis. ``engine="duckdb"`` opens the snapshot's embedded
DuckDB database (read-only when asked) and exposes each table as a view over
its Parquet files; ``engine="spark"`` registers the same files in a local
PySpark session. The same Ibis expression runs on both.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
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

from kakehashi import config
from kakehashi.errors import EngineError, InputError, KakehashiError, unknown_value_error
from kakehashi.schemas import TABLES, conform, schema

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
KEEP_SNAPSHOTS = 3
"""Committed snapshots kept on disk (the current one and older ones for open readers)."""
DERIVED_DIR = "derived"
"""Folder of a snapshot holding the derived summaries written at ingest."""
EXPORT_TOTALS = f"{DERIVED_DIR}/export_totals"
"""Derived table of every exporter's exports: ``exporter, hs6, year, hs_revision, exports_usd``."""
REINGEST_HINT = ("the warehouse's files changed after they were committed; re-ingest the data, "
                 "e.g. into a new --warehouse folder, or restore the file from a backup")
_SNAPSHOT_NAME = re.compile(r"\d{8}T\d{6}(\d{6})?(-[0-9a-f]{1,32})?")


class UnverifiedSnapshotWarning(UserWarning):
    """The snapshot was written without checksums (by an older kakehashi): its files are not verified."""


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


def snapshot_time(name: str) -> dt.datetime | None:
    """Commit time (UTC, naive) of a snapshot from its name, or ``None`` for a name not made here."""
    return _stamp_time(name)


class Transaction:
    """Stage table writes; committed all together or not at all.

    Obtain one from :meth:`Warehouse.transaction`.
    """

    def __init__(self, root: Path, staging: Path, manifest: dict[str, Any]) -> None:
        self._root = root
        self.path = staging
        self.manifest = manifest
        self.written: set[str] = set()
        """Files (relative to the snapshot) this transaction wrote."""
        self.replaced: set[str] = set()
        """Tables this transaction replaced as a whole."""
        self.inherited: dict[str, tuple[int, dict[str, Any]]] = {}
        """Files linked from the parent snapshot: their inode and manifest entry."""
        self.damaged: list[FileProblem] = []
        """Files of the parent snapshot found missing or damaged (not linked)."""
        self.totals: dict[str, tuple[pa.Table, list[dict[str, Any]]]] = {}
        """Derived exporter totals and summary rows of the trade years written, computed in memory."""

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
            self.replaced.add(table)
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
                    self.totals.pop(f"{table}/{target.name}", None)
                    # The exporter totals are summed while Arrow's writer (which releases the GIL) runs.
                    with ThreadPoolExecutor(1) as pool:
                        totals = pool.submit(_trade_totals, part) if table == "trade_flows" else None
                        _write_parquet(_storage_table(part, spec.arrow_schema()), target)
                        held = totals.result() if totals is not None else None
                    self.written.add(f"{table}/{target.name}")
                    if held is not None:
                        self.totals[f"{table}/{target.name}"] = held
            else:
                _write_parquet(_storage_table(tbl, spec.arrow_schema()), tdir / "all.parquet")
                self.written.add(f"{table}/all.parquet")
        except (pa.ArrowException, OSError) as exc:
            raise EngineError(f"could not write table {table} into {self._root}: {exc}",
                              hint="check the free space; the warehouse is unchanged") from exc
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
    import pyarrow.parquet as pq  # writers only: a reader's start-up does not load it

    dictionary = [f.name for f in tbl.schema if not pa.types.is_floating(f.type)]
    pq.write_table(tbl, path, compression="zstd", row_group_size=PARQUET_ROW_GROUP, store_schema=False,
                   use_dictionary=dictionary, write_page_checksum=True)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _file_entry(path: Path) -> dict[str, Any]:
    """Manifest entry of a committed file: size, modification time, sha256 and (Parquet) rows."""
    st = path.stat()
    entry: dict[str, Any] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": file_sha256(path)}
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        entry["rows"] = pq.read_metadata(path).num_rows
    return entry


def _derive_trade_year(path: Path, out: Path) -> list[dict[str, Any]]:
    """Write the exporter totals of one ``trade_flows`` year file to ``out``; return its summary rows.

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    The summary rows count rows and value per ``year, hs_revision, source``. One thread sums in
    the file's (sorted) order, so the same rows always give the same bits.
    """
    con = duckdb.connect(config={"threads": 1})
    try:
        src = f"read_parquet('{_sql_path(path)}')"
        totals = con.sql(
            f"SELECT exporter, hs6, year, hs_revision, sum(value_usd) AS exports_usd FROM {src} "
            "GROUP BY exporter, hs6, year, hs_revision ORDER BY hs_revision, exporter, hs6"
        ).to_arrow_table()
        rows = con.execute(
            f"SELECT year, hs_revision, source, count(*) AS rows, sum(value_usd) AS value_usd FROM {src} "
            "GROUP BY year, hs_revision, source ORDER BY year, hs_revision, source"
        ).fetchall()
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    totals = totals.cast(_TOTALS_SCHEMA)
    _write_parquet(totals, out)
    return [{"year": int(y), "hs_revision": str(r), "source": str(s), "rows": int(n), "value_usd": float(v)}
            for y, r, s, n, v in rows]


_TOTALS_SCHEMA = pa.schema([
    pa.field("exporter", pa.string()), pa.field("hs6", pa.string()), pa.field("year", pa.int32()),
    pa.field("hs_revision", pa.string()), pa.field("exports_usd", pa.float64())])


def _trade_totals(tbl: pa.Table) -> tuple[pa.Table, list[dict[str, Any]]] | None:
    """What :func:`_derive_trade_year` computes, from a year's rows still in memory (no re-read).

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    Groups are numbered by the dense ranks of (hs_revision, exporter, hs6), so
    ascending group numbers are the file's ``ORDER BY hs_revision, exporter,
    hs6``; ``numpy.bincount`` adds the values of each group one at a time in
    row order, as the single-threaded DuckDB sum over the (same-ordered) file
    does. Returns ``None`` (the caller re-reads the file) unless ``exporter``
    and ``hs6`` are dictionary-encoded, the table holds one year and no null
    value, and the groups number fewer than 2**26.
    """
    n = tbl.num_rows
    value = tbl.column("value_usd")
    if (n == 0 or value.null_count or not pa.types.is_dictionary(tbl.column("exporter").type)
            or not pa.types.is_dictionary(tbl.column("hs6").type)):
        return None
    year = pc.min_max(tbl.column("year"))
    if year["min"].as_py() != year["max"].as_py():
        return None
    ranks = [_dense_rank(tbl.column(c)) for c in ("hs_revision", "exporter", "hs6", "source")]
    sizes = [int(r.max()) + 1 for r in ranks]
    if sizes[0] * sizes[1] * sizes[2] >= 1 << 26 or sizes[0] * sizes[3] >= 1 << 26:
        return None
    values = value.to_numpy()
    rows = np.arange(n, dtype=np.int64)

    def groups(gid: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        counts = np.bincount(gid, minlength=size)
        sums = np.bincount(gid, weights=values, minlength=size)
        first = np.zeros(size, dtype=np.int64)
        first[gid[::-1]] = rows[::-1]  # any row of a group carries its keys
        found = np.flatnonzero(counts)
        return found, counts[found], sums[found], first[found]

    gid = (ranks[0].astype(np.int64) * sizes[1] + ranks[1]) * sizes[2] + ranks[2]
    _, _, sums, at = groups(gid, sizes[0] * sizes[1] * sizes[2])
    take = pa.array(at)
    totals = pa.table({
        "exporter": tbl.column("exporter").take(take), "hs6": tbl.column("hs6").take(take),
        "year": tbl.column("year").take(take), "hs_revision": tbl.column("hs_revision").take(take),
        "exports_usd": pa.array(sums, pa.float64())}).cast(_TOTALS_SCHEMA)
    sid = ranks[0].astype(np.int64) * sizes[3] + ranks[3]
    _, counts, sums, at = groups(sid, sizes[0] * sizes[3])
    keys = tbl.select(["year", "hs_revision", "source"]).take(pa.array(at)).to_pylist()
    summary = [{"year": int(k["year"]), "hs_revision": str(k["hs_revision"]), "source": str(k["source"]),
                "rows": int(c), "value_usd": float(v)} for k, c, v in zip(keys, counts, sums, strict=True)]
    return totals, summary


_DECODE_DICTIONARY_ABOVE = 1024
"""String columns whose dictionary has more entries than this are written decoded (see below)."""


def _storage_table(tbl: pa.Table, target: pa.Schema) -> pa.Table:
    """``tbl`` in the column order and types of ``target``, keeping dictionary-encoded strings encoded.

    Decoding a dictionary column of ten million rows into plain strings costs
    more than writing it; Parquet's own dictionary pages hold the same data.
    Except for a large dictionary (``hs6``: thousands of codes): for a
    dictionary-typed column, Arrow's writer finds the distinct indices of every
    page to compute its statistics, which took 0.45-0.55 s for a ``baci``-size
    year's ``hs6`` against 0.2-0.3 s for writing the decoded strings plus
    0.05-0.07 s for decoding them (BENCHMARKS.md, ingest). The file holds
    the same values, dictionary-encoded by the writer.
    """
    columns: list[pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for f in target:
        col = tbl.column(f.name)
        if (pa.types.is_dictionary(col.type) and pa.types.is_string(f.type)
                and max((len(c.dictionary) for c in col.chunks), default=0) > _DECODE_DICTIONARY_ABOVE):
            col = col.cast(f.type)
        elif pa.types.is_dictionary(col.type) and pa.types.is_string(f.type):
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


@dataclass(frozen=True)
class FileProblem:
    """A committed file that is missing or no longer what was committed."""

    path: Path
    reason: str

    def error(self) -> InputError:
        """The error a reader raises for this file."""
        return InputError(f"{self.path} {self.reason}", hint=REINGEST_HINT)


def _write_error(path: Path, exc: OSError) -> EngineError:
    """One-line error for a failed write into the warehouse (permissions, disk full, a file in the way)."""
    where = exc.filename if exc.filename else path
    reason = exc.strerror or str(exc)
    return EngineError(f"cannot write to warehouse {path}: {reason}: {where}",
                       hint="check the folder's permissions and free space; the warehouse is unchanged")


class Warehouse:
    """A kakehashi warehouse directory, queried through Ibis.

    Parameters
    ----------
    path
        Warehouse directory; ``None`` resolves ``KAKEHASHI_WAREHOUSE`` or the default.
    engine
        ``"duckdb"`` (embedded, default) or ``"spark"`` (PySpark, local mode by default).
    read_only
        Refuse writes and open DuckDB read-only (the web server does this). A
        read-only warehouse never creates, changes or deletes a file.

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
        self._checked: str | None = None
        self._manifest: tuple[str, dict[str, Any]] | None = None

    # ----------------------------------------------------------------- state
    def _refuse_file(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"warehouse {self.path} is a file, not a folder",
                             hint="pass --warehouse with a folder (a new one, or one holding a warehouse)")

    @property
    def snapshot_id(self) -> str | None:
        """Id of the committed snapshot, or ``None`` for an empty warehouse.

        Raises
        ------
        InputError
            If the warehouse path is a file, or ``CURRENT`` is not the id of a snapshot on disk.
        """
        self._refuse_file()
        current = self.path / "CURRENT"
        try:
            with open(current, "rb") as fh:
                raw = fh.read(256)  # an id is about 30 bytes; a larger file is not one
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise self._damaged_current(exc.strerror or str(exc)) from None
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise self._damaged_current("it is not UTF-8 text") from None
        if not text:
            if not self._snapshot_names():
                return None
            raise self._damaged_current("it is empty")
        if not _SNAPSHOT_NAME.fullmatch(text):
            raise self._damaged_current(f"it holds {text[:40]!r}, not a snapshot id")
        if not (self.path / "snapshots" / text).is_dir():
            raise self._damaged_current(f"snapshot {text} is not in {self.path / 'snapshots'}")
        return text

    def _snapshot_names(self) -> list[str]:
        snaps = self.path / "snapshots"
        try:
            return sorted(p.name for p in snaps.iterdir() if p.is_dir())
        except OSError:
            return []

    def _damaged_current(self, reason: str) -> InputError:
        names = self._snapshot_names()
        where = (f"snapshots on disk: {', '.join(names[-3:])}; write the newest id into CURRENT to go "
                 "back to it, or re-ingest into a new --warehouse folder") if names else \
            "re-ingest into a new --warehouse folder"
        return InputError(f"{self.path / 'CURRENT'} is damaged: {reason}", hint=where)

    def _snapshot_dir(self) -> Path | None:
        sid = self.snapshot_id
        return self.path / "snapshots" / sid if sid else None

    def manifest(self) -> dict[str, Any]:
        """The committed snapshot's manifest (``{}`` when empty); do not modify it."""
        sid = self.snapshot_id
        if sid is None:
            return {}
        if self._manifest is not None and self._manifest[0] == sid:
            return self._manifest[1]
        path = self.path / "snapshots" / sid / "manifest.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path} is missing", hint=REINGEST_HINT) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path} is damaged: {exc}", hint=REINGEST_HINT) from None
        if not isinstance(data, dict):
            raise InputError(f"{path} is damaged: not a JSON object", hint=REINGEST_HINT)
        self._manifest = (sid, data)
        return data

    def tables(self) -> list[str]:
        """Canonical tables that hold data in the committed snapshot (as its manifest lists them)."""
        listed = self.manifest().get("tables") or {}
        return [t for t in TABLES if listed.get(t)]

    def files(self, table: str) -> list[Path]:
        """Parquet files of ``table`` in the committed snapshot (as its manifest lists them)."""
        schema(table)
        snap = self._snapshot_dir()
        if snap is None:
            return []
        return [snap / table / f for f in sorted((self.manifest().get("tables") or {}).get(table, []))]

    def derived_files(self, name: str = "export_totals") -> list[Path]:
        """Files of a derived summary written at ingest (``[]`` for snapshots from before them)."""
        snap = self._snapshot_dir()
        if snap is None:
            return []
        return [snap / rel for rel in (self.manifest().get("derived") or {}).get(name, [])]

    def trade_summary(self) -> pd.DataFrame | None:
        """Rows and value of ``trade_flows`` per ``year, hs_revision, source``, recorded at ingest.

        ``None`` when the snapshot was written before these summaries were recorded.
        """
        derived = self.manifest().get("derived")
        if derived is None or "trade_summary" not in derived:
            return None
        return pd.DataFrame(derived["trade_summary"],
                            columns=["year", "hs_revision", "source", "rows", "value_usd"])

    def log(self) -> pd.DataFrame:
        """The ingest log: one row per staged write, oldest first."""
        return pd.DataFrame(self.manifest().get("log", []),
                            columns=list(IngestRecord.__dataclass_fields__))

    # ------------------------------------------------------------- integrity
    @property
    def checksummed(self) -> bool:
        """True when the committed snapshot's manifest records its files' checksums."""
        return "files" in self.manifest()

    def verify(self, *, full: bool = True) -> list[FileProblem]:
        """Check the committed snapshot's files against its manifest; return the problems found.

        Parameters
        ----------
        full
            Hash every file (sha256). Otherwise check presence and size, and
            hash only files whose modification time differs from the one
            recorded at commit (what opening a snapshot does).

        Snapshots written before checksums were recorded are checked for the
        presence of their files only, with an :class:`UnverifiedSnapshotWarning`.
        """
        snap = self._snapshot_dir()
        if snap is None:
            return []
        manifest = self.manifest()
        entries: dict[str, dict[str, Any]] | None = manifest.get("files")
        problems: list[FileProblem] = []
        if entries is None:
            warnings.warn(f"snapshot {snap.name} was written without checksums (by an older kakehashi): "
                          "its files are checked for presence only; re-ingest to record them",
                          UnverifiedSnapshotWarning, stacklevel=2)
            for t in self.tables():
                problems += [FileProblem(p, "is missing") for p in self.files(t) if not p.is_file()]
            return problems
        for rel, entry in sorted(entries.items()):
            path = snap / rel
            try:
                st = path.stat()
            except (FileNotFoundError, NotADirectoryError):
                problems.append(FileProblem(path, "is missing"))
                continue
            if st.st_size != entry["size"]:
                problems.append(FileProblem(path, f"is damaged: {st.st_size} bytes, {entry['size']} "
                                                  "at commit"))
            elif (full or st.st_mtime_ns != entry.get("mtime_ns")) and file_sha256(path) != entry["sha256"]:
                problems.append(FileProblem(path, "is damaged: its sha256 differs from the one recorded "
                                                  "at commit"))
        return problems

    def check(self) -> None:
        """The cheap check run when a snapshot is opened: raise for the first missing or damaged file."""
        sid = self.snapshot_id
        if sid is None or self._checked == sid:
            return
        problems = self.verify(full=False)
        if problems:
            raise problems[0].error()
        self._checked = sid

    def engine_error(self, exc: Exception) -> KakehashiError:
        """The error for a failed query: a damaged file when the checksums find one, else an EngineError."""
        try:
            problems = self.verify(full=True)
        except KakehashiError as err:
            return err
        if problems:
            return problems[0].error()
        return EngineError(f"{self.engine} failed to run the query: {exc}")

    # ------------------------------------------------------------------ read
    def connect(self) -> Any:
        """Return the Ibis backend, with every table of the snapshot registered.

        The snapshot's files are checked first (:meth:`check`).
        """
        sid = self.snapshot_id
        if self._con is not None and sid == self._snapshot:
            return self._con
        self.check()
        snap = self._snapshot_dir()
        if self.engine == "duckdb":
            con = self._connect_duckdb(snap)
        else:
            con = self._connect_spark()
        if snap is not None:
            for name in self.tables():
                self._register(con, name, self.files(name))
            derived = self.derived_files("export_totals")
            if derived:
                self._register(con, "_derived_export_totals", derived)
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

        session = spark_session()
        # Spark's Parquet reader checks page checksums (CRC32) only when asked
        session.sparkContext._jsc.hadoopConfiguration().set("parquet.page.verify-checksum.enabled", "true")
        return ibis.pyspark.connect(session)

    def _register(self, con: Any, name: str, files: list[Path]) -> None:
        try:
            if self.engine == "duckdb":
                listed = ", ".join(f"'{_sql_path(f)}'" for f in files)
                con.raw_sql(
                    f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * FROM read_parquet('
                    f"[{listed}], union_by_name = true)"
                )
            else:
                con.read_parquet(str(files[0].parent), table_name=name)
        except Exception as exc:
            raise EngineError(f"could not register table {name} from {files[0].parent}: {exc}") from exc

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

    def derived_table(self, name: str = "export_totals") -> ibis.Table | None:
        """A derived summary written at ingest as an Ibis table, or ``None`` when the snapshot has none."""
        if not self.derived_files(name):
            return None
        table: ibis.Table = self.connect().table(f"_derived_{name}")
        return table

    def execute(self, expr: ibis.Expr, **kwargs: Any) -> pd.DataFrame:
        """Execute an Ibis expression on this warehouse's engine into pandas."""
        con = self.connect()
        try:
            result: pd.DataFrame = con.execute(expr, **kwargs)
        except Exception as exc:
            raise self.engine_error(exc) from exc
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
        the committed snapshot untouched. A failed write (permissions, disk
        full, a file in the way) is an :class:`EngineError` and changes nothing.
        """
        if self.read_only:
            raise EngineError(f"warehouse {self.path} is open read-only")
        self._refuse_file()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            lock = open(self.path / "LOCK", "a+")
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _ = self.snapshot_id  # a damaged CURRENT is refused before anything is written
            try:
                self._sweep_staging()
                stamp = _next_stamp(self.path / "snapshots")
                staging = self.path / "staging" / stamp
                staging.mkdir(parents=True)
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            try:
                tx = Transaction(self.path, staging, {"log": []})
                self._clone_into(tx)
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

    def _clone_into(self, tx: Transaction) -> None:
        """Hard-link the committed snapshot's files into ``tx``; damaged ones are left out and noted."""
        snap = self._snapshot_dir()
        if snap is None:
            return
        manifest = json.loads(json.dumps(self.manifest()))  # a copy the transaction may change
        entries: dict[str, dict[str, Any]] = manifest.get("files") or {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnverifiedSnapshotWarning)
            problems = {p.path: p for p in self.verify(full=False)}
        rels = [f"{t}/{f}" for t in self.tables() for f in (manifest.get("tables") or {}).get(t, [])]
        rels += [p.relative_to(snap).as_posix() for p in self.derived_files("export_totals")]
        try:
            for rel in rels:
                src, dst = snap / rel, tx.path / rel
                if src in problems:
                    tx.damaged.append(problems[src])
                    continue
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy2(src, dst)
                if rel in entries:
                    tx.inherited[rel] = (src.stat().st_ino, entries[rel])
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        tx.manifest = manifest

    def _commit(self, tx: Transaction) -> None:
        staging = tx.path
        snap = self._snapshot_dir()
        for problem in tx.damaged:
            table = problem.path.relative_to(snap).parts[0] if snap else ""
            rel = problem.path.relative_to(snap).as_posix() if snap else ""
            if table != DERIVED_DIR and table not in tx.replaced and rel not in tx.written:
                raise InputError(f"{problem.path} {problem.reason}, and this ingest does not rewrite it",
                                 hint=f"ingest table {table} again with it (all of its years), "
                                 "or ingest everything into a new --warehouse folder")
        tables = {}
        for t in TABLES:
            files = sorted(p.name for p in (staging / t).glob("*.parquet")) if (staging / t).is_dir() else []
            if files:
                tables[t] = files
        tx.manifest["tables"] = tables
        tx.manifest["snapshot"] = staging.name
        tx.manifest["parent"] = self.snapshot_id
        snapshots = self.path / "snapshots"
        final = snapshots / staging.name
        tmp_current = self.path / "CURRENT.tmp"
        moved = False
        try:
            tx.manifest["derived"] = self._derive(tx, tables.get("trade_flows", []))
            self._write_catalog(staging, tx.manifest)
            entries: dict[str, dict[str, Any]] = {}
            for f in sorted(staging.rglob("*")):
                if not f.is_file():
                    continue
                rel = f.relative_to(staging).as_posix()
                old = tx.inherited.get(rel)
                if old is not None and rel not in tx.written and f.stat().st_ino == old[0]:
                    entries[rel] = old[1]
                else:
                    entries[rel] = _file_entry(f)
            tx.manifest["files"] = entries
            (staging / "manifest.json").write_text(json.dumps(tx.manifest, indent=1), encoding="utf-8")
            for f in staging.rglob("*"):
                if f.is_file():
                    with open(f, "rb") as fh:
                        os.fsync(fh.fileno())
            tmp_current.write_text(staging.name + "\n", encoding="utf-8")
            with open(tmp_current, "rb") as fh:
                os.fsync(fh.fileno())
            snapshots.mkdir(exist_ok=True)
            os.replace(staging, final)
            moved = True
            _fsync_dir(snapshots)
            os.replace(tmp_current, self.path / "CURRENT")
        except (OSError, duckdb.Error, pa.ArrowException) as exc:
            if moved:
                shutil.rmtree(final, ignore_errors=True)
            tmp_current.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _write_error(self.path, exc) from None
            raise EngineError(f"could not commit to warehouse {self.path}: {exc}",
                              hint="check the free space; the warehouse is unchanged") from None
        _fsync_dir(self.path)
        self._prune(keep=staging.name)

    @staticmethod
    def _derive(tx: Transaction, trade_files: list[str]) -> dict[str, Any]:
        """Compute the derived summaries of the years this transaction rewrote; keep the others'."""
        staging = tx.path
        previous: dict[int, list[dict[str, Any]]] = {}
        for row in (tx.manifest.get("derived") or {}).get("trade_summary", []):
            previous.setdefault(int(row["year"]), []).append(row)
        keep: list[str] = []
        summary: list[dict[str, Any]] = []
        for name in trade_files:
            year = int(Path(name).stem)
            rel, out_rel = f"trade_flows/{name}", f"{EXPORT_TOTALS}/{name}"
            out = staging / out_rel
            if rel in tx.written or "trade_flows" in tx.replaced or not out.exists() or year not in previous:
                out.unlink(missing_ok=True)
                held = tx.totals.get(rel) if rel in tx.written else None
                if held is None:
                    summary += _derive_trade_year(staging / rel, out)
                else:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    _write_parquet(held[0], out)
                    summary += held[1]
                tx.written.add(out_rel)
            else:
                summary += previous[year]
            keep.append(out_rel)
        folder = staging / EXPORT_TOTALS
        if folder.is_dir():
            for f in folder.iterdir():
                if f"{EXPORT_TOTALS}/{f.name}" not in keep:
                    f.unlink()
        return {"export_totals": keep, "trade_summary": summary}

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
        try:
            sid: str | None = self.snapshot_id
        except KakehashiError:
            sid = "damaged"
        return f"Warehouse({str(self.path)!r}, engine={self.engine!r}, snapshot={sid!r})"
