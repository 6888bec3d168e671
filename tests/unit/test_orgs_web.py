"""Organisation routes on the SYNTHETIC tiny sample: isolation between organisations, 401s, 422s, 503."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _orgs import KEY, SyncClient, bearer, client_for

from kakehashi.orgs.store import OrgStore
from kakehashi.warehouse import Warehouse
from kakehashi.web import create_app

SECRET_ITEM = "Quillonite stator lamination"  # SYNTHETIC item name that must stay inside org A
BOM_A = ("item,hs6,supplier_country,annual_spend_usd,seeking_alternatives\n"
         f"{SECRET_ITEM},850760,KOR,777001,true\n{SECRET_ITEM},850760,CHN,222999,\n")


@pytest.fixture(scope="module")
def setup(tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    store = OrgStore(tmp_path_factory.mktemp("orgs") / "orgs", KEY)
    _, token_a = store.add("Acme", country="JPN", disclose=True)
    _, token_b = store.add("Bharat Metals", country="IND", disclose=True)
    _, token_c = store.add("Chennai Cells", country="IND")
    app = create_app(tiny_warehouse.path, max_body=64 * 1024)
    app.state.orgs = store
    with client_for(app) as client:
        yield {"client": client, "store": store, "a": token_a, "b": token_b, "c": token_c, "app": app}


def test_upload_and_own_exposure(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    r = cl.post("/api/org/bom", content=BOM_A, headers={**bearer(setup["a"]), "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json() == {"organisation": "Acme", "kind": "bom", "rows": 2}
    r = cl.get("/api/org/exposure?rival=CHN", headers=bearer(setup["a"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["organisation"] == "Acme" and body["synthetic"] is True
    row = body["rows"][0]
    assert row["item"] == SECRET_ITEM
    assert row["direct_rival_share"] == pytest.approx(222999 / 1_000_000)
    csv_text = cl.get("/api/org/exposure?format=csv", headers=bearer(setup["a"])).text
    assert csv_text.splitlines()[0].startswith("item,hs6,product,spend_usd")


def test_other_org_sees_nothing(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    cl.post("/api/org/bom", content=BOM_A, headers={**bearer(setup["a"]), "Content-Type": "text/csv"})
    for path in ("/api/org/bom", "/api/org/exposure"):
        r = cl.get(path, headers=bearer(setup["b"]))
        assert r.status_code == 404
        assert SECRET_ITEM not in r.text and "777001" not in r.text
    r = cl.get("/api/org/matches", headers=bearer(setup["b"]))
    assert r.status_code == 200 and r.json()["rows"] == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer kko_0123456789abcdef_" + "A" * 43},
                                     {"Authorization": "Bearer not-a-token"}])
def test_no_or_wrong_token_401(setup: dict[str, Any], headers: dict[str, str]) -> None:
    cl: SyncClient = setup["client"]
    for method, path in (("GET", "/api/org/bom"), ("GET", "/api/org/exposure"), ("POST", "/api/org/bom"),
                         ("GET", "/api/org/matches"), ("POST", "/api/org/capabilities")):
        r = cl.request(method, path, headers=headers, content=BOM_A if method == "POST" else None)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert SECRET_ITEM not in r.text


def test_revoked_token_401(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    store: OrgStore = setup["store"]
    _, old = store.add("Temporary Ltd")
    assert cl.get("/api/org/matches", headers=bearer(old)).status_code == 200
    new = store.rotate_token("Temporary Ltd")
    assert cl.get("/api/org/matches", headers=bearer(old)).status_code == 401
    assert cl.get("/api/org/matches", headers=bearer(new)).status_code == 200
    store.remove("Temporary Ltd")
    assert cl.get("/api/org/matches", headers=bearer(new)).status_code == 401


def test_public_routes_never_show_uploads(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    cl.post("/api/org/bom", content=BOM_A, headers={**bearer(setup["a"]), "Content-Type": "text/csv"})
    paths = [p for p, ops in setup["app"].openapi()["paths"].items()
             if "get" in ops and not p.startswith("/api/org") and "{" not in p and p != "/api/briefing"]
    paths += ["/api/importers/JPN", "/api/products/850760", "/", "/screen",
              "/api/match?workstream=clean-energy"]
    assert len(paths) >= 10
    for p in paths:
        for h in ({}, bearer(setup["a"])):
            r = cl.get(p, headers=h)
            assert SECRET_ITEM not in r.text and "777001" not in r.text, p


def test_bad_bom_422_nothing_stored(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    bad = "item,hs6,supplier_country,annual_spend_usd\nx,850760,KOR,10\ny,999999,KOR,10\n"
    r = cl.post("/api/org/bom", content=bad, headers={**bearer(setup["c"]), "Content-Type": "text/csv"})
    assert r.status_code == 422
    assert r.json()["detail"] == "line 3, field hs6: unknown HS6 code '999999'"
    assert cl.get("/api/org/bom", headers=bearer(setup["c"])).status_code == 404
    js = '{"rows": [{"item": "x", "hs6": "850760", "supplier_country": "KOR", "annual_spend_usd": "lots"}]}'
    r = cl.post("/api/org/bom", content=js,
                headers={**bearer(setup["c"]), "Content-Type": "application/json"})
    assert r.status_code == 422 and "row 1, field annual_spend_usd" in r.json()["detail"]


def test_firm_matches_disclosure(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    cl.post("/api/org/bom", content=BOM_A, headers={**bearer(setup["a"]), "Content-Type": "text/csv"})
    caps = "hs6,country,annual_capacity_usd\n850760,IND,5000000\n"
    for who in ("b", "c"):
        r = cl.post("/api/org/capabilities", content=caps,
                    headers={**bearer(setup[who]), "Content-Type": "text/csv"})
        assert r.status_code == 200
    rows = cl.get("/api/org/matches", headers=bearer(setup["a"])).json()["rows"]
    names = sorted(r["counterpart"] for r in rows)
    # Bharat Metals and Acme both opted in: named; Chennai Cells did not: anonymous
    assert names == ["Bharat Metals", "a registered supplier in IND"]
    assert {r["item"] for r in rows} == {SECRET_ITEM}
    # the suppliers see no match (they seek nothing) and nothing of Acme's
    r = cl.get("/api/org/matches", headers=bearer(setup["c"]))
    assert r.json()["rows"] == [] and SECRET_ITEM not in r.text


def test_no_key_503(tiny_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAKEHASHI_SECRET_KEY", raising=False)
    monkeypatch.delenv("KAKEHASHI_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("KAKEHASHI_ORGS", str(tmp_path / "orgs"))
    with client_for(create_app(tiny_warehouse.path)) as cl:
        r = cl.get("/api/org/exposure", headers=bearer("kko_0123456789abcdef_" + "A" * 43))
        assert r.status_code == 503
        assert "no secret key" in r.json()["detail"]
        assert cl.get("/api/health").status_code == 200  # the public dashboard is unaffected
    assert not (tmp_path / "orgs").exists()


def test_wrong_key_503(tiny_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import os

    OrgStore(tmp_path / "orgs", KEY).add("Acme")
    monkeypatch.setenv("KAKEHASHI_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("KAKEHASHI_ORGS", str(tmp_path / "orgs"))
    with client_for(create_app(tiny_warehouse.path)) as cl:
        r = cl.get("/api/org/matches", headers=bearer("kko_0123456789abcdef_" + "A" * 43))
        assert r.status_code == 503 and "cannot be opened with this key" in r.json()["detail"]
