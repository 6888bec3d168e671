"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright.

A uvicorn server is started on 127.0.0.1 (free port, in a thread, bounded
startup wait) over the SYNTHETIC tiny sample (the ``tiny_warehouse`` fixture). Screenshots go to
``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} "
                       "(install Debian's 'chromium' package to run the browser tests)"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1 in a thread; yields its URL, then stops it."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            srv.should_exit = True
            pytest.fail("the test server did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tiny_warehouse: Any) -> Iterator[str]:
    from kakehashi.web import create_app

    with serving(create_app(tiny_warehouse.path, max_draws=500)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.console_errors = errors
    yield pg
    context.close()


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_start_page(server: str, page: Any) -> None:
    page.goto(server + "/")
    assert page.locator("#synthetic-banner").inner_text().startswith("SYNTHETIC SAMPLE")
    assert page.locator("select[name=importer]").input_value() == "JPN"
    _shot(page, "01-start")
    assert page.console_errors == []


def test_api_docs_page(server: str, page: Any) -> None:
    page.goto(server + "/api-docs")
    assert page.locator("code", has_text="/api/health").count() >= 1
    _shot(page, "09-api-docs")
    assert page.console_errors == []


def _charts_rendered(page: Any, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('div.chart[data-rendered=true]').length >= {count}", timeout=20_000)
    assert page.locator("div.chart[data-rendered=error]").count() == 0
    assert page.locator("div.chart svg").count() >= count


def test_overview_then_drill_into_product(server: str, page: Any) -> None:
    page.goto(server + "/")
    page.select_option("select[name=importer]", "JPN")
    page.click("form.picker button[type=submit]")
    page.wait_for_url("**/importers/JPN?rival=CHN")
    assert int(page.locator("#kf-dependent").inner_text()) > 0
    _charts_rendered(page, 1)
    _shot(page, "02-overview-JPN")
    first = page.locator("a.product-link").first
    code = first.inner_text()
    first.click()
    page.wait_for_url(f"**/products/{code}?importer=JPN&rival=CHN")
    _charts_rendered(page, 2)
    # hovering a bar shows its tooltip (styled by the app's own stylesheet under the CSP)
    bar = page.locator("#suppliers svg path[aria-roledescription='bar']").first
    bar.hover()
    page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
    assert "share" in page.locator("#vg-tooltip-element").inner_text()
    assert page.locator("h1").inner_text().startswith(code)
    _shot(page, f"03-product-{code}")
    assert page.console_errors == []


def test_mineral_page(server: str, page: Any) -> None:
    page.goto(server + "/minerals")
    page.click("a.card >> text=rare-earths")
    page.wait_for_url("**/minerals/rare-earths")
    _charts_rendered(page, 1)
    _shot(page, "06-mineral-rare-earths")
    assert page.console_errors == []


def test_run_a_scenario_and_see_its_bands(server: str, page: Any) -> None:
    page.goto(server + "/scenarios?importer=JPN")
    page.select_option("#measure-select", "CN-2025-18-RARE-EARTHS")
    page.fill("input[name=draws]", "200")
    page.click("#run-scenario")
    page.wait_for_selector("#scenario-result", timeout=60_000)
    _charts_rendered(page, 1)
    assert page.locator("#scenario-rows tbody tr").count() > 0
    assert "CN-2025-18-RARE-EARTHS" in page.locator("#scenario-form select#measure-select").input_value()
    _shot(page, "04-scenario-bands")
    assert page.console_errors == []


def test_diversification_page(server: str, page: Any) -> None:
    page.goto(server + "/diversify?importer=JPN&partner=IND&coalition=AUS,USA&workstream=critical-minerals")
    _charts_rendered(page, 1)
    _shot(page, "05-diversification")
    assert page.console_errors == []


def test_compare_importers_ticked_by_name(server: str, page: Any) -> None:
    page.goto(server + "/compare?importers=JPN,IND&rival=CHN")
    page.locator("#importers-checks").get_by_label("South Korea (KOR)").check()
    page.locator("#importers-checks").get_by_label("India (IND)").uncheck()
    page.click("form[action='/compare'] button[type=submit]")
    page.wait_for_url("**/compare?importers=JPN&importers=KOR**")
    assert page.locator("h1").inner_text().startswith("Japan beside South Korea")
    _charts_rendered(page, 1)
    assert page.console_errors == []


def test_download_the_briefing_pack(server: str, page: Any) -> None:
    page.goto(server + "/briefing?importer=JPN&partner=IND")
    _shot(page, "07-briefing-form")
    with page.expect_download(timeout=120_000) as info:
        page.click("#download-briefing")
    download = info.value
    assert download.suggested_filename == "briefing-JPN-CHN-IND-critical-minerals.html"
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / download.suggested_filename
    download.save_as(str(target))
    html = target.read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE" in html and "Method and sources" in html
    # the pack opens offline and shows its charts (data URIs only)
    page.goto(target.as_uri())
    assert page.locator("img").count() >= 3
    _shot(page, "08-briefing-pack")
    assert page.console_errors == []
