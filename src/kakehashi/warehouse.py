"""The warehouse: year-partitioned Parquet snapshots read through Ibis.

Layout of a warehouse directory::

    CURRENT                      id of the committed snapshot (replaced atomically)
    LOCK                         writers hold an exclusive lock on it
    snapshots/<id>/manifest.json tables, files (size, sha256, rows), the ingest log, derived summaries
    snapshots/<id>/catalog.duckdb embedded DuckDB database: the ingest log
    snapshots/<id>/<table>/<year>.parquet   (year-partitioned tables; a large year is split into
                                 <year>.parquet, <year>-1.parquet, ... written in parallel)
    snapshots/<id>/<table>/all.parquet      (other tables)
    snapshots/<id>/derived/export_totals/<year>.parquet   every exporter's exports per product
    snapshots/<id>/derived/world_summary/<year>.parquet   world exports per product (from the above)
    staging/<id>/                a snapshot being written

Ingest is copy-on-write: a transaction hard-links the committed snapshot's
files into ``staging/``, rewrites only what changes, and commits by renaming
the staging folder into ``snapshots/`` and then replacing ``CURRENT`` with
``os.replace`` (atomic on POSIX). A crash at any point leaves ``CURRENT``
pointing at the previous, complete snapshot; stale staging folders are swept
by the next writer.

Derived summaries (every exporter's total exports of each product and year,
each product's world exports, their sum of squares and exporters, and the
years, HS revisions and sources the trade flows hold) are computed in
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

Object storage (``Warehouse("s3://bucket/wh")``) is read-only: object stores
have no atomic rename to commit a snapshot with. A warehouse is ingested into a
local folder and copied to the bucket (:func:`push_warehouse` uploads the
committed snapshot's files first and ``CURRENT`` last, so a reader never sees a
half-copied snapshot). The files are read through :mod:`kakehashi.storage`
(``pyarrow.fs``): DuckDB scans each table as an Arrow dataset in an in-memory
database, Spark reads ``s3a://`` paths with its own Parquet reader.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import importlib
import json
import os
import re
import shutil
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kakehashi import config, storage
from kakehashi.errors import EngineError, InputError, KakehashiError, unknown_value_error
from kakehashi.schemas import TABLES, conform, schema
from kakehashi.storage import Location, ObjectPath

if TYPE_CHECKING:  # Ibis is imported by the readers only: an ingest does not load it
    import ibis

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
KEEP_SNAPSHOTS = 3
"""Committed snapshots kept on disk (the current one and older ones for open readers)."""
DERIVED_DIR = "derived"
"""Folder of a snapshot holding the derived summaries written at ingest."""
EXPORT_TOTALS = f"{DERIVED_DIR}/export_totals"
"""Derived table of every exporter's exports: ``exporter, hs6, year, hs_revision, exports_usd``."""
WORLD_SUMMARY = f"{DERIVED_DIR}/world_summary"
"""Derived table per product: ``hs_revision, hs6, year, world_exports, world_sumsq, world_exporters``."""
REINGEST_HINT = ("the warehouse's files changed after they were committed; re-ingest the data, "
                 "e.g. into a new --warehouse folder, or restore the file from a backup")
REMOTE_CURRENT_SECONDS = 2.0
"""How long a warehouse on object storage keeps the id it read from ``CURRENT`` before reading it again."""
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


@contextmanager
def ingest_memory_pool() -> Iterator[None]:
    """Allocate an ingest's large arrays in the way that costs the kernel least; restored afterwards.

    An ingest allocates a year's columns several times over (about 1.2 GB for a
    ``baci``-size year), and the kernel time spent providing fresh pages was a
    third of its CPU time. Inside the block:

    * Arrow allocates from its jemalloc pool when this build has it (it keeps and
      reuses freed pages): kernel time 2.0 s → 1.6 s and peak 1.26 → 1.13 GB
      against Arrow's default mimalloc pool;
    * NumPy does not ask for transparent huge pages (``madvise``): where the
      kernel compacts memory to provide them (``defrag`` set to ``madvise``, the
      default of common distributions), kernel time fell from 2.1 s to 1.6 s;
    * jemalloc keeps freed pages for a second (``dirty_decay_ms``) instead of
      Arrow's default of returning them at once, so that the CSV reader's block
      buffers and the parsed year's columns are reused by the allocations that
      follow them (3 paired runs, medians: kernel time 0.84 → 0.60 s, wall 1.79
      → 1.58 s, peak 0.96 → 1.16 GB). jemalloc applies it to the arenas it
      creates from then on (those of the ingest's threads); Arrow's default is
      restored afterwards.

    Measured with ``farm-bench`` on one ``baci``-size year (BENCHMARKS.md, ingest).
    Buffers remember their pool, so switching back afterwards is safe.
    """
    previous = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(_JEMALLOC_DECAY_MS)
        decay = True
    except (NotImplementedError, pa.ArrowNotImplementedError):
        decay = False
    hugepage = _numpy_hugepage(False)
    try:
        yield
    finally:
        _numpy_hugepage(hugepage)
        pa.set_memory_pool(previous)
        if decay:
            pa.jemalloc_set_decay_ms(0)  # Arrow's default: freed pages go back to the system at once


_JEMALLOC_DECAY_MS = 1000
"""How long jemalloc keeps freed pages during an ingest (see :func:`ingest_memory_pool`)."""


def _preload_writer() -> None:
    """Import Arrow's Parquet module in a thread, while the caller reads its input.

    A transaction's first write imports it (about 30 ms, in the writer threads, which
    wait for one another on the import lock); a reader's start-up does not load it.
    """
    if "pyarrow.parquet" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("pyarrow.parquet",), daemon=True).start()


