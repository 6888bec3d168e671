"""Error pages and API errors do not show server file paths (SYNTHETIC one-flow warehouse).

The warehouse below has trade flows but no ``production`` table, so the minerals
routes answer the library's "table production is empty in warehouse <path>"
error; the web must say "this warehouse" instead of the path, and keep the hint.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pandas as pd
import pytest

from kakehashi import Warehouse
from kakehashi.errors import InputError
from kakehashi.web import create_app
from kakehashi.web.app import public_text

SYNTH = "SYNTHETIC public-error test data"


def _trade_only(path: Path) -> Path:
    rows = [{"year": 2023, "exporter": "CHN", "importer": "JPN", "hs6": "280530", "value_usd": 1e6,
             "quantity_t": None, "hs_revision": "HS22", "source": SYNTH}]
    wh = Warehouse(path)
    with wh.transaction() as tx:
        tx.write("trade_flows", pd.DataFrame(rows), source=SYNTH)
    return path


def _get(app: object, url: str, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                                     base_url="http://testserver") as c:
            return await c.get(url, headers=headers)
    return asyncio.run(go())


def test_errors_name_this_warehouse_not_its_path(tmp_path: Path) -> None:
    wh = _trade_only(tmp_path / "wh")
    with pytest.raises(InputError) as exc:  # the library (and so the CLI) keeps the full path
        Warehouse(wh, read_only=True).table("production")
    assert str(wh) in exc.value.message
    app = create_app(wh)
    page = _get(app, "/minerals/rare-earths", {"accept": "text/html"})
    api = _get(app, "/api/minerals/rare-earths", {})
    assert page.status_code == api.status_code == 422
    for body in (page.text, api.text):
        assert str(tmp_path) not in body and str(tmp_path.resolve()) not in body
    assert api.json()["detail"] == "table production is empty in this warehouse"
    assert "kakehashi ingest usgs" in api.json()["hint"]  # still says what to do
    assert "table production is empty in this warehouse" in page.text and "kakehashi ingest usgs" in page.text


def test_public_text_hides_other_server_paths_but_keeps_routes(tmp_path: Path) -> None:
    measures = tmp_path / "conf" / "measures.yaml"
    text = public_text(f"{measures}:12: unknown field 'sevrity'", tmp_path / "wh")
    assert text == "measures.yaml:12: unknown field 'sevrity'"
    inside = public_text(f"{tmp_path / 'wh' / 'CURRENT'} is damaged", tmp_path / "wh")
    assert inside == "CURRENT in this warehouse is damaged"
    route = "send measure_id (see /api/measures)"
    assert public_text(route, tmp_path) == route
    assert public_text("see https://example.org/a/b", tmp_path) == "see https://example.org/a/b"
