"""CLI: ``kakehashi diversify``, ``frontier`` and ``stockpile`` on a hand-made synthetic warehouse."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.cli import main
from kakehashi.warehouse import Warehouse

FLOWS = {
    ("CHN", "JPN", "850511"): (80.0, 8.0), ("VNM", "JPN", "850511"): (20.0, 1.0),
    ("CHN", "IND", "850511"): (50.0, 5.0), ("KOR", "IND", "850511"): (10.0, 0.5),
    ("VNM", "USA", "850511"): (30.0, 1.5), ("KOR", "USA", "850511"): (40.0, 4.0),
    ("IND", "USA", "850511"): (12.0, 1.0), ("AUS", "DEU", "850511"): (25.0, 2.5),
    ("CHN", "JPN", "280530"): (100.0, 1.0), ("USA", "DEU", "280530"): (60.0, 0.5),
}


@pytest.fixture(scope="module")
def whpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    rows = [{"year": 2023, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": q,
             "hs_revision": "HS22", "source": "hand-made test data (SYNTHETIC)"}
            for (e, i, k), (v, q) in FLOWS.items()]
    path = Path(tmp_path_factory.mktemp("cliopt")) / "wh"
    Warehouse(path).ingest("trade_flows", pd.DataFrame(rows), source="hand-made test data (SYNTHETIC)")
    return str(path)


def test_diversify_csv_has_the_documented_columns(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diversify", "--importer", "JPN", "--rival", "CHN", "--hs", "850511",
                 "--max-rival-share", "0.3",
                 "--max-change", "none", "--lam", "0", "--format", "csv", "--warehouse", whpath])
    out = capsys.readouterr().out
    assert code == 0
    df = pd.read_csv(io.StringIO(out), dtype={"hs6": str})
    assert list(df.columns) == ["importer", "hs6", "supplier", "current_share", "proposed_share",
                                "capacity_share", "risk_before", "risk_after", "extra_cost_usd"]
    shares = df.set_index("supplier")["proposed_share"]
    # caps CHN 0.3, VNM 0.5, KOR 0.5, IND 0.12, AUS 0.25 → water level 0.22
    assert shares["CHN"] == pytest.approx(0.22) and shares["IND"] == pytest.approx(0.12)
    assert shares.sum() == pytest.approx(1.0)


def test_diversify_table_and_json(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diversify", "-i", "JPN", "-r", "CHN", "--partner", "IND", "--hs", "850511,280530",
                 "--max-rival-share", "0.5",
                 "--max-change", "none", "--min-partner-share", "0.1", "--warehouse", whpath]) == 0
    text = capsys.readouterr().out
    assert "Diversification, JPN vs CHN, 2023" in text and "Proposed shares" in text
    assert main(["diversify", "-i", "JPN", "-r", "CHN", "--partner", "IND", "--joint", "--hs", "850511",
                 "--max-rival-share", "0.3",
                 "--max-change", "none", "-f", "json", "--warehouse", whpath]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["importer"] for r in rows} == {"JPN", "IND"}


def test_infeasible_caps_give_one_line_and_exit_2(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diversify", "-i", "JPN", "-r", "CHN", "--hs", "280530", "--max-rival-share", "0.2",
                 "--max-change", "none",
                 "--warehouse", whpath])
    err = capsys.readouterr().err
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0].startswith("error: JPN 280530: suppliers can cover at most 0.80 of imports")
    assert lines[1].startswith("hint: relax --max-rival-share")
    assert "Traceback" not in err
    # with --skip-infeasible the product is reported with its reason
    assert main(["diversify", "-i", "JPN", "-r", "CHN", "--hs", "280530,850511", "--max-rival-share", "0.2",
                 "--max-change", "none",
                 "--skip-infeasible", "--warehouse", whpath]) == 0
    assert "infeasible: JPN 280530" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["diversify", "-i", "JPX", "-r", "CHN", "--hs", "850511"], "'JPX'"),
    (["diversify", "-i", "JPN", "-r", "CHN", "--hs", "850511", "--lam", "-0.5"],
     "weight on cost (lam) must be zero or positive"),
    (["diversify", "-i", "JPN", "-r", "CHN", "--hs", "850511", "--objective", "risky"],
     "unknown objective 'risky'"),
    (["diversify", "-i", "JPN", "-r", "CHN", "--hs", "85051"], "not a six-digit HS code"),
    (["frontier", "-i", "JPN", "-r", "CHN", "--hs", "850511", "--lams", "0,-1"],
     "weight on cost (lam) must be zero or positive"),
    (["stockpile", "-i", "JPN", "--hs6", "850511", "--months", "6", "--ramp", "-2"], "ramp-up cannot be"),
    (["stockpile", "-i", "JPN", "--hs6", "999999", "--months", "6", "--ramp", "2"], "no imports of 999999"),
])
def test_bad_input_exits_2_with_one_line(whpath: str, capsys: pytest.CaptureFixture[str], args: list[str],
                                         message: str) -> None:
    assert main([*args, "--warehouse", whpath]) == 2
    err = capsys.readouterr().err
    assert message in err.splitlines()[0]


def test_stockpile_and_frontier(whpath: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stockpile", "--importer", "JPN", "--hs6", "850511", "--months", "6", "--ramp", "4",
                 "--targets", "importer", "--format", "csv", "--warehouse", whpath]) == 0
    row = pd.read_csv(io.StringIO(capsys.readouterr().out)).iloc[0]
    # loss 80/yr; spare (non-CHN, non-JPN exports outside JPN) 10 + 30 + 40 + 12 + 25 = 117, θ = 0.2
    # → reallocated 23.4, net 56.6/yr; C = (80 + 56.6)/12 · 4/2 + 56.6/12 · 2
    assert row.stock_usd == pytest.approx((80 + 56.6) / 12 * 2 + 56.6 / 12 * 2)
    assert main(["stockpile", "--importer", "JPN", "--hs6", "850511", "--months", "6", "--ramp", "4",
                 "--warehouse", whpath]) == 0
    assert "stock_months_of_imports" in capsys.readouterr().out
    assert main(["frontier", "-i", "JPN", "-r", "CHN", "--hs", "850511,280530", "--max-rival-share", "0.5",
                 "--max-change", "none",
                 "--lams", "0,1", "-f", "csv", "--warehouse", whpath]) == 0
    fr = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"hs6": str})
    assert set(fr.hs6) == {"850511", "280530", "ALL"} and sorted(set(fr.lam)) == [0.0, 1.0]
