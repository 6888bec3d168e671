"""The CLI's contract: usage and user errors exit 2 without a traceback; the demo runs end to end."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _checkout import checkout_env, kakehashi_cmd

from kakehashi.cli import main


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(kakehashi_cmd(*args), capture_output=True, text=True, timeout=300, cwd=cwd,
                          env=checkout_env())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["screen", "--importer", "JPN", "--rival", "CHN", "--format", "bogus"], "bogus"),
        (["no-such-command"], "no-such-command"),
        (["screen", "--importer", "JPN"], "--rival"),
    ],
)
def test_usage_errors_exit_2_without_traceback(args: list[str], needle: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert needle in proc.stderr


def test_user_error_is_one_line_with_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["screen", "--importer", "JPN", "--rival", "CHN", "--warehouse", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: no warehouse at ")
    assert "hint:" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "screen" in capsys.readouterr().out


def test_demo_runs_end_to_end_on_the_tiny_sample(tmp_path: Path) -> None:
    proc = _run("demo", "--out", str(tmp_path / "demo"), "--size", "tiny")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "SYNTHETIC" in proc.stdout
    briefing = tmp_path / "demo" / "briefing-JPN-CHN-critical-minerals.html"
    assert str(briefing.name) in proc.stdout
    html = briefing.read_text(encoding="utf-8")
    assert "SYNTHETIC" in html
    assert "http://" not in html and "https://cdn" not in html
