"""CLI analysis commands, in process: outputs, exact CSV columns, bad input, empty results."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.cli import main
from kakehashi.metrics.screen import SCREEN_COLUMNS
from kakehashi.warehouse import Warehouse

SRC = "hand-made test data (synthetic)"
FLOWS = {
    ("CHN", "JPN", "850511"): 80.0,
    ("VNM", "JPN", "850511"): 20.0,
    ("IND", "JPN", "850511"): 30.0,
    ("CHN", "IND", "850511"): 50.0,
    ("CHN", "USA", "850511"): 70.0,
    ("IND", "USA", "850511"): 12.0,
    ("KOR", "USA", "850511"): 40.0,
    ("JPN", "USA", "280530"): 500.0,
    ("CHN", "JPN", "280530"): 100.0,
}


@pytest.fixture(scope="module")
def whpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "wh"
    rows = [{"year": y, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": 1.0,
             "hs_revision": "HS22", "source": SRC} for y in (2022, 2023) for (e, i, k), v in FLOWS.items()]
    prod = pd.DataFrame([{"year": 2023, "country": c, "commodity": "rare-earths", "stage": "mine",
                          "quantity": q, "unit": "t", "source": SRC}
                         for c, q in [("CHN", 75.0), ("USA", 25.0)]])
    wh = Warehouse(path)
    with wh.transaction() as tx:
        tx.write("trade_flows", pd.DataFrame(rows), source=SRC)
        tx.write("production", prod, source=SRC)
    return str(path)


def test_screen_csv_columns_exact(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "-w", whpath, "--importer", "JPN", "--rival", "CHN", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",") == [*SCREEN_COLUMNS, "product_name", "workstream"]
    assert len(lines) == 1 + 4  # two products x two years


def test_screen_json_bloc_and_table(whpath: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["screen", "-w", whpath, "-i", "JPN", "-r", "CHN", "--partner", "IND", "--years", "2023",
                 "--format", "json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    magnets = next(r for r in recs if r["hs6"] == "850511")
    assert magnets["importer"] == "JPN+IND" and magnets["imports_usd"] == 150.0
    table = tmp_path / "screen.txt"  # the table view written to a file is 200 characters wide
    assert main(["screen", "-w", whpath, "-i", "JPN", "-r", "CHN", "--out", str(table)]) == 0
    out = table.read_text()
    assert "sorted by severity" in out and "USD m" in out and "severity 0-100" in out
    assert out.index("850511") < out.index("280530")  # severity 0 for the net-exported 280530


def test_screen_bad_values_exit_2(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "-w", whpath, "-i", "JPX", "-r", "CHN"]) == 2
    err = capsys.readouterr().err
    assert "JPX" in err and "JPN" in err
    assert main(["screen", "-w", whpath, "-i", "JPN", "-r", "CHN", "--years", "2019"]) == 2
    assert "2019" in capsys.readouterr().err
    assert main(["screen", "-w", whpath, "-i", "JPN", "-r", "CHN", "--workstream", "semiconductor"]) == 2
    assert "semiconductors" in capsys.readouterr().err
    assert main(["screen", "-w", whpath, "-i", "JPN", "-r", "CHN", "--hs", "85051"]) == 2
    assert "85051" in capsys.readouterr().err


def test_screen_empty_said_in_words(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", "-w", whpath, "-i", "JPN", "-r", "CHN", "--workstream", "medicines"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "No products (medicines) found for JPN against CHN" in said


def test_substitutes(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["substitutes", "-w", whpath, "-i", "JPN", "-r", "CHN", "--partner", "IND",
                 "--coalition", "KOR,USA", "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"hs6": str})
    r = df.set_index("hs6").loc["850511"]
    assert r.partner_spare_usd == 12.0 and r.coalition == "IND+KOR+USA"
    assert main(["substitutes", "-w", whpath, "-i", "JPN", "-r", "CHN", "--workstream", "ict"]) == 0
    assert "nothing to substitute" in " ".join(capsys.readouterr().out.split())


def test_complementarity_and_minerals(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["complementarity", "-w", whpath, "--exporter", "IND", "--importer", "JPN",
                 "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert df.scope.iloc[0] == "all"
    assert main(["minerals", "-w", whpath, "--commodity", "rare-earths", "--format", "json"]) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    assert rec["commodity"] == "rare-earths" and rec["rival_share"] == 0.75
    assert rec["usgs_world_total"] is None  # no world totals loaded
    assert main(["minerals", "-w", whpath, "--commodity", "rare-earth"]) == 2
    assert "rare-earths" in capsys.readouterr().err


def test_parquet_out(whpath: str, tmp_path: Path) -> None:
    target = tmp_path / "screen.parquet"
    assert main(["screen", "-w", whpath, "-i", "JPN", "-r", "CHN", "--format", "parquet", "--out",
                 str(target)]) == 0
    assert list(pd.read_parquet(target).columns)[:len(SCREEN_COLUMNS)] == list(SCREEN_COLUMNS)


def test_out_is_created_or_refused_in_one_line(whpath: str, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "screen.csv"
    assert main(["screen", "-i", "JPN", "-r", "CHN", "-w", whpath, "-f", "csv", "-o", str(out)]) == 0
    assert out.read_text().startswith("importer,hs6,year,")
    capsys.readouterr()
    assert main(["screen", "-i", "JPN", "-r", "CHN", "-w", whpath, "-f", "csv", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path} is a folder" in err and "Traceback" not in err
