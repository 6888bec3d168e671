"""User measures files (--measures, KAKEHASHI_MEASURES) merged into the bundled catalogue.

The measure of these tests is invented (SYNTHETIC): an export ban dated October 2026, after the
bundled catalogue's cut-off, as a dialogue secretariat would add to its own file.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from _webdata import small_warehouse

from kakehashi import InputError, Warehouse
from kakehashi.cli import main
from kakehashi.scenarios import measures as ms

USER_ID = "SEC-2026-10-MAGNETS"

USER_FILE = """\
# SYNTHETIC: an invented measure for the tests, in the schema of the bundled measures.yaml
information_cutoff: 2026-11-28
sources:
  SEC1: dialogue secretariat tracker, week 44 (invented entry for a test)
measures:
  - id: SEC-2026-10-MAGNETS
    issuer: CHN
    authority: MOFCOM
    number: No. 99 of 2026 (invented)
    title: Export ban on rare-earth metals and magnets to Japan and India (invented)
    kind: export_control
    instrument: ban
    exporter: CHN
    targets: [JPN, IND]
    products: ["280530", "850511"]
    announced: 2026-10-09
    effective: 2026-10-15
    history:
      - {date: 2026-10-15, status: in_force, sources: [SEC1]}
    sources: [SEC1, C12]
    flag: V?
    note: invented for a test
