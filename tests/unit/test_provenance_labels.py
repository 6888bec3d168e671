"""The synthetic flag and source labels read without scanning trade rows give the scanned answer.

:func:`kakehashi.provenance.is_synthetic` reads the ingest log first and the trade
labels from the summary recorded at ingest; :func:`source_labels` scans every
table. Both must agree on the SYNTHETIC tiny sample world, on hand-made rows whose
ingest log does not say SYNTHETIC but whose rows do, and on real BACI files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kakehashi import provenance
from kakehashi.warehouse import Warehouse


def scanned(wh: Warehouse) -> list[str]:
    return sorted(set(provenance.source_labels(wh)["source"].astype(str)))


def test_tiny_sample_is_synthetic(tiny_warehouse: Warehouse) -> None:
    assert provenance.source_texts(tiny_warehouse) == scanned(tiny_warehouse)
    assert provenance.is_synthetic(tiny_warehouse)
    assert provenance.is_synthetic(tiny_warehouse, provenance.source_labels(tiny_warehouse))


def test_rows_marked_synthetic_under_an_unmarked_log(tmp_path: Path) -> None:
    rows = pd.DataFrame({"year": [2022, 2023], "exporter": ["CHN", "VNM"], "importer": ["JPN", "JPN"],
                         "hs6": ["850511", "850511"], "value_usd": [10.0, 5.0], "quantity_t": [None, None],
                         "hs_revision": ["HS22", "HS22"],
                         "source": ["hand-made SYNTHETIC rows", "hand-made SYNTHETIC rows, second label"]})
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("trade_flows", rows, source="provenance test (log label)")
    assert "SYNTHETIC" not in " ".join(wh.log()["source"])
    assert provenance.source_texts(wh) == sorted(set(rows["source"]))
    assert provenance.source_texts(wh) == scanned(wh)
    assert provenance.is_synthetic(wh)


def test_real_baci_is_not_synthetic(shared_data: Path, tmp_path: Path) -> None:
    from kakehashi.sources.baci import load_baci

    wh = Warehouse(tmp_path / "wh")
    load_baci(wh, [shared_data / "baci-critical-2024/BACI_HS17_Y2024_V202601_critical30.csv"],
              country_codes=shared_data / "baci-critical-2024/country_codes_V202601.csv")
    texts = provenance.source_texts(wh)
    assert texts == scanned(wh)
    assert texts and all("BACI" in t for t in texts)
    assert not provenance.is_synthetic(wh)

