"""Hardening of the web server and the scenario spec (issue 12): no I/O chosen by a request, no
non-finite numbers, bounded work per request, the documented error contract.

The warehouse is the small hand-made SYNTHETIC one of ``_webdata``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import yaml
from _asgi import SyncClient
from _local_http import QuietHandler, serve
from _webdata import small_warehouse

from kakehashi.cli import main
from kakehashi.errors import InputError
from kakehashi.scenarios.spec import load_spec, parse_spec
from kakehashi.web import create_app

REE_BAN = {"name": "ree-ban", "base_year": 2023, "measures": [
    {"type": "export_restriction", "exporter": "CHN", "products": ["280530"], "targets": ["JPN"],
     "severity": 1.0}]}
TARIFF = {"name": "usa-tariff", "base_year": 2023, "measures": [
    {"type": "tariff", "importer": "USA", "exporters": ["CHN"], "products": ["280530"], "rate": 0.2,
     "stacks": False}]}
SECRET = "TOP-SECRET-CONTENT-1234"


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_warehouse(tmp_path_factory.mktemp("webh") / "wh")


@pytest.fixture(scope="module")
def client(warehouse_dir: Path) -> Iterator[SyncClient]:
    c = SyncClient(create_app(warehouse_dir, max_draws=500))
    yield c
    c.close()


def _with_table(spec: dict[str, object], table: object) -> dict[str, object]:
    return {**spec, "parameters": {"import_demand_elasticities": table}}


# ------------------------------------------------------------ no I/O chosen by a request
class Recorder(QuietHandler):
    """Records every request it receives and answers with a CSV that holds the secret."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Recorder.seen.append(self.path)
        body = f"hs6,elasticity\n280530,1.5\n# {SECRET}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _refusals(client: SyncClient, table: str) -> list[httpx.Response]:
    """The JSON API and the HTML form (as YAML), each given the table by name."""
    api = client.post("/api/scenarios/run", json={"scenario": _with_table(TARIFF, table), "draws": 5})
    form = client.post("/scenarios/run", data={"scenario_yaml": yaml.safe_dump(_with_table(TARIFF, table)),
                                               "draws": "5"}, headers={"Accept": "text/html"})
    return [api, form]


def test_table_by_path_is_refused_without_revealing_the_file(client: SyncClient, tmp_path: Path) -> None:
    existing = tmp_path / "eps.csv"
    existing.write_text(f"hs6,elasticity\n280530,1.5\n{SECRET},1\n")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    answers = {}
    for name, target in (("file", existing), ("missing", tmp_path / "missing.csv"), ("folder", folder),
                         ("relative", Path("../../etc/passwd"))):
        api, form = _refusals(client, str(target))
        assert api.status_code == 422 and form.status_code == 422, (api.text, form.text[:300])
        body = api.json()
        for text in (api.text, form.text):
            assert SECRET not in text and str(target) not in text and target.name not in text
            assert "No such file" not in text and "directory" not in text.lower()
        answers[name] = (body["detail"], body["hint"], body["error"])
    # the same answer whether the path is a file, a folder or nothing: existence is not revealed
    assert len(set(answers.values())) == 1, answers
    detail, hint, kind = answers["file"]
    assert detail == ("parameters.import_demand_elasticities: a table given by file name or URL is not "
                      "accepted here") and kind == "InputError"
    assert hint is not None and "inline" in hint


def test_table_by_url_is_refused_and_nothing_is_fetched(client: SyncClient) -> None:
    Recorder.seen = []
    with serve(Recorder) as base:
        # the server is live: a direct request is recorded (so an empty log below means no request)
        assert httpx.get(f"{base}/probe").status_code == 200 and Recorder.seen == ["/probe"]
        Recorder.seen = []
        for url in (f"{base}/eps.csv", f"file://{base}/eps.csv"):
            api, form = _refusals(client, url)
            assert api.status_code == 422 and form.status_code == 422
            for text in (api.text, form.text):
                assert SECRET not in text and base not in text
                assert api.json()["detail"].endswith("a table given by file name or URL is not accepted here")
        assert Recorder.seen == []


