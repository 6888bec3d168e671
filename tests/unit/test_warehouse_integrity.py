"""Integrity of committed snapshots and warehouse faults: missing or damaged files, checksums,
older manifests, write failures (a file in the way, disk full), a damaged CURRENT.

Each fault ends in one ``error:`` line and exit status 2, and leaves the warehouse unchanged.
The machine's tests run as root, where permissions do not stop a write: faults are made with a
file where a folder should be, and a file-size limit (``RLIMIT_FSIZE``) in a subprocess.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kakehashi.cli import main
from kakehashi.errors import InputError
from kakehashi.warehouse import EXPORT_TOTALS, UnverifiedSnapshotWarning, Warehouse

SRC = Path(__file__).resolve().parents[2] / "src"


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` by relative path (the whole warehouse's bytes)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def wh_copy(tiny_warehouse: Warehouse, tmp_path: Path) -> Path:
    """A private copy of the tiny SYNTHETIC warehouse (times kept, as ``cp -a`` would)."""
    dest = tmp_path / "wh"
    shutil.copytree(tiny_warehouse.path, dest)
    return dest


def snapshot_dir(path: Path) -> Path:
    return path / "snapshots" / (path / "CURRENT").read_text().strip()


def screen(path: Path) -> list[str]:
    return ["screen", "-w", str(path), "-i", "JPN", "-r", "CHN", "--format", "csv"]


def one_error_line(err: str) -> str:
    """The single ``error:`` line of a failed command (and no traceback)."""
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def flip(path: Path, offset: int, n: int = 64, keep_time: bool = False) -> None:
    """Invert ``n`` bytes of ``path`` from ``offset`` (same size); optionally restore its times."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + n):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    if keep_time:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size


# ----------------------------------------------------------------- manifest
def test_manifest_records_size_rows_and_sha256_of_every_file(wh_copy: Path) -> None:
    snap = snapshot_dir(wh_copy)
    manifest = json.loads((snap / "manifest.json").read_text())
    on_disk = sorted(p.relative_to(snap).as_posix() for p in snap.rglob("*")
                     if p.is_file() and p.name != "manifest.json")
    assert sorted(manifest["files"]) == on_disk
    assert "trade_flows/2022.parquet" in on_disk and f"{EXPORT_TOTALS}/2022.parquet" in on_disk
    for rel, entry in manifest["files"].items():
        data = (snap / rel).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        if rel.endswith(".parquet"):
            assert entry["rows"] == pq.read_metadata(snap / rel).num_rows
            # page checksums are written: Arrow verifies every page of the file
            pq.read_table(snap / rel, page_checksum_verification=True)


