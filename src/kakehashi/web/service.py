"""The web application's state: the read-only warehouse, a lock and a result cache.

DuckDB connections are not safe to share between threads, and FastAPI runs
plain ``def`` endpoints in a thread pool, so every warehouse query goes
through :meth:`Service.call`, which holds one lock. Results of library calls
are cached per (function, arguments, snapshot): the warehouse is read-only
for the server, and a new snapshot (someone ingested) changes the key.

Bounds: the cache holds at most ``cache_size`` results and ``cache_bytes``
bytes (sizes estimated with :func:`size_of`); a request waits for the lock only
until its deadline (:data:`DEADLINE`, set by the app's request time limit) and
is then answered 503 (:class:`ServerBusy`); validation runs outside the lock
(:meth:`Service.memo` caches presentation results without taking it).
"""

from __future__ import annotations

import contextvars
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
from kakehashi.warehouse import Warehouse

T = TypeVar("T")
_MISSING = object()

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
"""Bytes of results the cache may hold (estimated, see :func:`size_of`)."""

DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("kakehashi_deadline", default=None)
"""``time.monotonic()`` by which the current request must be answered (``None``: no limit)."""


class ServerBusy(Exception):
    """The request's deadline passed while it waited for the warehouse (answered 503)."""


def remaining() -> float | None:
    """Seconds left before the current request's deadline (``None``: no limit)."""
    deadline = DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


def size_of(obj: Any, _depth: int = 0) -> int:
    """Estimated bytes held by a cached result (frames by their memory use, containers summed)."""
    import pandas as pd

    if isinstance(obj, bytes | bytearray | str):
        return len(obj) + 64
    if isinstance(obj, pd.DataFrame | pd.Series):
        return int(obj.memory_usage(deep=True).sum() if isinstance(obj, pd.DataFrame)
                   else obj.memory_usage(deep=True)) + 256
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
    """

    def __init__(self, wh: Warehouse, *, max_draws: int, cache_size: int = 256,
                 report_dir: Path | None = None, measures: tuple[Path, ...] = (),
                 cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.wh = wh
        self.measures = measures  # user measures files added to the bundled catalogue
        self.max_draws = max_draws
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        self.report_dir = report_dir
        self._lock = threading.RLock()  # warehouse (DuckDB) work, one request at a time
        self._cache_lock = threading.Lock()  # the result cache, held briefly
        self._cache: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._cache_used = 0
        self._meta: Meta | None = None
        self.hits = 0
        self.misses = 0
        self.briefings = BriefingCache(self)

    @classmethod
    def open(cls, path: str | Path | None, *, max_draws: int, engine: str | None = None,
             cache_size: int = 256, measures: tuple[Path, ...] = (),
             cache_bytes: int = DEFAULT_CACHE_BYTES) -> Service:
        """Open the warehouse at ``path`` read-only; refuse an empty one."""
        wh = Warehouse(path, engine=engine, read_only=True)
        if wh.snapshot_id is None:
            raise InputError(
                f"no warehouse at {wh.path}",
                hint="create one with 'kakehashi sample' and 'kakehashi ingest sample', "
                "or pass --warehouse",
            )
        return cls(wh, max_draws=max_draws, cache_size=cache_size, measures=measures,
                   cache_bytes=cache_bytes)

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
        """Take the warehouse lock, waiting no longer than the request's deadline."""
        left = remaining()
        if left is None:
            self._lock.acquire()
        elif left <= 0 or not self._lock.acquire(timeout=left):
            raise ServerBusy("the server is busy with other requests")

    def call(self, key: Hashable | None, fn: Callable[[], T]) -> T:
        """Run ``fn`` under the warehouse lock; cache its result under ``key`` (if given).

        Cached results are read under a separate, short lock, so they are served
        while another request holds the warehouse (e.g. a scenario running). A
        request whose deadline passes while it waits for the lock gets
        :class:`ServerBusy` (503) instead of queueing behind a long computation.
        """
        full = (self.wh.snapshot_id, key) if key is not None else None
        if full is not None:
            hit = self._get(full)
            if hit is not _MISSING:
                return hit
        self._acquire()
        try:
            if full is not None:  # another thread may have computed it meanwhile
                hit = self._get(full)
                if hit is not _MISSING:
                    return hit
            result = fn()
        finally:
            self._lock.release()
        if full is not None:
            self._put(full, result)
        return result

    def memo(self, key: Hashable, fn: Callable[[], T]) -> T:
        """Cache ``fn()`` under ``key`` without taking the warehouse lock.

        For presentation results (validation, then library calls that go
        through :meth:`call` themselves): validating a request never holds the
        lock, so a slow or hostile request cannot stall the others while it is
        checked.
        """
        full = (self.wh.snapshot_id, key)
        hit = self._get(full)
        if hit is not _MISSING:
            return hit
        result = fn()
        self._put(full, result)
        return result

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
        self._acquire()
        try:
            if self._meta is None or self._meta.snapshot != sid:
                self._meta = self._read_meta(sid)
            return self._meta
        finally:
            self._lock.release()

    def _read_meta(self, sid: str) -> Meta:
        wh = self.wh
        tables = tuple(wh.tables())
        countries: set[str] = set()
        importers: list[str] = []
        products: set[str] = set()
        years: list[int] = []
        commodities: list[str] = []
        revisions: list[str] = []
        if "trade_flows" in tables:
            t = wh.table("trade_flows")
            imp = wh.execute(t.select("importer").distinct())["importer"].tolist()
            exp = wh.execute(t.select("exporter").distinct())["exporter"].tolist()
            importers = sorted(imp)
            countries |= set(imp) | set(exp)
            products = set(wh.execute(t.select("hs6").distinct())["hs6"].tolist())
            years = sorted(int(y) for y in wh.execute(t.select("year").distinct())["year"])
            revisions = sorted(str(r) for r in wh.execute(t.select("hs_revision").distinct())["hs_revision"])
        if "production" in tables:
            p = wh.table("production")
            countries |= set(wh.execute(p.select("country").distinct())["country"].tolist())
            commodities = sorted(wh.execute(p.select("commodity").distinct())["commodity"].tolist())
        labels = provenance.source_labels(wh)
        return Meta(
            snapshot=sid,
            tables=tables,
            countries=frozenset(countries),
            importers=tuple(importers),
            products=frozenset(products),
            years=tuple(years),
            commodities=tuple(commodities),
            synthetic=provenance.is_synthetic(wh, labels),
            sources=tuple(sorted(set(labels["source"].astype(str)))),
            revisions=tuple(revisions),
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
            wh = Warehouse(self.service.wh.path, engine=self.service.wh.engine, read_only=True)
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
