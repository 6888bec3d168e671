"""Warehouse: atomic copy-on-write ingest, year partitions, read-only mode."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from _checkout import checkout_env

from kakehashi import EngineError, InputError, Warehouse


def _flows(years: list[int], value: float = 10.0) -> pd.DataFrame:
    rows = [
        {"year": y, "exporter": e, "importer": i, "hs6": "850511", "value_usd": value,
         "quantity_t": 1.0, "hs_revision": "HS17", "source": "test (synthetic)"}
        for y in years for e, i in (("CHN", "JPN"), ("VNM", "JPN"), ("CHN", "IND"))
    ]
    return pd.DataFrame(rows)


def test_ingest_and_read_back(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    assert wh.snapshot_id is None
    n = wh.ingest("trade_flows", _flows([2021, 2022]), source="test")
    assert n == 6
    t = wh.table("trade_flows")
    df = wh.execute(t.group_by("year").aggregate(v=t.value_usd.sum()).order_by("year"))
    assert df["v"].tolist() == [30.0, 30.0]
    assert [p.name for p in wh.files("trade_flows")] == ["2021.parquet", "2022.parquet"]


def test_merge_years_replaces_only_given_years(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    wh.ingest("trade_flows", _flows([2021, 2022], value=1.0), source="a")
    wh.ingest("trade_flows", _flows([2022], value=5.0), source="b")
    t = wh.table("trade_flows")
    df = wh.execute(t.group_by("year").aggregate(v=t.value_usd.sum()).order_by("year"))
    assert df["v"].tolist() == [3.0, 15.0]
    assert wh.log()["source"].tolist() == ["a", "b"]


def test_failed_transaction_leaves_previous_snapshot(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    wh.ingest("trade_flows", _flows([2021]), source="first")
    before = wh.snapshot_id
    bad = _flows([2022])
    bad.loc[1, "value_usd"] = -4.0
    with pytest.raises(InputError, match=r"negative value -4\.0 in column value_usd"):
        with wh.transaction() as tx:
            tx.write("trade_flows", _flows([2023]), source="ok part")
            tx.write("trade_flows", bad, source="bad part")
    assert wh.snapshot_id == before
    assert [p.name for p in wh.files("trade_flows")] == ["2021.parquet"]
    assert not any((tmp_path / "staging").iterdir())


def test_unknown_and_empty_tables(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    with pytest.raises(InputError, match="unknown table 'trade_flow'") as err:
        wh.table("trade_flow")
    assert "trade_flows" in (err.value.hint or "")
    with pytest.raises(InputError, match="table production is empty") as err:
        wh.table("production")
    assert "kakehashi ingest usgs" in (err.value.hint or "")  # the command that loads that table


def test_read_only_refuses_writes(tmp_path: Path) -> None:
    Warehouse(tmp_path).ingest("trade_flows", _flows([2021]), source="x")
    ro = Warehouse(tmp_path, read_only=True)
    assert ro.execute(ro.table("trade_flows").count()) == 3
    with pytest.raises(EngineError, match="read-only"):
        ro.ingest("trade_flows", _flows([2022]), source="y")


def test_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown engine 'duck'"):
        Warehouse(tmp_path, engine="duck")


def test_killed_ingest_leaves_previous_warehouse_intact(tmp_path: Path) -> None:
    """A subprocess is killed in the middle of a transaction (after staging files)."""
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("trade_flows", _flows([2021]), source="committed")
    before = wh.snapshot_id
    flag = tmp_path / "staged"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from pathlib import Path
        import pandas as pd
        from kakehashi import Warehouse
        rows = [dict(year=2022, exporter="CHN", importer="JPN", hs6="850511", value_usd=1.0,
                     quantity_t=None, hs_revision="HS17", source="doomed")]
        wh = Warehouse({str(tmp_path / "wh")!r})
        with wh.transaction() as tx:
            tx.write("trade_flows", pd.DataFrame(rows), source="doomed", mode="replace")
            Path({str(flag)!r}).write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120,
                          env=checkout_env())
    assert proc.returncode == -9, proc.stderr.decode()
    assert flag.exists(), "the subprocess died before staging its write"
    again = Warehouse(tmp_path / "wh")
    assert again.snapshot_id == before
    t = again.table("trade_flows")
    df = again.execute(t)
    assert set(df["source"]) == {"test (synthetic)"}
    assert set(df["year"]) == {2021}
    # the next writer sweeps the dead staging folder and commits normally
    again.ingest("trade_flows", _flows([2022]), source="next")
    assert sorted(again.execute(again.table("trade_flows"))["year"].unique()) == [2021, 2022]
    assert not any((tmp_path / "wh" / "staging").iterdir())


def test_pruning_keeps_the_newest_snapshots_in_commit_order(tmp_path: Path) -> None:
    from kakehashi.warehouse import KEEP_SNAPSHOTS

    wh = Warehouse(tmp_path / "wh")
    committed = []
    for k in range(KEEP_SNAPSHOTS + 4):  # several commits within the same second
        wh.ingest("trade_flows", _flows([2021], value=float(k + 1)), source=f"s{k}")
        committed.append(wh.snapshot_id)
    assert committed == sorted(committed) and len(set(committed)) == len(committed)
    left = sorted(p.name for p in (wh.path / "snapshots").iterdir())
    assert left == committed[-KEEP_SNAPSHOTS:]


def test_snapshot_names_increase_past_older_stamps_and_a_clock_set_back(tmp_path: Path) -> None:
    from kakehashi.warehouse import _next_stamp

    snaps = tmp_path / "snapshots"
    (snaps / "20990101T000000-aaaaaaaa").mkdir(parents=True)  # an older-format name, in the future
    first = _next_stamp(snaps)
    assert first > "20990101T000000-aaaaaaaa" and first.startswith("20990101T000001")
    (snaps / first).mkdir()
    second = _next_stamp(snaps)
    assert first[:21] == "20990101T000001000001" and second[:21] == "20990101T000001000002"
