"""Every dashboard page in a real browser at a phone width (390 px) and a desktop width (1440 px).

Debian's headless Chromium driven by Playwright over the SYNTHETIC tiny sample. For each page
and width: no horizontal scroll of the document, nothing drawn over the header, every chart
rendered with marks and no chart text cut at the chart's edge, every CSV link answering
``text/csv``. Full-page screenshots go to ``test-artifacts/screens/`` (git-ignored) for a reviewer
to look at.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tests.unit.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401

SCREENS = ARTIFACTS / "screens"
WIDTHS = (390, 1440)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def top_product(server: str) -> str:  # noqa: F811
    with urllib.request.urlopen(server + "/api/importers/JPN?rival=CHN", timeout=60) as r:
        body = json.loads(r.read())
    return str(body["top_dependencies"][0]["hs6"])


PAGES = {
    "start": "/",
    "overview": "/importers/JPN?rival=CHN",
    "overview-workstream": "/importers/JPN?rival=CHN&workstream=critical-minerals",
    "product": "/products/{hs6}?importer=JPN&rival=CHN&partner=IND",
    "minerals": "/minerals",
    "mineral": "/minerals/rare-earths",
    "scenarios": "/scenarios?importer=JPN",
    "diversify": "/diversify?importer=JPN&partner=IND&coalition=AUS,USA&workstream=critical-minerals",
    "briefing": "/briefing?importer=JPN&partner=IND",
    "glossary": "/glossary",
    "match": "/match?importer=JPN&partner=IND&rival=CHN&both=1",
    "search": "/search?q=rare",
    "compare": "/compare?importers=JPN,IND&rival=CHN",
    "api-docs": "/api-docs",
}

LAYOUT_JS = """() => {
  const doc = document.scrollingElement;
  const header = document.querySelector('header.topbar');
  const hb = header.getBoundingClientRect();
  const over = [];
  // elements whose box starts inside the header band but are not part of it (an overlap)
  for (const el of document.querySelectorAll('main *, footer *, .synthetic-banner')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.top < hb.bottom - 1 && r.bottom > hb.top + 1 && !header.contains(el)) {
      over.push(el.tagName + '.' + el.className);
    }
  }
  // nothing inside the header spills out of it (a fixed-height header with a wrapping menu did)
  for (const el of header.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height && (r.bottom > hb.bottom + 1 || r.right > hb.right + 1)) {
      over.push('header ' + el.tagName);
    }
  }
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > innerWidth + 1 && !el.closest('.table-wrap')) {
      wide.push(el.tagName + ' ' + Math.round(r.right));
    }
  }
  return {scrollWidth: doc.scrollWidth, innerWidth: innerWidth, overlap: over.slice(0, 5),
          wide: wide.slice(0, 5)};
}"""

CLIPPED_TEXT_JS = """() => {
  // chart texts (axis labels and titles, legends) drawn outside their chart's box are cut off by it
  const out = [];
  for (const el of document.querySelectorAll('div.chart[data-spec]')) {
    const box = el.getBoundingClientRect();
    for (const t of el.querySelectorAll('svg text')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.right > box.right + 1 || r.left < box.left - 1)) {
        out.push(el.id + ': ' + t.textContent);
      }
    }
  }
  return out.slice(0, 5);
}"""

MARKS = ("svg .mark-rect path, svg .mark-symbol path, svg .mark-line path, svg .mark-area path, "
         "svg .mark-rule line, svg .mark-tick line, svg .mark-shape path")
MARKS_JS = """() => Array.from(document.querySelectorAll('div.chart[data-spec]')).map(el => ({
  id: el.id, state: el.getAttribute('data-rendered'),
  marks: Array.from(el.querySelectorAll('%s')).filter(m => {
    const b = m.getBBox ? m.getBBox() : {width: 1, height: 1};
    return b.width > 0 || b.height > 0;
  }).length,
  width: el.getBoundingClientRect().width}))""".replace("%s", MARKS)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_layout(server: str, browser: Any, top_product: str, name: str, width: int) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        url = server + PAGES[name].format(hs6=top_product)
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        n = page.locator("div.chart[data-spec]").count()
        if n:
            page.wait_for_function(
                "Array.from(document.querySelectorAll('div.chart[data-spec]'))"
                ".every(e => e.getAttribute('data-rendered'))", timeout=30_000)
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
        layout = page.evaluate(LAYOUT_JS)
        assert layout["scrollWidth"] <= layout["innerWidth"], f"{name} at {width}px scrolls: {layout}"
        assert layout["overlap"] == [], f"{name} at {width}px: elements over the header {layout['overlap']}"
        assert page.evaluate(CLIPPED_TEXT_JS) == [], f"{name} at {width}px: chart text cut at the edge"
        for c in page.evaluate(MARKS_JS):
            assert c["state"] == "true", f"{name} at {width}px: chart {c['id']} {c['state']}"
            assert c["marks"] > 0, f"{name} at {width}px: chart {c['id']} drew no marks"
            assert c["width"] <= width
        for href in page.eval_on_selector_all("a.csv-link", "els => els.map(e => e.href)"):
            r = page.request.get(href)
            assert r.status == 200 and r.headers["content-type"].startswith("text/csv"), href
            assert len(r.body()) > 0
        assert errors == []
    finally:
        context.close()


def test_menu_collapses_on_a_phone(server: str, browser: Any) -> None:  # noqa: F811
    """At 390 px the menu hides behind its toggle and opens on a tap, pushing the page down."""
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        page.goto(server + "/minerals")
        assert not page.locator("header nav").is_visible()
        main_top = page.locator("main").bounding_box()["y"]
        page.click("label.menu-button")
        assert page.locator("header nav a", has_text="Diversification").is_visible()
        header = page.locator("header.topbar").bounding_box()
        assert page.locator("main").bounding_box()["y"] >= header["y"] + header["height"] > main_top
        page.screenshot(path=str(SCREENS / "menu-open-390.png"))
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_scenario_result_layout(server: str, browser: Any, width: int) -> None:  # noqa: F811
    """A scenario's result (summary, bands chart, rows) fits the screen and draws its bands."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(server + "/scenarios?importer=JPN")
        page.select_option("#measure-select", "CN-2025-18-RARE-EARTHS")
        page.fill("input[name=draws]", "100")
        page.click("#run-scenario")
        page.wait_for_selector("#scenario-result")
        page.wait_for_function("document.querySelector('#bands[data-rendered]') !== null")
        page.screenshot(path=str(SCREENS / f"scenario-result-{width}.png"), full_page=True)
        layout = page.evaluate(LAYOUT_JS)
        assert layout["scrollWidth"] <= layout["innerWidth"], layout
        charts = page.evaluate(MARKS_JS)
        assert charts and all(c["state"] == "true" and c["marks"] > 0 for c in charts), charts
    finally:
        context.close()


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_chart_downloads(server: str, browser: Any, fmt: str) -> None:  # noqa: F811
    """The PNG and SVG links under a chart download the drawn chart."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server + "/minerals/rare-earths")
        page.wait_for_selector("div.chart[data-rendered=true]")
        with page.expect_download(timeout=20_000) as info:
            page.click(f"a.chart-download[data-format={fmt}] >> nth=0")
        target = SCREENS / f"download-production-1.{fmt}"
        SCREENS.mkdir(parents=True, exist_ok=True)
        info.value.save_as(str(target))
        data = target.read_bytes()
        if fmt == "png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
        else:
            assert data.lstrip().startswith(b"<svg") and b"China" in data
    finally:
        context.close()


@pytest.fixture(scope="module")
def cable_server(tiny_sample_dir: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over the SYNTHETIC tiny sample with the SYNTHETIC cable fixtures ingested beside it."""
    from pathlib import Path

    from tests.unit.test_browser import serving

    from kakehashi.sample import ingest_sample
    from kakehashi.sources.cables import load_cables
    from kakehashi.warehouse import Warehouse
    from kakehashi.web import create_app

    path = tmp_path_factory.mktemp("layout-cables") / "wh"
    wh = Warehouse(path)
    ingest_sample(wh, tiny_sample_dir)
    load_cables(wh, Path(__file__).resolve().parents[1] / "fixtures" / "cables" / "good")
    wh.close()
    with serving(create_app(path)) as url:
        yield url


def test_cable_map_draws_countries_on_a_phone(cable_server: str, browser: Any) -> None:
    """At 390 px the cable map fits the screen and draws the countries (Natural Earth) and the routes."""
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(cable_server + "/cables?country=JPN&partner=IND")
        page.wait_for_selector("#cable-map[data-rendered]")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "cables-390.png"), full_page=True)
        layout = page.evaluate(LAYOUT_JS)
        assert layout["scrollWidth"] <= layout["innerWidth"], layout
        (c,) = [c for c in page.evaluate(MARKS_JS) if c["id"] == "cable-map"]
        assert c["state"] == "true" and c["width"] <= 390
        # layers in drawing order: sphere, graticule, one shape per country of the topology, routes
        shapes = page.evaluate("Array.from(document.querySelectorAll('#cable-map svg g.mark-shape'))"
                               ".map(g => g.querySelectorAll('path').length)")
        assert shapes[:3] == [1, 1, 177] and len(shapes) == 4 and shapes[3] > 0, shapes
    finally:
        context.close()
