"""The partner-matching page and the organisation's CONFIDENTIAL report, on the SYNTHETIC tiny sample."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _orgs import KEY, SyncClient, bearer, client_for

from kakehashi.orgs.store import OrgStore
from kakehashi.present import fmt_num, fmt_share, fmt_usd
from kakehashi.warehouse import Warehouse
from kakehashi.web import create_app

ITEM_A = "Zorbium coil SYNTHETIC"  # SYNTHETIC item names
ITEM_B = "Quarkel cell SYNTHETIC"
# item A: 300 from KOR, 100 from CHN; item B: 600 from CHN. Direct rival share of the firm, by hand:
# (100 + 600) / (300 + 100 + 600) = 0.7
BOM = ("item,hs6,supplier_country,annual_spend_usd\n"
       f"{ITEM_A},850760,KOR,300\n{ITEM_A},850760,CHN,100\n{ITEM_B},850760,CHN,600\n")
USD = ("rival_usd", "partner_spare_usd", "partner_exports_to_importer_usd", "export_potential_usd",
       "unrealised_potential_usd")


@pytest.fixture(scope="module")
def setup(tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    store = OrgStore(tmp_path_factory.mktemp("orgs") / "orgs", KEY)
    _, token_a = store.add("Acme SYNTHETIC", country="JPN")
    _, token_b = store.add("Other Org", country="IND")
    app = create_app(tiny_warehouse.path)
    app.state.orgs = store
    with client_for(app) as client:
        r = client.post("/api/org/bom", content=BOM, headers={**bearer(token_a), "Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
        yield {"client": client, "a": token_a, "b": token_b}


def _table_rows(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)]
            for r in rows]


@pytest.mark.parametrize("query", ["importer=JPN&partner=IND&rival=CHN",
                                   "importer=JPN&partner=IND&rival=CHN&both=1"])
def test_match_page_equals_api(setup: dict[str, Any], query: str) -> None:
    cl: SyncClient = setup["client"]
    api = cl.get(f"/api/match?{query}").json()["rows"]
    assert api, "the tiny sample has products where JPN depends on CHN"
    r = cl.get(f"/match?{query}", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Decreux" in r.text and "Unrealised potential" in r.text
    rows = _table_rows(r.text, "match-table")
    assert len(rows) == len(api)
    for cells, a in zip(rows, api, strict=True):
        assert cells[2].startswith(a["hs6"]) and a["product"] in cells[2]
        assert cells[3:5] == [fmt_usd(a["rival_usd"]), fmt_usd(a["partner_spare_usd"])]
        assert cells[5] == fmt_num(a["partner_rca"])
        assert cells[6:9] == [fmt_usd(a[c]) for c in USD[2:]]
    if "both" in query:
        assert {a["importer"] for a in api} == {"JPN", "IND"}
    # the CSV download holds the same numbers, unrounded
    c = cl.get(f"/match?{query}&format=csv")
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    got = list(csv.DictReader(io.StringIO(c.text)))
    assert [g["hs6"] for g in got] == [a["hs6"] for a in api]
    for g, a in zip(got, api, strict=True):
        for col in (*USD, "partner_rca"):
            assert float(g[col]) == pytest.approx(a[col], rel=1e-9, abs=1e-9)  # JSON: 10 decimals


def test_match_page_bad_country_422(setup: dict[str, Any]) -> None:
    r = setup["client"].get("/match?importer=jpn")
    assert r.status_code == 422 and "importer" in r.json()["detail"]


def test_menu_links_match(setup: dict[str, Any]) -> None:
    r = setup["client"].get("/", headers={"Accept": "text/html"})
    assert 'href="/match?importer=' in r.text


def test_org_report(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    r = cl.get("/api/org/report?rival=CHN", headers=bearer(setup["a"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "no-store" in r.headers["cache-control"]
    html = r.text
    assert "CONFIDENTIAL" in html and "Acme SYNTHETIC" in html and "SYNTHETIC SAMPLE" in html
    assert "<script" not in html
    rows = _table_rows(html, "items")
    assert {row[0] for row in rows[:-1]} == {ITEM_A, ITEM_B}
    assert rows[-1][0] == "Firm total"
    assert rows[-1][4] == fmt_share(0.7)  # hand computation above
    assert rows[-1][2] == fmt_usd(1000)
    exp = cl.get("/api/org/exposure?rival=CHN", headers=bearer(setup["a"])).json()
    assert rows[-1][5] == fmt_share(exp["total"]["indirect_rival_share"])
    by_item = {row[0]: row for row in rows[:-1]}
    assert by_item[ITEM_A][4] == fmt_share(0.25) and by_item[ITEM_B][4] == fmt_share(1.0)


@pytest.mark.parametrize("who", [None, "b", "bad"])
def test_org_report_refused(setup: dict[str, Any], who: str | None) -> None:
    cl: SyncClient = setup["client"]
    headers = {} if who is None else bearer("kko_0123456789abcdef_" + "A" * 43) if who == "bad" \
        else bearer(setup[who])
    r = cl.get("/api/org/report", headers=headers)
    assert r.status_code == (404 if who == "b" else 401)
    assert ITEM_A not in r.text and "Acme" not in r.text


def test_cli_org_report(tiny_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.cli import main

    monkeypatch.setenv("KAKEHASHI_SECRET_KEY", base64.b64encode(KEY).decode())
    monkeypatch.setenv("KAKEHASHI_ORGS", str(tmp_path / "orgs"))
    monkeypatch.setenv("KAKEHASHI_WAREHOUSE", str(tiny_warehouse.path))
    assert main(["org", "add", "Acme SYNTHETIC"]) == 0
    (tmp_path / "bom.csv").write_text(BOM)
    assert main(["org", "bom", "Acme SYNTHETIC", str(tmp_path / "bom.csv")]) == 0
    capsys.readouterr()
    out = tmp_path / "report.html"
    assert main(["org", "report", "Acme SYNTHETIC", "--rival", "CHN", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "CONFIDENTIAL" in html and ITEM_A in html and ITEM_B in html
    assert _table_rows(html, "items")[-1][4] == fmt_share(0.7)
    assert ITEM_A not in capsys.readouterr().out  # written to the file, not printed


def test_match_page_form_and_workstream(setup: dict[str, Any]) -> None:
    cl: SyncClient = setup["client"]
    # the form's "(all products)" sends an empty workstream: the same rows as none
    whole = cl.get("/match?importer=JPN&partner=IND&rival=CHN&workstream=&format=csv")
    assert whole.status_code == 200
    assert whole.text == cl.get("/match?importer=JPN&partner=IND&rival=CHN&format=csv").text
    ws = "clean-energy"
    api = cl.get(f"/api/match?importer=JPN&partner=IND&rival=CHN&workstream={ws}").json()["rows"]
    page = cl.get(f"/match?importer=JPN&partner=IND&rival=CHN&workstream={ws}")
    assert page.status_code == 200 and f'value="{ws}" selected' in page.text
    got = _table_rows(page.text, "match-table") if api else []
    assert [c[2][:6] for c in got] == [a["hs6"] for a in api]
