"""Coverage warnings, the analysis revision and the source of each year, through every door.

The same sentences from :func:`kakehashi.questions.exposure.coverage` reach the command line
(stderr), the API (``warnings``), the dashboard pages (a notice) and the briefing pack (summary
page and method appendix); ``status`` shows which source each year uses; ``--precedence``
changes it.

Real files (skipped when ``shared/data`` is absent): the complete BACI HS17 2024 file of 30
critical-material codes, the BACI HS92 2021 extract whose only exporters are ZAF and AFG, and the
UN HS concordance. The BACI + Comtrade warehouse is built from the fixtures under
``tests/fixtures/baci`` and ``tests/fixtures/comtrade`` (SYNTHETIC values in the publishers'
exact layouts).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from _realdata import mixed_warehouse

from kakehashi.cli import main
from kakehashi.warehouse import Warehouse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BACI_LABEL = "CEPII BACI HS92 V202301"


class Client:
    """A synchronous facade over httpx's ASGI transport (in process, no server)."""

    def __init__(self, path: Path) -> None:
        from kakehashi.web import create_app

        self.loop = asyncio.new_event_loop()
        app = create_app(path, max_draws=50)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def get(self, url: str) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(url))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


# ------------------------------------------------------- BACI + Comtrade for one year
@pytest.fixture(scope="module")
def wh_two(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """BACI HS92 2021 and Comtrade HS17 2021 / HS22 2022 fixtures (SYNTHETIC values)."""
    from kakehashi.sources.baci import load_baci
    from kakehashi.sources.comtrade import load_comtrade

    wh = Warehouse(tmp_path_factory.mktemp("two") / "wh")
    load_baci(wh, [FIXTURES / "baci" / "BACI_HS92_Y2021_V202301.csv"],
              country_codes=FIXTURES / "baci" / "country_codes_V202301.csv")
    load_comtrade(wh, [FIXTURES / "comtrade" / "comtrade_C_A_HS_2021-2022.csv"])
    return wh


def test_status_shows_the_source_of_each_year(wh_two: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-w", str(wh_two.path), "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["precedence"] == ["CEPII BACI", "UN Comtrade"]
    # 2021: BACI (11 rows in the fixture, less 697 "Europe EFTA nes", a non-country area) first,
    # Comtrade's rows set aside; 2022: Comtrade alone, one kept row (India's imports from China;
    # the World row is kept apart)
    assert body["sources_by_year"] == [
        {"year": 2021, "source": BACI_LABEL, "hs_revisions": ["HS92"], "rows": 10,
         "set_aside": ["UN Comtrade"]},
        {"year": 2022, "source": "UN Comtrade", "hs_revisions": ["HS22"], "rows": 1, "set_aside": []},
    ]
    assert main(["status", "-w", str(wh_two.path)]) == 0
    out = capsys.readouterr().out
    assert "Source used each year" in out
    line21 = next(ln for ln in out.splitlines() if ln.startswith("2021 "))
    assert BACI_LABEL in line21 and line21.rstrip().endswith("UN Comtrade")
    # the other order
    assert main(["status", "-w", str(wh_two.path), "--format", "json",
                 "--precedence", "UN Comtrade,CEPII BACI"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["sources_by_year"][0] == {"year": 2021, "source": "UN Comtrade", "hs_revisions": ["HS17"],
                                          "rows": 3, "set_aside": [BACI_LABEL]}


def test_api_status_shows_the_source_of_each_year(wh_two: Warehouse) -> None:
    c = Client(wh_two.path)
    try:
        body = c.get("/api/status").json()
    finally:
        c.close()
    assert [(r["year"], r["source"], r["set_aside"]) for r in body["sources_by_year"]] == [
        (2021, BACI_LABEL, ["UN Comtrade"]), (2022, "UN Comtrade", [])]


def test_precedence_changes_which_source_a_year_uses(wh_two: Warehouse,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    args = ["-w", str(wh_two.path), "-i", "JPN", "-r", "CHN", "--years", "2021", "--format", "csv"]
    assert main(["screen", *args]) == 0
    b = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main(["screen", *args, "--precedence", "UN Comtrade,CEPII BACI"]) == 0
    m = pd.read_csv(io.StringIO(capsys.readouterr().out))
    # BACI fixture: JPN bought 280530 from USA (0.001 thousand USD) and FRA (3 thousand USD), none from CHN
    row = b[b["hs6"] == 280530].iloc[0]
    assert row["imports_usd"] == pytest.approx(3001.0) and row["rival_share"] == 0.0
    assert row["hs_revision"] == "HS92"
    # Comtrade fixture: CHN reported 420,000 USD of 280530 to JPN (HS17), the only supplier
    row = m[m["hs6"] == 280530].iloc[0]
    assert row["imports_usd"] == pytest.approx(420_000.0) and row["rival_share"] == 1.0
    assert row["hs_revision"] == "HS17"
    # substitutes and complementarity take the option too
    assert main(["substitutes", *args, "--all-products", "--precedence", "UN Comtrade,CEPII BACI"]) == 0
    sub = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert sub["rival_usd"].tolist() == [pytest.approx(420_000.0)]
    # complementarity's workstream scopes need the concordance, which this warehouse lacks: the
    # revision its error names is that of the dataset the precedence picked
    comp = ["complementarity", "-w", str(wh_two.path), "-e", "CHN", "-i", "JPN", "--years", "2021"]
    assert main(comp) == 2
    assert "cannot convert HS22 codes to HS92" in capsys.readouterr().err
    assert main([*comp, "--precedence", "UN Comtrade,CEPII BACI"]) == 2
    assert "cannot convert HS22 codes to HS17" in capsys.readouterr().err


def test_a_bad_precedence_is_one_line_and_exit_2(wh_two: Warehouse,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    args = ["screen", "-w", str(wh_two.path), "-i", "JPN", "-r", "CHN", "--precedence", "CEPII BACI,,"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--precedence" in err and "empty source name" in err


# ------------------------------------------------------------- real: extract + complete file
@pytest.fixture(scope="module")
def wh_mixed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """HS92 2021 extract (two exporters) + the complete HS17 2024 file + the UN concordance."""
    return mixed_warehouse(shared_data, tmp_path_factory.mktemp("mixed") / "wh")


@pytest.fixture(scope="module")
def client(wh_mixed: Warehouse) -> Iterator[Client]:
    c = Client(wh_mixed.path)
    yield c
    c.close()


def expected_2021() -> str:
    """The extract's warning: ZAF and AFG are its only exporters (the data README)."""
    return "Trade of 2021 (CEPII BACI HS92 V202301) covers only 2 exporters"


def test_questions_layer_warns_for_the_extract_and_not_for_the_complete_year(wh_mixed: Warehouse) -> None:
    from kakehashi.metrics.coverage import coverage_warnings
    from kakehashi.questions import exposure

    w21 = exposure.coverage(wh_mixed, None, [2021])
    assert len(w21) == 1 and w21[0].startswith(expected_2021())
    assert w21 == coverage_warnings(wh_mixed, [2021])
    assert exposure.coverage(wh_mixed, None, [2024]) == []
    # an answer's own years decide: a 2024 screen carries no warning
    df = exposure.screen(wh_mixed, "JPN", "CHN", years=[2024])
    assert exposure.coverage(wh_mixed, df) == []
    rev = exposure.revision_statement(df)
    assert (rev.revision, rev.converted_rows, rev.rows) == ("HS22", len(df), len(df))  # HS17 → HS22


def _check_stated(body: dict[str, Any], warned: bool) -> None:
    assert body["hs_revision"] == "HS22"
    if warned:
        assert len(body["warnings"]) == 1 and body["warnings"][0].startswith(expected_2021())
    else:
        assert body["warnings"] == []


def test_api_screen_states_revision_and_coverage(client: Client) -> None:
    r21 = client.get("/api/screen?importer=JPN&rival=CHN&year=2021").json()
    _check_stated(r21, warned=True)
    r24 = client.get("/api/screen?importer=JPN&rival=CHN&year=2024").json()
    _check_stated(r24, warned=False)
    assert r24["converted_rows"] == r24["total_rows"] > 20  # every 2024 row converted from HS17
    row = next(r for r in r24["rows"] if r["hs6"] == "810411")
    assert row["hs_revision"] == "HS22" and row["converted"] is True and row["world_exporters"] > 10
    assert round(row["imports_usd"] / 1e6, 1) == 55.3 and round(row["rival_share"] * 100, 1) == 98.0


def test_api_overview_product_and_diversify_carry_the_warnings(client: Client) -> None:
    _check_stated(client.get("/api/importers/JPN?rival=CHN&year=2021").json(), warned=True)
    _check_stated(client.get("/api/importers/JPN?rival=CHN&year=2024").json(), warned=False)
    # a product shows every year of the data (world supply in 2021: ZAF and AFG alone), so it warns
    _check_stated(client.get("/api/products/850511?importer=JPN&rival=CHN").json(), warned=True)
    div = client.get("/api/diversify?importer=JPN&rival=CHN&year=2021&workstream=critical-minerals").json()
    _check_stated(div, warned=True)
    div = client.get("/api/diversify?importer=JPN&rival=CHN&year=2024&workstream=critical-minerals").json()
    _check_stated(div, warned=False)


def test_pages_show_the_notice(client: Client) -> None:
    page = client.get("/importers/JPN?rival=CHN&year=2021").text
    assert 'id="coverage-warning"' in page and "Coverage: Trade of 2021" in page
    page = client.get("/importers/JPN?rival=CHN&year=2024").text
    assert 'id="coverage-warning"' not in page
    assert "Trade data in HS22 (" in page and "rows converted from other HS revisions" in page


def test_pack_shows_the_warning_on_the_summary_page_and_in_the_method(
        wh_mixed: Warehouse, client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.report.build import collect_briefing
    from kakehashi.report.render import render_html

    b = collect_briefing(wh_mixed, "JPN", "CHN", "IND", "critical-minerals", year=2021, draws=20)
    assert len(b.warnings) == 1 and b.warnings[0].startswith(expected_2021())
    # the same sentence through every door: API, CLI (stderr) and pack
    api = client.get("/api/screen?importer=JPN&rival=CHN&year=2021&workstream=critical-minerals").json()
    assert main(["screen", "-w", str(wh_mixed.path), "-i", "JPN", "-r", "CHN", "--years", "2021",
                 "--workstream", "critical-minerals", "--format", "csv"]) == 0
    cli = [ln.removeprefix("warning: ") for ln in capsys.readouterr().err.splitlines()
           if ln.startswith("warning: ")]
    assert api["warnings"] == cli == b.warnings
    assert "(HS22;" in b.subtitle and "rows converted from other HS revisions" in b.subtitle
    method = dict(b.appendix.method)
    assert method["Coverage"] == b.warnings[0]
    html = render_html(b)
    summary = html[html.index('id="summary"'):html.index('id="charts"')]
    assert "Coverage: " + b.warnings[0] in summary
    appendix = html[html.index('id="appendix"'):]
    assert b.warnings[0] in appendix

    b24 = collect_briefing(wh_mixed, "JPN", "CHN", "IND", "critical-minerals", year=2024, draws=20)
    assert b24.warnings == []
    assert "coverage-warning" not in render_html(b24).split('id="charts"')[0].split("</style>")[-1]
    assert dict(b24.appendix.method)["Coverage"].startswith("The trade of 2024 covers enough exporters")


def test_cli_header_states_the_revision(wh_mixed: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "-w", str(wh_mixed.path), "-i", "JPN", "-r", "CHN", "--years", "2024",
                 "--hs", "810411"]) == 0
    out, err = capsys.readouterr()
    assert "[HS22; 1 of 1 rows converted from other HS revisions]" in " ".join(out.split())
    assert "warning" not in err
    assert main(["substitutes", "-w", str(wh_mixed.path), "-i", "JPN", "-r", "CHN", "--years", "2021",
                 "--all-products", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "warning: " + expected_2021() in err
    assert {"hs_revision", "converted"} <= set(out.splitlines()[0].split(","))


def test_precedence_grammar() -> None:
    from kakehashi.errors import InputError
    from kakehashi.questions.request import parse_precedence

    assert parse_precedence(" UN Comtrade , CEPII BACI ") == ("UN Comtrade", "CEPII BACI")
    assert parse_precedence(None) is None
    with pytest.raises(InputError, match="names 'CEPII BACI' twice"):
        parse_precedence("CEPII BACI,UN Comtrade,CEPII BACI")
    with pytest.raises(InputError, match="empty source name"):
        parse_precedence(" ")
