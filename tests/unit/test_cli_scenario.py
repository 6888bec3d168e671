"""CLI: kakehashi scenario run / from-measure, kakehashi measures list (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kakehashi import Warehouse
from kakehashi.cli import main

FLOWS = [  # synthetic
    ("CHN", "JPN", "284690", 60.0), ("CHN", "IND", "284690", 40.0), ("AUS", "JPN", "284690", 40.0),
    ("AUS", "DEU", "284690", 50.0), ("CHN", "USA", "850511", 100.0), ("JPN", "USA", "850511", 200.0),
]

SPEC = """\
name: cli-test
base_year: 2023
measures:
  - type: export_restriction
    exporter: CHN
    products: ["284690"]
    targets: all
    severity: 1.0
parameters: {tiers: 0}
uncertain:
  theta: {dist: uniform, low: 0.1, high: 0.3}
draws: 200
"""


@pytest.fixture(scope="module")
def wh_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh")
    df = pd.DataFrame(FLOWS, columns=["exporter", "importer", "hs6", "value_usd"])
    df["year"], df["quantity_t"], df["hs_revision"], df["source"] = 2023, None, "HS22", "test (SYNTHETIC)"
    Warehouse(path).ingest("trade_flows", df, source="test (SYNTHETIC)")
    return path


def _spec(tmp_path: Path, text: str = SPEC) -> Path:
    f = tmp_path / "s.yaml"
    f.write_text(text)
    return f


def test_scenario_run_table_and_files(tmp_path: Path, wh_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    f = _spec(tmp_path)
    assert main(["scenario", "run", str(f), "-w", str(wh_path)]) == 0
    out = capsys.readouterr().out
    assert "cli-test" in out and "200 draws" in out and "largest net shortfalls" in out and "JPN" in out
    assert main(["scenario", "run", str(f), "-w", str(wh_path), "--out", str(tmp_path / "o"),
                 "--format", "csv"]) == 0
    table = pd.read_csv(tmp_path / "o" / "cli-test.csv", dtype={"hs6": str})
    assert list(table.columns[:9]) == ["scenario", "importer", "exporter", "hs6", "tier", "metric",
                                       "p5", "p50", "p95"]
    jpn = table[(table.importer == "JPN") & (table.metric == "direct_loss_usd")]
    assert jpn.p50.iloc[0] == 60.0
    assert (tmp_path / "o" / "cli-test-summary.csv").exists()
    assert main(["scenario", "run", str(f), "-w", str(wh_path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"p5", "p50", "p95", "importer_name"} <= set(rows[0])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('["284690"]', '["284699"]', "measures[0].products: unknown HS code '284699'"),
        ("exporter: CHN", "exporter: CHX", "measures[0].exporter"),
        ("severity: 1.0", "severity: 1.2", "measures[0].severity: 1.2 is not allowed"),
        ("draws: 200", "draws: 1000000", "draws: 1000000 is not allowed"),
        ("parameters: {tiers: 0}", "parameters: {tiers: 0, sigma: -1.5}", "parameters.sigma: -1.5"),
        ("type: export_restriction", "type: export_ban", "unknown measure type 'export_ban'"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, wh_path: Path, capsys: pytest.CaptureFixture[str],
                                      old: str, new: str, expected: str) -> None:
    f = _spec(tmp_path, SPEC.replace(old, new))
    assert main(["scenario", "run", str(f), "-w", str(wh_path)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[0].startswith("error:")


def test_from_measure_then_run(tmp_path: Path, wh_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ban.yaml"
    assert main(["scenario", "from-measure", "CN-2024-46-US-MINERALS", "--base-year", "2023",
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert "source_measure: CN-2024-46-US-MINERALS" in text and "severity: 1.0" in text
    assert main(["scenario", "from-measure", "CN-2024-46-US-MINERAL"]) == 2
    assert "did you mean: CN-2024-46-US-MINERALS" in capsys.readouterr().err
    assert main(["scenario", "from-measure", "CN-2023-TECH-CATALOGUE"]) == 2
    assert "names no goods" in capsys.readouterr().err
    # none of the measure's codes is traded in this small warehouse: one line, exit 2 (a measure whose
    # codes are only partly present runs on those present: test_scenarios_measures)
    out.write_text(text.replace("tiers: 3", "tiers: 0"))
    assert main(["scenario", "run", str(out), "-w", str(wh_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: measures[0].products: none of the measure's HS codes is traded in 2023")


def test_measures_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measures", "list", "--as-of", "2026-01-01", "--country", "IND", "--format", "csv"]) == 0
    df = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    row = df.set_index("id").loc["US-IEEPA-IND-RUSSIAN-OIL"]
    assert row["status"] == "in_force" and row["rate"] == 0.25
    assert main(["measures", "list", "--as-of", "2026-03-01", "--country", "IND", "--format", "csv"]) == 0
    df = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert df.set_index("id").loc["US-IEEPA-IND-RUSSIAN-OIL", "status"] == "lifted"
    assert main(["measures", "list", "--as-of", "2026-11-21", "--country", "CHN"]) == 0
    captured = capsys.readouterr()
    assert "CN-2025-57-RARE" in captured.out and "no information after 2026-03-01" in captured.err
    assert main(["measures", "list", "--as-of", "21/11/2026"]) == 2
    assert "--as-of: cannot read the date" in capsys.readouterr().err


def test_measures_list_says_which_run_on_the_warehouse(wh_path: Path, capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from kakehashi.scenarios.measures import get_measure

    args = ["measures", "list", "--as-of", "2026-01-01", "-w", str(wh_path)]
    assert main([*args, "--format", "csv"]) == 0
    text = capsys.readouterr().out
    df = pd.read_csv(__import__("io").StringIO(text), keep_default_na=False).set_index("id")
    traded = {"284690", "850511"}  # the flows of this warehouse
    assert "284690" in get_measure("CN-2025-18-RARE-EARTHS").products
    assert bool(df.loc["CN-2025-18-RARE-EARTHS", "runnable"])
    assert not set(get_measure("CN-2025-55-SUPERHARD").products) & traded
    assert not bool(df.loc["CN-2025-55-SUPERHARD", "runnable"])
    assert df.loc["CN-2025-55-SUPERHARD", "reason"].startswith("none of its HS codes (")
    assert df.loc["CN-2025-56-RE-EQUIPMENT", "reason"] == "names no goods with HS codes"
    assert main([*args, "--top", "100"]) == 0  # the table shows the column, in words
    out = capsys.readouterr().out
    assert "runnable" in out and "names no goods with HS codes" in out


def test_from_measure_with_an_impossible_base_year_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "from-measure", "CN-2025-18-RARE-EARTHS", "--base-year", "1800"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: base_year: 1800 is not allowed") and "Traceback" not in err