"""


def _write(folder: Path, text: str = USER_FILE, name: str = "secretariat.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, fragment: str) -> int:
    """1-based number of the first line of ``text`` containing ``fragment`` (computed, not hard-coded)."""
    return next(i for i, row in enumerate(text.splitlines(), 1) if fragment in row)


# ------------------------------------------------------------------ library
def test_user_file_is_merged_and_bundled_catalogue_unchanged(tmp_path: Path) -> None:
    path = _write(tmp_path)
    bundled = ms.catalogue()
    merged = ms.catalogue(path)
    assert len(merged.measures) == len(bundled.measures) + 1
    assert USER_ID not in {m.id for m in bundled.measures}
    m = ms.get_measure(USER_ID, extra=path)
    assert merged.origin_of(m) == str(path) and merged.cutoff_of(m).isoformat() == "2026-11-28"
    assert merged.origin_of(ms.get_measure("CN-2025-18-RARE-EARTHS")) == ms.BUNDLED
    assert merged.sources["SEC1"].startswith("dialogue secretariat")
    with pytest.raises(InputError, match="unknown measure"):
        ms.get_measure(USER_ID)  # without the file, the id is unknown
    # edited file: read again (cache keyed by path, modification time and size)
    _write(tmp_path, USER_FILE.replace("flag: V?", "flag: U"))
    os.utime(path, ns=(1_800_000_000_000_000_000, 1_800_000_000_000_000_000))
    assert ms.get_measure(USER_ID, extra=path).flag == "U"


# ---------------------------------------------------------------------- CLI
def test_measures_list_shows_user_measure_with_flag_and_sources(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path)
    assert main(["measures", "list", "--as-of", "2026-11-30", "--measures", str(path), "-f", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    row = df.set_index("id").loc[USER_ID]
    assert row["status"] == "in_force" and row["since"] == "2026-10-15"
    assert row["flag"] == "V?" and row["sources"] == "SEC1 C12" and row["origin"] == str(path)
    assert bool(row["after_cutoff"])  # 2026-11-30 is after the file's cut-off 2026-11-28
    assert set(df.loc[df["id"] != USER_ID, "origin"]) == {"bundled"}
    # before the first dated status the measure is not listed
    assert main(["measures", "list", "--as-of", "2026-10-01", "--measures", str(path), "-f", "csv"]) == 0
    assert USER_ID not in capsys.readouterr().out
    # the environment variable does the same; the table names the file and notes its cut-off
    monkeypatch.setenv("KAKEHASHI_MEASURES", str(path))
    assert main(["measures", "list", "--as-of", "2026-11-30", "--country", "JPN"]) == 0
    captured = capsys.readouterr()
    line = next(row for row in captured.out.splitlines() if USER_ID in row)
    assert "V?" in line and "SEC1 C12" in line and "in_force" in line
    assert f"{path} has no information after 2026-11-28" in captured.err.replace("\n", "")


def test_from_measure_runs_on_the_tiny_sample(tmp_path: Path, tiny_warehouse: Warehouse,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path)
    spec = tmp_path / "spec.yaml"
    assert main(["scenario", "from-measure", USER_ID, "--base-year", "2023", "--measures", str(path),
                 "--draws", "1", "--out", str(spec)]) == 0
    assert "source_measure: SEC-2026-10-MAGNETS" in spec.read_text()
    assert "catalogue flag V?" in spec.read_text()
    assert main(["scenario", "from-measure", USER_ID, "--base-year", "2023"]) == 2  # no file: unknown
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["scenario", "run", str(spec), "-w", str(tiny_warehouse.path), "--measures", str(path),
                 "--format", "csv", "--out", str(out)]) == 0
    table = pd.read_csv(out / "sec-2026-10-magnets.csv", dtype={"hs6": str})
    loss = table[(table["metric"] == "direct_loss_usd") & (table["tier"] == 0)
                 & (table["exporter"] == "CHN") & (table["hs6"] != "ALL")]
    # a ban (severity 1) for 12 months: the direct loss is the 2023 imports from China, read independently
    t = tiny_warehouse.table("trade_flows")
    base = tiny_warehouse.execute(t.filter((t.year == 2023) & (t.exporter == "CHN")
                                           & t.importer.isin(["JPN", "IND"])
                                           & t.hs6.isin(["280530", "850511"]))
                                  .select("importer", "hs6", "value_usd"))
    expected = base.groupby(["importer", "hs6"])["value_usd"].sum()
    assert len(expected) >= 2
    got = loss.set_index(["importer", "hs6"])["p50"]
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9)
    assert set(got.index.get_level_values("importer")) <= {"JPN", "IND"}


# ---------------------------------------------------------------- bad input
BAD_CASES = [
    # (name, replace this, with this, the fragment of the offending line, the field named)
    ("unknown-field", "    note: invented for a test", "    colour: red", "colour: red", "field colour"),
    ("unknown-history-field", "sources: [SEC1]}", "sources: [SEC1], rte: 0.1}", "rte: 0.1",
     "field history[0].rte"),
    ("clash-bundled", "id: SEC-2026-10-MAGNETS", "id: CN-2025-18-RARE-EARTHS", "id: CN-2025-18",
     "field id: the measure id 'CN-2025-18-RARE-EARTHS' is already used by the bundled catalogue"),
    ("bad-date", "effective: 2026-10-15", "effective: 2026-13-15", "effective:",
     "field effective of measure SEC-2026-10-MAGNETS: cannot read the date '2026-13-15'"),
    ("bad-history-date", "{date: 2026-10-15", "{date: 2026-10-32", "date: 2026-10-32",
     "field history[0].date of measure SEC-2026-10-MAGNETS: cannot read the date '2026-10-32'"),
    ("bad-cutoff", "information_cutoff: 2026-11-28", "information_cutoff: 28 Nov 2026", "information_cutoff",
     "field information_cutoff: cannot read the date '28 Nov 2026'"),
    ("unknown-hs", '["280530", "850511"]', '["280530", "850599"]', '"850599"',
     "field products[1] of measure SEC-2026-10-MAGNETS: unknown HS code '850599'"),
    ("unquoted-hs", '["280530", "850511"]', '[280530, "850511"]', "280530,",
     "field products[0] of measure SEC-2026-10-MAGNETS: HS code 280530 is a number"),
    ("unknown-source", "sources: [SEC1]}", "sources: [SEC9]}", "SEC9",
     "field history[0].sources of measure SEC-2026-10-MAGNETS: measure SEC-2026-10-MAGNETS cites unknown "
     "source keys ['SEC9']"),
]


@pytest.mark.parametrize(("name", "old", "new", "fragment", "message"), BAD_CASES,
                         ids=[c[0] for c in BAD_CASES])
def test_bad_user_file_is_one_line_with_file_line_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        name: str, old: str, new: str, fragment: str, message: str) -> None:
    assert USER_FILE.count(old) == 1
    text = USER_FILE.replace(old, new)
    path = _write(tmp_path, text, f"{name}.yaml")
    line = _line_of(text, fragment)
    assert main(["measures", "list", "--measures", str(path)]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"error: {path}:{line}: "), (first, line)
    assert message in " ".join(err.split()), err
    assert "hint:" in err and "Traceback" not in err
    # the same error from scenario from-measure
    assert main(["scenario", "from-measure", USER_ID, "--measures", str(path)]) == 2
    assert f"{path}:{line}: " in capsys.readouterr().err


def test_id_clashing_with_another_user_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _write(tmp_path, name="a.yaml")
    second = _write(tmp_path, USER_FILE.replace("SEC1", "OTHER1"), name="b.yaml")
    line = _line_of(USER_FILE, f"id: {USER_ID}")
    assert main(["measures", "list", "--measures", str(first), "--measures", str(second)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{second}:{line}: field id: the measure id '{USER_ID}' is already used by {first}" in err
    missing = tmp_path / "missing.yaml"
    assert main(["measures", "list", "--measures", str(missing)]) == 2
    assert f"{missing}: cannot read the measures file" in " ".join(capsys.readouterr().err.split())


# ---------------------------------------------------------------------- web
class _Client:
    """A small synchronous facade over httpx.AsyncClient on the ASGI transport."""

    def __init__(self, app: object) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                                         base_url="http://testserver")

    def get(self, url: str, **kw: object) -> httpx.Response:
        return self._loop.run_until_complete(self._client.get(url, **kw))  # type: ignore[arg-type]

    def post(self, url: str, **kw: object) -> httpx.Response:
        return self._loop.run_until_complete(self._client.post(url, **kw))  # type: ignore[arg-type]

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@pytest.fixture
def web_warehouse(tmp_path: Path) -> Path:
    return small_warehouse(tmp_path / "wh")


@pytest.fixture
def web_client(tmp_path: Path, web_warehouse: Path) -> Iterator[tuple[_Client, Path]]:
    from kakehashi.web import create_app

    path = _write(tmp_path)
    client = _Client(create_app(web_warehouse, max_draws=50, measures=[path]))
    yield client, path
    client.close()


def test_api_measures_and_scenario_with_user_file(web_client: tuple[_Client, Path]) -> None:
    client, path = web_client
    body = client.get("/api/measures", params={"as_of": "2026-11-30", "country": "JPN"}).json()
    rows = {m["id"]: m for m in body["measures"]}
    assert rows[USER_ID]["flag"] == "V?" and rows[USER_ID]["sources"] == "SEC1 C12"
    assert rows[USER_ID]["status"] == "in_force" and rows[USER_ID]["origin"] == str(path)
    assert rows["CN-2025-18-RARE-EARTHS"]["origin"] == "bundled"
    r = client.post("/api/scenarios/run", json={"measure_id": USER_ID, "base_year": 2023, "draws": 1,
                                                "importer": "JPN"})
    assert r.status_code == 200, r.text
    loss = {(x["hs6"]): x["p50"] for x in r.json()["rows"]
            if x["metric"] == "direct_loss_usd" and x["tier"] == 0 and x["exporter"] == "CHN"}
    # _webdata: China sells Japan 80 and 60 (USD m) of 280530 and 850511 in 2021, +10 % a year → 2023 × 1.2
    assert loss["280530"] == pytest.approx(80e6 * 1.2)
    assert loss["850511"] == pytest.approx(60e6 * 1.2)
    page = client.get("/scenarios?importer=JPN")
    assert page.status_code == 200 and USER_ID in page.text


def test_web_reads_environment_and_refuses_bad_files(tmp_path: Path, web_warehouse: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from kakehashi.web import create_app

    path = _write(tmp_path)
    monkeypatch.setenv("KAKEHASHI_MEASURES", str(path))
    client = _Client(create_app(web_warehouse))
    try:
        body = client.get("/api/measures", params={"as_of": "2026-11-30"}).json()
        ids = {m["id"] for m in body["measures"]}
        assert USER_ID in ids
        # the secretariat edits the file while the server runs: a bad edit is answered 422 with its line
        bad = USER_FILE.replace("effective: 2026-10-15", "effective: 2026-10-35")
        path.write_text(bad, encoding="utf-8")
        os.utime(path, ns=(1_900_000_000_000_000_000, 1_900_000_000_000_000_000))
        r = client.get("/api/measures", params={"as_of": "2026-11-30"})
        assert r.status_code == 422
        line = _line_of(bad, "effective:")
        detail = r.json()["detail"]
        # the web names the file without the server's folders (the CLI prints the full path)
        assert detail.startswith(f"{path.name}:{line}: field effective of measure {USER_ID}")
        assert str(path.parent) not in detail
    finally:
        client.close()
    # a bad file at start is refused (the CLI's 'serve' then exits 2 with the same line)
    with pytest.raises(InputError, match=rf"{path.name}:{_line_of(bad, 'effective:')}: field effective"):
        create_app(web_warehouse)


# --------------------------------------------------------------------- packs
def test_pack_lists_user_measure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("altair", reason="the report extra is not installed")
    wh_path = small_warehouse(tmp_path / "wh")
    path = _write(tmp_path)
    out = tmp_path / "pack.html"
    assert main(["report", "--importer", "JPN", "--partner", "IND", "--workstream", "critical-minerals",
                 "--draws", "10", "-w", str(wh_path), "--measures", str(path), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Measures on critical-minerals goods" in html
    assert USER_ID in html and "SEC1 C12" in html and str(path) in html
    # the bundled export control on rare earths (280530, all targets) is there too; without the file,
    # the user measure is not
    assert "CN-2025-18-RARE-EARTHS" in html
    assert main(["report", "--importer", "JPN", "--partner", "IND", "--workstream", "critical-minerals",
                 "--draws", "10", "-w", str(wh_path), "--out", str(out)]) == 0
    assert USER_ID not in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------------- docs
def test_readme_example_file_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Your own measures", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = _write(tmp_path, example, "our-measures.yaml")
    assert main(["measures", "list", "--measures", str(path), "--as-of", "2026-11-30", "--country", "JPN",
                 "-f", "csv"]) == 0
    row = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("id").loc[USER_ID]
    assert (row["status"], row["since"], row["flag"], row["sources"]) == ("in_force", "2026-10-15", "V?",
                                                                          "SEC1 C12")
    shown = next(r for r in section.splitlines() if r.startswith(f"│ {USER_ID}"))
    assert [c.strip() for c in shown.split("│")[1:8]] == [USER_ID, "in_force", "2026-10-15", "-", "-", "V?",
                                                          "SEC1 C12"]


# ------------------------------------------------- tariffs stacked under a scenario
USER_TARIFF = """\
# SYNTHETIC: an invented tariff for the tests
information_cutoff: 2026-11-28
sources: {SEC1: secretariat tracker (invented entry for a test)}
measures:
  - id: SEC-2026-10-US-TARIFF
    issuer: USA
    authority: USTR
    number: invented
    title: Additional duty on rare-earth metals from China (invented)
    kind: tariff
    instrument: tariff
    importer: USA
    exporters: [CHN]
    products: ["280530"]
    announced: 2026-10-01
    effective: 2026-10-01
    history:
      - {date: 2026-10-01, status: in_force, rate: 0.3, sources: [SEC1]}
    sources: [SEC1]
    flag: U
