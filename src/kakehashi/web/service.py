"""The web application's state: read-only warehouse connections and a result cache.

A DuckDB connection must not be used by two threads at once, and the app runs
warehouse work in a thread pool. So every worker thread gets its own read-only
:class:`~kakehashi.warehouse.Warehouse` (its own DuckDB connection, opened on
first use: :attr:`Service.wh`; DuckDB gives connections to the same file in
one process one shared database instance, so one buffer pool) and uncached
requests run in parallel; no lock is held while a library call computes.
Results of library calls are cached per (function, arguments, snapshot): the
warehouse is read-only for the server, and a new snapshot (someone ingested)
changes the key. Two requests asking the same
uncached result at once compute it once (the second waits for the first).

Bounds: at most ``concurrency`` library calls run at once, slots going to the
requests in the order they arrived (:class:`FifoSlots`: a request's second
library call, such as the coverage warnings after a screen, does not queue again
behind requests that arrived after it; a request waits for
a slot only until its deadline, :data:`DEADLINE`, set by the app's request time
limit, and is then answered 503, :class:`ServerBusy`); the cache holds at most
``cache_size`` results and ``cache_bytes`` bytes (sizes estimated with
:func:`size_of`); validation runs outside the slots (:meth:`Service.memo`
caches presentation results without taking one). The Spark engine shares one
session, so with ``engine="spark"`` calls run one at a time.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kakehashi import provenance
from kakehashi.errors import InputError
from kakehashi.storage import ObjectPath
from kakehashi.warehouse import Warehouse

T = TypeVar("T")
_MISSING = object()

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
"""Bytes of results the cache may hold (estimated, see :func:`size_of`)."""

DEFAULT_CONCURRENCY = min(16, max(2, os.cpu_count() or 1))
"""Library calls one process runs at once: one per core, each query on one DuckDB thread
(:data:`ENGINE_THREADS`); more calls at once only queue behind each other for the cores."""

ENGINE_THREADS: int | None = 1
"""DuckDB threads per query in the server (``None``: DuckDB's default, every core). With several calls
at once each on a core, one thread a query spends no work on splitting it; a screen alone takes the
same time (``small`` and ``baci``-size samples, see BENCHMARKS.md, load)."""

DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("kakehashi_deadline", default=None)
"""``time.monotonic()`` by which the current request must be answered (``None``: no limit)."""

ARRIVED: contextvars.ContextVar[float | None] = contextvars.ContextVar("kakehashi_arrived", default=None)
"""``time.monotonic()`` when the current request arrived (``None`` outside a request): the order in
which waiting library calls get a slot (:class:`FifoSlots`)."""


class ServerBusy(Exception):
    """The request's deadline passed while it waited for a warehouse slot (answered 503)."""


def remaining() -> float | None:
    """Seconds left before the current request's deadline (``None``: no limit)."""
    deadline = DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


def size_of(obj: Any, _depth: int = 0) -> int:
    """Estimated bytes held by a cached result (frames by their memory use, containers summed)."""
    import pandas as pd

    if isinstance(obj, bytes | bytearray | str):
        return len(obj) + 64
    if isinstance(obj, pd.DataFrame):
        # the same sum as memory_usage(deep=True), without its per-column Series: only object and
        # categorical columns hold more than their buffers
        total = int(obj.index.memory_usage(deep=True))
        for _, col in obj.items():
            if col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype):
                total += int(col.memory_usage(index=False, deep=True))
            else:
                total += int(col.array.nbytes)
        return total + 256
    if isinstance(obj, pd.Series):
        return int(obj.memory_usage(deep=True)) + 256
    if _depth > 3:
        return sys.getsizeof(obj)
    if isinstance(obj, dict):
        return sys.getsizeof(obj) + sum(size_of(k, _depth + 1) + size_of(v, _depth + 1)
                                        for k, v in obj.items())
    if isinstance(obj, list | tuple | set | frozenset):
        return sys.getsizeof(obj) + sum(size_of(v, _depth + 1) for v in obj)
    fields = getattr(obj, "__dict__", None)
    if fields:  # e.g. a scenario result: its frames and notes
        return sys.getsizeof(obj) + sum(size_of(v, _depth + 1) for v in fields.values())
    return sys.getsizeof(obj)


