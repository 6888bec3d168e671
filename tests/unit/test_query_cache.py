"""Compiled screen templates kept on disk serve a new process exactly as a fresh compile would.

Data: the SYNTHETIC tiny sample world. A "new process" is simulated in process by
forgetting the in-memory templates (``prepared.clear()``), and checked once with a
real second process through the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kakehashi import prepared
from kakehashi.metrics import screen as S
from kakehashi.warehouse import Warehouse

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "queries"
    monkeypatch.setenv("KAKEHASHI_QUERY_CACHE", str(folder))
    prepared.clear()
    return folder


def _screen(wh: Warehouse, importer: str) -> pd.DataFrame:
    return S.screen_frame(wh, importer, "CHN", years=[2022, 2023])


def test_a_new_process_loads_the_template_and_gets_the_same_frame(tiny_warehouse: Warehouse,
                                                                  cache: Path) -> None:
    first = _screen(tiny_warehouse, "JPN")
    files = list(cache.glob("*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text())
    assert "$importer0" in stored["template"]["sql"] and "JPN" not in stored["template"]["sql"]
    prepared.clear()  # as a new process: nothing in memory
    before = dict(prepared.stats)
    again = _screen(tiny_warehouse, "JPN")
    other = _screen(tiny_warehouse, "IND")
    assert prepared.stats["loaded"] - before["loaded"] == 1
    assert prepared.stats["compiled"] == before["compiled"]
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    os.environ["KAKEHASHI_QUERY_CACHE"] = "off"  # restored by monkeypatch
    prepared.clear()
    pd.testing.assert_frame_equal(other, _screen(tiny_warehouse, "IND"), check_exact=True)


def test_edited_code_or_a_new_snapshot_never_reads_an_old_template(tiny_warehouse: Warehouse,
                                                                   cache: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    key = (str(tiny_warehouse.path), tiny_warehouse.snapshot_id, "duckdb", ("shape",), ("rival",))
    path = prepared._disk_path(key)
    assert path is not None and path.parent == cache
    assert prepared._disk_path((*key[:1], "another-snapshot", *key[2:])) != path
    monkeypatch.setattr(prepared, "code_fingerprint", lambda: "edited")
    assert prepared._disk_path(key) != path
    assert prepared._disk_path((object(),)) is None  # a key whose text holds an address


def test_the_fingerprint_follows_the_modules(tmp_path: Path) -> None:
    before = prepared.code_fingerprint()
    prepared.code_fingerprint.cache_clear()
    assert prepared.code_fingerprint() == before  # the same files: the same fingerprint
    module = Path(prepared.__file__)
    stat = module.stat()
    try:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        prepared.code_fingerprint.cache_clear()
        assert prepared.code_fingerprint() != before
    finally:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        prepared.code_fingerprint.cache_clear()


def test_a_damaged_file_is_compiled_again_and_replaced(tiny_warehouse: Warehouse, cache: Path) -> None:
    first = _screen(tiny_warehouse, "JPN")
    (path,) = cache.glob("*.json")
    path.write_text('{"key": "truncated', encoding="utf-8")
    prepared.clear()
    before = dict(prepared.stats)
    pd.testing.assert_frame_equal(_screen(tiny_warehouse, "JPN"), first, check_exact=True)
    assert prepared.stats["compiled"] - before["compiled"] == 1
    assert json.loads(path.read_text())["template"]["sql"]


def test_off_and_unwritable_caches_write_nothing(tiny_warehouse: Warehouse, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAKEHASHI_QUERY_CACHE", "off")
    prepared.clear()
    expected = _screen(tiny_warehouse, "JPN")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("KAKEHASHI_QUERY_CACHE", str(blocked / "queries"))
    prepared.clear()
    pd.testing.assert_frame_equal(_screen(tiny_warehouse, "JPN"), expected, check_exact=True)
    assert blocked.read_text() == "not a folder"


def test_a_second_cli_process_reads_the_first_ones_template(tiny_warehouse: Warehouse,
                                                            tmp_path: Path) -> None:
    env = {**os.environ, "KAKEHASHI_QUERY_CACHE": str(tmp_path / "q"),
           "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = ("import sys\nfrom kakehashi.cli import main\nfrom kakehashi import prepared\n"
            f"status = main(['screen', '-i', 'JPN', '-r', 'CHN', '--format', 'csv', '-w', "
            f"{str(tiny_warehouse.path)!r}])\n"
            "print('STATS', prepared.stats['compiled'], prepared.stats['loaded'])\nsys.exit(status)\n")
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert [r.stdout.split("STATS")[1].split() for r in runs] == [["1", "0"], ["0", "1"]]
    assert runs[0].stdout.split("STATS")[0] == runs[1].stdout.split("STATS")[0]  # the same CSV