"""


def test_user_tariff_is_stacked_under_a_scenario_tariff(tmp_path: Path) -> None:
    from kakehashi.scenarios.run import run_scenario
    from kakehashi.scenarios.spec import parse_spec

    wh = Warehouse(small_warehouse(tmp_path / "wh"), read_only=True)
    path = _write(tmp_path, USER_TARIFF)
    spec = parse_spec({"name": "t", "base_year": 2023, "draws": 1, "measures": [
        {"type": "tariff", "id": "new", "importer": "USA", "exporters": ["CHN"],
         "products": {"hs6": ["280530"]}, "rate": 0.1, "start": "2026-11-01"}]})

    def before(result: object) -> float:
        t = result.table  # type: ignore[attr-defined]
        row = t[(t["metric"] == "tariff_before") & (t["exporter"] == "CHN") & (t["hs6"] == "280530")]
        return float(row["p50"].iloc[0])

    without, with_file = run_scenario(spec, wh), run_scenario(spec, wh, measures=path)
    assert before(with_file) - before(without) == pytest.approx(0.3)  # the user's 30 % duty, stacked
    assert any("SEC-2026-10-US-TARIFF (30%)" in n for n in with_file.notes)


def test_serve_refuses_a_bad_file_before_listening(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvicorn", reason="the web extra is not installed")
    wh_path = small_warehouse(tmp_path / "wh")
    text = USER_FILE.replace("    note: invented for a test", "    colour: red")
    path = _write(tmp_path, text)
    assert main(["serve", "-w", str(wh_path), "--measures", str(path)]) == 2
    assert f"{path}:{_line_of(text, 'colour')}: field colour" in capsys.readouterr().err
