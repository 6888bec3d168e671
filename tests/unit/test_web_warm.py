"""The server's warm-up: the default screen prepared before the first request, read-only, best effort.

SYNTHETIC tiny sample. ``kakehashi serve`` builds its app with ``warm=True`` (each worker process
of ``--workers N`` too), so the first requests find the screen's compiled template and their
year's coverage warnings ready.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from _asgi import SyncClient

from kakehashi import prepared
from kakehashi.warehouse import Warehouse
from kakehashi.web import create_app


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_warm_prepares_the_screen_and_writes_nothing(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    root = tmp_path / "wh"
    shutil.copytree(tiny_warehouse.path, root)
    before = _tree(root)
    prepared.clear()
    compiled = prepared.stats["compiled"]
    app = create_app(root, warm=True)
    assert prepared.stats["compiled"] > compiled  # the template was compiled at start
    warmed = prepared.stats["compiled"]
    service = app.state.service
    latest = max(service.meta.years)
    warned = service.peek(("coverage", (latest,)))
    assert warned is not None  # the latest year's coverage warnings were computed at start
    misses = service.misses
    client = SyncClient(app)
    try:
        years = client.get("/api/meta").json()["years"]
        r = client.get(f"/api/screen?importer=IND&rival=CHN&year={max(years)}")
        assert r.status_code == 200 and r.json()["importer"] == "IND"
    finally:
        client.close()
    assert prepared.stats["compiled"] == warmed  # the first request reused it
    assert max(years) == latest and r.json()["warnings"] == warned
    assert service.misses == misses + 2  # the request computed only its screen and its JSON
    assert _tree(root) == before


def test_warm_is_best_effort_on_a_warehouse_without_trade(tmp_path: Path) -> None:
    from kakehashi.sources.countries import load_countries

    wh = Warehouse(tmp_path / "wh")
    load_countries(wh, None)
    app = create_app(wh.path, warm=True)  # no trade: nothing to prepare, the app still starts
    assert app.state.service.warm() is False
    client = SyncClient(app)
    try:
        assert client.get("/api/health").status_code == 200
    finally:
        client.close()