def test_inline_table_is_used(client: SyncClient) -> None:
    generic = client.post("/api/scenarios/run", json={
        "scenario": _with_table(TARIFF, {"280530": 3.0}), "draws": 5, "importer": "USA"})
    specific = client.post("/api/scenarios/run", json={
        "scenario": _with_table(TARIFF, {"280530": 3.0, "USA": {"280530": 2.0}}), "draws": 5,
        "importer": "USA"})
    assert generic.status_code == 200 and specific.status_code == 200, specific.text
    # SMART trade creation for USA's 40 m from CHN in 2023 (44 m with the 2023 growth of 1.2 → 48 m):
    # TC = -m * ε_m * dt / ((1 + t0) * (1 + ε_m / ε_x)), t0 = 0, dt = 0.2, ε_x = 99 (defaults)
    m = 40e6 * 1.2
    for answer, eps in ((generic, 3.0), (specific, 2.0)):
        rows = {(r["exporter"], r["metric"]): r["p50"] for r in answer.json()["rows"]}
        assert rows[("CHN", "trade_creation_usd")] == pytest.approx(-m * eps * 0.2 / (1 + eps / 99))
    assert specific.json()["spec"]["parameters"]["import_demand_elasticities"] == {
        "280530": 3.0, "USA": {"280530": 2.0}}


def test_command_line_still_reads_a_local_table(tmp_path: Path) -> None:
    (tmp_path / "eps.csv").write_text("hs6,elasticity,importer\n280530,3.0,\n280530,2.0,USA\n")
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(_with_table(TARIFF, "eps.csv")))
    assert load_spec(f).parameters.import_demand_elasticities == {"280530": 3.0, "USA": {"280530": 2.0}}
    f.write_text(yaml.safe_dump(_with_table(TARIFF, "https://example.org/eps.csv")))
    with pytest.raises(InputError, match="is a URL; tables are read from local files only"):
        load_spec(f)
    with pytest.raises(InputError, match="a table given by file name or URL is not accepted here"):
        parse_spec(yaml.safe_dump(_with_table(TARIFF, str(tmp_path / "eps.csv"))))