def _numpy_hugepage(enabled: bool | None) -> bool | None:
    """Set NumPy's huge-page advice (an underscored NumPy function); return the previous setting.

    ``None`` leaves it alone (a NumPy without the function).
    """
    try:
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - NumPy 1.x names it numpy.core
        return None
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is None or enabled is None:
        return None
    return bool(setter(enabled))


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
        self.entries: dict[str, dict[str, Any]] = {}
        """Manifest entries (size, mtime, sha256, rows) of the files written, computed by the writers."""

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
                span = pc.min_max(tbl.column("year"))  # one year (the usual case) without hashing
                one = tbl.column("year").null_count == 0 and span["min"].as_py() == span["max"].as_py()
                years = ([int(span["min"].as_py())] if one and tbl.num_rows
                         else sorted(int(y) for y in pc.unique(tbl.column("year")).to_pylist()))
                for year in years:
                    for stale_part in year_files(tdir, year):
                        stale_part.unlink()  # a hard link: the committed copy is untouched
                        self.written.discard(f"{table}/{stale_part.name}")
                    part = tbl if len(years) == 1 else tbl.filter(pc.equal(tbl.column("year"), year))
                    rows = _sort_order(part, order) if order else None
                    if rows is not None:
                        part = part.take(rows)
                    self.totals.pop(f"{table}/{year}.parquet", None)
                    pieces = _split_parts(part)
                    names = [year_file_name(year, i) for i in range(len(pieces))]
                    # Parts are put in their storage types and written in parallel (Arrow's writer
                    # releases the GIL), and the exporter totals are summed and written meanwhile.
                    with ThreadPoolExecutor(len(pieces) + 1) as pool:
                        trade = table == "trade_flows"
                        totals = pool.submit(self._year_totals, part, year) if trade else None
                        done = [pool.submit(_write_entry, piece, tdir / name, spec.arrow_schema(),
                                            whole_groups=table in _ONE_PAGE_TABLES)
                                for piece, name in zip(pieces, names, strict=True)]
                        for name, fut in zip(names, done, strict=True):
                            self._written(f"{table}/{name}", fut.result())
                        if totals is not None:
                            totals.result()
            else:
                self._written(f"{table}/all.parquet",
                              _write_entry(_storage_table(tbl, spec.arrow_schema()), tdir / "all.parquet"))
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

    def _year_totals(self, part: pa.Table, year: int) -> None:
        """Sum a trade year's exporter totals (:func:`_trade_totals`) and write their file, if they can be.

        The files (the totals and the year's world summary, :func:`_world_summary`) are the ones
        :meth:`Warehouse._derive` would write at the commit; written here, next to the year's parts,
        they cost the commit nothing. Without totals in memory, the commit derives them from the files.
        """
        held = _trade_totals(part)
        rel = f"{EXPORT_TOTALS}/{year}.parquet"
        world_rel = f"{WORLD_SUMMARY}/{year}.parquet"
        for r in (rel, world_rel):  # hard links to the committed copies, or files of an earlier write
            (self.path / r).unlink(missing_ok=True)
            self.entries.pop(r, None)
        if held is not None:
            out = self.path / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            self._written(rel, _write_entry(held[0], out, whole_groups=True))
            world = _world_summary(held[0])
            if world is not None:
                (self.path / world_rel).parent.mkdir(parents=True, exist_ok=True)
                self._written(world_rel, _write_entry(world, self.path / world_rel))
            self.totals[f"trade_flows/{year}.parquet"] = held

    def _written(self, rel: str, entry: dict[str, Any]) -> None:
        self.written.add(rel)
        self.entries[rel] = entry

    def entry(self, rel: str, path: Path) -> dict[str, Any]:
        """Manifest entry of a file of this transaction: the writer's, unless the file changed since."""
        held = self.entries.get(rel)
        st = path.stat()
        if held is not None and held["size"] == st.st_size and held["mtime_ns"] == st.st_mtime_ns:
            return held
        return _file_entry(path)


PARQUET_ROW_GROUP = 122_880
"""Rows per Parquet row group (DuckDB's default), small enough for per-importer reads to skip groups."""


PART_ROWS = 32 * PARQUET_ROW_GROUP
"""A year of more rows than this is written as several part files of about this size, in parallel.

Arrow's Parquet writer runs on one core; a ``baci``-size year (about 10 M rows) in three parts writes
in parallel (BENCHMARKS.md, ingest). Parts hold whole row groups, in the warehouse's row order."""

_YEAR_FILE = re.compile(r"(\d{4})(?:-([1-9]\d*))?\.parquet")


def year_file_name(year: int, part: int = 0) -> str:
    """File name of part ``part`` of a year: ``2021.parquet``, ``2021-1.parquet``, ..."""
    return f"{year}.parquet" if part == 0 else f"{year}-{part}.parquet"


def year_part(name: str) -> tuple[int, int] | None:
    """``(year, part)`` of a year file's name (see :func:`year_file_name`), or ``None``.

    Examples
    --------
    >>> year_part("2021.parquet"), year_part("2021-2.parquet"), year_part("all.parquet")
    ((2021, 0), (2021, 2), None)
    """
    m = _YEAR_FILE.fullmatch(name)
    return (int(m[1]), int(m[2] or 0)) if m else None


def file_order(name: str) -> tuple[int, int, int, str]:
    """Sort key of a table's file names: year files by year and part (so rows keep their order)."""
    yp = year_part(name)
    return (0, yp[0], yp[1], name) if yp else (1, 0, 0, name)


