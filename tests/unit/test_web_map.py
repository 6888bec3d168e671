"""World maps: the vendored Natural Earth topology, the supplier and producer maps on the product
and mineral pages, and the countries under the submarine-cable routes on ``/cables``.

Warehouses: the SYNTHETIC small web world of ``_webdata`` (trade, minerals) and the SYNTHETIC tiny
sample world with the SYNTHETIC cable fixtures (as in ``test_cables_web.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _asgi import SyncClient
from _webdata import small_warehouse

from kakehashi.report import charts
from kakehashi.sources.cables import load_cables
from kakehashi.sources.countries import countries
from kakehashi.warehouse import Warehouse
from kakehashi.web import create_app

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "cables" / "good"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    c = SyncClient(create_app(small_warehouse(tmp_path_factory.mktemp("map") / "wh")))
    yield c
    c.close()


@pytest.fixture(scope="module")
def cable_client(tiny_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    """SYNTHETIC: the tiny sample world's trade and the cable fixtures in one warehouse."""
    from kakehashi.sample import ingest_sample

    path = tmp_path_factory.mktemp("map-cables") / "wh"
    wh = Warehouse(path)
    ingest_sample(wh, tiny_sample_dir)
    load_cables(wh, GOOD)
    wh.close()
    c = SyncClient(create_app(path))
    yield c
    c.close()


def _spec(html: str, chart_id: str) -> dict[str, Any]:
    m = re.search(rf'<script type="application/json" id="{chart_id}-spec">(.*?)</script>', html, re.S)
    assert m, f"no spec {chart_id}"
    spec: dict[str, Any] = json.loads(m.group(1))
    return spec


def _lookup_values(spec: dict[str, Any]) -> dict[str, float]:
    """The shares joined to the topology: the lookup transform's inline data, by ISO3."""
    found = [t for layer in spec["layer"] for t in layer.get("transform", []) if "lookup" in t]
    assert len(found) == 1 and found[0]["lookup"] == "properties.iso3"
    return {r["iso3"]: r["share"] for r in found[0]["from"]["data"]["values"]}


def _outlined(spec: dict[str, Any]) -> dict[str, str]:
    """ISO3 → stroke colour of the outline layers."""
    out = {}
    for layer in spec["layer"]:
        mark = layer["mark"]
        if isinstance(mark, dict) and mark.get("filled") is False:
            (f,) = [t["filter"] for t in layer["transform"]]
            assert f["field"] == "properties.iso3"
            out[f["equal"]] = mark["stroke"]
    return out


def test_topology_features_map_to_iso3() -> None:
    topo = charts.world_topology()
    assert topo["type"] == "Topology" and set(topo["objects"]) == {"countries", "land"}
    geoms = topo["objects"]["countries"]["geometries"]
    assert len(geoms) == 177
    # independent check: the ISO3 we attach has, in the ISO 3166 table, the feature's numeric id
    numeric = dict(zip(countries()["iso3"], countries()["numeric"], strict=True))
    with_id = [g for g in geoms if "id" in g]
    assert len(with_id) == 174
    for g in with_id:
        assert numeric[g["properties"]["iso3"]] == int(g["id"]), g
    # Natural Earth gives no ISO numeric code to three disputed or unrecognised territories
    assert sorted(g["properties"]["name"] for g in geoms if "id" not in g) == ["Kosovo", "N. Cyprus",
                                                                              "Somaliland"]
    assert all(g["properties"]["iso3"] is None for g in geoms if "id" not in g)
    by_name = {g["properties"]["name"]: g["properties"]["iso3"] for g in with_id}
    assert (by_name["Japan"], by_name["China"], by_name["India"], by_name["Brazil"]) == (
        "JPN", "CHN", "IND", "BRA")
    # every call gives a fresh copy (pages edit specs in place)
    charts.world_topology()["objects"].clear()
    assert len(charts.world_topology()["objects"]["countries"]["geometries"]) == 177
    without = charts.world_topology(antarctica=False)["objects"]["countries"]["geometries"]
    assert len(without) == 176 and "ATA" not in {g["properties"]["iso3"] for g in without}


def test_product_page_map_joins_the_twins_shares(client: SyncClient) -> None:
    url = "/products/280530?importer=JPN&rival=CHN&partner=IND"
    twin = client.get("/api" + url).json()
    last = max(r["year"] for r in twin["supplier_shares"])
    expected = {r["supplier"]: r["share"] for r in twin["supplier_shares"]
                if r["year"] == last and r["supplier"] != "other"}
    assert expected  # the small world has suppliers in the latest year
    page = client.get(url)
    assert page.status_code == 200
    spec = _spec(page.text, "supplier-map")
    assert _lookup_values(spec) == pytest.approx(expected)
    assert spec["data"]["format"] == {"type": "topojson", "feature": "countries"}
    # the topology is inlined once, by name: every country but Antarctica (left out so that the
    # map fits the inhabited world), each with its ISO3
    topo = spec["datasets"][spec["data"]["name"]]
    geoms = topo["objects"]["countries"]["geometries"]
    assert len(geoms) == 176 and {"CHN", "IND", "JPN"} <= {g["properties"]["iso3"] for g in geoms}
    assert spec["width"] == "container" and spec["projection"]["type"] == "equalEarth"
    assert _outlined(spec) == {"CHN": charts.RIVAL_COLOUR, "IND": charts.PARTNER_COLOUR}
    assert str(last) in spec["title"]["text"]
    # the twin does not carry the map
    assert "topojson" not in client.get("/api" + url).text


def test_mineral_page_map_joins_the_twins_production(client: SyncClient) -> None:
    twin = client.get("/api/minerals/rare-earths?rival=CHN").json()
    stage = sorted({r["stage"] for r in twin["production"]})[0]
    rows = [r for r in twin["production"] if r["stage"] == stage]
    last = max(r["year"] for r in rows)
    expected = {r["country"]: r["share"] for r in rows if r["year"] == last}
    spec = _spec(client.get("/minerals/rare-earths?rival=CHN").text, "production-map")
    assert _lookup_values(spec) == pytest.approx(expected)
    assert sum(expected.values()) == pytest.approx(1.0)
    assert _outlined(spec) == {"CHN": charts.RIVAL_COLOUR}


def test_cable_map_draws_countries_under_the_routes(cable_client: SyncClient) -> None:
    page = cable_client.get("/cables?country=JPN&partner=IND")
    assert page.status_code == 200
    spec = _spec(page.text, "cable-map")
    kinds = []
    for layer in spec["layer"]:
        data = layer.get("data", {})
        if data.get("format", {}).get("type") == "topojson" and data.get("name") in spec["datasets"]:
            kinds.append("countries")
        elif isinstance(data.get("values"), list) and data["values"] and "geometry" in data["values"][0]:
            kinds.append("routes")
        else:
            kinds.append("other")
    assert kinds.count("countries") == 1 and kinds.count("routes") == 1
    assert kinds.index("countries") < kinds.index("routes")
    (land,) = [la for la in spec["layer"] if la.get("data", {}).get("format", {}).get("type") == "topojson"]
    assert len(spec["datasets"][land["data"]["name"]]["objects"]["countries"]["geometries"]) == 177
