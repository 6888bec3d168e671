"""Submarine cables on the web (``/api/cables…``, ``/cables``) and in the ICT briefing pack.

Fixture warehouse: the SYNTHETIC tiny sample world (trade) with the SYNTHETIC cable fixtures of
``tests/fixtures/cables/good`` ingested beside it; the expected answers are worked out by hand
in ``tests/unit/test_cables.py`` and repeated here. Real data: TeleGeography's open release in
``shared/data/submarine-cables`` (CC BY-NC-SA 3.0, read at run time, never copied), checked
against the ``kakehashi cables`` command line and the issue's facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from _asgi import SyncClient

from kakehashi import catalogue
from kakehashi.cli import main
from kakehashi.questions.cables import CABLE_GOODS
from kakehashi.sources.cables import LICENCE, load_cables
from kakehashi.warehouse import Warehouse
from kakehashi.web import create_app

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "cables" / "good"


@pytest.fixture(scope="module")
def fixture_wh(tiny_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC: the tiny sample world's trade and the cable fixtures in one warehouse."""
    from kakehashi.sample import ingest_sample

    path = tmp_path_factory.mktemp("cables-web") / "wh"
    wh = Warehouse(path)
    ingest_sample(wh, tiny_sample_dir)
    load_cables(wh, GOOD)
    wh.close()
    return path


@pytest.fixture(scope="module")
def client(fixture_wh: Path) -> Iterator[SyncClient]:
    c = SyncClient(create_app(fixture_wh))
    yield c
    c.close()