def year_files(folder: Path, year: int) -> list[Path]:
    """The part files of ``year`` in a table folder, in row order."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{year}*.parquet") if (year_part(p.name) or (0,))[0] == year]
    return sorted(found, key=lambda p: file_order(p.name))


def _split_parts(tbl: pa.Table) -> list[pa.Table]:
    """``tbl`` cut into parts of whole row groups, each at most about :data:`PART_ROWS` rows."""
    n = tbl.num_rows
    count = -(-n // PART_ROWS) if n else 1
    if count <= 1:
        return [tbl]
    groups = -(-n // PARQUET_ROW_GROUP)
    per = -(-groups // count) * PARQUET_ROW_GROUP
    return [tbl.slice(start, per) for start in range(0, n, per)]


def _write_entry(tbl: pa.Table, path: Path, target: pa.Schema | None = None, *,
                 whole_groups: bool = False) -> dict[str, Any]:
    """Write ``tbl`` to ``path`` (:func:`_write_parquet`); return its manifest entry, hashed here.

    ``target``: the table's schema, to which ``tbl`` is first converted (:func:`_storage_table`) in
    the calling thread, so that parts written in parallel are also converted in parallel.
    """
    if target is not None:
        tbl = _storage_table(tbl, target)
    _write_parquet(tbl, path, whole_groups=whole_groups)
    with open(path, "rb") as fh:  # flushed here, in parallel with the other writers: the commit's fsync
        os.fsync(fh.fileno())  # then finds it clean
    return _file_entry(path, rows=tbl.num_rows)


_ONE_PAGE_TABLES = frozenset({"trade_flows"})
"""Tables written with ``whole_groups`` (see :func:`_write_parquet`); the exporter totals are too."""


def _write_parquet(tbl: pa.Table, path: Path, *, whole_groups: bool = False) -> None:
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

    ``whole_groups``: hand the writer a whole row group at a time instead of
    Arrow's default 1,024 values (a sixth less CPU for a ``baci``-size year).
    The writer cuts a data page when a column chunk's encoded data pass 1 MiB,
    checking after each batch, so the batch size can move page boundaries only
    where a row group's column exceeds 1 MiB. Only for tables where none can:
    the trade flows and the exporter totals hold numbers of at most 8 bytes
    (983,040 bytes per row group) and short codes written dictionary-encoded
    (at most 4 bytes of index a row, dictionaries of a few thousand codes), so
    each column chunk is one data page either way and the files are
    byte-identical (checked on a ``baci``-size year, BENCHMARKS.md, ingest).
    """
    import pyarrow.parquet as pq  # writers only: a reader's start-up does not load it

    dictionary = [f.name for f in tbl.schema if not pa.types.is_floating(f.type)]
    batch = {"write_batch_size": PARQUET_ROW_GROUP} if whole_groups else {}
    pq.write_table(tbl, path, compression="zstd", row_group_size=PARQUET_ROW_GROUP, store_schema=False,
                   use_dictionary=dictionary, write_page_checksum=True, **batch)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks (:func:`kakehashi.storage.sha256`)."""
    return storage.sha256(path)


def _file_entry(path: Path, rows: int | None = None) -> dict[str, Any]:
    """Manifest entry of a committed file: size, modification time, sha256 and (Parquet) rows.

    ``rows``: the row count when the caller knows it (it wrote the file); else read from the footer.
    """
    st = path.stat()
    entry: dict[str, Any] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": file_sha256(path)}
    if rows is not None:
        entry["rows"] = rows
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        entry["rows"] = pq.read_metadata(path).num_rows
    return entry


def _derive_trade_year(paths: Path | Sequence[Path], out: Path) -> list[dict[str, Any]]:
    """Write the exporter totals of one ``trade_flows`` year (its parts) to ``out``; return its summary rows.

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    The summary rows count rows, value and the exporters and importers with a positive flow per
    ``year, hs_revision, source``. One thread sums in
    the file's (sorted) order, so the same rows always give the same bits.
    """
    files = [paths] if isinstance(paths, Path) else list(paths)
    con = duckdb.connect(config={"threads": 1})
    try:
        src = "read_parquet([" + ", ".join(f"'{_sql_path(p)}'" for p in files) + "])"
        totals = con.sql(
            f"SELECT exporter, hs6, year, hs_revision, sum(value_usd) AS exports_usd FROM {src} "
            "GROUP BY exporter, hs6, year, hs_revision ORDER BY hs_revision, exporter, hs6"
        ).to_arrow_table()
        rows = con.execute(
            f"SELECT year, hs_revision, source, count(*) AS rows, sum(value_usd) AS value_usd, "
            "count(DISTINCT exporter) FILTER (WHERE value_usd > 0), "
            f"count(DISTINCT importer) FILTER (WHERE value_usd > 0) FROM {src} "
            "GROUP BY year, hs_revision, source ORDER BY year, hs_revision, source"
        ).fetchall()
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    totals = totals.cast(_TOTALS_SCHEMA)
    _write_parquet(totals, out, whole_groups=True)
    return [{"year": int(y), "hs_revision": str(r), "source": str(s), "rows": int(n), "value_usd": float(v),
             "exporters": int(ne), "importers": int(nm)} for y, r, s, n, v, ne, nm in rows]


_TOTALS_SCHEMA = pa.schema([
    pa.field("exporter", pa.string()), pa.field("hs6", pa.string()), pa.field("year", pa.int32()),
    pa.field("hs_revision", pa.string()), pa.field("exports_usd", pa.float64())])


def _trade_totals(tbl: pa.Table) -> tuple[pa.Table, list[dict[str, Any]]] | None:
    """What :func:`_derive_trade_year` computes, from a year's rows still in memory (no re-read).

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    Groups are numbered by the dense ranks of (hs_revision, exporter, hs6), so
    ascending group numbers are the file's ``ORDER BY hs_revision, exporter,
    hs6``; ``numpy.add.at`` adds the values of each group one at a time in
    row order (block by block, so that no whole-column key is allocated), as
    the single-threaded DuckDB sum over the (same-ordered) file does. The
    summary rows also count the distinct exporters and importers with a
    positive flow (what :func:`kakehashi.metrics.coverage.reporting_countries`
    reports). Returns ``None`` (the caller re-reads the file) unless
    ``exporter`` and ``hs6`` are dictionary-encoded, the table holds one year
    and no null value, and the groups number fewer than 2**26.
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
    # Both group sums in blocks of rows: numpy.add.at adds one value at a time in row order, as
    # numpy.bincount and DuckDB's sum do, and the blocks' keys reuse their memory.
    by_key = _GroupSums(sizes[0] * sizes[1] * sizes[2], count=False)
    by_source = _GroupSums(sizes[0] * sizes[3], count=True)
    importer = _dense_rank(tbl.column("importer"))
    exporter_seen = _Seen(sizes[0] * sizes[3], sizes[1])
    importer_seen = _Seen(sizes[0] * sizes[3], int(importer.max()) + 1)
    every_positive = pc.min(value).as_py() > 0
    for start in range(0, n, _ORDER_BLOCK):
        stop = min(n, start + _ORDER_BLOCK)
        rows = np.arange(start, stop)
        by_key.add(_combined_key(ranks[:3], sizes[:3], start, stop), values[start:stop], rows)
        sid = _combined_key([ranks[0], ranks[3]], [sizes[0], sizes[3]], start, stop)
        by_source.add(sid, values[start:stop], rows)
        keep = None if every_positive else values[start:stop] > 0
        exporter_seen.add(sid, ranks[1][start:stop], keep)
        importer_seen.add(sid, importer[start:stop], keep)
    found = np.flatnonzero(by_key.last >= 0)
    take = pa.array(by_key.last[found])
    totals = pa.table({
        "exporter": tbl.column("exporter").take(take), "hs6": tbl.column("hs6").take(take),
        "year": tbl.column("year").take(take), "hs_revision": tbl.column("hs_revision").take(take),
        "exports_usd": pa.array(by_key.sums[found], pa.float64())}).cast(_TOTALS_SCHEMA)
    found = np.flatnonzero(by_source.last >= 0)
    at, counts, sums = by_source.last[found], by_source.counts[found], by_source.sums[found]
    keys = tbl.select(["year", "hs_revision", "source"]).take(pa.array(at)).to_pylist()
    exporters = exporter_seen.groups()[found]
    importers = importer_seen.groups()[found]
    summary = [{"year": int(k["year"]), "hs_revision": str(k["hs_revision"]), "source": str(k["source"]),
                "rows": int(c), "value_usd": float(v), "exporters": int(ne), "importers": int(nm)}
               for k, c, v, ne, nm in zip(keys, counts, sums, exporters, importers, strict=True)]
    return totals, summary


