"""Importers side by side (``exposure.compare``, ``/api/compare``, ``/compare``) on the SYNTHETIC
tiny sample world: every number must be the one each importer's own screen gives alone."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import pandas as pd
import pytest
from _orgs import SyncClient, client_for

from kakehashi import InputError
from kakehashi.questions import exposure
from kakehashi.warehouse import Warehouse
from kakehashi.web import create_app


@pytest.fixture(scope="module")
def client(tiny_warehouse: Warehouse) -> Iterator[SyncClient]:
    with client_for(create_app(tiny_warehouse.path)) as cl:
        yield cl


def _latest(wh: Warehouse) -> int:
    return exposure.latest_year(wh)[1]


def _close(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    # JSON carries 10 significant decimals (pandas to_json, as every API answer)
    return math.isclose(float(a), float(b), rel_tol=1e-8, abs_tol=1e-10)  # type: ignore[arg-type]


def test_api_numbers_equal_each_importers_screen_alone(client: SyncClient, tiny_warehouse: Warehouse) -> None:
    r = client.get("/api/compare?importers=JPN,IND&rival=CHN")
    assert r.status_code == 200, r.text
    body = r.json()
    yr = _latest(tiny_warehouse)
    assert body["importers"] == ["JPN", "IND"] and body["year"] == yr and body["synthetic"] is True
    rows = {row["hs6"]: row for row in body["rows"]}
    for code in ("JPN", "IND"):
        alone = exposure.screen(tiny_warehouse, code, "CHN", years=[yr])
        assert len(alone) > 0
        for s in alone.itertuples():
            row = rows[s.hs6]
            assert _close(row[f"imports_usd_{code}"], s.imports_usd)
            assert _close(row[f"rival_share_{code}"], s.rival_share)
            assert _close(row[f"severity_{code}"], s.severity)
            assert row[f"dependent_{code}"] == bool(s.dependent)
            assert row[f"persistent_{code}"] == bool(s.persistent)
        # products this importer does not buy are empty for it
        missing = set(rows) - set(alone["hs6"])
        assert all(rows[h][f"imports_usd_{code}"] is None for h in missing)
        total = next(t for t in body["totals"] if t["importer"] == code)
        assert total["products"] == len(alone)
        assert total["dependent"] == int(alone["dependent"].sum())
        assert math.isclose(total["imports_usd"], float(alone["imports_usd"].sum()), rel_tol=1e-8)
        assert math.isclose(total["rival_usd"], float(alone["rival_usd"].fillna(0).sum()), rel_tol=1e-8)
    assert set(rows) == set().union(*(set(exposure.screen(tiny_warehouse, c, "CHN", years=[yr])["hs6"])
                                     for c in ("JPN", "IND")))
    worst = [max((v for k, v in row.items() if k.startswith("severity_") and v is not None), default=-1.0)
             for row in body["rows"]]
    assert worst == sorted(worst, reverse=True)


def test_workstream_keeps_only_its_products(tiny_warehouse: Warehouse) -> None:
    yr = _latest(tiny_warehouse)
    cmp = exposure.compare(tiny_warehouse, ["JPN", "IND"], "CHN", workstream="semiconductors")
    for code in ("JPN", "IND"):
        alone = exposure.in_workstream(exposure.screen(tiny_warehouse, code, "CHN", years=[yr]),
                                       "semiconductors")
        got = cmp.table.dropna(subset=[f"imports_usd_{code}"])
        assert sorted(got["hs6"]) == sorted(alone["hs6"])


def test_compare_refuses_one_importer_or_the_rival(tiny_warehouse: Warehouse) -> None:
    with pytest.raises(InputError, match="two to four"):
        exposure.compare(tiny_warehouse, ["JPN"], "CHN")
    with pytest.raises(InputError, match="rival"):
        exposure.compare(tiny_warehouse, ["JPN", "CHN"], "CHN")


def test_page_shows_both_countries_and_the_chart(client: SyncClient) -> None:
    r = client.get("/compare?importers=JPN,IND&rival=CHN")
    assert r.status_code == 200, r.text
    assert "Japan" in r.text and "India" in r.text
    assert 'id="compare-table"' in r.text and 'id="compare-shares-spec"' in r.text
    assert "/api/compare?importers=JPN,IND&amp;rival=CHN" in r.text  # the CSV link


@pytest.mark.parametrize("url", ["/api/compare?importers=JPN,XXX&rival=CHN", "/api/compare?importers=JPN",
                                 "/api/compare?importers=JPN,IND&rival=chn",
                                 "/api/compare?importers=JPN,IND&rival=JPN"])
def test_bad_request_is_422_with_the_error_model(client: SyncClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"detail", "hint", "error"}


def test_csv_is_the_json_table(client: SyncClient) -> None:
    r = client.get("/api/compare?importers=JPN,IND&rival=CHN&format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    df = pd.read_csv(io.StringIO(r.text), dtype={"hs6": str})
    rows = client.get("/api/compare?importers=JPN,IND&rival=CHN").json()["rows"]
    assert df["hs6"].tolist() == [row["hs6"] for row in rows]
    assert "rival_share_IND" in df.columns


def test_overview_links_to_compare(client: SyncClient) -> None:
    r = client.get("/importers/JPN?rival=CHN")
    assert r.status_code == 200
    assert 'href="/compare?importers=JPN,IND&amp;rival=CHN' in r.text
