"""A small synthetic warehouse for the web and report tests (until the sample world's
``tiny_warehouse`` fixture is available)."""

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


def tiny_sample_warehouse(path: Path) -> Path:
    """The sample world's ``tiny`` size, written straight into a warehouse (SYNTHETIC)."""
    from kakehashi.sample import generate

    world = generate("tiny")
    wh = Warehouse(path)
    with wh.transaction() as tx:
        for table in ("trade_flows", "production", "reserves", "world_totals", "governance"):
            frame = getattr(world, table)
            source = str(frame["source"].iloc[0]) if "source" in frame else "SYNTHETIC kakehashi sample"
            tx.write(table, frame, source=source, mode="replace")
        tx.write("products", world.products, source=str(world.trade_flows["source"].iloc[0]), mode="replace")
        c = world.countries
        tx.write("countries", pd.DataFrame({"iso3": c["iso3"], "iso2": c["iso2"], "numeric": c["baci_code"],
                                            "name": c["name"], "region": None}),
                 source="SYNTHETIC sample country list", mode="replace")
    return path
