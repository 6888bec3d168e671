"""CLI: kakehashi ingest|download usgs, wgi, hs, concordance, countries (in-process)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from _local_http import QuietHandler, serve

from kakehashi import Warehouse
from kakehashi.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
USGS = FIXTURES / "usgs"


def test_ingest_reference_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = tmp_path / "wh"
    assert main(["ingest", "usgs", str(USGS / "good"), "-w", str(wh)]) == 0
    out = capsys.readouterr().out
    assert f"ingested 2 USGS file(s) (USGS MCS 2024) into {wh}: 28 production, 11 reserves" in out
    assert "kept apart (not production): 3 capacity rows" in out
    assert main(["ingest", "wgi", str(FIXTURES / "wgi" / "wgi-long.csv"), "-w", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "ingested 9 governance estimates for 4 economies, years 2022" in out
    assert "left out 2 missing estimates" in out
    assert main(["ingest", "hs", str(FIXTURES / "hs" / "harmonized-system-2022.csv"), "-w", str(wh)]) == 0
    assert "ingested 4 six-digit HS22 products (3 headings)" in capsys.readouterr().out
    conc = FIXTURES / "hs" / "HS_consolidated_comtrade_concordances.csv"
    assert main(["ingest", "concordance", str(conc), "-w", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "ingested 26 concordance rows (HS92 ↔ HS96 ↔ HS02, both directions" in out
    assert "left out 1 rows of non-HS (SITC) correspondences" in out
    assert main(["ingest", "countries", "-w", str(wh)]) == 0
    assert "ingested 250 countries from the package data" in capsys.readouterr().out
    w = Warehouse(wh)
    assert set(w.tables()) == {"production", "reserves", "world_totals", "governance", "products",
                               "hs_concordance", "countries"}
    prod = w.execute(w.table("production"))
    assert len(prod) == 28 and set(prod["commodity"]) == {"lithium", "copper"}


def test_usgs_reload_replaces_only_its_commodity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = tmp_path / "wh"
    assert main(["ingest", "usgs", str(USGS / "good"), "-w", str(wh)]) == 0
    assert main(["ingest", "usgs", str(USGS / "good" / "mcs2024-lithi_world.csv"), "-w", str(wh)]) == 0
    w = Warehouse(wh)
    prod = w.execute(w.table("production"))
    assert len(prod) == 28  # lithium replaced, copper kept
    assert prod.groupby("commodity").size().to_dict() == {"copper": 14, "lithium": 14}


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["usgs", str(USGS / "bad-text" / "mcs2024-cobal_world.csv")], "mcs2024-cobal_world.csv:3:"),
        (["usgs", str(USGS / "unknown-country" / "mcs2024-lithi_world.csv")], "mcs2024-lithi_world.csv:3:"),
        (["wgi", str(FIXTURES / "wgi" / "wgi-bad-estimate.csv")], "wgi-bad-estimate.csv:3:"),
    ],
)
def test_bad_file_exits_2_one_line_warehouse_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       args: list[str], where: str) -> None:
    wh = tmp_path / "wh"
    assert main(["ingest", "usgs", str(USGS / "good"), "-w", str(wh)]) == 0
    before = Warehouse(wh).snapshot_id
    capsys.readouterr()
    status = main(["ingest", *args, "-w", str(wh)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert status == 2
    assert lines[0].startswith("error: ") and where in lines[0]
    assert len(lines) == 2 and lines[1].startswith("hint: ")
    assert Warehouse(wh).snapshot_id == before


def test_bad_folder_in_a_list_leaves_warehouse_unchanged(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    wh = tmp_path / "wh"
    status = main(["ingest", "usgs", str(USGS / "good"), str(USGS / "no-production"), "-w", str(wh)])
    assert status == 2
    assert "no production, capacity or reserves columns" in capsys.readouterr().err
    assert Warehouse(wh).snapshot_id is None


def _handler(files: dict[str, bytes]) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            data = files.get(self.path)
            self.send_response(200 if data is not None else 404)
            body = data if data is not None else b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    return Handler


def test_download_usgs_zip_extracts_world_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in (USGS / "good").iterdir():
            zf.write(f, f"world/{f.name}")
        zf.writestr("README.txt", "synthetic test release")
    with serve(_handler({"/mcs2024-world.zip": buf.getvalue()})) as base:
        status = main(["download", "usgs", "--url", f"{base}/mcs2024-world.zip", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    folder = tmp_path / "mcs2024-world"
    assert f"extracted 2 world files to {folder}" in out
    assert sorted(p.name for p in folder.iterdir()) == ["mcs2024-coppe_world.csv", "mcs2024-lithi_world.csv"]
    assert main(["ingest", "usgs", str(folder), "-w", str(tmp_path / "wh")]) == 0


def test_download_wgi_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (FIXTURES / "wgi" / "wgi-long.csv").read_bytes()
    with serve(_handler({"/wgi.csv": body})) as base:
        assert main(["download", "wgi", "--url", f"{base}/wgi.csv", "--out", str(tmp_path)]) == 0
        assert (tmp_path / "wgi.csv").read_bytes() == body
        assert f"next: kakehashi ingest wgi {tmp_path / 'wgi.csv'}" in capsys.readouterr().out
        status = main(["download", "hs", "--url", f"{base}/nothing.csv", "--out", str(tmp_path)])
    assert status == 2
    assert "HTTP 404" in capsys.readouterr().err
