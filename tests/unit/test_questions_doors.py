"""One question, one answer, whichever door: the CLI, the API and a briefing pack give the same numbers.

Each test asks one question (screen, substitutes, a scenario from a catalogued measure with every
default, diversify) through the command line (``--format json``, in process), the REST API (in
process) and a pack's data files (the CSV beside the pack), on the SYNTHETIC tiny sample world.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _doors import SyncClient, assert_same, cli_json, keyed, web_client

from kakehashi import Warehouse
from kakehashi.cli import main
from kakehashi.questions import defaults

IMP, RIV, PAR, WS = "JPN", "CHN", "IND", "critical-minerals"
MEASURE = "CN-2025-18-RARE-EARTHS"  # effective 2025-04: default base year = latest data ≤ 2024


@pytest.fixture(scope="module")
def whpath(tiny_warehouse: Warehouse) -> str:
    return str(tiny_warehouse.path)


@pytest.fixture(scope="module")
def web(whpath: str) -> Iterator[SyncClient]:
    with web_client(whpath) as c:
        yield c


@pytest.fixture(scope="module")
def pack(tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The data files of the default pack (JPN, CHN, IND, critical minerals), read from the default zip."""
    from kakehashi.report.build import build_briefing

    folder = tmp_path_factory.mktemp("packs")
    path = build_briefing(tiny_warehouse, IMP, RIV, PAR, WS, "html", folder)
    zipped = path.with_name(path.stem + "-data.zip")
    assert zipped.is_file()
    assert zipped.name in path.read_text(encoding="utf-8")  # the pack names its data file
    with zipfile.ZipFile(zipped) as z:
        return {n: z.read(n) for n in z.namelist()}


def csv(pack: dict[str, bytes], name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(pack[name]), dtype={"hs6": str, "importer": str, "supplier": str})


