"""A small hand-made SYNTHETIC warehouse for the web and report tests: few enough flows
that every expected number is computed by hand in the tests (the sample world's
``tiny_warehouse`` fixture serves the realistic, browser and pack tests)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kakehashi import Warehouse

SYNTH = "SYNTHETIC web test data"


def small_warehouse(path: Path) -> Path:
    """Three years of trade in two products among five countries, and mine production."""
    rows = []
    for year in (2021, 2022, 2023):
        for exporter, importer, hs6, value in (
            ("CHN", "JPN", "280530", 80.0), ("VNM", "JPN", "280530", 15.0), ("IND", "JPN", "280530", 5.0),
            ("CHN", "IND", "280530", 50.0), ("CHN", "USA", "280530", 40.0), ("VNM", "USA", "280530", 30.0),
            ("CHN", "JPN", "850511", 60.0), ("DEU", "JPN", "850511", 40.0), ("JPN", "USA", "850511", 25.0),
        ):
            rows.append({"year": year, "exporter": exporter, "importer": importer, "hs6": hs6,
                         "value_usd": value * 1e6 * (1 + 0.1 * (year - 2021)), "quantity_t": None,
                         "hs_revision": "HS22", "source": SYNTH})
    prod = pd.DataFrame([
        {"year": 2023, "country": c, "commodity": "rare-earths", "stage": "mine", "quantity": q,
         "unit": "t REO", "source": SYNTH}
        for c, q in (("CHN", 240000.0), ("USA", 43000.0), ("AUS", 18000.0), ("IND", 2900.0))
    ])
    wh = Warehouse(path)
    with wh.transaction() as tx:
        tx.write("trade_flows", pd.DataFrame(rows), source=SYNTH)
        tx.write("production", prod, source=SYNTH)
    return path

