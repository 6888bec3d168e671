"""CLI: kakehashi ingest baci|comtrade, download baci|comtrade (in-process)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from _local_http import QuietHandler, serve

from kakehashi import Warehouse
from kakehashi.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BACI = FIXTURES / "baci"
CODES = BACI / "country_codes_V202301.csv"


def test_ingest_baci_prints_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = tmp_path / "wh"
    status = main(["ingest", "baci", str(BACI / "BACI_HS92_Y2021_V202301.csv"),
                   str(BACI / "BACI_HS92_Y2022_V202301.csv"), "--country-codes", str(CODES),
                   "--warehouse", str(wh)])
    out = capsys.readouterr().out
    assert status == 0
    assert f"ingested 15 trade rows (2021, 2022) from 2 BACI file(s) into {wh}" in out
    assert "left out 2 rows with a non-country partner" in out
    assert len(Warehouse(wh).execute(Warehouse(wh).table("trade_flows"))) == 15


def test_bad_baci_file_exits_2_and_leaves_warehouse(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    wh = tmp_path / "wh"
    assert main(["ingest", "baci", str(BACI / "BACI_HS92_Y2021_V202301.csv"), "--country-codes", str(CODES),
                 "-w", str(wh)]) == 0
    before = Warehouse(wh).snapshot_id
    capsys.readouterr()
    bad = BACI / "broken" / "BACI_HS92_Y2021_V202301_text-in-v.csv"
    status = main(["ingest", "baci", str(BACI / "BACI_HS92_Y2022_V202301.csv"), str(bad),
                   "--country-codes", str(CODES), "-w", str(wh)])
    err = capsys.readouterr().err
    assert status == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0] == f"error: {bad}:4: 'abc' in column v is not a number"
    assert lines[1].startswith("hint: ")
    assert Warehouse(wh).snapshot_id == before


def test_ingest_comtrade_prints_rows_and_kept_apart(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["ingest", "comtrade", str(FIXTURES / "comtrade" / "comtrade_C_A_HS_2021-2022.json"),
                   "-w", str(tmp_path / "wh")])
    out = capsys.readouterr().out
    assert status == 0
    assert "ingested 4 trade rows (2021, 2022) from 1 Comtrade file(s)" in out
    assert "kept apart: 2 rows with partner World" in out
    assert "left out: 1 rows, mirror: importer's report kept" in out


def test_download_baci_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = tmp_path / "src.zip"
    with zipfile.ZipFile(payload, "w") as zf:
        zf.write(BACI / "BACI_HS92_Y2021_V202301.csv", "BACI_HS92_Y2021_V202301.csv")
    body = payload.read_bytes()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            ok = self.path.endswith("/BACI_HS17_V202501.zip")
            data = body if ok else b"no"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serve(Handler) as base:
        status = main(["download", "baci", "--revision", "HS17", "--release", "V202501",
                       "--out", str(tmp_path / "dl"), "--base-url", base])
        assert status == 0
        saved = tmp_path / "dl" / "BACI_HS17_V202501.zip"
        assert f"saved {saved} ({len(body):,} bytes)" in capsys.readouterr().out
        assert saved.read_bytes() == body
        status = main(["download", "baci", "--revision", "HS17", "--release", "V209901",
                       "--out", str(tmp_path / "dl"), "--base-url", base])
        err = capsys.readouterr().err
    assert status == 2
    assert f"{base}/BACI_HS17_V209901.zip failed: HTTP 404" in err


def test_download_comtrade_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    status = main(["download", "comtrade", "--years", "2023", "--codes", "280530", "--out",
                   str(tmp_path / "q.json")])
    assert status == 2 and "no UN Comtrade API key" in capsys.readouterr().err

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            data = json.dumps({"count": 1, "data": [{"refYear": 2023, "reporterCode": 392, "flowCode": "M",
                                                     "partnerCode": 156, "classificationCode": "H6",
                                                     "cmdCode": "280530", "primaryValue": 5.0}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serve(Handler) as base:
        status = main(["download", "comtrade", "--years", "2023", "--codes", "280530", "--reporters", "392",
                       "--out", str(tmp_path / "q.json"), "--key", "k", "--base-url", base])
    assert status == 0
    assert "saved 1 records to" in capsys.readouterr().out
    assert json.loads((tmp_path / "q.json").read_text())["data"][0]["cmdCode"] == "280530"