class FifoSlots:
    """At most ``n`` holders at once, handed out in the order their requests arrived.

    A freed slot goes to the waiter whose request arrived first (``arrived``;
    a caller that gives none counts as arriving when it asks; ties: the order
    of asking), never to a thread that asks later, as it may with
    :class:`threading.Semaphore`. So requests queued behind a burst are served
    in their order, none waits for several rounds, and a request that needs a
    second library call (a screen, then its year's coverage warnings) is not
    queued again behind the requests that arrived while its first one ran:
    the earliest request is finished first.
    """

    def __init__(self, n: int) -> None:
        self._free = n
        self._lock = threading.Lock()
        self._waiters: list[tuple[float, int, threading.Event]] = []  # a heap: (arrived, asked, ticket)
        self._asked = itertools.count()

    def acquire(self, timeout: float | None = None, arrived: float | None = None) -> bool:
        """Take a slot; ``False`` when ``timeout`` seconds pass first.

        ``arrived``: ``time.monotonic()`` when the caller's request arrived (default: now).
        """
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return True
            ticket = threading.Event()
            entry = (time.monotonic() if arrived is None else arrived, next(self._asked), ticket)
            heapq.heappush(self._waiters, entry)
        if ticket.wait(timeout):
            return True
        with self._lock:
            if ticket.is_set():  # handed a slot just as the wait ended: it is ours
                return True
            self._waiters.remove(entry)
            heapq.heapify(self._waiters)
            return False

    def release(self) -> None:
        """Give the slot to the waiter whose request arrived first, or free it."""
        with self._lock:
            if self._waiters:
                heapq.heappop(self._waiters)[2].set()
            else:
                self._free += 1


@dataclass(frozen=True)
class Meta:
    """What the warehouse holds, for validation and the pages' pickers."""

    snapshot: str
    tables: tuple[str, ...]
    countries: frozenset[str]
    importers: tuple[str, ...]
    products: frozenset[str]
    years: tuple[int, ...]
    commodities: tuple[str, ...]
    synthetic: bool
    sources: tuple[str, ...] = field(default=())
    revisions: tuple[str, ...] = field(default=())


WARM_YEARS = 5
"""Years (the latest) whose screen :meth:`Service.warm` prepares before the first request."""


