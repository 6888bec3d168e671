"""Plain language, finding things and downloads in the dashboard (SYNTHETIC small warehouse of _webdata).

Numbers are checked against hand calculations on the hand-made flows of ``_webdata.small_warehouse``:
Japan buys HS 280530 from CHN 80, VNM 15, IND 5 and HS 850511 from CHN 60, DEU 40 (USD m in 2021,
+10 % a year, so ×1.2 in 2023).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _webdata import small_warehouse

from kakehashi.catalogue import WORKSTREAM_NAMES, chapter_description
from kakehashi.present.labels import COLUMN_LABELS, GLOSSARY, column_label, country_label
from kakehashi.questions import exposure
from kakehashi.web import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.AsyncClient]:
    wh: Path = small_warehouse(tmp_path_factory.mktemp("plain") / "wh")
    app = create_app(wh, max_draws=200)
    loop = asyncio.new_event_loop()
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    class Sync:
        def get(self, url: str, **kw: object) -> httpx.Response:
            return loop.run_until_complete(c.get(url, **kw))  # type: ignore[arg-type]

        def post(self, url: str, **kw: object) -> httpx.Response:
            return loop.run_until_complete(c.post(url, **kw))  # type: ignore[arg-type]

    yield Sync()  # type: ignore[misc]
    loop.run_until_complete(c.aclose())
    loop.close()


def test_labels_name_columns_and_countries() -> None:
    assert column_label("net_shortfall_usd") == "net shortfall (USD)"
    assert column_label("lam") == "weight on cost"
    assert column_label("hhi_wgi") == "governance-weighted concentration"
    assert column_label("brand_new_metric") == "brand new metric"
    assert country_label("IND") == "India"
    assert country_label("JPN+IND") == "Japan + India"
    assert country_label("other") == "other"
    # every glossary term the issue names is explained
    assert {"hhi", "rca", "cover", "dependent", "persistent", "severity"} <= set(GLOSSARY)


def test_headline_is_computed_from_the_row() -> None:
    row = {"hs6": "810411", "product_name": "Unwrought magnesium", "rival_share": 0.98,
           "world_export_hhi": 0.7}
    assert exposure.headline("JPN", "CHN", row) == (
        "Japan buys 98.0% of its unwrought magnesium (HS 810411) from China; "
        "the world has few other exporters.")
    chapter = dict(row, hs6="060220", product_name=chapter_description("060220"))
    assert exposure.headline("JPN", "CHN", chapter).count("0602") == 1  # the code is named once
    many = dict(row, world_export_hhi=0.1, rival_share=0.25)
    assert exposure.headline("IND", "CHN", many).endswith("25.0% of its unwrought magnesium (HS 810411) "
                                                          "from China; other countries export it too.")


def test_overview_headline_and_workstream_filter(client: httpx.Client) -> None:
    full = client.get("/api/importers/JPN?rival=CHN").json()
    # top dependency is 280530: rival share 80 / (80 + 15 + 5) = 80 %; world exports CHN 170, VNM 45,
    # IND 5 of 220 → HHI 0.64 > 0.4
    assert full["headline"] == ("Japan buys 80.0% of its rare-earth metals, scandium and yttrium (HS 280530) "
                                "from China; the world has few other exporters.")
    assert full["workstream"] is None and full["chain"] == []
    ce = client.get("/api/importers/JPN?rival=CHN&workstream=clean-energy").json()
    # only 850511 is in clean-energy: imports (60 + 40) × 1.2, from China 60 × 1.2 (USD m)
    assert ce["products_screened"] == 1
    assert ce["imports_usd"] == pytest.approx(120e6)
    assert ce["rival_usd"] == pytest.approx(72e6)
    assert [r["hs6"] for r in ce["top_dependencies"]] == ["850511"]
    assert any(c["input_hs6"] == "850511" for c in ce["chain"])
    page = client.get("/importers/JPN?rival=CHN&workstream=clean-energy")
    assert page.status_code == 200
    assert 'id="chain"' in page.text and "clean-energy" in page.text  # in links and the picker's values
    assert "<h2>The Clean energy chain, from ore to end product</h2>" in page.text
    assert ">clean-energy<" not in page.text  # the reader sees the name, never the key
    assert '<abbr title="CHN">China</abbr>' in page.text
    overview = client.get("/importers/JPN?rival=CHN").text
    shown = re.findall(r'class="workstream-link"[^>]*>([^<]+)</a>', overview)
    assert shown and set(shown) <= set(WORKSTREAM_NAMES.values())


def test_csv_downloads_match_the_json(client: httpx.Client) -> None:
    body = client.get("/api/products/280530?importer=JPN").json()
    r = client.get("/api/products/280530?importer=JPN&format=csv&table=supplier_shares")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(body["supplier_shares"])
    assert {(int(x["year"]), x["supplier"], float(x["value_usd"])) for x in rows} == {
        (x["year"], x["supplier"], x["value_usd"]) for x in body["supplier_shares"]}
    bad = client.get("/api/products/280530?importer=JPN&format=csv&table=nope")
    assert bad.status_code == 422 and "supplier_shares" in bad.text
    ov = client.get("/api/importers/JPN?format=csv")
    assert ov.text.splitlines()[0].startswith("importer,hs6,year")
    assert len(ov.text.strip().splitlines()) == 1 + 2  # header and the two products Japan buys


def test_every_csv_link_on_the_pages_answers_csv(client: httpx.Client) -> None:

    seen = 0
    for url in ("/importers/JPN?rival=CHN", "/importers/JPN?workstream=critical-minerals",
                "/products/280530?importer=JPN&partner=IND", "/minerals/rare-earths",
                "/diversify?importer=JPN&partner=IND", "/glossary", "/search?q=magnet",
                "/match?importer=JPN&partner=IND&rival=CHN"):
        page = client.get(url)
        assert page.status_code == 200, url
        for href in re.findall(r'class="csv-link" href="([^"]+)"', page.text):
            r = client.get(href.replace("&amp;", "&"))
            assert r.status_code == 200, href
            assert r.headers["content-type"].startswith("text/csv"), href
            seen += 1
    assert seen >= 12


def test_product_page_without_importer_uses_the_default(client: httpx.Client) -> None:
    r = client.get("/products/280530")
    assert r.status_code == 200
    assert "Japan" in r.text and "Field required" not in r.text
    assert client.get("/api/products/280530").json()["importer"] == "JPN"


def test_search_by_code_and_by_words(client: httpx.Client) -> None:
    by_code = client.get("/api/search?q=8505").json()["results"]
    assert [r["hs6"] for r in by_code] == ["850511", "850519"]
    assert [r["traded"] for r in by_code] == [True, False]  # only 850511 is in the small warehouse
    words = client.get("/api/search?q=permanent magnets").json()["results"]
    assert {r["hs6"] for r in words} == {"850511", "850519"}
    assert client.get("/api/search?q=").status_code == 422
    page = client.get("/search?q=rare earth")
    assert page.status_code == 200 and "/products/280530?importer=JPN" in page.text


def test_glossary_page_and_twin(client: httpx.Client) -> None:
    body = client.get("/api/glossary").json()
    assert {t["key"] for t in body["terms"]} == set(GLOSSARY)
    assert len(body["columns"]) == len(COLUMN_LABELS)
    page = client.get("/glossary")
    assert page.status_code == 200
    for _, (term, _meaning) in GLOSSARY.items():
        assert term.replace("&", "&amp;") in page.text


def test_tables_name_countries_with_the_code_on_hover(client: httpx.Client) -> None:

    pages = ["/products/850511?importer=JPN&rival=CHN&partner=IND", "/minerals/rare-earths",
             "/scenarios?importer=JPN", "/diversify?importer=JPN&partner=IND&workstream=critical-minerals"]
    for path in pages:
        html = client.get(path).text
        cells = re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)
        bare = [c for c in cells if re.fullmatch(r"\s*[A-Z]{3}\s*", c)]
        assert not bare, path  # no bare ISO3 code in a cell
        named = re.findall(r'<abbr title="([A-Z]{3})">([^<]+)</abbr>', html)
        assert named and all(name == country_label(code) for code, name in named), path


def test_a_catalogued_measure_runs_with_codes_the_warehouse_does_not_trade(client: httpx.Client) -> None:
    r = client.post("/api/scenarios/run", json={"measure_id": "CN-2025-18-RARE-EARTHS", "draws": 10})
    assert r.status_code == 200, r.text  # as on the command line: untraded codes move nothing
    listed = set(r.json()["spec"]["measures"][0]["products"]["values"])
    traded = {h for h in listed for hit in client.get(f"/api/search?q={h}").json()["results"]
              if hit["hs6"] == h and hit["traded"]}
    assert listed - traded and listed & traded
    assert {row["hs6"] for row in r.json()["rows"] if row["tier"] == 0} <= listed & traded
    # a scenario the user writes still gets the typo check
    measure = {"type": "export_restriction", "exporter": "CHN", "products": ["280530", "280531"],
               "targets": ["JPN"]}
    typo = {"name": "t", "base_year": 2023, "measures": [measure]}
    bad = client.post("/api/scenarios/run", json={"scenario": typo, "draws": 5})
    assert bad.status_code == 422 and "280531" in bad.json()["detail"]


def test_scenario_picker_offers_only_measures_that_run(client: httpx.Client) -> None:
    page = client.get("/scenarios").text
    picker = page.split('<select name="measure_id" id="measure-select">')[1].split("</select>")[0]
    offered = set(re.findall(r'<option value="([^"]+)"', picker))
    assert "CN-2025-18-RARE-EARTHS" in offered  # names HS 280530, traded in the warehouse
    assert "CN-2025-55-SUPERHARD" not in offered and "CN-2025-56-RE-EQUIPMENT" not in offered
    apart = page.split('id="unrunnable-measures"')[1].split("</details>")[0]
    untraded = r"CN-2025-55-SUPERHARD</strong>[^<]*: none of its HS codes \([0-9, ]+\) is traded in 2023"
    assert re.search(untraded, apart)
    assert re.search(r"CN-2025-56-RE-EQUIPMENT</strong>[^<]*: names no goods with HS codes", apart)
    # the run agrees: what is left apart is refused, what is offered runs
    refused = client.post("/api/scenarios/run", json={"measure_id": "CN-2025-55-SUPERHARD", "draws": 5})
    assert refused.status_code == 422
    ran = client.post("/api/scenarios/run", json={"measure_id": "CN-2025-18-RARE-EARTHS", "draws": 5})
    assert ran.status_code == 200
    # the JSON twin says the same: the picker's options are exactly the runnable rows of /api/measures
    rows = client.get("/api/measures").json()["measures"]
    by_id = {r["id"]: r for r in rows}
    assert {i for i, r in by_id.items() if r["runnable"]} == offered
    assert by_id["CN-2025-55-SUPERHARD"]["runnable"] is False
    assert re.fullmatch(r"none of its HS codes \([0-9, ]+\) is traded in 2023 in this warehouse",
                        by_id["CN-2025-55-SUPERHARD"]["reason"])
    ree = by_id["CN-2025-18-RARE-EARTHS"]
    assert (ree["runnable"], ree["reason"]) == (True, "")


def test_country_pickers_show_names_and_accept_names_or_codes(client: httpx.Client) -> None:
    page = client.get("/compare?importers=JPN,IND&rival=CHN").text
    box = page.split('id="importers-checks"')[1].split("</fieldset>")[0]
    ticked = re.findall(r'value="([A-Z]{3})" checked> ([^<]+?) \(\1\)', box)
    assert ticked == [("JPN", "Japan"), ("IND", "India")]
    offered = re.findall(r'value="([A-Z]{3})"> ([^<]+?) \(\1\)', box)
    assert ("VNM", country_label("VNM")) in offered
    assert all(name == country_label(code) for code, name in offered) and "CHN" not in dict(offered)
    assert 'name="importers" value=' in box and "<input name=\"importers\"" not in page  # no free text
    # a form's ticked boxes (repeated field), names, "Name (CODE)" and the old permalink all agree
    permalink = client.get("/compare?importers=JPN,IND&rival=CHN").text
    for url in ("/compare?importers=JPN&importers=IND&rival=CHN", "/compare?importers=Japan,india&rival=CHN",
                "/compare?importers=Japan%20(JPN)&importers=India%20(IND)&rival=CHN"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert "/api/compare?importers=JPN,IND&amp;rival=CHN" in r.text  # the same canonical query
        assert r.text == permalink
    bad = client.get("/compare?importers=Japan,Indai&rival=CHN", headers={"accept": "application/json"})
    assert bad.status_code == 422 and "India" in bad.json()["hint"]
    vietnam = country_label("VNM")  # by the name the page shows
    div = client.get(f"/diversify?importer=JPN&partner=IND&coalition={vietnam}&coalition=DEU")
    assert div.status_code == 200, div.text[:300]
    coal = div.text.split('id="coalition-checks"')[1].split("</fieldset>")[0]
    assert re.findall(r'value="([A-Z]{3})" checked', coal) == ["VNM", "DEU"]
    boxes = set(re.findall(r'value="([A-Z]{3})"', coal))
    assert not {"JPN", "IND", "CHN"} & boxes  # the importer, partner and rival are not offered
    assert "coalition=VNM%2CDEU" in div.text or "coalition=VNM,DEU" in div.text  # the JSON twin's link
    same = client.get("/api/diversify?importer=JPN&rival=CHN&partner=IND&coalition=VNM,DEU").json()
    assert same["coalition"] == ["VNM", "DEU"]


def test_pickers_name_countries_and_leave_out_the_rival(client: httpx.Client) -> None:
    page = client.get("/").text
    assert '<option value="JPN" selected>Japan (JPN)</option>' in page
    importer_select = page.split('<select name="importer">')[1].split("</select>")[0]
    assert 'value="CHN"' not in importer_select
    r = client.get("/go?importer=IND&rival=CHN&year=2022&workstream=critical-minerals",
                   follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/importers/IND?rival=CHN&year=2022&workstream=critical-minerals"
    blank = client.get("/go?importer=JPN&rival=CHN&year=&workstream=", follow_redirects=False)
    assert blank.headers["location"] == "/importers/JPN?rival=CHN"


def test_api_docs_render_markdown_not_literally(client: httpx.Client) -> None:
    page = client.get("/api-docs").text
    assert "<li>" in page and "<code>" in page
    assert "**" not in page
    assert "<code>/api/glossary</code>" in page and "<code>/api/search</code>" in page


def test_cover_colours_do_not_swap_when_a_coalition_is_added() -> None:
    import pandas as pd

    from kakehashi.report import charts

    def colours(groups: list[str]) -> dict[str, str]:
        df = pd.DataFrame({"label": "280530 x", "group": groups, "cover": [0.5, 4.0, 1.0][: len(groups)]})
        spec = charts.to_spec(charts.cover_bars(df, title="t"))
        scale = next(layer["encoding"]["color"]["scale"] for layer in spec["layer"]
                     if "color" in layer.get("encoding", {}))
        return dict(zip(scale["domain"], scale["range"], strict=True))

    two = colours(["partner India", "world"])
    three = colours(["partner India", "coalition", "world"])
    assert two["partner India"] == three["partner India"] == charts.PARTNER_COLOUR
    assert two["world"] == three["world"]
    # the 4× coalition bar is cut at 3× and marked
    df = pd.DataFrame({"label": "a", "group": ["partner India", "coalition"], "cover": [0.5, 4.0]})
    spec = charts.to_spec(charts.cover_bars(df, title="t"))
    marks = [layer["mark"] for layer in spec["layer"]]
    assert any(isinstance(m, dict) and m.get("type") == "text" and m.get("text") == "▶" for m in marks)


def test_scenario_results_download_as_csv(client: httpx.Client) -> None:

    yaml_text = ("name: ree-ban\nbase_year: 2023\nmeasures:\n  - type: export_restriction\n"
                 "    exporter: CHN\n    products: ['280530']\n    targets: [JPN]\n    severity: 1.0\n")
    form = {"importer": "JPN", "scenario_yaml": yaml_text, "draws": "50"}
    page = loop_post(client, "/scenarios/run", form)
    assert page.status_code == 200, page.text[:300]
    import html

    found = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">',
                       page.text.split('id="scenario-csv"')[1].split("</form>")[0])
    hidden = {k: html.unescape(v) for k, v in found}  # what a browser submits
    assert hidden["importer"] == "JPN" and "280530" in hidden["scenario_yaml"]
    r = loop_post(client, "/scenarios/run.csv", {**hidden, "table": "rows"})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {"importer", "exporter", "hs6", "metric", "p5", "p50", "p95"} <= set(rows[0])
    # the page's first result row is in the CSV with the same median (same seed, same run)
    first = re.search(r'id="scenario-rows">.*?<tbody><tr><td>.*?</td><td>.*?</td><td>(\d{6})</td>', page.text,
                      re.S)
    assert first is not None and first.group(1) in {x["hs6"] for x in rows}


def loop_post(client: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    return client.post(url, data=data)  # type: ignore[attr-defined]