def test_parquet_page_checksums_catch_flipped_bytes(wh_copy: Path) -> None:
    path = snapshot_dir(wh_copy) / "trade_flows" / "2022.parquet"
    flip(path, path.stat().st_size // 3)
    with pytest.raises(OSError, match="CRC checksum verification failed"):
        pq.read_table(path, page_checksum_verification=True)


# ------------------------------------------------------------ damaged files
def test_deleted_year_file_fails_the_next_command_naming_it(
        wh_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(screen(wh_copy)) == 0
    capsys.readouterr()
    gone = snapshot_dir(wh_copy) / "trade_flows" / "2022.parquet"
    gone.unlink()
    assert main(screen(wh_copy)) == 2  # never an answer from 2021 and 2023 alone
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_error_line(captured.err)
    assert str(gone) in line and "is missing" in line
    assert "re-ingest" in captured.err


def test_flipped_bytes_fail_the_next_command_naming_the_file(
        wh_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = snapshot_dir(wh_copy) / "trade_flows" / "2023.parquet"
    flip(path, path.stat().st_size // 2)
    assert main(screen(wh_copy)) == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert str(path) in line and "sha256 differs" in line


def test_status_verify_names_a_flipped_file_whose_size_and_time_are_unchanged(
        wh_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = snapshot_dir(wh_copy) / "trade_flows" / "2021.parquet"
    flip(path, 4096, keep_time=True)
    # the cheap check (presence, size, time) cannot see it ...
    assert Warehouse(wh_copy, read_only=True).verify(full=False) == []
    assert main(["status", "-w", str(wh_copy)]) == 0
    capsys.readouterr()
    # ... the checksums do
    assert main(["status", "-w", str(wh_copy), "--verify"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and "sha256 differs" in line
    problems = Warehouse(wh_copy, read_only=True).verify()
    assert [p.path for p in problems] == [path]


@pytest.mark.spark
def test_spark_reads_fail_on_a_flip_the_cheap_check_cannot_see(wh_copy: Path, spark_available: None) -> None:
    path = snapshot_dir(wh_copy) / "trade_flows" / "2022.parquet"
    flip(path, path.stat().st_size // 3, keep_time=True)
    wh = Warehouse(wh_copy, engine="spark", read_only=True)
    # every column is read: the page checksum stops Spark, the sha256 names the file
    with pytest.raises(InputError, match="sha256 differs") as info:
        wh.execute(wh.table("trade_flows"))
    assert str(path) in str(info.value)


def test_damaged_manifest_is_one_line(wh_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = snapshot_dir(wh_copy) / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:100])
    assert main(screen(wh_copy)) == 2
    assert str(manifest) in one_error_line(capsys.readouterr().err)


def test_an_ingest_does_not_carry_a_damaged_file_into_a_new_snapshot(wh_copy: Path) -> None:
    import pandas as pd

    path = snapshot_dir(wh_copy) / "trade_flows" / "2022.parquet"
    flip(path, 1000)
    before = tree_digest(wh_copy)
    wh = Warehouse(wh_copy)
    with pytest.raises(InputError, match="this ingest does not rewrite it") as info:
        wh.ingest("production", pd.DataFrame([{"year": 2023, "country": "AUS", "commodity": "lithium",
                                               "stage": "mine", "quantity": 1.0, "unit": "t",
                                               "source": "SYNTHETIC test"}]), source="SYNTHETIC test")
    assert str(path) in str(info.value)
    after = tree_digest(wh_copy)
    assert {k: v for k, v in after.items() if k != "LOCK"} == {k: v for k, v in before.items() if k != "LOCK"}


def test_older_manifest_without_checksums_still_opens_unverified(
        wh_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = snapshot_dir(wh_copy)
    manifest = json.loads((snap / "manifest.json").read_text())
    del manifest["files"], manifest["derived"]  # as written before checksums and derived summaries
    shutil.rmtree(snap / "derived")
    (snap / "manifest.json").write_text(json.dumps(manifest))
    wh = Warehouse(wh_copy, read_only=True)
    with pytest.warns(UnverifiedSnapshotWarning, match="without checksums"):
        assert wh.verify() == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedSnapshotWarning)
        assert main(screen(wh_copy)) == 0
        capsys.readouterr()
        assert main(["status", "-w", str(wh_copy), "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["integrity"]["checksummed"] is False
    assert {t["table"]: t["rows"] for t in body["tables"]}["trade_flows"] == sum(
        pq.read_metadata(p).num_rows for p in (snap / "trade_flows").glob("*.parquet"))
    # a missing file of an older snapshot is still found
    (snap / "trade_flows" / "2021.parquet").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedSnapshotWarning)
        assert main(screen(wh_copy)) == 2
    assert "2021.parquet is missing" in one_error_line(capsys.readouterr().err)


# ------------------------------------------------------------------- faults
def test_damaged_current_is_one_line_for_readers_and_writers(
        wh_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    current = wh_copy / "CURRENT"
    for content in (b"\xff\xfe\x00garbage\n", b"../../etc\n", b"20990101T000000000000-deadbeef\n"):
        current.write_bytes(content)
        before = tree_digest(wh_copy)
        assert main(screen(wh_copy)) == 2
        assert "CURRENT is damaged" in one_error_line(capsys.readouterr().err)
        assert main(["ingest", "countries", "-w", str(wh_copy)]) == 2
        err = capsys.readouterr().err
        assert "CURRENT is damaged" in one_error_line(err)
        assert "snapshots on disk" in err
        assert tree_digest(wh_copy) == before


def test_warehouse_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wh"
    path.write_text("not a warehouse")
    assert main(screen(path)) == 2
    assert "is a file, not a folder" in one_error_line(capsys.readouterr().err)
    assert main(["ingest", "countries", "-w", str(path)]) == 2
    assert "is a file, not a folder" in one_error_line(capsys.readouterr().err)
    assert path.read_text() == "not a warehouse"
    # a warehouse below a file: the folder cannot be created
    assert main(["ingest", "countries", "-w", str(path / "inner")]) == 2
    assert "cannot write to warehouse" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("blocker", ["LOCK", "staging"])
def test_lock_or_staging_that_cannot_be_written(
        wh_copy: Path, blocker: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = wh_copy / blocker
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    if blocker == "LOCK":
        target.mkdir()  # open() of a folder fails as a lock file would without permission
        (target / "x").write_text("x")
    else:
        target.write_text("a file where the staging folder goes")
    before = tree_digest(wh_copy)
    assert main(["ingest", "countries", "-w", str(wh_copy)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "cannot write to warehouse" in line and blocker in line
    assert tree_digest(wh_copy) == before


def _ingest_with_file_size_limit(args: list[str], limit: int) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess whose files cannot grow past ``limit`` bytes (a full disk)."""
    script = textwrap.dedent(f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        from kakehashi.cli import main
        sys.exit(main({args!r}))
    """)
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env=env)


def test_disk_full_at_the_parquet_write(wh_copy: Path, tiny_sample_dir: Path) -> None:
    before = tree_digest(wh_copy)
    # the tiny sample's trade year files are about 47 kB: the first one cannot be written
    proc = _ingest_with_file_size_limit(["ingest", "sample", str(tiny_sample_dir), "-w", str(wh_copy)],
                                        20_000)
    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc.stderr)
    assert "too large" in line.lower() or "space" in line.lower(), line
    assert tree_digest(wh_copy) == before


def test_disk_full_at_the_duckdb_checkpoint(wh_copy: Path) -> None:
    before = tree_digest(wh_copy)
    # the countries file (about 6 kB) fits; the DuckDB catalogue (over 256 kB) does not
    proc = _ingest_with_file_size_limit(["ingest", "countries", "-w", str(wh_copy)], 100_000)
    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc.stderr)
    assert "could not commit" in line or "cannot write" in line, line
    assert tree_digest(wh_copy) == before
    assert not any((wh_copy / "staging").iterdir())


def test_derived_totals_are_computed_at_ingest_the_same_bits_every_time(
        tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    import pandas as pd

    flows = pd.concat([pq.read_table(p).to_pandas() for p in tiny_warehouse.files("trade_flows")])
    digests = []
    for k in range(2):
        wh = Warehouse(tmp_path / f"wh{k}")
        wh.ingest("trade_flows", flows, source="SYNTHETIC test")
        files = sorted((snapshot_dir(wh.path) / EXPORT_TOTALS).glob("*.parquet"))
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in files])
        stored = pd.concat([pq.read_table(p).to_pandas() for p in files], ignore_index=True)
    assert digests[0] == digests[1] and len(digests[0]) == 3
    # an independent sum with pandas: every exporter's exports of every product and year
    expected = flows.groupby(["exporter", "hs6", "year", "hs_revision"], as_index=False)["value_usd"].sum()
    merged = expected.merge(stored, on=["exporter", "hs6", "year", "hs_revision"], how="outer")
    assert len(merged) == len(expected) == len(stored)
    assert (abs(merged["exports_usd"] - merged["value_usd"]) <= 1e-9 * merged["value_usd"]).all()
