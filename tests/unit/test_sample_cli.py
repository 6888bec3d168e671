"""``kakehashi sample`` and ``kakehashi ingest sample`` on the command line (in process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kakehashi.cli import main


def test_sample_command_writes_a_synthetic_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s"
    assert main(["sample", "--size", "tiny", "--out", str(out), "--seed", "3", "--years", "2022-2023"]) == 0
    captured = capsys.readouterr()
    assert "SYNTHETIC" in captured.out and "SYNTHETIC" in captured.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["seed"] == 3 and manifest["years"] == [2022, 2023]
    assert sorted(p.name for p in (out / "baci").glob("BACI_*.csv")) == [
        "BACI_HS22_Y2022_V202501.csv", "BACI_HS22_Y2023_V202501.csv"]
    assert "baci/BACI_HS22_Y2022_V202501.csv" in captured.out


@pytest.mark.parametrize(("args", "message"), [
    (["--size", "smal"], "unknown sample size 'smal'"),
    (["--years", "20x1"], "cannot read years '20x1'"),
])
def test_sample_command_bad_input_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["sample", "--out", str(tmp_path / "x"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "hint:" in err and "Traceback" not in err