class Service:
    """Shared state of one application instance.

    Parameters
    ----------
    wh
        The warehouse, opened read-only.
    max_draws
        Cap on Monte-Carlo draws per scenario request.
    measures
        User measures files added to the bundled catalogue (read again when edited).
    cache_size
        Number of library results kept (least recently used are dropped).
    cache_bytes
        Estimated bytes of results kept; a result larger than this is not cached.
    concurrency
        Library calls run at once, each on its thread's own read-only connection
        (1 for the Spark engine, whose session is shared).
    engine_threads
        DuckDB threads per query (:attr:`kakehashi.warehouse.Warehouse.threads` of every
        warehouse the service opens); ``None``: DuckDB's default.
    """

    def __init__(self, wh: Warehouse, *, max_draws: int, cache_size: int = 256,
                 report_dir: Path | None = None, measures: tuple[Path, ...] = (),
                 cache_bytes: int = DEFAULT_CACHE_BYTES,
                 concurrency: int = DEFAULT_CONCURRENCY,
                 engine_threads: int | None = ENGINE_THREADS) -> None:
        self.engine_threads = None if engine_threads is None else max(1, int(engine_threads))
        if wh.threads != self.engine_threads:
            wh = self._open_like(wh)
        self._base = wh  # the creating thread's warehouse; the others open their own like it
        self._owner = threading.get_ident()
        self._local = threading.local()
        self.concurrency = 1 if wh.engine != "duckdb" else max(1, concurrency)
        self.measures = measures  # user measures files added to the bundled catalogue
        self.max_draws = max_draws
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        self.report_dir = report_dir
        self._slots = FifoSlots(self.concurrency)  # library calls running, oldest request first
        self._meta_lock = threading.Lock()  # reading what the warehouse holds, once per snapshot
        self._cache_lock = threading.Lock()  # the result cache and the in-flight map, held briefly
        self._inflight: dict[Hashable, threading.Event] = {}
        self._cache: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._cache_used = 0
        self._meta: Meta | None = None
        self.hits = 0
        self.misses = 0
        self.briefings = BriefingCache(self)

    @classmethod
    def open(cls, path: str | Path | None, *, max_draws: int, engine: str | None = None,
             cache_size: int = 256, measures: tuple[Path, ...] = (),
             cache_bytes: int = DEFAULT_CACHE_BYTES, concurrency: int = DEFAULT_CONCURRENCY,
             engine_threads: int | None = ENGINE_THREADS) -> Service:
        """Open the warehouse at ``path`` read-only; refuse an empty one."""
        wh = Warehouse(path, engine=engine, read_only=True, threads=engine_threads)
        if wh.snapshot_id is None:
            raise InputError(
                f"no warehouse at {wh.path}",
                hint="create one with 'kakehashi sample' and 'kakehashi ingest sample', "
                "or pass --warehouse",
            )
        return cls(wh, max_draws=max_draws, cache_size=cache_size, measures=measures,
                   cache_bytes=cache_bytes, concurrency=concurrency, engine_threads=engine_threads)

    @property
    def warehouse_path(self) -> Path | ObjectPath:
        """Where the warehouse is on the server (kept out of public messages, see ``web.app.public_text``)."""
        return self._base.path

    @property
    def wh(self) -> Warehouse:
        """This thread's read-only warehouse (its own DuckDB connection; opened on first use).

        Ibis expressions are bound to the connection that built them, so a
        library call builds and runs its queries on one thread, as
        :meth:`call` does.
        """
        base = self._base
        if base.engine != "duckdb" or threading.get_ident() == self._owner:
            return base
        mine: Warehouse | None = getattr(self._local, "wh", None)
        if mine is None:
            mine = self._open_like(base)
            self._local.wh = mine
        return mine

    def _open_like(self, wh: Warehouse) -> Warehouse:
        """A read-only warehouse on ``wh``'s folder and engine, with this service's engine threads
        (DuckDB only; Spark ignores them)."""
        return Warehouse(wh.path, engine=wh.engine, read_only=True, threads=self.engine_threads)

    def _get(self, full: Hashable) -> Any:
        with self._cache_lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                self.hits += 1
                return self._cache[full][0]
        return _MISSING

    def _put(self, full: Hashable, result: Any) -> None:
        size = size_of(result)
        with self._cache_lock:
            self.misses += 1
            if size > self.cache_bytes:
                return  # larger than the whole cache: served once, not kept
            old = self._cache.pop(full, None)
            if old is not None:
                self._cache_used -= old[1]
            self._cache[full] = (result, size)
            self._cache_used += size
            while len(self._cache) > self.cache_size or self._cache_used > self.cache_bytes:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cache_used -= dropped

    @property
    def cache_used(self) -> int:
        """Estimated bytes held by the result cache."""
        return self._cache_used

    def _acquire(self) -> None:
        """Take a slot for a library call, waiting no longer than the request's deadline.

        A call made inside a call runs in its caller's slot.
        """
        if getattr(self._local, "depth", 0):
            self._local.depth += 1
            return
        left = remaining()
        arrived = ARRIVED.get()
        if left is None:
            self._slots.acquire(arrived=arrived)
        elif left <= 0 or not self._slots.acquire(timeout=left, arrived=arrived):
            raise ServerBusy("the server is busy with other requests")
        self._local.depth = 1

    def _release(self) -> None:
        self._local.depth -= 1
        if self._local.depth == 0:
            self._slots.release()

    def _wait_for(self, full: Hashable) -> bool:
        """Wait while another thread computes ``full``; True when this thread must compute it."""
        with self._cache_lock:
            event = self._inflight.get(full)
            if event is None:
                self._inflight[full] = threading.Event()
                return True
        left = remaining()
        if not event.wait(timeout=None if left is None else max(left, 0.0)):
            raise ServerBusy("the server is busy with other requests")
        return False

    def _done(self, full: Hashable) -> None:
        with self._cache_lock:
            event = self._inflight.pop(full, None)
        if event is not None:
            event.set()

    def call(self, key: Hashable | None, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a slot, on this thread's connection; cache its result under ``key`` (if given).

        Uncached calls run in parallel (at most :attr:`concurrency` at once); no
        lock is held while ``fn`` computes. Cached results are served at once. A
        request asking a result that another request is computing waits for it
        rather than computing it again. A request whose deadline passes while it
        waits gets :class:`ServerBusy` (503) instead of queueing behind long
        computations.
        """
        full = (self.wh.snapshot_id, key) if key is not None else None
        owner = False
        if full is not None:
            while True:
                hit = self._get(full)
                if hit is not _MISSING:
                    return hit
                if self._wait_for(full):
                    owner = True
                    break
                # the other request finished; its result is cached unless it failed or was too large
                hit = self._get(full)
                if hit is not _MISSING:
                    return hit
        try:
            self._acquire()
            try:
                result = fn()
            finally:
                self._release()
            if full is not None:
                self._put(full, result)
            return result
        finally:
            if owner:
                self._done(full)

    def memo(self, key: Hashable, fn: Callable[[], T]) -> T:
        """Cache ``fn()`` under ``key`` without taking a warehouse slot.

        For presentation results (validation, then library calls that go
        through :meth:`call` themselves): validating a request never holds a
        slot, so a slow or hostile request cannot stall the others while it is
        checked.
        """
        full = (self.wh.snapshot_id, key)
        hit = self._get(full)
        if hit is not _MISSING:
            return hit
        result = fn()
        self._put(full, result)
        return result

    def year_coverage(self, year: int) -> list[str]:
        """The coverage warnings shown beside every answer for ``year``
        (:func:`kakehashi.questions.exposure.coverage`), cached per snapshot."""
        from kakehashi.questions import exposure

        return self.call(("coverage", (year,)), lambda: exposure.coverage(self.wh, None, [year]))

    def peek(self, key: Hashable) -> Any:
        """The cached result under ``key`` for the current snapshot, or ``None``."""
        hit = self._get((self.wh.snapshot_id, key))
        return None if hit is _MISSING else hit

    @property
    def meta(self) -> Meta:
        """What the warehouse holds (recomputed when the snapshot changes)."""
        sid = self.wh.snapshot_id or ""
        current = self._meta
        if current is not None and current.snapshot == sid:
            return current
        if self._base.engine != "duckdb":  # one shared Spark session: in the one slot, as every call
            self._acquire()
            try:
                if self._meta is None or self._meta.snapshot != sid:
                    self._meta = self._read_meta(sid)
                return self._meta
            finally:
                self._release()
        left = remaining()
        if not self._meta_lock.acquire(timeout=-1 if left is None else max(left, 0.0)):
            raise ServerBusy("the server is busy with other requests")
        try:
            if self._meta is None or self._meta.snapshot != sid:
                self._meta = self._read_meta(sid)
            return self._meta
        finally:
            self._meta_lock.release()

    def warm(self) -> bool:
        """Prepare the dashboard's most frequent query before the first request; ``False`` if it failed.

        Computes a single-importer screen (the library's default importer and
        rival where the warehouse holds them) and the year's coverage warnings
        (:meth:`year_coverage`, cached like a request's) for each of the latest
        :data:`WARM_YEARS` years, so that the screen's compiled template, the
        product labels, each year's world-export summary and the warnings every
        answer shows are ready (about 0.1 s a year on the ``small`` sample): with several worker
        processes (``serve --workers N``), each has its own. Best effort: a
        warehouse without trade data serves as before. Reads only.
        """
        from kakehashi.errors import KakehashiError
        from kakehashi.questions import defaults, exposure

        try:
            meta = self.meta
            if not meta.years or len(meta.countries) < 2:
                return False
            countries = sorted(meta.countries)
            rival = defaults.RIVAL if defaults.RIVAL in meta.countries else countries[0]
            importer = defaults.IMPORTER if defaults.IMPORTER in meta.countries else next(
                c for c in countries if c != rival)
            for year in sorted(meta.years)[-WARM_YEARS:]:
                exposure.screen(self.wh, (importer,), rival, years=[year])
                self.year_coverage(year)
        except KakehashiError:
            return False
        return True

    def _read_meta(self, sid: str) -> Meta:
        from kakehashi.questions.inventory import vocabulary

        wh = self.wh
        tables = tuple(wh.tables())
        v = vocabulary(wh)
        labels = provenance.source_labels(wh)
        return Meta(
            snapshot=sid,
            tables=tables,
            countries=v.countries,
            importers=v.importers,
            products=v.products,
            years=v.years,
            commodities=v.commodities,
            synthetic=provenance.is_synthetic(wh, labels),
            sources=tuple(sorted(set(labels["source"].astype(str)))),
            revisions=v.revisions,
        )


class BriefingCache:
    """Briefing packs built on their own warehouse connection, cached by parameters.

    A pack takes seconds to build; building it on a separate read-only
    connection keeps the API answering meanwhile. One pack is built at a time.
    """

    def __init__(self, service: Service, size: int = 16, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.service = service
        self.size = size
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._cache: OrderedDict[Hashable, tuple[str, bytes]] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[Warehouse], tuple[str, bytes]]) -> tuple[str, bytes]:
        """Return (file name, bytes) of the pack for ``key``, building it with ``build(wh)`` if needed."""
        full = (self.service.wh.snapshot_id, key)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
            wh = self.service._open_like(self.service.wh)
            try:
                item = build(wh)
            finally:
                wh.close()
            if len(item[1]) <= self.max_bytes:
                self._cache[full] = item
            while (len(self._cache) > self.size
                   or sum(len(b) for _, b in self._cache.values()) > self.max_bytes):
                self._cache.popitem(last=False)
            return item
