"""``kakehashi status`` on the SYNTHETIC tiny sample: counts and years checked against the files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kakehashi.cli import main
from kakehashi.questions.inventory import VINTAGE, inventory
from kakehashi.warehouse import Warehouse


def _read(wh: Warehouse, table: str) -> pd.DataFrame:
    """A table read straight from its Parquet files with Arrow (independent of the engine)."""
    return pd.concat([pq.read_table(p).to_pandas() for p in wh.files(table)], ignore_index=True)


def test_status_json_reports_true_rows_and_years(tiny_warehouse: Warehouse,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in tiny_warehouse.path.rglob("*") if p.is_file()}
    assert main(["status", "-w", str(tiny_warehouse.path), "--format", "json", "--verify"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["synthetic"] is True
    assert body["integrity"] == {"checked": "sha256", "checksummed": True,
                                 "files": body["integrity"]["files"], "problems": 0}
    assert body["integrity"]["files"] > len(body["tables"])
    tables = {t["table"]: t for t in body["tables"]}
    assert set(tables) == set(tiny_warehouse.tables())
    for name, t in tables.items():
        df = _read(tiny_warehouse, name)
        assert t["rows"] == len(df), name
        expected_years = sorted(int(y) for y in df["year"].unique()) if "year" in df else []
        assert t["years"] == expected_years, name
    assert tables["trade_flows"]["years"] == [2021, 2022, 2023]
    flows = _read(tiny_warehouse, "trade_flows")
    expected = [{"hs_revision": rev, "source": src, "years": sorted(int(y) for y in g["year"].unique()),
                 "rows": len(g), "value_usd": pytest.approx(float(g["value_usd"].sum()), rel=1e-12)}
                for (rev, src), g in flows.groupby(["hs_revision", "source"])]
    assert body["trade_years"] == expected
    sources = {s["source"]: s for s in body["sources"]}
    for src in flows["source"].unique():
        assert sources[src]["synthetic"] is True
        assert "trade_flows" in sources[src]["tables"]
        assert sources[src]["licence"].startswith("Apache-2.0")
    assert [s["current"] for s in body["snapshots"]].count(True) == 1
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in tiny_warehouse.path.rglob("*") if p.is_file()} == digest  # status writes nothing


def test_status_table_says_synthetic(tiny_warehouse: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-w", str(tiny_warehouse.path)]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC sample data, not real statistics" in out
    assert "Trade flows by HS revision and source" in out and "2021-2023" in out


def test_status_of_no_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "-w", str(tmp_path / "none")]) == 2
    assert "no warehouse at" in capsys.readouterr().err


def test_vintage_is_read_from_source_labels() -> None:
    assert VINTAGE.search("CEPII BACI HS17 V202601").group(0) == "V202601"  # type: ignore[union-attr]
    assert VINTAGE.search("USGS MCS 2024").group(0) == "MCS 2024"  # type: ignore[union-attr]
    assert VINTAGE.search("World Bank WGI") is None


def test_inventory_of_several_revisions_and_sources(tmp_path: Path) -> None:
    rows = [{"year": y, "exporter": "CHN", "importer": "JPN", "hs6": "850511", "value_usd": v,
             "quantity_t": None, "hs_revision": rev, "source": src}
            for y, rev, src, v in [(2021, "HS17", "CEPII BACI HS17 V202501", 10.0),
                                   (2022, "HS17", "CEPII BACI HS17 V202501", 11.0),
                                   (2024, "HS22", "UN Comtrade+ HS22", 12.0)]]
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("trade_flows", pd.DataFrame(rows[:2]), source="CEPII BACI HS17 V202501")
    wh.ingest("trade_flows", pd.DataFrame(rows[2:]), source="UN Comtrade+ HS22")
    inv = inventory(Warehouse(wh.path, read_only=True))
    assert inv.synthetic is False
    got = inv.trade_years[["hs_revision", "source", "years", "rows"]].to_dict("records")
    assert got == [{"hs_revision": "HS17", "source": "CEPII BACI HS17 V202501", "years": [2021, 2022],
                    "rows": 2},
                   {"hs_revision": "HS22", "source": "UN Comtrade+ HS22", "years": [2024], "rows": 1}]
    baci = inv.sources.set_index("source").loc["CEPII BACI HS17 V202501"]
    assert baci["vintage"] == "V202501" and baci["licence"] == "Etalab Open Licence 2.0"
    assert len(inv.snapshots) == 2 and inv.snapshots["current"].tolist() == [False, True]
    assert inv.snapshots["parent"].iloc[1] == inv.snapshots["snapshot"].iloc[0]


def test_vocabulary_is_what_the_files_hold(tiny_warehouse: Warehouse) -> None:
    """The values the web validates requests against, checked against the raw Parquet files."""
    from kakehashi.questions.inventory import vocabulary

    v = vocabulary(tiny_warehouse)
    trade = _read(tiny_warehouse, "trade_flows")
    prod = _read(tiny_warehouse, "production")
    assert v.importers == tuple(sorted(set(trade["importer"])))
    assert v.countries == frozenset(set(trade["importer"]) | set(trade["exporter"]) | set(prod["country"]))
    assert v.products == frozenset(trade["hs6"])
    assert v.years == tuple(sorted(set(int(y) for y in trade["year"])))
    assert v.revisions == ("HS22",)
    assert v.commodities == tuple(sorted(set(prod["commodity"])))
