"""The bloc JPN+IND works wherever an importer is (CLI, API, pages, packs), and bad requests are one
line and exit 2 on the CLI, 422 on the web (SYNTHETIC tiny sample)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from urllib.parse import unquote

import pandas as pd
import pytest
from _doors import SyncClient, assert_same, cli_json, keyed, web_client

from kakehashi import Warehouse
from kakehashi.cli import main

WS = "critical-minerals"


@pytest.fixture(scope="module")
def whpath(tiny_warehouse: Warehouse) -> str:
    return str(tiny_warehouse.path)


@pytest.fixture(scope="module")
def web(whpath: str) -> Iterator[SyncClient]:
    with web_client(whpath) as c:
        yield c


def _bloc_imports(wh: Warehouse, hs6: str, year: int) -> float:
    """Imports of the bloc from outside it, straight from the flows (the independent check)."""
    t = wh.table("trade_flows")
    df = wh.execute(t.filter(t.importer.isin(["JPN", "IND"]) & ~t.exporter.isin(["JPN", "IND"])
                             & (t.hs6 == hs6) & (t.year == year)))
    return float(df["value_usd"].sum())


def test_bloc_screen_in_cli_api_and_pack(whpath: str, web: SyncClient, tiny_warehouse: Warehouse,
                                         tmp_path_factory: pytest.TempPathFactory,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.report.build import build_briefing

    cols = ["imports_usd", "rival_share", "import_hhi", "severity"]
    cli = cli_json(capsys, "screen", "-i", "JPN+IND", "-r", "CHN", "--workstream", WS, "--years", "2023",
                   "-w", whpath)
    assert {r["importer"] for r in cli} == {"JPN+IND"}
    for query in ("JPN%2BIND", "JPN,IND", "JPN+IND"):  # %2B, a comma, or a + that arrives as a space
        r = web.get(f"/api/screen?importer={query}&rival=CHN&workstream={WS}&year=2023&limit=10000")
        assert r.status_code == 200, (query, r.text)
        assert r.json()["importer"] == "JPN+IND"
        assert_same(keyed(cli, ["hs6"], cols), keyed(r.json()["rows"], ["hs6"], cols))
    folder = tmp_path_factory.mktemp("bloc-pack")
    path = build_briefing(tiny_warehouse, "JPN+IND", "CHN", None, WS, "html", folder, draws=50)
    assert path.name == "briefing-JPN+IND-CHN-critical-minerals.html"
    with zipfile.ZipFile(path.with_name(path.stem + "-data.zip")) as z:
        packed = pd.read_csv(io.BytesIO(z.read("screen.csv")), dtype={"hs6": str})
    assert_same(keyed(cli, ["hs6"], cols), keyed(packed, ["hs6"], cols))
    top = str(cli[0]["hs6"])
    assert cli[0]["imports_usd"] == pytest.approx(_bloc_imports(tiny_warehouse, top, 2023), rel=1e-9)
    assert "China" in path.read_text(encoding="utf-8")  # the rival named in the title


def test_bloc_in_pages_and_the_rest_of_the_api(web: SyncClient) -> None:
    assert web.get("/importers/JPN+IND?rival=CHN").status_code == 200
    assert web.get("/api/importers/JPN%2BIND?rival=CHN").json()["importer"] == "JPN+IND"
    location = web.get("/go?importer=JPN%2BIND&rival=CHN", follow_redirects=False).headers["location"]
    assert unquote(location) == "/importers/JPN+IND?rival=CHN"  # the + may arrive escaped as %2B
    page = web.get(f"/diversify?importer=JPN%2BIND&rival=CHN&workstream={WS}")
    assert page.status_code == 200, page.text
    r = web.get(f"/api/diversify?importer=JPN%2BIND&rival=CHN&workstream={WS}")
    assert r.status_code == 200 and r.json()["importer"] == "JPN+IND"
    r = web.get("/api/products/280530?importer=JPN%2BIND&rival=CHN")
    assert r.status_code == 200 and r.json()["importer"] == "JPN+IND"
    r = web.get(f"/api/briefing?importer=JPN%2BIND&rival=CHN&workstream={WS}")
    assert r.status_code == 200 and "briefing-JPN+IND-CHN" in r.headers["content-disposition"]
    named = "briefing-JPN+IND-CHN-critical-minerals-data.zip"
    assert named in r.text  # the pack names its data file, and the API serves it under that name
    data = web.get(f"/api/briefing?importer=JPN%2BIND&rival=CHN&workstream={WS}&format=data")
    assert data.status_code == 200 and named in data.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(data.content)) as z:
        assert {"screen.csv", "substitution.csv", "portfolio.csv", "scenario.yaml"} <= set(z.namelist())
    page = web.get("/briefing?importer=JPN%2BIND")
    assert page.status_code == 200 and "importer=JPN%2BIND" in page.text and "format=data" in page.text


def test_bloc_report_on_the_cli(whpath: str, tmp_path_factory: pytest.TempPathFactory,
                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path_factory.mktemp("cli-pack")
    data = folder / "tables"
    code = main(["report", "--importer", "JPN+IND", "--workstream", WS, "--draws", "50", "--out",
                 str(folder / "pack.html"), "--data", str(data), "-w", whpath])
    assert code == 0, capsys.readouterr().err
    assert (folder / "pack.html").is_file() and (data / "screen.csv").is_file()
    assert "tables/" in (folder / "pack.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [
    ["screen", "-i", "JPN+", "-r", "CHN"],
    ["screen", "-i", "JPN++IND", "-r", "CHN"],
    ["screen", "-i", "JPN", "-r", "CHN", "--hs", ","],
    ["substitutes", "-i", "JPN++IND", "-r", "CHN"],
    ["diversify", "-i", "JPN+", "-r", "CHN"],
    ["frontier", "-i", "JPN", "-r", "CHN", "--hs", ","],
    ["report", "--importer", "JPN+", "--workstream", WS],
    ["diversify", "-i", "JPN", "-r", "CHN", "--max-rival-share", "lots"],
])
def test_bad_input_is_one_error_line_and_exit_2(whpath: str, args: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*args, "-w", whpath])
    err = capsys.readouterr().err
    assert code == 2
    assert [ln for ln in err.splitlines() if ln.startswith("error:")] and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1


@pytest.mark.parametrize("url", [
    "/api/screen?importer=JPN%2B&rival=CHN",
    "/api/screen?importer=JPN%2B%2BIND&rival=CHN",
    "/api/diversify?importer=JPN%2B&rival=CHN",
    "/api/products/280530?importer=JPN%2B%2BIND",
    "/api/briefing?importer=JPN%2B&workstream=critical-minerals",
    "/api/importers/JPN++IND",
])
def test_bad_bloc_is_422_on_the_web(web: SyncClient, url: str) -> None:
    r = web.get(url)
    assert r.status_code == 422, r.text
    assert "empty member" in r.json()["detail"]


def test_scenario_results_for_a_bloc(web: SyncClient) -> None:
    """A scenario's rows for JPN+IND are the rows of JPN and of IND (the same run, filtered)."""
    body = {"measure_id": "CN-2025-18-RARE-EARTHS", "draws": 50, "limit": 20000}
    both = web.post("/api/scenarios/run", json={**body, "importer": "JPN+IND"})
    assert both.status_code == 200, both.text
    assert both.json()["importer"] == "JPN+IND"
    rows = {imp: web.post("/api/scenarios/run", json={**body, "importer": imp}).json()["rows"]
            for imp in ("JPN", "IND")}
    assert len(both.json()["rows"]) == len(rows["JPN"]) + len(rows["IND"]) > 0
    assert web.post("/api/scenarios/run", json={**body, "importer": "JPN++IND"}).status_code == 422
