"""Uncached requests run in parallel, each thread on its own read-only connection, with the same
answers as one at a time; ``kakehashi serve --workers 2`` serves. The data are the SYNTHETIC sample
world (``tiny_warehouse``) and the hand-made SYNTHETIC web warehouse. No timing assertions.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from _webdata import small_warehouse

from kakehashi.questions import exposure
from kakehashi.warehouse import Warehouse
from kakehashi.web import create_app
from kakehashi.web.api import screen_frame
from kakehashi.web.service import Service

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_warehouse(tmp_path_factory.mktemp("wh-concurrency"))


def test_threads_asking_distinct_uncached_screens_get_the_sequential_answers(
        tiny_warehouse: Warehouse) -> None:
    wh = Warehouse(tiny_warehouse.path, read_only=True)
    year = max(int(y) for y in wh.execute(wh.table("trade_flows").select("year").distinct())["year"])
    importers = sorted(wh.execute(wh.table("trade_flows").select("importer").distinct())["importer"])
    asks = [*[((imp,), "CHN") for imp in importers if imp != "CHN"][:8], (("JPN",), "USA"), (("IND",), "USA")]
    # independent reference: the library itself, one call after another, on one plain connection
    expected = {ask: exposure.screen(wh, ask[0], ask[1], years=[year]) for ask in asks}
    wh.close()

    service = Service.open(tiny_warehouse.path, max_draws=10, concurrency=len(asks))
    barrier = threading.Barrier(len(asks))
    got: dict[tuple[tuple[str, ...], str], pd.DataFrame] = {}
    used: dict[tuple[tuple[str, ...], str], int] = {}
    errors: list[BaseException] = []

    def ask(key: tuple[tuple[str, ...], str]) -> None:
        try:
            barrier.wait(30)  # all threads ask at once
            used[key] = id(service.wh)
            got[key] = screen_frame(service, key[0], key[1], year, None)
        except BaseException as exc:  # reported below, with the thread's request
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(a,)) for a in asks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert set(got) == set(asks)
    for key in asks:
        pd.testing.assert_frame_equal(got[key].reset_index(drop=True), expected[key].reset_index(drop=True),
                                      rtol=1e-12)
        assert len(got[key]) > 0, key
    assert len(set(used.values())) == len(asks)  # one read-only connection per thread
    assert service.misses == len(asks) and service.hits == 0
    # asked again, every answer comes from the cache, whatever thread asks
    for key in asks:
        assert screen_frame(service, key[0], key[1], year, None) is got[key]
    assert service.hits == len(asks)


def test_two_uncached_calls_compute_at_the_same_time(warehouse_dir: Path) -> None:
    service = Service.open(warehouse_dir, max_draws=10, concurrency=2)
    both = threading.Barrier(2)  # passed only if the two calls are inside fn together (a lock would break it)
    results: list[int] = []

    def work(n: int) -> None:
        def fn() -> int:
            both.wait(20)
            return int(service.meta.years[-1]) + n

        results.append(service.call(("together", n), fn))

    threads = [threading.Thread(target=work, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [2024, 2025] and not both.broken


def test_the_same_uncached_result_asked_twice_at_once_is_computed_once(warehouse_dir: Path) -> None:
    service = Service.open(warehouse_dir, max_draws=10, concurrency=4)
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []
    out: list[int] = []

    def fn() -> int:
        runs.append(1)
        started.set()
        release.wait(20)
        return 7

    first = threading.Thread(target=lambda: out.append(service.call(("same",), fn)))
    first.start()
    assert started.wait(20)
    second = threading.Thread(target=lambda: out.append(service.call(("same",), fn)))
    second.start()
    release.set()
    first.join(20)
    second.join(20)
    assert out == [7, 7] and len(runs) == 1


def test_a_failed_call_is_not_cached_and_a_later_one_computes_again(warehouse_dir: Path) -> None:
    service = Service.open(warehouse_dir, max_draws=10)

    def boom() -> int:
        raise ValueError("SYNTHETIC failure")

    with pytest.raises(ValueError):
        service.call(("flaky",), boom)
    assert service.call(("flaky",), lambda: 3) == 3
    assert service.peek(("flaky",)) == 3 and not service._inflight


def test_the_app_answers_parallel_clients_like_sequential_ones(warehouse_dir: Path) -> None:
    from fastapi.testclient import TestClient

    urls = [f"/api/screen?importer={imp}&rival={riv}&year={yr}"
            for imp in ("JPN", "IND", "USA") for riv in ("CHN", "VNM") for yr in (2021, 2023)]
    with TestClient(create_app(warehouse_dir, max_draws=10)) as seq:
        expected = {u: seq.get(u).json() for u in urls}
    assert all("rows" in body for body in expected.values())
    with TestClient(create_app(warehouse_dir, max_draws=10)) as par:
        got: dict[str, object] = {}
        barrier = threading.Barrier(len(urls))

        def ask(u: str) -> None:
            barrier.wait(30)
            r = par.get(u)
            got[u] = r.json() if r.status_code == 200 else r.status_code

        threads = [threading.Thread(target=ask, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert got == expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def two_workers(warehouse_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "kakehashi", "serve", "-w", str(warehouse_dir),
                             "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn's supervisor stops its workers
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the session this test started, and only it
                proc.wait(10)


def test_serve_with_two_workers_answers_health(two_workers: tuple[subprocess.Popen[bytes], int],
                                               warehouse_dir: Path) -> None:
    proc, port = two_workers
    deadline = time.monotonic() + 90
    body = None
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
        except httpx.TransportError:
            time.sleep(0.5)
            continue
        if r.status_code == 200:
            body = r.json()
            break
        time.sleep(0.5)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    assert body is not None, "no answer from /api/health within 90 s"
    assert body["status"] == "ok" and body["snapshot"] == Warehouse(warehouse_dir).snapshot_id
    r = httpx.get(f"http://127.0.0.1:{port}/api/screen?importer=JPN&rival=CHN&year=2023", timeout=30)
    assert r.status_code == 200
    rows = {row["hs6"]: row for row in r.json()["rows"]}
    # hand calculation from _webdata: JPN buys 280530 for 80 + 15 + 5 (x 1.2 in 2023), 80 % from CHN
    assert rows["280530"]["rival_share"] == pytest.approx(0.8)


def test_slots_go_to_waiters_in_the_order_they_asked() -> None:
    """A freed slot goes to the longest waiter, not to a thread that asks later; a waiter whose time
    runs out leaves the queue without taking a slot. Order is checked by events, not by timing."""
    from kakehashi.web.service import FifoSlots

    slots = FifoSlots(1)
    assert slots.acquire()
    order: list[int] = []

    def waiter(i: int) -> None:
        assert slots.acquire(timeout=30)
        order.append(i)
        slots.release()

    threads = []
    for i in range(3):
        t = threading.Thread(target=waiter, args=(i,))
        t.start()
        threads.append(t)
        while len(slots._waiters) < i + 1:  # wait until thread i is queued before starting the next
            time.sleep(0.001)
    assert not slots.acquire(timeout=0.01)  # a late caller neither jumps the queue nor takes a slot
    assert len(slots._waiters) == 3
    slots.release()
    for t in threads:
        t.join(30)
    assert order == [0, 1, 2]
    assert slots.acquire(timeout=0) and not slots.acquire(timeout=0)  # one slot, free again
    slots.release()


def until(cond: Callable[[], bool]) -> None:
    """Wait until ``cond()`` holds (30 s at most)."""
    deadline = time.monotonic() + 30
    while not cond():
        assert time.monotonic() < deadline, "the other threads did not queue within 30 s"
        time.sleep(0.001)


def test_a_freed_slot_goes_to_the_request_that_arrived_first() -> None:
    """Waiters are served by their request's arrival time, not by the order they asked; a caller
    without one counts as arriving when it asks. Order is checked by events, not by timing."""
    from kakehashi.web.service import FifoSlots

    slots = FifoSlots(1)
    assert slots.acquire()
    order: list[str] = []

    def waiter(name: str, arrived: float | None) -> None:
        assert slots.acquire(timeout=30, arrived=arrived)
        order.append(name)
        slots.release()

    asks = [("late", time.monotonic() - 10.0), ("none", None), ("early", time.monotonic() - 20.0)]
    threads = []
    for i, (name, arrived) in enumerate(asks):
        t = threading.Thread(target=waiter, args=(name, arrived))
        t.start()
        threads.append(t)
        until(lambda n=i + 1: len(slots._waiters) >= n)  # type: ignore[misc]
    slots.release()
    for t in threads:
        t.join(30)
    assert order == ["early", "late", "none"]


def test_a_request_s_next_call_is_not_queued_behind_later_requests(warehouse_dir: Path) -> None:
    """With one slot: request A's first call runs, B and C (arrived later) wait; when A's second call
    asks (its year's coverage after its screen, say) while B runs, it goes before C."""
    from kakehashi.web.service import ARRIVED

    service = Service.open(warehouse_dir, max_draws=10, concurrency=1)
    order: list[str] = []
    first_running, a_may_finish = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def a_first() -> None:
        first_running.set()
        a_may_finish.wait(30)

    def b_first() -> None:  # B holds the slot until A's second call and C are both waiting
        until(lambda: len(service._slots._waiters) == 2)
        order.append("B1")

    def request(name: str, arrived: float) -> None:
        ARRIVED.set(arrived)
        try:
            if name == "A":
                service.call(None, a_first)
                service.call(None, lambda: order.append("A2"))
            else:
                service.call(None, b_first if name == "B" else lambda: order.append("C1"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    now = time.monotonic()
    a = threading.Thread(target=request, args=("A", now - 3))
    a.start()
    assert first_running.wait(30)
    b = threading.Thread(target=request, args=("B", now - 2))
    b.start()
    until(lambda: len(service._slots._waiters) == 1)
    c = threading.Thread(target=request, args=("C", now - 1))
    c.start()
    until(lambda: len(service._slots._waiters) == 2)
    a_may_finish.set()  # A's first call ends: B takes the slot, then A asks again behind B
    for t in (a, b, c):
        t.join(60)
    assert not errors, errors
    assert order == ["B1", "A2", "C1"]


@pytest.mark.parametrize("limit", [60.0, None])
def test_every_request_carries_its_arrival_time_into_its_library_calls(
        warehouse_dir: Path, limit: float | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order of the slots is the requests' arrival, set for every request, with a time limit or
    without one, and seen by the library calls that run in the thread pool."""
    from _asgi import SyncClient

    from kakehashi.web.service import ARRIVED

    seen: list[float | None] = []
    call = Service.call

    def spy(self: Service, key: object, fn: Callable[[], object]) -> object:
        seen.append(ARRIVED.get())
        return call(self, key, fn)  # type: ignore[arg-type]

    monkeypatch.setattr(Service, "call", spy)
    client = SyncClient(create_app(warehouse_dir, request_timeout=limit))
    try:
        before = time.monotonic()
        r = client.get("/api/screen?importer=JPN&rival=CHN&year=2023")
        after = time.monotonic()
    finally:
        client.close()
    assert r.status_code == 200
    assert seen and all(a is not None and before <= a <= after for a in seen)
    assert len(set(seen)) == 1  # one request: its screen and its coverage share one arrival time
    assert ARRIVED.get() is None  # and it is not left set outside the request


def test_engine_threads_are_set_on_the_connections_that_compute(tmp_path: Path) -> None:
    """The service runs each query on ``engine_threads`` DuckDB threads (its default, 1), set on the
    database before a library call computes; ``None`` leaves DuckDB's own setting."""
    warehouse_dir = small_warehouse(tmp_path / "wh")  # a database no other test's service has set

    def threads_after_a_call(service: Service) -> int:
        def ask() -> int:
            service.call(("screen-for-threads", service.engine_threads),
                         lambda: exposure.screen(service.wh, ("JPN",), "CHN", years=[2023]))
            got = service.wh.connect().con.sql("SELECT current_setting('threads')").fetchall()
            return int(got[0][0])

        out: list[int] = []
        t = threading.Thread(target=lambda: out.append(ask()))  # a worker thread: its own connection
        t.start()
        t.join(60)
        return out[0]

    import duckdb

    default = int(duckdb.connect().sql("SELECT current_setting('threads')").fetchall()[0][0])
    # None leaves DuckDB's own setting (asked first, on a database no service has set yet)
    assert threads_after_a_call(Service.open(warehouse_dir, max_draws=10, engine_threads=None)) == default
    assert threads_after_a_call(Service.open(warehouse_dir, max_draws=10)) == 1
    assert threads_after_a_call(Service.open(warehouse_dir, max_draws=10, engine_threads=3)) == 3
