"""``kakehashi serve`` and ``kakehashi report`` on the command line."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from _checkout import checkout_env, kakehashi_cmd
from _webdata import small_warehouse

from kakehashi.cli import main


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_warehouse(tmp_path_factory.mktemp("cli") / "wh")


def test_serve_refuses_a_missing_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--warehouse", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "no warehouse at" in err and "hint" in err


def test_serve_answers_on_loopback(warehouse_dir: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(kakehashi_cmd("serve", "--warehouse", str(warehouse_dir), "--port", str(port)),
                            env=checkout_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                body = r.json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        if body is None:
            pytest.fail(proc.stderr.read().decode() if proc.stderr and proc.poll() is not None
                        else "the server gave no answer in 60 s")
        assert body["status"] == "ok" and body["synthetic"] is True
        r = httpx.get(f"http://127.0.0.1:{port}/api/screen?importer=JPN&rival=XYZ", timeout=30)
        assert r.status_code == 422
        assert "server" not in r.headers  # uvicorn's server header is off
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_serve_on_a_busy_port_is_one_error_line(warehouse_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(kakehashi_cmd("serve", "--warehouse", str(warehouse_dir), "--port", str(port)),
                              env=checkout_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert errors == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_report_all_workstreams(warehouse_dir: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.catalogue import workstreams

    status = main(["report", "--warehouse", str(warehouse_dir), "--importer", "JPN", "--partner", "IND",
                   "--all-workstreams", "--draws", "20", "--out", str(tmp_path)])
    assert status == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    # each pack with the data behind its tables beside it
    assert written == sorted([f"briefing-JPN-CHN-IND-{w}.html" for w in workstreams()]
                             + [f"briefing-JPN-CHN-IND-{w}-data.zip" for w in workstreams()])
    printed = capsys.readouterr().out.split()
    assert len(printed) == len(workstreams())
    # workstreams without trade in the data still give a pack that says so
    medicines = (tmp_path / "briefing-JPN-CHN-IND-medicines.html").read_text(encoding="utf-8")
    assert re.search(r"(None of the \d+ medicines products .* meets the dependency criteria"
                     r"|imported no medicines goods)", medicines)


@pytest.mark.parametrize(("extra", "fragment"), [
    ([], "give --workstream NAME or --all-workstreams"),
    (["--workstream", "ict", "--all-workstreams"], "give --workstream NAME or --all-workstreams"),
    (["--all-workstreams", "--out", "pack.html"], "looks like a file"),
    (["--workstream", "ict", "--format", "docx"], "unknown format 'docx'"),
])
def test_report_option_errors(warehouse_dir: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                              fragment: str) -> None:
    assert main(["report", "--warehouse", str(warehouse_dir), "--importer", "JPN", *extra]) == 2
    assert fragment in capsys.readouterr().err