class _GroupSums:
    """Value sum (in row order), last row (-1: no row) and, if asked, row count of each group, by blocks."""

    def __init__(self, size: int, *, count: bool) -> None:
        self.counts = np.zeros(size if count else 0, dtype=np.int64)
        self.sums = np.zeros(size, dtype=np.float64)
        self.last = np.full(size, -1, dtype=np.int64)

    def add(self, gid: np.ndarray, values: np.ndarray, rows: np.ndarray) -> None:
        if len(self.counts):
            self.counts += np.bincount(gid, minlength=len(self.counts))
        np.add.at(self.sums, gid, values)
        self.last[gid] = rows  # any row of a group carries its keys


class _Seen:
    """Which members (dense ranks below ``members``) each group has, marked block by block."""

    def __init__(self, groups: int, members: int) -> None:
        self.members = members
        self.marks = np.zeros(groups * members, dtype=bool)

    def add(self, gid: np.ndarray, member: np.ndarray, keep: np.ndarray | None) -> None:
        """Mark ``member`` in group ``gid`` for the rows ``keep`` selects (all when ``None``)."""
        if keep is not None:
            gid, member = gid[keep], member[keep]
        self.marks[gid * self.members + member] = True

    def groups(self) -> np.ndarray:
        """Distinct members of each group."""
        return np.count_nonzero(self.marks.reshape(-1, self.members), axis=1).astype(np.int64)


_WORLD_SCHEMA = pa.schema([
    pa.field("hs_revision", pa.string()), pa.field("hs6", pa.string()), pa.field("year", pa.int32()),
    pa.field("world_exports", pa.float64()), pa.field("world_sumsq", pa.float64()),
    pa.field("world_exporters", pa.int64())])


