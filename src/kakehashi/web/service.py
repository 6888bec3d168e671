"""The web application's state: the read-only warehouse, a lock and a result cache.

DuckDB connections are not safe to share between threads, and FastAPI runs
plain ``def`` endpoints in a thread pool, so every warehouse query goes
through :meth:`Service.call`, which holds one lock. Results of library calls
are cached per (function, arguments, snapshot): the warehouse is read-only
for the server, and a new snapshot (someone ingested) changes the key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kakehashi.errors import InputError
from kakehashi.report import provenance
from kakehashi.warehouse import Warehouse

T = TypeVar("T")
_MISSING = object()


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
    """

    def __init__(self, wh: Warehouse, *, max_draws: int, cache_size: int = 256,
                 report_dir: Path | None = None, measures: tuple[Path, ...] = ()) -> None:
        self.wh = wh
        self.measures = measures  # user measures files added to the bundled catalogue
        self.max_draws = max_draws
        self.cache_size = cache_size
        self.report_dir = report_dir
        self._lock = threading.RLock()  # warehouse (DuckDB) work, one request at a time
        self._cache_lock = threading.Lock()  # the result cache, held briefly
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._meta: Meta | None = None
        self.hits = 0
        self.misses = 0
        self.briefings = BriefingCache(self)

    @classmethod
    def open(cls, path: str | Path | None, *, max_draws: int, engine: str | None = None,
             cache_size: int = 256, measures: tuple[Path, ...] = ()) -> Service:
        """Open the warehouse at ``path`` read-only; refuse an empty one."""
        wh = Warehouse(path, engine=engine, read_only=True)
        if wh.snapshot_id is None:
            raise InputError(
                f"no warehouse at {wh.path}",
                hint="create one with 'kakehashi sample' and 'kakehashi ingest sample', "
                "or pass --warehouse",
            )
        return cls(wh, max_draws=max_draws, cache_size=cache_size, measures=measures)

    def _get(self, full: Hashable) -> Any:
        with self._cache_lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                self.hits += 1
                return self._cache[full]
        return _MISSING

    def _put(self, full: Hashable, result: Any) -> None:
        with self._cache_lock:
            self.misses += 1
            self._cache[full] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def call(self, key: Hashable | None, fn: Callable[[], T]) -> T:
        """Run ``fn`` under the warehouse lock; cache its result under ``key`` (if given).

        Cached results are read under a separate, short lock, so they are served
        while another request holds the warehouse (e.g. a scenario running).
        """
        full = (self.wh.snapshot_id, key) if key is not None else None
        if full is not None:
            hit = self._get(full)
            if hit is not _MISSING:
                return hit
        with self._lock:
            if full is not None:  # another thread may have computed it meanwhile
                hit = self._get(full)
                if hit is not _MISSING:
                    return hit
            result = fn()
        if full is not None:
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
        with self._lock:
            if self._meta is None or self._meta.snapshot != sid:
                self._meta = self._read_meta(sid)
            return self._meta

    def _read_meta(self, sid: str) -> Meta:
        wh = self.wh
        tables = tuple(wh.tables())
        countries: set[str] = set()
        importers: list[str] = []
        products: set[str] = set()
        years: list[int] = []
        commodities: list[str] = []
        if "trade_flows" in tables:
            t = wh.table("trade_flows")
            imp = wh.execute(t.select("importer").distinct())["importer"].tolist()
            exp = wh.execute(t.select("exporter").distinct())["exporter"].tolist()
            importers = sorted(imp)
            countries |= set(imp) | set(exp)
            products = set(wh.execute(t.select("hs6").distinct())["hs6"].tolist())
            years = sorted(int(y) for y in wh.execute(t.select("year").distinct())["year"])
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
        )


class BriefingCache:
    """Briefing packs built on their own warehouse connection, cached by parameters.

    A pack takes seconds to build; building it on a separate read-only
    connection keeps the API answering meanwhile. One pack is built at a time.
    """

    def __init__(self, service: Service, size: int = 16) -> None:
        self.service = service
        self.size = size
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
            self._cache[full] = item
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
            return item