@pytest.fixture(scope="module")
def real_wh(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = shared_data / "submarine-cables"
    if not (folder / "cable").is_dir():
        pytest.skip(f"no submarine-cable release at {folder}")
    path = tmp_path_factory.mktemp("cables-real") / "wh"
    assert main(["ingest", "cables", str(folder), "-w", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def real_client(real_wh: Path) -> Iterator[SyncClient]:
    c = SyncClient(create_app(real_wh))
    yield c
    c.close()


def _json(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["licence"] == LICENCE == "CC BY-NC-SA 3.0"
    assert "TeleGeography" in body["licence_notice"]
    return body


def _raw_countries() -> dict[str, set[str]]:
    """Each fixture cable's landing countries, read from the publisher-format files with json alone."""
    out = {}
    for p in sorted((GOOD / "cable").glob("*.json")):
        if p.name in ("all.json", "cable-geo.json"):
            continue
        raw = json.loads(p.read_text(encoding="utf-8"))
        out[raw["id"]] = {lp["country"] for lp in raw["landing_points"]}
    return out


# ---------------------------------------------------------------- API on the fixtures


def test_list_country_and_between(client: SyncClient) -> None:
    raw = _raw_countries()
    body = _json(client.get("/api/cables?country=JPN"))
    assert sorted(r["cable"] for r in body["cables"]) == sorted(c for c, s in raw.items() if "Japan" in s)
    assert body["count"] == 5
    body = _json(client.get("/api/cables?between=JPN,IND"))
    assert sorted(r["cable"] for r in body["cables"]) == sorted(
        c for c, s in raw.items() if {"Japan", "India"} <= s) == ["new-1", "thai-crossing", "trunk-3"]
    assert body["between"] == ["JPN", "IND"]


def test_exposure_by_hand(client: SyncClient) -> None:
    """JPN (see test_cables.py): HHI 0.5 over tokyo and shima, NEC 2 of 5 cables; SGP: HMN Tech
    built west-1 and new-2 of its 5 cables: rival-built 2/5; malacca: 4 of SGP's cables."""
    jp = _json(client.get("/api/cables/exposure?country=JPN&rival=CHN"))
    assert jp["cables"]["total"] == 5 and jp["landing_stations"]["hhi_international"] == pytest.approx(0.5)
    nec = next(b for b in jp["builders"] if b["supplier"] == "NEC")
    assert (nec["cables"], nec["share"]) == (2, pytest.approx(2 / 5))
    sg = _json(client.get("/api/cables/exposure?country=SGP"))
    assert sg["rival_built"] == {"rival": "CHN", "cables": 2, "share": pytest.approx(0.4),
                                 "builders": ["HMN Tech"]}
    assert sg["chokepoints"]["malacca"]["cables"] == ["new-2", "trunk-3", "west-1", "west-2"]


def test_cut_by_hand(client: SyncClient) -> None:
    """Malacca splits west-1, west-2, trunk-3: JPN-IND keep only thai-crossing (1 path of 3);
    planned new-1 avoids the strait (+1, 2 with planned); SGP loses its direct link to IND."""
    body = _json(client.get("/api/cables/cut?chokepoint=malacca&between=JPN,IND"))
    assert body["cut"]["cables_in_service_cut"] == ["trunk-3", "west-1", "west-2"]
    assert body["paths"] == [{"country_a": "JPN", "country_b": "IND", "direct_before": 2, "direct_after": 1,
                              "paths_before": 3, "paths_after": 1, "paths_with_planned": 2}]
    assert [r["cable"] for r in body["restore"]] == ["new-1"]
    text = " ".join(body["sentences"])
    assert ("Cutting the Strait of Malacca leaves Japan and India with 1 cable-disjoint path "
            "instead of 3") in text
    assert "New-1 (RFS 2025, +1 paths)" in text and "India loses its last direct cable to Singapore" in text
    # by id, repeatable chokepoints: thai-crossing removed whole leaves 2 paths (test_cables.py)
    by_id = _json(client.get("/api/cables/cut?cable=thai-crossing&between=IND,JPN"))
    assert by_id["paths"][0]["paths_after"] == 2 and by_id["lost_links"] == []
    two = _json(client.get("/api/cables/cut?chokepoint=malacca&chokepoint=Luzon%20Strait"))
    assert two["cut"]["chokepoints"] == ["malacca", "luzon"]


def test_cable_goods_screen_is_the_trade_screen(client: SyncClient, fixture_wh: Path) -> None:
    """The goods rows are the ICT codes of cables that JPN imports in the latest year; imports are
    the trade flows into JPN from elsewhere, summed here with pandas."""
    assert set(CABLE_GOODS) <= set(catalogue.select_products("ict"))
    assert "854470" in CABLE_GOODS
    body = client.get("/api/cables/goods?country=JPN&rival=CHN").json()
    flows = Warehouse(fixture_wh, read_only=True)
    tf = flows.execute(flows.table("trade_flows"))
    year = int(tf["year"].max())
    mine = tf[(tf["importer"] == "JPN") & (tf["year"] == year) & tf["hs6"].isin(CABLE_GOODS)
              & (tf["exporter"] != "JPN")]
    assert body["year"] == year and len(mine)
    got = {r["hs6"]: r["imports_usd"] for r in body["rows"]}
    expected = mine.groupby("hs6")["value_usd"].sum()
    assert set(got) == set(expected.index)
    for hs6, v in expected.items():
        assert got[hs6] == pytest.approx(v)


@pytest.mark.parametrize(("url", "fragment"), [
    ("/api/cables/cut?chokepoint=gibraltar", "unknown chokepoint 'gibraltar'"),
    ("/api/cables/cut?chokepoint=m%3Blacca", "not a chokepoint name"),
    ("/api/cables/cut?cable=east-9", "unknown cable 'east-9'"),
    ("/api/cables/cut?chokepoint=malacca&between=JPN,FRA", "no cable lands in FRA"),
    ("/api/cables/cut", "nothing to cut"),
    ("/api/cables?country=FRA", "no cable lands in FRA"),
    ("/api/cables?country=jpn", "country"),
    ("/api/cables?between=JPN,JPN", "the same"),
    ("/api/cables?between=JPN", "between"),
    ("/api/cables", "give --country or --between"),
    ("/api/cables/exposure?country=XXX", "unknown ISO3 country code 'XXX'"),
    ("/api/cables/exposure?country=JPN&rival=ZZZ", "ZZZ"),
    ("/api/cables/exposure", "country"),
    ("/cables?country=JPN&partner=JPN", "partner JPN is the country itself"),
    ("/cables?chokepoint=gibraltar", "unknown chokepoint"),
])
def test_bad_input_is_422(client: SyncClient, url: str, fragment: str) -> None:
    r = client.get(url)
    assert r.status_code == 422, r.text
    body = r.json()
    assert fragment in body["detail"] and body["error"] in ("InputError", "ValidationError")


def test_bad_page_request_is_an_html_422(client: SyncClient) -> None:
    r = client.get("/cables?country=FRA", headers={"accept": "text/html"})
    assert r.status_code == 422 and "no cable lands in FRA" in r.text and "<html" in r.text


def test_no_cable_tables_says_what_to_run(tmp_path: Path) -> None:
    from _webdata import small_warehouse

    c = SyncClient(create_app(small_warehouse(tmp_path / "wh")))
    try:
        r = c.get("/api/cables/exposure?country=JPN")
        assert r.status_code == 422 and "ingest cables" in r.json()["hint"]
    finally:
        c.close()


# ----------------------------------------------------------------------- the page


def _spec(html: str, block: str) -> dict[str, Any]:
    m = re.search(rf'<script type="application/json" id="{block}-spec">(.*?)</script>', html, re.S)
    assert m, f"no {block} chart on the page"
    spec: dict[str, Any] = json.loads(m.group(1))
    return spec


def test_page_renders_with_licence_map_and_builders(client: SyncClient) -> None:
    r = client.get("/cables?country=JPN&partner=IND&rival=CHN")
    assert r.status_code == 200
    html = r.text
    assert html.count("CC BY-NC-SA 3.0") >= 2 and 'href="/cables"' in html
    # the map: the routes of every cable landing in Japan or India, from the ingested routes
    spec = _spec(html, "cable-map")
    assert spec["projection"]["type"] == "equirectangular"
    values = [v for layer in spec["layer"] for v in (layer.get("data", {}).get("values") or [])]
    features = [v for v in values if isinstance(v, dict) and v.get("type") == "Feature"]
    raw = _raw_countries()
    assert sorted(f["properties"]["cable"] for f in features) == sorted(
        c for c, s in raw.items() if s & {"Japan", "India"})
    both = {f["properties"]["cable"] for f in features if f["properties"]["lands_in"] == "JPN and IND"}
    assert both == {"new-1", "thai-crossing", "trunk-3"}
    assert all(f["geometry"]["type"] in ("LineString", "MultiLineString") for f in features)
    # landing stations with coordinates (the station layer's data set, by name)
    stations = [v for d in spec.get("datasets", {}).values() for v in d if "lon" in v]
    assert {"tokyo-japan", "shima-japan", "mumbai-india"} <= {s["station"] for s in stations}
    builders = json.dumps(_spec(html, "builders"))
    assert "NEC" in builders and "#c8102e" in builders  # rival colour in the scale
    # cut scenario (default: Malacca) in sentences, and the cable-goods screen beside
    assert "leaves Japan and India with 1 cable-disjoint path instead of 3" in html
    assert 'id="cable-goods-table"' in html and "Optical fibre cables" in html
    assert 'id="chokepoints"' in html and 'class="table-wrap"' in html


def test_page_cut_form_choices(client: SyncClient) -> None:
    html = client.get("/cables?country=IND&partner=JPN&chokepoint=luzon&between=JPN,SGP").text
    assert "Cutting the Luzon Strait leaves Japan and Singapore with" in html
    assert re.search(r'value="luzon"\s+checked', html) and not re.search(r'value="malacca"\s+checked', html)


# -------------------------------------------------------------------------- the pack


def test_ict_pack_has_the_cables_section_and_goods(fixture_wh: Path, client: SyncClient) -> None:
    from kakehashi.report.build import collect_briefing

    wh = Warehouse(fixture_wh, read_only=True)
    b = collect_briefing(wh, "JPN", "CHN", "IND", "ict", draws=20)
    figs = {f.key: f for f in b.figures}
    assert {"cables-builders-JPN", "cables-builders-IND", "cables-map", "cables-chokepoints", "cables-cut",
            "cable-goods"} <= set(figs)
    nec = figs["cables-builders-JPN"].table.set_index("supplier").at["NEC", "cables"]
    assert nec == 2 and "CC BY-NC-SA 3.0" in figs["cables-builders-JPN"].caption
    assert "1 cable-disjoint path instead of 3" in figs["cables-cut"].caption
    api_rows = client.get("/api/cables/goods?country=JPN&rival=CHN").json()["rows"]
    pd.testing.assert_series_equal(figs["cable-goods"].table["hs6"].reset_index(drop=True),
                                   pd.Series([r["hs6"] for r in api_rows], name="hs6"))
    assert "figure-cable-goods" in b.data
    other = collect_briefing(wh, "JPN", "CHN", "IND", "critical-minerals", draws=20)
    assert not [f for f in other.figures if f.key.startswith("cable")]


def test_ict_pack_html_renders_the_map(fixture_wh: Path, tmp_path: Path) -> None:
    from kakehashi.report.build import build_briefing

    path = build_briefing(Warehouse(fixture_wh, read_only=True), "JPN", "CHN", "IND", "ict", "html",
                          tmp_path / "pack.html", draws=20)
    html = path.read_text(encoding="utf-8")
    for text in ("Submarine-cable routes of JPN and IND", "Submarine cables of JPN: builders",
                 "Trade in the cable goods: JPN on CHN", "CC BY-NC-SA 3.0"):
        assert text in html
    i = html.index('id="fig-cables-map"')  # the figure itself, not its line in the contents
    assert "<img" in html[i:i + 4000] or "<svg" in html[i:i + 4000]


# ------------------------------------------------------------------------ real data


def test_real_exposure_matches_cli(real_client: SyncClient, real_wh: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    body = _json(real_client.get("/api/cables/exposure?country=JPN&rival=CHN"))
    assert main(["cables", "exposure", "--country", "JPN", "-w", str(real_wh)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in body.items() if not k.startswith("licence")} == cli
    # the facts: 32 cables at 25 landing stations, NEC built 13
    assert (body["cables"]["total"], body["landing_stations"]["count"]) == (32, 25)
    assert next(b for b in body["builders"] if b["supplier"] == "NEC")["cables"] == 13
    both = _json(real_client.get("/api/cables?between=JPN,IND"))
    assert sorted(r["cable"] for r in both["cables"]) == ["flag-europe-asia-fea", "seamewe-3"]


def test_real_cut_matches_cli(real_client: SyncClient, real_wh: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    body = _json(real_client.get("/api/cables/cut?chokepoint=malacca&between=JPN,IND"))
    assert main(["cables", "cut", "--chokepoint", "malacca", "--between", "JPN,IND", "-w", str(real_wh),
                 "-f", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    for key in ("cut", "isolated", "lost_links", "paths", "restore", "notes"):
        assert body[key] == cli[key], key
    row = body["paths"][0]
    assert (row["direct_before"], row["direct_after"]) == (2, 1)  # FEA survives, SeaMeWe-3 is split
    assert (f"leaves Japan and India with {row['paths_after']} cable-disjoint paths instead of "
            f"{row['paths_before']}") in " ".join(body["sentences"])


def test_real_page_without_trade(real_client: SyncClient) -> None:
    html = real_client.get("/cables?country=JPN&partner=IND").text
    assert "CC BY-NC-SA 3.0" in html and "holds no trade data" in html
    spec = _spec(html, "cable-map")
    features = [v for layer in spec["layer"] for v in (layer.get("data", {}).get("values") or [])
                if isinstance(v, dict) and v.get("type") == "Feature"]
    assert len(features) == 32 + 21 - 2  # every cable landing in Japan or India has a route


# ---------------------------------------------------------------- browser, 390 px wide


@pytest.mark.browser
def test_page_in_a_phone_wide_browser(fixture_wh: Path) -> None:
    """The page drawn by headless Chromium 390 px wide: the map and builders charts render, with
    the routes drawn, and nothing is wider than the screen (tables scroll in their own box)."""
    import threading
    import time

    from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _free_port

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(fixture_wh), host="127.0.0.1", port=port,
                                        log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not srv.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
            time.sleep(0.05)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 390, "height": 844})
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(f"http://127.0.0.1:{port}/cables?country=JPN&partner=IND")
                page.wait_for_function(
                    "document.querySelectorAll('div.chart[data-rendered=true]').length >= 2", timeout=20_000)
                assert page.locator("div.chart[data-rendered=error]").count() == 0
                assert page.locator("#cable-map svg path").count() >= 8  # sphere, graticule, 8 routes
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
                assert "CC BY-NC-SA 3.0" in page.locator("#cables-licence").inner_text()
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "cables-390.png"), full_page=True)
                assert errors == []
            finally:
                browser.close()
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_cable_routes_leave_the_warehouse_byte_identical(fixture_wh: Path) -> None:
    from test_web_readonly import routes, tree_digest

    before = tree_digest(fixture_wh)
    app = create_app(fixture_wh)
    mine = sorted(p for _, p in routes(app) if "cables" in p)
    assert mine == ["/api/cables", "/api/cables/cut", "/api/cables/exposure", "/api/cables/goods", "/cables"]
    c = SyncClient(app)
    try:
        for url in ("/api/cables?country=IND", "/api/cables/cut?chokepoint=red-sea",
                    "/api/cables/exposure?country=LKA", "/api/cables/goods?country=IND", "/cables"):
            assert c.get(url).status_code == 200, url
    finally:
        c.close()
    assert tree_digest(fixture_wh) == before