def _group_order(gid: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Row positions sorted by group, then by value (ascending) within each group.

    An unstable sort of the values, then a stable sort of their group numbers (a radix sort
    when they fit 16 bits); equal values may come in any order, which changes no sum.
    """
    by_value = np.argsort(values)
    g = gid[by_value]
    if groups <= 1 << 16:
        g = g.astype(np.uint16)
    order: np.ndarray = by_value[np.argsort(g, kind="stable")]
    return order


def _sorted_sums(gid: np.ndarray, values: np.ndarray, groups: int, order: np.ndarray) -> np.ndarray:
    """Per group, its values sorted ascending and added one at a time in that order.

    The same bits as :func:`kakehashi.metrics.concentration.stable_sum` (a
    group's values collected, sorted and summed in order by the engine).
    ``order`` is :func:`_group_order` of ``gid`` and ``values`` (or of values
    in the same order). The values are laid out as a (position in group) x
    (group) matrix padded with zeros after each group's last value, and the
    rows are added one after the other, so every group's sum is sequential;
    adding the padding's zeros changes no sum.
    """
    g, v = gid[order], values[order]
    counts = np.bincount(g, minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(len(g), dtype=np.int64) - starts[g]
    grid = np.zeros((int(counts.max()) if len(g) else 1, groups), dtype=np.float64)
    grid[pos, g] = v
    acc = grid[0].copy()
    for row in grid[1:]:
        acc += row
    return acc


def _codes(col: pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """Integer codes of a column's values (any consistent numbering) and how many there are."""
    enc = pc.dictionary_encode(col.combine_chunks())  # one dictionary for every chunk
    return np.asarray(enc.indices, dtype=np.int64), len(enc.dictionary)


def _world_summary(totals: pa.Table) -> pa.Table | None:
    """Per HS revision, product and year, from exporter totals: world exports, sum of squares, exporters.

    .. math:: X_{kt} = \\sum_e X_{ekt}, \\qquad Q_{kt} = \\sum_e X_{ekt}^2, \\qquad
              n_{kt} = \\#\\{e : X_{ekt} > 0\\}

    What :func:`kakehashi.metrics.screen.world_summary` computes from the same
    totals, bit for bit (sums in sorted order, :func:`_sorted_sums`), so a
    screen can read it instead of computing it. ``None`` when a total is null
    (the query then computes it, skipping nulls).
    """
    x = totals.column("exports_usd")
    if x.null_count:
        return None
    if totals.num_rows == 0:
        return _WORLD_SCHEMA.empty_table()
    keys = totals.select(["hs_revision", "hs6", "year"])
    composite = np.zeros(totals.num_rows, dtype=np.int64)
    for name in keys.column_names:
        codes, n = _codes(keys.column(name))
        composite = composite * n + codes
    seen = np.bincount(composite)
    present = seen > 0
    groups = int(present.sum())
    gid = (np.cumsum(present) - 1)[composite]
    first = np.zeros(groups, dtype=np.int64)
    first[gid[::-1]] = np.arange(len(gid) - 1, -1, -1)
    values = x.to_numpy()
    order = _group_order(gid, values, groups)
    squares = values * values
    # for non-negative values (every checked source), ordering the squares is ordering the values
    sq_order = order if values.min() >= 0 else _group_order(gid, squares, groups)
    out = keys.take(pa.array(first)).cast(_WORLD_SCHEMA.remove(5).remove(4).remove(3))
    return pa.table({
        "hs_revision": out.column("hs_revision"), "hs6": out.column("hs6"), "year": out.column("year"),
        "world_exports": _sorted_sums(gid, values, groups, order),
        "world_sumsq": _sorted_sums(gid, squares, groups, sq_order),
        "world_exporters": np.bincount(gid, weights=values > 0, minlength=groups).astype(np.int64),
    }, schema=_WORLD_SCHEMA)


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
        if _sorted_ranks(ranks, sizes):
            return None
        return pa.array(np.argsort(_combined_key(ranks, sizes), kind="stable"))
    return pa.array(np.lexsort(ranks[::-1]))


_ORDER_BLOCK = 1 << 20
"""Rows per block of the order check (its keys stay in the cache and their memory is reused)."""


def _combined_key(ranks: Sequence[np.ndarray], sizes: Sequence[int], start: int = 0,
                  stop: int | None = None) -> np.ndarray:
    """Rows ``start:stop`` of the combined key ``((r0 * n1 + r1) * n2 + r2) ...`` (int64, < 2**62)."""
    combined = ranks[0][start:stop].astype(np.int64)
    for r, n in zip(ranks[1:], sizes[1:], strict=True):
        combined *= n
        combined += r[start:stop]
    return combined


def _sorted_ranks(ranks: Sequence[np.ndarray], sizes: Sequence[int]) -> bool:
    """Whether the combined keys never decrease, checked by blocks (overlapping by one row) in two threads."""
    n = len(ranks[0])

    def ordered(start: int) -> bool:
        key = _combined_key(ranks, sizes, start, min(n, start + _ORDER_BLOCK + 1))
        return bool((key[1:] >= key[:-1]).all())

    starts = range(0, max(n - 1, 0), _ORDER_BLOCK)
    if len(starts) < 2:
        return all(ordered(start) for start in starts)
    with ThreadPoolExecutor(2) as pool:  # NumPy releases the GIL on blocks of this size
        return all(pool.map(ordered, starts))


def _sql_path(path: Location) -> str:
    return str(path).replace("'", "''")


def _arrow_dataset(files: Sequence[Location]) -> Any:
    """A ``pyarrow.dataset`` over a table's files on object storage, for DuckDB to scan.

    DuckDB's own S3 reader is the ``httpfs`` extension, which it downloads on first use; an
    Arrow dataset needs nothing more than pyarrow, and DuckDB pushes the projection and the
    filters of a query into its scan. The schema is the union of the files' schemas (as
    ``read_parquet(..., union_by_name = true)`` reads a local table), and Arrow verifies the
    pages' CRC32 checksums as it reads them.
    """
    import pyarrow.dataset as ds

    remote = [f for f in files if isinstance(f, ObjectPath)]
    fs = remote[0].filesystem
    keys = [f.key for f in remote]
    fmt = ds.ParquetFileFormat(
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))
    first = ds.dataset(keys, filesystem=fs, format=fmt)
    with ThreadPoolExecutor(8) as pool:  # one request per footer: read them at once
        unified = pa.unify_schemas(list(pool.map(lambda frag: frag.physical_schema, first.get_fragments())))
    return first if unified == first.schema else ds.dataset(keys, filesystem=fs, format=fmt,
                                                            schema=unified)


@dataclass(frozen=True)
class FileProblem:
    """A committed file that is missing or no longer what was committed."""

    path: Location
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


_LOAD_HINTS: dict[str, str] = {
    "trade_flows": "kakehashi ingest baci FILES' or 'kakehashi ingest comtrade FILES",
    "production": "kakehashi ingest usgs FILES_OR_FOLDERS",
    "reserves": "kakehashi ingest usgs FILES_OR_FOLDERS",
    "world_totals": "kakehashi ingest usgs FILES_OR_FOLDERS",
    "governance": "kakehashi ingest wgi FILE",
    "products": "kakehashi ingest hs FILE",
    "hs_concordance": "kakehashi ingest concordance FILE",
    "countries": "kakehashi ingest countries",
    "cables": "kakehashi ingest cables DIR",
    "cable_landings": "kakehashi ingest cables DIR",
    "landing_stations": "kakehashi ingest cables DIR",
    "cable_routes": "kakehashi ingest cables DIR",
}
"""The command that loads each canonical table (named in the error when a table is empty)."""


class Warehouse:
    """A kakehashi warehouse directory, queried through Ibis.

    Parameters
    ----------
    path
        Warehouse directory; ``None`` resolves ``KAKEHASHI_WAREHOUSE`` or the default. A
        ``s3://bucket/prefix`` URI (or an :class:`~kakehashi.storage.ObjectPath`) opens a copy on
        object storage, read-only (see :func:`push_warehouse`).
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
        path: str | Path | ObjectPath | None = None,
        engine: str | None = None,
        *,
        read_only: bool = False,
        threads: int | None = None,
    ) -> None:
        self.path: Location = (path if isinstance(path, ObjectPath)
                               else storage.parse_location(config.warehouse_path(path)))
        self.engine = engine or config.default_engine()
        if self.engine not in ENGINES:
            raise unknown_value_error("engine", self.engine, ENGINES)
        self.threads = None if threads is None else max(1, int(threads))
        """DuckDB threads per query, set on every DuckDB connection this warehouse opens (``None``:
        DuckDB's default, every core; Spark ignores it); a server running several queries at once
        gives each one thread."""
        self.remote = storage.is_remote(self.path)
        """True for a warehouse on object storage (always read-only)."""
        self.read_only = read_only or self.remote
        self._con: Any = None
        self._snapshot: str | None = None
        self._checked: str | None = None
        self._manifest: tuple[str, dict[str, Any]] | None = None
        self._current: tuple[float, str | None] | None = None
        self._seen: set[str] = set()

    # ----------------------------------------------------------------- state
    @property
    def folder(self) -> Path:
        """The warehouse's local folder, for writers.

        Raises
        ------
        EngineError
            For a warehouse on object storage, which is read-only.
        """
        if isinstance(self.path, Path):
            return self.path
        raise EngineError(
            f"warehouse {self.path} is on object storage, which kakehashi only reads",
            hint="ingest into a local warehouse folder, then copy it to the bucket with "
            f"'kakehashi warehouse push LOCAL_FOLDER {self.path}' (or 'aws s3 sync', copying CURRENT last)")

    def _refuse_file(self) -> None:
        if isinstance(self.path, Path) and self.path.exists() and not self.path.is_dir():
            raise InputError(f"warehouse {self.path} is a file, not a folder",
                             hint="pass --warehouse with a folder (a new one, or one holding a warehouse)")

    @property
    def snapshot_id(self) -> str | None:
        """Id of the committed snapshot, or ``None`` for an empty warehouse.

        Raises
        ------
        InputError
            If the warehouse path is a file, or ``CURRENT`` is not the id of a snapshot on disk.

        On object storage, where each read is a request, the id is kept for
        :data:`REMOTE_CURRENT_SECONDS`: a reader sees a new push within that time.
        """
        if self._current is not None and time.monotonic() - self._current[0] < REMOTE_CURRENT_SECONDS:
            return self._current[1]
        sid = self._read_current()
        if self.remote:
            self._current = (time.monotonic(), sid)
        return sid

    def _read_current(self) -> str | None:
        self._refuse_file()
        current = self.path / "CURRENT"
        try:
            raw = storage.read_head(current, 256)  # an id is about 30 bytes; a larger file is not one
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
        if text not in self._seen and not storage.is_dir(self.path / "snapshots" / text):
            raise self._damaged_current(f"snapshot {text} is not in {self.path / 'snapshots'}")
        if self.remote:
            self._seen.add(text)
        return text

    def _snapshot_names(self) -> list[str]:
        return storage.list_dirs(self.path / "snapshots")

    def snapshot_names(self) -> list[str]:
        """Names of the snapshots in the warehouse (committed or being pruned), oldest first."""
        return self._snapshot_names()

    def snapshot_manifest(self, name: str) -> dict[str, Any] | None:
        """The manifest of snapshot ``name``, or ``None`` when it is missing or unreadable."""
        try:
            data = json.loads(storage.read_text(self.path / "snapshots" / name / "manifest.json"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def _damaged_current(self, reason: str) -> InputError:
        names = self._snapshot_names()
        where = (f"snapshots on disk: {', '.join(names[-3:])}; write the newest id into CURRENT to go "
                 "back to it, or re-ingest into a new --warehouse folder") if names else \
            "re-ingest into a new --warehouse folder"
        return InputError(f"{self.path / 'CURRENT'} is damaged: {reason}", hint=where)

    def _snapshot_dir(self) -> Location | None:
        sid = self.snapshot_id
        return self.path / "snapshots" / sid if sid else None

    def _local_snapshot_dir(self) -> Path | None:
        """The committed snapshot's local folder (writers only: object storage is refused)."""
        sid = self.snapshot_id
        return self.folder / "snapshots" / sid if sid else None

    def manifest(self) -> dict[str, Any]:
        """The committed snapshot's manifest (``{}`` when empty); do not modify it."""
        sid = self.snapshot_id
        if sid is None:
            return {}
        if self._manifest is not None and self._manifest[0] == sid:
            return self._manifest[1]
        path = self.path / "snapshots" / sid / "manifest.json"
        try:
            data = json.loads(storage.read_text(path))
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

    def files(self, table: str) -> list[Location]:
        """Parquet files of ``table`` in the committed snapshot (as its manifest lists them)."""
        schema(table)
        snap = self._snapshot_dir()
        if snap is None:
            return []
        names = (self.manifest().get("tables") or {}).get(table, [])
        return [snap / table / f for f in sorted(names, key=file_order)]

    def derived_files(self, name: str = "export_totals") -> list[Location]:
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
            recorded at commit (what opening a snapshot does). On object
            storage, where an upload's time is not the commit's, the cheap
            check is presence and size; ``full`` hashes through ``pyarrow.fs``.

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
            listed = [f"{t}/{f}" for t in self.tables() for f in (manifest.get("tables") or {}).get(t, [])]
            found = storage.stat_files(snap, listed)
            return [FileProblem(snap / rel, "is missing") for rel in listed if found[rel] is None]
        stats = storage.stat_files(snap, sorted(entries))
        for rel, entry in sorted(entries.items()):
            path = snap / rel
            st = stats[rel]
            if st is None:
                problems.append(FileProblem(path, "is missing"))
                continue
            if st.size != entry["size"]:
                problems.append(FileProblem(path, f"is damaged: {st.size} bytes, {entry['size']} "
                                                  "at commit"))
            elif ((full or (st.mtime_ns is not None and st.mtime_ns != entry.get("mtime_ns")))
                  and storage.sha256(path) != entry["sha256"]):
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

    def _connect_duckdb(self, snap: Location | None) -> Any:
        import ibis

        try:
            # A database file cannot be opened on object storage: an in-memory DuckDB reads the
            # tables there (the ingest log is also in the manifest).
            if isinstance(snap, Path) and (snap / "catalog.duckdb").exists():
                con = ibis.duckdb.connect(str(snap / "catalog.duckdb"), read_only=True)
            else:
                con = ibis.duckdb.connect()
            if self.threads is not None:
                con.con.execute(f"SET threads = {self.threads}")  # an int, see __init__
            return con
        except Exception as exc:  # duckdb raises several unrelated classes here
            raise EngineError(f"could not open DuckDB on {self.path}: {exc}") from exc

    def _connect_spark(self) -> Any:
        from kakehashi.engines import spark_session

        session = spark_session()
        # Spark's Parquet reader checks page checksums (CRC32) only when asked
        session.sparkContext._jsc.hadoopConfiguration().set("parquet.page.verify-checksum.enabled", "true")
        import ibis

        return ibis.pyspark.connect(session)

    def _register(self, con: Any, name: str, files: list[Location]) -> None:
        try:
            if self.engine == "duckdb" and isinstance(files[0], ObjectPath):
                con.con.register(name, _arrow_dataset(files))
            elif self.engine == "spark" and isinstance(files[0], ObjectPath):
                # UNTESTED here: Spark reads s3a:// through the hadoop-aws connector, whose jars
                # (and an S3 endpoint) the test machine does not have.
                con.read_parquet(files[0].parent.spark_uri, table_name=name)
            elif self.engine == "duckdb":
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
            load = _LOAD_HINTS.get(name)
            raise InputError(
                f"table {name} is empty in warehouse {self.path}",
                hint=(f"load it with '{load}'; " if load else "load data first; ")
                + "or try the SYNTHETIC sample: 'kakehashi sample --size tiny --out DIR' then "
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
        root = self.folder  # a warehouse on object storage is refused here
        if self.read_only:
            raise EngineError(f"warehouse {root} is open read-only")
        self._refuse_file()
        try:
            root.mkdir(parents=True, exist_ok=True)
            lock = open(root / "LOCK", "a+")
        except OSError as exc:
            raise _write_error(root, exc) from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _ = self.snapshot_id  # a damaged CURRENT is refused before anything is written
            try:
                self._sweep_staging()
                stamp = _next_stamp(root / "snapshots")
                staging = root / "staging" / stamp
                staging.mkdir(parents=True)
            except OSError as exc:
                raise _write_error(root, exc) from None
            try:
                _preload_writer()
                tx = Transaction(root, staging, {"log": []})
                self._clone_into(tx)
                with ingest_memory_pool():
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
        stage = self.folder / "staging"
        if stage.exists():
            for leftover in stage.iterdir():
                shutil.rmtree(leftover, ignore_errors=True)

    def _clone_into(self, tx: Transaction) -> None:
        """Hard-link the committed snapshot's files into ``tx``; damaged ones are left out and noted."""
        snap = self._local_snapshot_dir()
        if snap is None:
            return
        manifest = json.loads(json.dumps(self.manifest()))  # a copy the transaction may change
        entries: dict[str, dict[str, Any]] = manifest.get("files") or {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnverifiedSnapshotWarning)
            problems = {p.path: p for p in self.verify(full=False)}
        rels = [f"{t}/{f}" for t in self.tables() for f in (manifest.get("tables") or {}).get(t, [])]
        for name in ("export_totals", "world_summary"):
            rels += list((manifest.get("derived") or {}).get(name) or [])
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
            raise _write_error(self.folder, exc) from None
        tx.manifest = manifest

    def _commit(self, tx: Transaction) -> None:
        staging = tx.path
        snap = self._local_snapshot_dir()
        for problem in tx.damaged:
            local = problem.path if isinstance(problem.path, Path) and snap else None
            table = local.relative_to(snap).parts[0] if local and snap else ""
            rel = local.relative_to(snap).as_posix() if local and snap else ""
            if table != DERIVED_DIR and table not in tx.replaced and rel not in tx.written:
                raise InputError(f"{problem.path} {problem.reason}, and this ingest does not rewrite it",
                                 hint=f"ingest table {table} again with it (all of its years), "
                                 "or ingest everything into a new --warehouse folder")
        tables = {}
        for t in TABLES:
            found = (staging / t).glob("*.parquet") if (staging / t).is_dir() else []
            files = sorted((p.name for p in found), key=file_order)
            if files:
                tables[t] = files
        tx.manifest["tables"] = tables
        tx.manifest["snapshot"] = staging.name
        tx.manifest["parent"] = self.snapshot_id
        snapshots = self.folder / "snapshots"
        final = snapshots / staging.name
        tmp_current = self.folder / "CURRENT.tmp"
        moved = False
        try:
            # The catalog (the ingest log in DuckDB) is written while the derived summaries are.
            with ThreadPoolExecutor(1) as pool:
                catalog = pool.submit(self._write_catalog, staging, {"log": list(tx.manifest.get("log", []))})
                tx.manifest["derived"] = self._derive(tx, tables.get("trade_flows", []))
                catalog.result()
            entries: dict[str, dict[str, Any]] = {}
            for f in sorted(staging.rglob("*")):
                if not f.is_file():
                    continue
                rel = f.relative_to(staging).as_posix()
                old = tx.inherited.get(rel)
                if old is not None and rel not in tx.written and f.stat().st_ino == old[0]:
                    entries[rel] = old[1]
                else:
                    entries[rel] = tx.entry(rel, f)
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
            os.replace(tmp_current, self.folder / "CURRENT")
        except (OSError, duckdb.Error, pa.ArrowException) as exc:
            if moved:
                shutil.rmtree(final, ignore_errors=True)
            tmp_current.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _write_error(self.folder, exc) from None
            raise EngineError(f"could not commit to warehouse {self.folder}: {exc}",
                              hint="check the free space; the warehouse is unchanged") from None
        _fsync_dir(self.folder)
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
        parts: dict[int, list[str]] = {}
        for name in trade_files:
            yp = year_part(name)
            if yp is not None:
                parts.setdefault(yp[0], []).append(f"trade_flows/{name}")
        world: list[str] = []
        for year, rels in sorted(parts.items()):
            out_rel = f"{EXPORT_TOTALS}/{year}.parquet"
            out = staging / out_rel
            world_rel = f"{WORLD_SUMMARY}/{year}.parquet"
            rewritten = any(rel in tx.written for rel in rels)
            if rewritten or "trade_flows" in tx.replaced or not out.exists() or year not in previous:
                held = tx.totals.get(f"trade_flows/{year}.parquet") if rewritten else None
                if held is None:
                    for r in (out_rel, world_rel):
                        (staging / r).unlink(missing_ok=True)
                        tx.entries.pop(r, None)
                    summary += _derive_trade_year([staging / rel for rel in rels], out)
                else:  # written with the year's parts (Transaction._year_totals), and the world summary
                    summary += held[1]
                tx.written.add(out_rel)
            else:
                summary += previous[year]
            keep.append(out_rel)
            if not (staging / world_rel).exists():
                import pyarrow.parquet as pq

                table = _world_summary(pq.read_table(out))
                if table is None:
                    continue  # a null total: screens compute this year's summary in the query
                (staging / world_rel).parent.mkdir(parents=True, exist_ok=True)
                tx._written(world_rel, _write_entry(table, staging / world_rel))
            world.append(world_rel)
        for name, kept in ((EXPORT_TOTALS, keep), (WORLD_SUMMARY, world)):
            folder = staging / name
            if folder.is_dir():
                for f in folder.iterdir():
                    if f"{name}/{f.name}" not in kept:
                        f.unlink()
        return {"export_totals": keep, "world_summary": world, "trade_summary": summary}

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
        snapshots = sorted((self.folder / "snapshots").iterdir(), key=lambda p: p.name)
        old = [p for p in snapshots if p.name != keep][: max(0, len(snapshots) - KEEP_SNAPSHOTS)]
        for p in old:
            shutil.rmtree(p, ignore_errors=True)

    def __repr__(self) -> str:
        try:
            sid: str | None = self.snapshot_id
        except KakehashiError:
            sid = "damaged"
        return f"Warehouse({str(self.path)!r}, engine={self.engine!r}, snapshot={sid!r})"


@dataclass(frozen=True)
class PushResult:
    """What :func:`push_warehouse` copied."""

    snapshot: str
    destination: str
    uploaded: int
    """Files uploaded (``CURRENT`` and the manifest included)."""
    skipped: int
    """Files already there with their recorded size (an interrupted push resumed)."""
    bytes: int
    """Bytes uploaded."""


def push_warehouse(source: Warehouse, destination: str | ObjectPath, *, threads: int = 4) -> PushResult:
    """Copy the committed snapshot of a local warehouse to object storage, ``CURRENT`` last.

    The snapshot's files (as its manifest lists them, with their sizes checked first) are
    uploaded under ``DESTINATION/snapshots/<id>/``, then its ``manifest.json``, then
    ``CURRENT``: until that last object is written, readers of the destination see the
    snapshot it named before (or no warehouse). A file already there with its recorded size
    is not uploaded again, so an interrupted push can be run again. Older snapshots in the
    bucket are left for readers still using them; delete their prefixes when none is.

    Raises
    ------
    InputError
        When ``destination`` is not on object storage, the source has no snapshot or a file
        of it is missing or damaged.
    EngineError
        When an upload fails (``CURRENT`` is then unchanged).
    """
    dest = destination if isinstance(destination, ObjectPath) else storage.parse_location(destination)
    if not isinstance(dest, ObjectPath):
        raise InputError(f"{destination} is not on object storage",
                         hint="give the destination as s3://BUCKET/PREFIX; copy a local warehouse with "
                         "'cp -a' or 'rsync -a'")
    root = source.folder
    sid = source.snapshot_id
    if sid is None:
        raise InputError(f"no warehouse at {root}", hint="ingest data into it first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedSnapshotWarning)
        problems = source.verify(full=False)
    if problems:
        raise problems[0].error()
    entries: dict[str, dict[str, Any]] = source.manifest().get("files") or {}
    if not entries:
        raise InputError(f"snapshot {sid} of {root} records no checksums (an older kakehashi)",
                         hint="re-ingest it into a new warehouse folder, then push that one")
    snap, target = root / "snapshots" / sid, dest / "snapshots" / sid
    there = storage.stat_files(target, sorted(entries))
    todo = [rel for rel in sorted(entries)
            if (st := there[rel]) is None or st.size != int(entries[rel]["size"])]
    with ThreadPoolExecutor(max(1, threads)) as pool:
        for done in [pool.submit(storage.upload, snap / rel, target / rel) for rel in todo]:
            done.result()
    storage.upload(snap / "manifest.json", target / "manifest.json")
    storage.upload(root / "CURRENT", dest / "CURRENT")
    sent = sum(int(entries[rel]["size"]) for rel in todo)
    sent += (snap / "manifest.json").stat().st_size + (root / "CURRENT").stat().st_size
    return PushResult(snapshot=sid, destination=str(dest), uploaded=len(todo) + 2,
                      skipped=len(entries) - len(todo), bytes=sent)