def test_alias_bomb_is_refused_cheaply() -> None:
    lines = ["name: bomb", "base_year: 2023", "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for k in range(1, 9):  # 10**9 values once expanded
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    lines.append("measures: [{type: tariff, importer: USA, rate: 0.1, stacks: false, products: *a8}]")
    with pytest.raises(InputError, match="holds more than 200,000 values"):
        parse_spec("\n".join(lines))


def test_alias_bomb_in_the_form_is_422(client: SyncClient) -> None:
    lines = ["name: bomb", "base_year: 2023", "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for k in range(1, 9):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    lines.append("measures: [{type: tariff, importer: USA, rate: 0.1, stacks: false, products: *a8}]")
    r = client.post("/scenarios/run", data={"scenario_yaml": "\n".join(lines)})
    assert r.status_code == 422 and r.json()["detail"] == "the scenario holds more than 200,000 values"


# --------------------------------------------------------------------- non-finite numbers
NAN_CASES = [
    ({"uncertain": {"theta": {"dist": "uniform", "low": float("nan"), "high": 0.3}}}, "uncertain.theta.low"),
    ({"uncertain": {"theta": {"dist": "uniform", "low": 0.1, "high": float("inf")}}}, "uncertain.theta.high"),
    ({"parameters": {"import_demand_elasticities": {"280530": float("nan")}}},
     "parameters.import_demand_elasticities"),
    ({"parameters": {"sigma": float("inf")}}, "parameters.sigma"),
    ({"parameters": {"import_demand_elasticity": float("nan")}}, "parameters.import_demand_elasticity"),
]


@pytest.mark.parametrize(("extra", "field"), NAN_CASES)
def test_non_finite_numbers_are_422_naming_the_field(client: SyncClient, extra: dict[str, object],
                                                     field: str) -> None:
    import json

    body = json.dumps({"scenario": {**TARIFF, **extra}, "draws": 5}, allow_nan=True)  # NaN, Infinity
    r = client.post("/api/scenarios/run", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(field), r.json()


@pytest.mark.parametrize("field", ["severity", "theta"])
def test_non_finite_overrides_are_422(client: SyncClient, field: str) -> None:
    r = client.post("/api/scenarios/run", content=f'{{"scenario": {{"name": "x"}}, "{field}": NaN}}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith(field), r.text


@pytest.mark.parametrize(("text", "field"), [
    ("uncertain:\n  theta: {dist: uniform, low: .nan, high: 0.3}\n", "uncertain.theta.low"),
    ("uncertain:\n  theta: {dist: triangular, low: 0.1, mode: 0.2, high: .inf}\n", "uncertain.theta.high"),
    ("parameters:\n  import_demand_elasticities: {280530: .nan}\n", "parameters.import_demand_elasticities"),
])
def test_non_finite_numbers_on_the_command_line_exit_2(tmp_path: Path, warehouse_dir: Path, text: str,
        field: str, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(TARIFF) + text)
    assert main(["scenario", "run", str(f), "-w", str(warehouse_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1 and f"{field}" in err, err


def test_years_option_refuses_a_huge_span_before_expanding_it() -> None:
    """The CLI's --years goes through the request grammar, which checks the bounds before expanding."""
    from kakehashi.cli.common import parse_years
    from kakehashi.questions.request import YEAR_MAX, YEAR_MIN

    assert parse_years(f"{YEAR_MIN}-{YEAR_MAX}") == list(range(YEAR_MIN, YEAR_MAX + 1))
    with pytest.raises(InputError, match="year 100000000 is outside"):
        parse_years("1990-100000000")


# ------------------------------------------------------------------------- API contract
def _is_error_body(body: object) -> bool:
    return (isinstance(body, dict) and set(body) == {"detail", "hint", "error"}
            and isinstance(body["detail"], str) and isinstance(body["error"], str)
            and (body["hint"] is None or isinstance(body["hint"], str)))


def test_error_bodies_match_the_documented_schema(client: SyncClient) -> None:
    schema = client.get("/openapi.json").json()
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"detail", "hint", "error"}
    assert set(error["required"]) == {"detail", "hint", "error"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorOut", (method, path)
            assert "503" in op["responses"]
            assert ("413" in op["responses"]) == ("requestBody" in op), (method, path)
    answers = [client.get("/api/screen?importer=XXX&rival=CHN"), client.get("/api/screen?importer=jp"),
               client.post("/api/scenarios/run", json={"bogus": 1}),
               client.post("/api/scenarios/run", content="{", headers={"content-type": "application/json"}),
               client.get("/api/measures?as_of=0")]
    for r in answers:
        assert r.status_code == 422 and _is_error_body(r.json()), r.text


def test_method_not_allowed_carries_allow(client: SyncClient) -> None:
    for method, url, allowed in (("PUT", "/api/health", "GET"), ("DELETE", "/api/scenarios/run", "POST"),
                                 ("POST", "/api/screen", "GET")):
        r = client.request(method, url)
        assert r.status_code == 405, (method, url, r.status_code)
        assert r.headers["allow"] == allowed and _is_error_body(r.json())


@pytest.mark.parametrize(("as_of", "status"), [
    ("2025-06-01", 200), ("1990-01-01", 200), ("2100-12-31", 200),
    ("0", 422), ("1700000000", 422), ("1989-12-31", 422), ("2101-01-01", 422), ("20250601", 422),
    ("2025-02-30", 422), ("2025-06-01T00:00:00", 422),
])
def test_as_of_is_a_real_iso_date(client: SyncClient, as_of: str, status: int) -> None:
    r = client.get("/api/measures", params={"as_of": as_of})
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["as_of"] == as_of
    else:
        assert r.json()["detail"].startswith("as_of:"), r.json()


# ------------------------------------------------------------------ bounded work per request
@contextlib.contextmanager
def slots_held_elsewhere(service: Any) -> Iterator[threading.Thread]:
    """Another thread holds every warehouse slot of ``service`` (as that many long requests would)
    until the block ends; yields that thread."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        for _ in range(service.concurrency):
            service._slots.acquire()
        try:
            holding.set()
            release.wait(30)
        finally:
            for _ in range(service.concurrency):
                service._slots.release()

    worker = threading.Thread(target=hold)
    worker.start()
    assert holding.wait(10)
    try:
        yield worker
    finally:
        release.set()
        worker.join(10)


def test_many_codes_are_refused_before_any_work_and_without_a_warehouse_slot(warehouse_dir: Path) -> None:
    from kakehashi.web.validate import MAX_PRODUCTS

    app = create_app(warehouse_dir, max_draws=500)
    c = SyncClient(app)
    try:
        assert c.get("/api/meta").status_code == 200  # what the warehouse holds, read once
        service = app.state.service
        many = {**REE_BAN, "measures": [{**REE_BAN["measures"][0],  # type: ignore[index]
                                         "products": [f"{k:06d}" for k in range(100000, 100000 + 6000)]}]}
        few = {**REE_BAN, "measures": [{**REE_BAN["measures"][0],  # type: ignore[index]
                                        "products": ["280530", "999999"]}]}
        with slots_held_elsewhere(service) as worker:  # another request busy on the warehouse
            r = c.post("/api/scenarios/run", json={"scenario": many, "draws": 5})
            assert r.status_code == 422 and f"at most {MAX_PRODUCTS:,}" in r.json()["detail"], r.text
            r = c.post("/api/scenarios/run", json={"scenario": few, "draws": 5})
            assert r.status_code == 422, r.text
            detail = r.json()["detail"]
            assert detail == "measures[0].products: no trade in HS code '999999' in this warehouse"
            r = c.get("/api/screen?importer=XXX&rival=CHN")  # the screen validates without a slot too
            assert r.status_code == 422 and "XXX" in r.json()["detail"]
            assert worker.is_alive()  # all answered while every slot was held
    finally:
        c.close()


def test_a_request_that_cannot_get_the_warehouse_in_time_is_503(warehouse_dir: Path) -> None:
    app = create_app(warehouse_dir, max_draws=500, request_timeout=0.3)
    c = SyncClient(app)
    try:
        service = app.state.service
        assert service.meta.years == (2021, 2022, 2023)  # read outside a request: no time limit
        with slots_held_elsewhere(service):
            r = c.get("/api/screen?importer=JPN&rival=CHN&year=2022")
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "5" and _is_error_body(r.json())
        # nothing is left holding the warehouse: the next caller (no deadline outside a request) gets it
        assert service.call(("probe",), lambda: 1) == 1
    finally:
        c.close()


def test_request_time_limit_answers_503_and_drops_the_late_answer() -> None:
    from kakehashi.web.security import RequestTimeout

    async def slow_app(scope: dict[str, object], receive: object, send: object) -> None:
        await asyncio.sleep(5)
        raise AssertionError("a timed-out request must not be answered twice")

    async def fast_app(scope: dict[str, object], receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]

    async def run(app: object) -> list[dict[str, object]]:
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await RequestTimeout(app, seconds=0.1)({"type": "http", "method": "GET"}, receive, send)  # type: ignore[arg-type]
        return sent

    loop = asyncio.new_event_loop()
    try:
        late = loop.run_until_complete(run(slow_app))
        assert late[0]["status"] == 503 and (b"retry-after", b"5") in late[0]["headers"]  # type: ignore[operator]
        assert b'"error": "Timeout"' in late[1]["body"]  # type: ignore[operator]
        fast = loop.run_until_complete(run(fast_app))
        assert [m.get("status") for m in fast] == [200, None] and fast[1]["body"] == b"ok"
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


def test_size_of_a_frame_is_its_deep_memory_use() -> None:
    """The cache's estimate of a frame is pandas' deep memory use (plus a fixed 256), column by column:
    SYNTHETIC frames with numbers, text, missing text, categories, dates and a two-level index."""
    import pandas as pd

    from kakehashi.web.service import size_of

    frames = [
        pd.DataFrame({"n": [1.5, 2.0, None], "i": [1, 2, 3], "s": pd.Series(["a", "bb", None], dtype="str"),
                      "o": pd.Series(["x", None, "zzz" * 40], dtype="object"),
                      "c": pd.Categorical(["a", "b", "a"]), "d": pd.to_datetime(["2020-01-01"] * 3),
                      "b": [True, False, True]}),
        pd.DataFrame({"k": ["JPN", "IND"], "h": ["280530", "850511"], "v": [1.0, 2.0]}).set_index(["k", "h"]),
        pd.DataFrame({"x": pd.Series([], dtype="object")}),
    ]
    for frame in frames:
        assert size_of(frame) == int(frame.memory_usage(deep=True).sum()) + 256


def test_result_cache_is_bounded_by_bytes(warehouse_dir: Path) -> None:
    from kakehashi.web.service import Service, size_of

    service = Service.open(warehouse_dir, max_draws=10, cache_size=100, cache_bytes=2000)
    item = b"x" * 600
    assert size_of(item) == 664
    for k in range(5):
        assert service.call(("k", k), lambda: item) is item
    # 5 x 664 bytes do not fit in 2000: only the last three are kept, least recently used dropped first
    assert service.cache_used == 3 * 664
    assert [service.peek(("k", k)) is not None for k in range(5)] == [False, False, True, True, True]
    huge = b"y" * 5000
    assert service.call(("huge",), lambda: huge) is huge and service.peek(("huge",)) is None
    assert service.cache_used == 3 * 664