def test_screen_is_the_same_through_every_door(whpath: str, web: SyncClient, pack: dict[str, bytes],
                                               tiny_warehouse: Warehouse,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cols = ["imports_usd", "rival_usd", "import_hhi", "rival_share", "world_export_hhi", "severity",
            "dependent"]
    cli = keyed(cli_json(capsys, "screen", "-i", IMP, "-r", RIV, "--workstream", WS, "--years", "2023",
                         "-w", whpath), ["hs6"], cols)
    r = web.get(f"/api/screen?importer={IMP}&rival={RIV}&workstream={WS}&year=2023&limit=10000")
    assert r.status_code == 200, r.text
    api = keyed(r.json()["rows"], ["hs6"], cols)
    packed = keyed(csv(pack, "screen.csv"), ["hs6"], cols)
    assert len(cli) > 0 and cli["dependent"].any()
    assert_same(cli, api)
    assert_same(cli, packed)
    # an independent check of the most severe product: import HHI = Σ supplier share² from the raw flows
    top = str(r.json()["rows"][0]["hs6"])
    t = tiny_warehouse.table("trade_flows")
    flows = tiny_warehouse.execute(t.filter((t.importer == IMP) & (t.hs6 == top) & (t.year == 2023)
                                            & (t.exporter != IMP)))
    by = flows.groupby("exporter")["value_usd"].sum()
    shares = by / by.sum()
    assert packed.loc[top, "import_hhi"] == pytest.approx(float((shares ** 2).sum()), rel=1e-12)
    assert packed.loc[top, "rival_share"] == pytest.approx(float(shares.get(RIV, 0.0)), rel=1e-12)


def test_substitutes_are_the_same_through_every_door(whpath: str, web: SyncClient, pack: dict[str, bytes],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cols = ["rival_usd", "partner_cover", "world_cover", "partner_could_replace", "world_could_replace"]
    cli = keyed(cli_json(capsys, "substitutes", "-i", IMP, "-r", RIV, "-p", PAR, "--workstream", WS,
                         "--years", "2023", "--all-products", "-w", whpath), ["hs6"], cols)
    r = web.get(f"/api/diversify?importer={IMP}&rival={RIV}&partner={PAR}&workstream={WS}&year=2023"
                "&dependent_only=false")
    assert r.status_code == 200, r.text
    api = keyed(r.json()["substitution"], ["hs6"], cols)
    packed = keyed(csv(pack, "substitution.csv"), ["hs6"], cols)
    assert len(cli) > 0
    assert_same(cli, api)
    assert_same(cli, packed)
    # "could replace" is the one judgement: cover at least COULD_REPLACE_COVER
    for g in ("partner", "world"):
        expected = packed[f"{g}_cover"].fillna(-1) >= defaults.COULD_REPLACE_COVER
        assert list(packed[f"{g}_could_replace"].astype(bool)) == list(expected)


def test_scenario_from_a_measure_with_every_default(
        whpath: str, web: SyncClient, pack: dict[str, bytes], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.scenarios.spec import parse_spec

    # the CLI writes the scenario, the API runs it: the same spec, with the shared defaults
    assert main(["scenario", "from-measure", MEASURE, "-w", whpath, "--out", str(tmp_path / "m.yaml")]) == 0
    capsys.readouterr()
    cli_spec = parse_spec(yaml.safe_load((tmp_path / "m.yaml").read_text(encoding="utf-8")))
    r = web.post("/api/scenarios/run", json={"measure_id": MEASURE, "importer": IMP, "limit": 20000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert cli_spec.model_dump(mode="json", exclude_none=True) == body["spec"]
    # base year: the latest year of data (the sample ends in 2023) not after the year before the measure
    assert body["base_year"] == 2023 and cli_spec.base_year == 2023
    assert body["draws"] == defaults.DRAWS and body["seed"] == defaults.SEED
    # running the CLI's file gives the API's numbers
    rows = cli_json(capsys, "scenario", "run", str(tmp_path / "m.yaml"), "-w", whpath)
    key, cols = ["importer", "exporter", "hs6", "tier", "metric"], ["p5", "p50", "p95"]
    cli = keyed([x for x in rows if x["importer"] == IMP], key, cols)
    api = keyed(body["rows"], key, cols)
    assert len(api) > 0
    assert_same(cli, api)
    # the pack's scenario (licensing by the rival), run through the API, gives the pack's table
    spec = yaml.safe_load(pack["scenario.yaml"])
    assert spec["draws"] == defaults.DRAWS and spec["base_year"] == 2023
    r = web.post("/api/scenarios/run", json={"scenario": spec, "limit": 20000})
    assert r.status_code == 200, r.text
    packed = keyed(csv(pack, "scenario.csv"), key, cols)
    api = keyed(r.json()["rows"], key, cols)
    assert len(packed) > 0
    assert_same(packed, api)


def test_diversify_is_the_same_through_every_door(whpath: str, web: SyncClient, pack: dict[str, bytes],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    key, cols = ["importer", "hs6", "supplier"], ["current_share", "proposed_share", "extra_cost_usd"]
    cli = keyed(cli_json(capsys, "diversify", "-i", IMP, "-r", RIV, "-p", PAR, "--workstream", WS,
                         "-w", whpath), key, cols)
    r = web.get(f"/api/diversify?importer={IMP}&rival={RIV}&partner={PAR}&workstream={WS}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["settings"]["rival_cap"] == "current"
    assert body["settings"]["max_change"] == defaults.MAX_CHANGE
    assert body["settings"]["lam"] == defaults.COST_WEIGHT
    api = keyed(body["portfolio"], key, cols)
    packed = keyed(csv(pack, "portfolio.csv"), key, cols)
    assert len(cli) > 0
    assert_same(cli, api, rel=1e-7)
    assert_same(cli, packed, rel=1e-7)
    # the shared limit on change per period holds for every supplier
    moved = (packed["proposed_share"] - packed["current_share"]).abs()
    assert float(moved.max()) <= defaults.MAX_CHANGE + 1e-7
