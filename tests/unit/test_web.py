"""Web API and pages, in process through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from _webdata import SYNTH, small_warehouse

from kakehashi import InputError
from kakehashi.web import create_app


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_warehouse(tmp_path_factory.mktemp("web") / "wh")


@pytest.fixture(scope="module")
def client(warehouse_dir: Path) -> Iterator[httpx.Client]:
    app = create_app(warehouse_dir, max_draws=500, max_body=4096)
    transport = httpx.ASGITransport(app=app)
    loop = asyncio.new_event_loop()

    class SyncClient:
        """A small synchronous facade over httpx.AsyncClient on the ASGI transport."""

        def __init__(self) -> None:
            self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

        def request(self, method: str, url: str, **kw: object) -> httpx.Response:
            return loop.run_until_complete(self._client.request(method, url, **kw))  # type: ignore[arg-type]

        def get(self, url: str, **kw: object) -> httpx.Response:
            return self.request("GET", url, **kw)

        def post(self, url: str, **kw: object) -> httpx.Response:
            return self.request("POST", url, **kw)

    c = SyncClient()
    yield c  # type: ignore[misc]
    loop.run_until_complete(c._client.aclose())
    loop.close()


def test_create_app_refuses_missing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no warehouse at"):
        create_app(tmp_path / "nowhere")


def test_health(client: httpx.Client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["synthetic"] is True
    assert set(body["tables"]) == {"trade_flows", "production"}
    assert body["snapshot"]


def test_meta_lists_what_the_warehouse_holds(client: httpx.Client) -> None:
    body = client.get("/api/meta").json()
    assert body["importers"] == ["IND", "JPN", "USA"]
    assert body["countries"] == ["AUS", "CHN", "DEU", "IND", "JPN", "USA", "VNM"]
    assert body["years"] == [2021, 2022, 2023]
    assert body["products"] == 2
    assert body["commodities"] == ["rare-earths"]
    assert body["sources"] == [SYNTH]
    assert body["max_draws"] == 500


def test_security_headers_on_api_page_and_static(client: httpx.Client) -> None:
    for url in ("/api/health", "/", "/static/style.css", "/api/nothing-here"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "http" not in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "access-control-allow-origin" not in r.headers


def test_cors_is_off_by_default(client: httpx.Client) -> None:
    r = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    r = client.request("OPTIONS", "/api/health", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(warehouse_dir: Path) -> None:
    app = create_app(warehouse_dir, cors_origins=["http://127.0.0.1:9000"])

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get("/api/health", headers={"Origin": "http://127.0.0.1:9000"})

    r = asyncio.run(go())
    assert r.headers["access-control-allow-origin"] == "http://127.0.0.1:9000"


def test_vendored_vega_is_served_locally(client: httpx.Client) -> None:
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "vega-interpreter.js"):
        r = client.get(f"/static/vendor/{name}")
        assert r.status_code == 200, name
        assert "javascript" in r.headers["content-type"]
        assert len(r.content) > 5000
    page = client.get("/").text
    assert 'src="/static/vendor/vega.min.js"' in page
    assert "cdn" not in page.lower() and "https://" not in page


def test_openapi_documents_the_api(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "kakehashi"
    assert "/api/health" in schema["paths"]
    for path, model in (("/api/screen", "ScreenOut"), ("/api/products/{hs6}", "ProductOut"),
                        ("/api/minerals/{commodity}", "MineralOut"), ("/api/scenarios/run", "ScenarioOut")):
        op = schema["paths"][path].get("get") or schema["paths"][path]["post"]
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/" + model), (path, ref)
    params = {p["name"]: p for p in schema["paths"]["/api/screen"]["get"]["parameters"]}
    assert params["importer"]["schema"]["pattern"] == "^[A-Za-z+, ]{1,200}$"  # a country or a bloc
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN
    page = client.get("/api-docs")
    assert page.status_code == 200 and "/api/health" in page.text


def test_unknown_route_is_json_404_for_api_and_html_for_pages(client: httpx.Client) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "HTTPError"
    r = client.get("/nothing-here", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]


def test_home_page_is_marked_synthetic(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "SYNTHETIC SAMPLE" in r.text
    assert '<option value="JPN" selected>' in r.text


# ------------------------------------------------------------------ screen API
def _needs(module: str) -> None:
    """Import ``module``: a kakehashi module that cannot be imported fails the test, never skips it."""
    import_module(module)


def test_screen_matches_hand_calculation(client: httpx.Client) -> None:
    _needs("kakehashi.metrics.screen")
    r = client.get("/api/screen", params={"importer": "JPN", "rival": "CHN", "year": 2021})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["importer"] == "JPN" and body["year"] == 2021 and body["synthetic"] is True
    rows = {row["hs6"]: row for row in body["rows"]}
    ree = rows["280530"]
    # imports 80 (CHN) + 15 (VNM) + 5 (IND) = 100 m; world exports CHN 170, VNM 45, IND 5 of 220
    assert ree["imports_usd"] == pytest.approx(100e6)
    assert ree["rival_share"] == pytest.approx(0.8)
    assert ree["import_hhi"] == pytest.approx(0.8**2 + 0.15**2 + 0.05**2)
    world_hhi = (170**2 + 45**2 + 5**2) / 220**2
    assert ree["world_export_hhi"] == pytest.approx(world_hhi)
    assert ree["dependent"] is True
    assert ree["severity"] == pytest.approx(100 * 0.8 * 0.665 * world_hhi)
    magnets = rows["850511"]
    assert magnets["world_export_hhi"] == pytest.approx((60**2 + 40**2 + 25**2) / 125**2)
    assert magnets["dependent"] is False
    assert body["dependent"] == 1 and body["total_rows"] == 2
    assert [row["hs6"] for row in body["rows"]] == ["280530", "850511"]  # by severity


def test_screen_default_year_filters_and_limit(client: httpx.Client) -> None:
    _needs("kakehashi.metrics.screen")
    body = client.get("/api/screen?importer=JPN&rival=CHN&dependent_only=true").json()
    assert body["year"] == 2023 and [r["hs6"] for r in body["rows"]] == ["280530"]
    body = client.get("/api/screen?importer=JPN&rival=CHN&limit=1").json()
    assert len(body["rows"]) == 1 and body["total_rows"] == 2


@pytest.mark.parametrize(("query", "importer", "rival", "year", "dependent_only", "limit"), [
    ("importer=JPN&rival=CHN&year=2021", ("JPN",), "CHN", 2021, False, 200),
    ("importer=JPN&rival=VNM&year=2023", ("JPN",), "VNM", 2023, False, 200),
    ("importer=JPN%2BIND&rival=CHN&year=2022", ("JPN", "IND"), "CHN", 2022, False, 200),
    ("importer=JPN&rival=CHN&dependent_only=true", ("JPN",), "CHN", 2023, True, 200),
    ("importer=JPN&rival=CHN&year=2022&limit=1", ("JPN",), "CHN", 2022, False, 1),
])
def test_screen_json_is_the_library_screen(client: httpx.Client, warehouse_dir: Path, query: str,
                                           importer: tuple[str, ...], rival: str, year: int,
                                           dependent_only: bool, limit: int) -> None:
    """/api/screen answers the library's screen (questions.exposure.screen, the reference) as JSON:
    its rows in order, cut to the limit, with every column's value, and its totals."""
    import json

    from kakehashi.questions import exposure
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse_dir, read_only=True)
    try:
        df = exposure.screen(wh, importer, rival, years=[year])
    finally:
        wh.close()
    shown = (df[df["dependent"]] if dependent_only else df).head(limit)
    want = json.loads(shown.to_json(orient="records"))  # NaN -> null, as the API writes missing values
    r = client.get(f"/api/screen?{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(want) > 0 and len(body["rows"]) == len(want)
    for got_row, want_row in zip(body["rows"], want, strict=True):
        assert {k: got_row[k] for k in want_row} == want_row
    assert body["total_rows"] == len(df) and body["dependent"] == int(df["dependent"].sum())
    assert body["importer"] == "+".join(importer) and body["year"] == year
    assert body["hs_revision"] == exposure.revision_statement(df).revision


def test_records_parse_as_json_loads() -> None:
    """The rows' JSON is read back into the same Python values json.loads gives (floats bit for bit)."""
    import json

    import numpy as np
    import pandas as pd

    from kakehashi.web.api import records

    rng = np.random.default_rng(13)  # SYNTHETIC values over many magnitudes, with missing ones
    x = np.concatenate([rng.random(500), rng.random(500) * 1e12, 10 ** rng.uniform(-20, 20, 500)])
    x[::97] = np.nan
    frame = pd.DataFrame({"x": x, "n": np.arange(len(x)), "s": ["a/b é \"q\""] * len(x),
                          "b": x > 0.5})
    got, want = records(frame), json.loads(frame.to_json(orient="records", date_format="iso"))
    assert got == want
    assert [float(r["x"]).hex() for r in got if r["x"] is not None] == \
        [float(r["x"]).hex() for r in want if r["x"] is not None]


@pytest.mark.parametrize(("query", "fragment"), [
    ("importer=JPN%2B&rival=CHN", "has an empty member"),  # the one request grammar: JPN+ is refused
    ("importer=JPN%2B%2BIND&rival=CHN", "has an empty member"),
    ("importer=J1N&rival=CHN", "importer"),
    ("importer=JPNX&rival=CHN", "importer"),
    ("importer=XXX&rival=CHN", "unknown ISO3 country code 'XXX'"),
    ("importer=FRA&rival=CHN", "no data for importer 'FRA'"),
    ("importer=JPN&rival=CHM", "did you mean: CHN"),
    ("importer=JPN&rival=CHN&year=1999", "no trade data for year 1999"),
    ("importer=JPN&rival=CHN&year=abc", "year"),
    ("importer=JPN&rival=CHN&workstream=minerals", "workstream"),
    ("importer=JPN&rival=CHN&limit=0", "limit"),
    ("rival=CHN", "importer"),
    ("importer=JPN&rival=CHN&workstream=%3Cscript%3E", "workstream"),
])
def test_screen_bad_input_is_422_with_message(client: httpx.Client, query: str, fragment: str) -> None:
    _needs("kakehashi.metrics.screen")
    r = client.get(f"/api/screen?{query}")
    assert r.status_code == 422, r.text
    body = r.json()
    assert fragment in body["detail"] + (body["hint"] or ""), body
    assert "<script>" not in r.text


# ------------------------------------------------------- overview, product, minerals
def test_overview_json_and_page(client: httpx.Client) -> None:
    _needs("kakehashi.metrics.screen")
    body = client.get("/api/importers/JPN?rival=CHN&year=2022").json()
    assert body["products_screened"] == 2 and body["dependent"] == 1
    # 2022 values are 1.1 × 2021: JPN imports 100 + 100 m in 2021
    assert body["imports_usd"] == pytest.approx(220e6)
    assert body["rival_usd"] == pytest.approx((80 + 60) * 1.1e6)
    ws = {w["workstream"]: w for w in body["workstreams"]}
    assert ws["critical-minerals"]["products"] == 2 and ws["critical-minerals"]["dependent"] == 1
    assert [r["hs6"] for r in body["top_dependencies"]] == ["280530", "850511"]
    page = client.get("/importers/JPN?rival=CHN&year=2022")
    assert page.status_code == 200
    assert 'href="/products/280530?importer=JPN&amp;rival=CHN"' in page.text
    assert 'data-spec="severity-spec"' in page.text and "/api/importers/JPN" in page.text


def test_go_redirects_to_overview(client: httpx.Client) -> None:
    r = client.get("/go?importer=IND&rival=CHN")
    assert r.status_code == 303 and r.headers["location"] == "/importers/IND?rival=CHN"


def test_product_json_and_page(client: httpx.Client) -> None:
    _needs("kakehashi.metrics.screen")
    body = client.get("/api/products/280530?importer=JPN&rival=CHN&partner=IND").json()
    assert body["name"].startswith("Rare-earth metals") and "critical-minerals" in body["workstreams"]
    assert [r["year"] for r in body["screen"]] == [2021, 2022, 2023]
    s2021 = {r["supplier"]: r["share"] for r in body["supplier_shares"] if r["year"] == 2021}
    assert s2021 == pytest.approx({"CHN": 0.8, "VNM": 0.15, "IND": 0.05})
    w2021 = {r["supplier"]: r["share"] for r in body["world_supply"] if r["year"] == 2021}
    assert w2021 == pytest.approx({"CHN": 170 / 220, "VNM": 45 / 220, "IND": 5 / 220})
    assert [m["commodity"] for m in body["minerals"]] == ["rare-earths"]
    prod = {r["country"]: r["share"] for r in body["minerals"][0]["production"]}
    assert prod["CHN"] == pytest.approx(240000 / (240000 + 43000 + 18000 + 2900))
    # substitution in 2023 (values 1.2 × 2021): JPN buys 96 m from CHN; spare exports to third
    # countries: VNM 36 m (to USA), IND none (it sells only to JPN)
    sub = body["substitution"][0]
    assert sub["year"] == 2023 and sub["rival_usd"] == pytest.approx(96e6)
    assert sub["partner_cover"] == pytest.approx(0.0)
    assert sub["world_cover"] == pytest.approx(36 / 96)
    cands = {c["exporter"]: c for c in body["candidates"]}
    assert cands["VNM"]["spare_usd"] == pytest.approx(36e6)
    assert cands["VNM"]["to_importer_usd"] == pytest.approx(18e6)
    page = client.get("/products/280530?importer=JPN&rival=CHN&partner=IND")
    assert page.status_code == 200 and 'data-spec="suppliers-spec"' in page.text
    assert 'id="substitution"' in page.text and 'id="candidates"' in page.text
    assert 'data-spec="mineral-1-spec"' in page.text


@pytest.mark.parametrize(("url", "fragment"), [
    ("/api/products/28053?importer=JPN", "six-digit"),
    ("/api/products/999999?importer=JPN", "no data for product '999999'"),
    ("/api/products/280530?importer=JPN&partner=ind", "ISO 3166-1"),
    ("/api/products/280530?importer=ZZZ", "unknown ISO3 country code 'ZZZ'"),
    ("/api/minerals/Rare_Earths", "commodity"),
    ("/api/minerals/unobtainium", "unknown commodity 'unobtainium'"),
    ("/api/importers/ZZZ", "unknown ISO3 country code 'ZZZ'"),
    ("/api/importers/FRA", "no data for importer 'FRA'"),
    ("/api/importers/JPN++IND", "has an empty member"),
])
def test_bad_paths_are_422(client: httpx.Client, url: str, fragment: str) -> None:
    _needs("kakehashi.metrics.screen")
    r = client.get(url)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"] + (r.json()["hint"] or "")


def test_bad_page_request_renders_html_error(client: httpx.Client) -> None:
    r = client.get("/importers/FRA", headers={"Accept": "text/html"})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    assert "no data for importer" in r.text and "SYNTHETIC SAMPLE" in r.text


def test_minerals_json_and_pages(client: httpx.Client) -> None:
    _needs("kakehashi.metrics.screen")
    assert client.get("/api/minerals").json()["commodities"] == ["rare-earths"]
    body = client.get("/api/minerals/rare-earths?rival=CHN").json()
    assert "280530" in body["hs6"]
    total = 240000 + 43000 + 18000 + 2900
    assert {r["country"]: r["share"] for r in body["production"]} == pytest.approx(
        {"CHN": 240000 / total, "USA": 43000 / total, "AUS": 18000 / total, "IND": 2900 / total})
    assert client.get("/minerals").status_code == 200
    page = client.get("/minerals/rare-earths")
    assert page.status_code == 200 and 'data-spec="production-1-spec"' in page.text


# --------------------------------------------------------------------- scenarios
def test_body_over_the_cap_is_413(client: httpx.Client) -> None:
    big = '{"measure_id": "' + "A" * 5000 + '"}'
    r = client.post("/api/scenarios/run", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "larger than the limit of 4096 bytes" in r.json()["detail"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_chunked_body_over_the_cap_is_413(client: httpx.Client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    r = client.post("/api/scenarios/run", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(("body", "fragment"), [
    ('{"measure_id": "X", "draws": 501}', "exceeds this server's limit of 500"),
    ('{"measure_id": "X", "draws": 0}', "draws must be at least 1"),
    ('{"measure_id": "X", "bogus": 1}', "bogus"),
    ('{"measure_id": "X", "severity": 1.5}', "severity"),
    ('{"measure_id": "X", "importer": "jp"}', "importer"),
    ('{"measure_id": "X"', "JSON"),
    ('[1, 2]', "request"),
    ('{"measure_id": "<script>"}', "measure_id"),
])
def test_bad_scenario_requests_are_422(client: httpx.Client, body: str, fragment: str) -> None:
    r = client.post("/api/scenarios/run", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert fragment.lower() in (r.json()["detail"] + (r.json()["hint"] or "")).lower()


def test_measures_json_and_scenarios_page(client: httpx.Client) -> None:
    _needs("kakehashi.scenarios.measures")
    body = client.get("/api/measures?country=JPN&as_of=2025-06-01").json()
    assert body["as_of"] == "2025-06-01" and body["country"] == "JPN"
    ids = {m["id"] for m in body["measures"]}
    assert any(i.startswith("CN-") for i in ids), ids
    assert client.get("/api/measures?as_of=2025-13-01").status_code == 422
    page = client.get("/scenarios?importer=JPN")
    assert page.status_code == 200
    assert 'id="scenario-form"' in page.text and 'id="measures"' in page.text


REE_BAN = {"name": "ree-ban", "base_year": 2023, "measures": [
    {"type": "export_restriction", "exporter": "CHN", "products": ["280530"], "targets": ["JPN"],
     "severity": 1.0}]}


def test_scenario_run_matches_hand_calculation(client: httpx.Client) -> None:
    _needs("kakehashi.scenarios.run")
    r = client.post("/api/scenarios/run", json={"scenario": REE_BAN, "draws": 50, "importer": "JPN"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scenario"] == "ree-ban" and body["draws"] == 50 and body["synthetic"] is True
    rows = {(x["hs6"], x["tier"], x["metric"]): x for x in body["rows"]}
    # 2023: JPN buys 96 m from CHN; the pool is θ = 0.2 of VNM's 36 m to third countries
    assert rows[("280530", 0, "direct_loss_usd")]["p50"] == pytest.approx(96e6)
    assert rows[("280530", 0, "reallocated_usd")]["p50"] == pytest.approx(0.2 * 36e6)
    assert rows[("280530", 0, "net_shortfall_usd")]["p50"] == pytest.approx(96e6 - 7.2e6)
    assert rows[("280530", 0, "net_shortfall_share")]["p50"] == pytest.approx(88.8 / 120)
    assert all(x["importer"] == "JPN" for x in body["rows"])
    assert "net_shortfall_usd" in body["metrics"] and body["summary"]


def test_scenario_overrides_and_cache(client: httpx.Client) -> None:
    _needs("kakehashi.scenarios.run")
    half = client.post("/api/scenarios/run", json={"scenario": REE_BAN, "severity": 0.5, "theta": 0.0,
                                                   "importer": "JPN"}).json()
    rows = {(x["hs6"], x["metric"]): x["p50"] for x in half["rows"] if x["tier"] == 0}
    assert rows[("280530", "direct_loss_usd")] == pytest.approx(48e6)
    assert rows[("280530", "reallocated_usd")] == pytest.approx(0.0)
    again = client.post("/api/scenarios/run", json={"scenario": REE_BAN, "severity": 0.5, "theta": 0.0,
                                                    "importer": "JPN"}).json()
    assert again == half


@pytest.mark.parametrize(("body", "fragment"), [
    ({"scenario": {**REE_BAN, "draws": 5000}}, "exceeds this server's limit of 500"),
    ({"scenario": {**REE_BAN, "base_year": 2019}}, "2019"),
    ({"scenario": {**REE_BAN, "measures": [{"type": "embargo"}]}}, "embargo"),
    ({"measure_id": "NO-SUCH-MEASURE"}, "NO-SUCH-MEASURE"),
    ({"measure_id": "CN-2025-18-RARE-EARTHS", "scenario": REE_BAN}, "not both"),
    ({}, "either"),
])
def test_scenario_spec_errors_are_422(client: httpx.Client, body: dict[str, object], fragment: str) -> None:
    _needs("kakehashi.scenarios.run")
    r = client.post("/api/scenarios/run", json=body)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"] + (r.json()["hint"] or "")


def test_scenario_form_page_shows_bands(client: httpx.Client) -> None:
    _needs("kakehashi.scenarios.run")
    import yaml

    r = client.post("/scenarios/run", data={"importer": "JPN", "scenario_yaml": yaml.safe_dump(REE_BAN),
                                            "draws": "40", "theta": "0.2"})
    assert r.status_code == 200, r.text
    assert 'id="scenario-result"' in r.text and 'data-spec="bands-spec"' in r.text
    assert "88.8 m" in r.text  # the net shortfall, formatted
    bad = client.post("/scenarios/run", data={"measure_id": "CN-2025-18-RARE-EARTHS", "severity": "lots"},
                      headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "severity &#39;lots&#39; is not a number" in bad.text


# ---------------------------------------------------------------------- briefing
def test_briefing_download_html(client: httpx.Client) -> None:
    _needs("kakehashi.scenarios.run")
    url = "/api/briefing?importer=JPN&rival=CHN&partner=IND&workstream=critical-minerals&format=html"
    r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-disposition"] == \
        'attachment; filename="briefing-JPN-CHN-IND-critical-minerals.html"'
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "SYNTHETIC SAMPLE" in r.text and "<script" not in r.text
    assert client.get(url).content == r.content  # cached: the same pack again
    page = client.get("/briefing?importer=JPN")
    assert page.status_code == 200 and 'id="briefing-form"' in page.text


@pytest.mark.parametrize(("query", "fragment"), [
    ("importer=JPN&workstream=minerals", "unknown workstream 'minerals'"),
    ("importer=JPN&workstream=critical-minerals&format=docx", "format"),
    ("importer=JPN&rival=JPN&workstream=critical-minerals", "rival JPN is also"),
    ("workstream=critical-minerals", "importer"),
])
def test_briefing_bad_requests_are_422(client: httpx.Client, query: str, fragment: str) -> None:
    _needs("kakehashi.scenarios.run")
    r = client.get(f"/api/briefing?{query}")
    assert r.status_code == 422, r.text[:300]
    assert fragment in r.json()["detail"] + (r.json()["hint"] or "")


# --------------------------------------------------------------- diversification
def test_diversify_json_and_page(client: httpx.Client) -> None:
    _needs("kakehashi.metrics.substitution")
    body = client.get("/api/diversify?importer=JPN&rival=CHN&partner=IND&coalition=VNM,DEU"
                      "&workstream=critical-minerals").json()
    assert body["coalition"] == ["VNM", "DEU"] and body["year"] == 2023
    rows = {r["hs6"]: r for r in body["substitution"]}
    assert list(rows) == ["280530"]  # the only dependent product
    # coalition IND+VNM+DEU: VNM's 36 m to the USA; rival supply 96 m
    assert rows["280530"]["coalition_cover"] == pytest.approx(36 / 96)
    assert body["note"]
    page = client.get("/diversify?importer=JPN&partner=IND&coalition=VNM")
    assert page.status_code == 200 and 'data-spec="cover-spec"' in page.text
    assert client.get("/api/diversify?importer=JPN&coalition=VNM;DEU").status_code == 422


# ------------------------------------------------------------------- robustness
ENDPOINTS = ["/api/screen", "/api/importers/{v}", "/api/products/{v}", "/api/minerals/{v}", "/api/measures",
             "/api/diversify", "/importers/{v}", "/products/{v}", "/minerals/{v}", "/scenarios", "/go",
             "/diversify", "/briefing"]
PARAMS = ["importer", "rival", "partner", "year", "workstream", "limit", "coalition", "as_of", "format",
          "dependent_only"]


def test_malformed_requests_never_give_500(client: httpx.Client) -> None:
    _needs("kakehashi.scenarios.run")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    values = st.one_of(st.sampled_from(["JPN", "CHN", "IND", "2021", "-1", "", "critical-minerals", "280530",
                                        "rare-earths", "99999999999999999999", "JPN,CHN", "NaN", "pdf"]),
                       st.text(max_size=12))

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(ENDPOINTS), values, st.dictionaries(st.sampled_from(PARAMS), values, max_size=4))
    def check(endpoint: str, path_value: str, params: dict[str, str]) -> None:
        url = endpoint.replace("{v}", quote(path_value, safe="") or "x")
        r = client.get(url, params=params)
        assert r.status_code in (200, 303, 404, 422), (url, params, r.status_code, r.text[:300])

    check()


def test_malformed_scenario_bodies_never_give_500(client: httpx.Client) -> None:
    _needs("kakehashi.scenarios.run")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10))
    json_values = st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                             max_size=3),
        max_leaves=10)
    keys = st.sampled_from(["measure_id", "scenario", "draws", "severity", "theta", "importer", "base_year",
                            "limit", "name", "measures"])

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(keys, json_values, max_size=4))
    def check(body: dict[str, object]) -> None:
        r = client.post("/api/scenarios/run", json=body)
        assert r.status_code in (200, 413, 422), (body, r.status_code, r.text[:300])

    check()


def test_cache_is_served_while_the_warehouse_is_busy(warehouse_dir: Path) -> None:
    import threading

    from kakehashi.web.service import Service

    service = Service.open(warehouse_dir, max_draws=10)
    assert service.call(("k",), lambda: 41) == 41
    assert service.meta.years == (2021, 2022, 2023)
    started, release = threading.Event(), threading.Event()

    def slow() -> int:
        started.set()
        release.wait(10)
        return 1

    worker = threading.Thread(target=service.call, args=(("slow",), slow))
    worker.start()
    assert started.wait(10)
    try:
        # the slow call holds a warehouse slot; cached results and meta answer at once
        import time

        start = time.monotonic()
        assert service.call(("k",), lambda: 0) == 41
        assert service.peek(("k",)) == 41
        assert service.meta.years == (2021, 2022, 2023)
        assert time.monotonic() - start < 1.0
        assert not release.is_set() and worker.is_alive()
    finally:
        release.set()
        worker.join(10)
    assert service.peek(("slow",)) == 1
