"""RCA (hand calculation and the ecomplexity package) and the WITS complementarity index."""

from __future__ import annotations

import warnings
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
from _engines import on_engine

from kakehashi.errors import InputError
from kakehashi.metrics.complementarity import (
    COMPLEMENTARITY_COLUMNS,
    complementarity_frame,
    rca,
    trade_complementarity,
)
from kakehashi.warehouse import Warehouse

P, Q, R = "850511", "280530", "854231"


def _flows(rows: list[tuple[str, str, str, float]], year: int = 2023) -> pd.DataFrame:
    return pd.DataFrame(
        [{"year": year, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": None,
          "hs_revision": "HS22", "source": "hand-made test data (synthetic)"} for e, i, k, v in rows]
    )


def test_rca_hand_calculated() -> None:
    # A exports P 30, Q 10 (total 40); B exports P 20, Q 40 (total 60); world 100, P 50, Q 50
    t = ibis.memtable(_flows([("A", "X", P, 30), ("A", "Y", Q, 10), ("B", "X", P, 20), ("B", "X", Q, 40)]))
    out = rca(t).execute().set_index(["exporter", "hs6"])["rca"]
    assert out[("A", P)] == pytest.approx((30 / 40) / (50 / 100))  # 1.5
    assert out[("A", Q)] == pytest.approx((10 / 40) / (50 / 100))  # 0.5
    assert out[("B", P)] == pytest.approx((20 / 60) / (50 / 100))  # 0.667
    assert out[("B", Q)] == pytest.approx((40 / 60) / (50 / 100))  # 1.333
    only_a = rca(t, exporters=["A"]).execute()
    assert set(only_a.exporter) == {"A"} and len(only_a) == 2  # filter keeps world totals


def test_rca_equals_ecomplexity() -> None:
    from ecomplexity import ecomplexity

    rng = np.random.default_rng(20261121)
    rows = []
    for year in (2021, 2022):
        for c in ["CHN", "IND", "JPN", "USA", "DEU", "KOR", "VNM", "AUS"]:
            for k in ["250410", "280530", "284690", "850511", "854231", "850760", "854143"]:
                if rng.random() < 0.75:
                    # two destinations per pair: kakehashi sums them like ecomplexity's input total
                    for dest in ("BRA", "FRA"):
                        rows.append({"year": year, "exporter": c, "importer": dest, "hs6": k,
                                     "value_usd": float(rng.lognormal(10, 2)), "quantity_t": None,
                                     "hs_revision": "HS22", "source": "synthetic"})
    flows = pd.DataFrame(rows)
    ours = rca(ibis.memtable(flows)).execute()
    agg = flows.groupby(["year", "exporter", "hs6"], as_index=False)["value_usd"].sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ecomplexity(agg, {"time": "year", "loc": "exporter", "prod": "hs6", "val": "value_usd"},
                          verbose=False)
    ref = ref[ref["value_usd"] > 0][["year", "exporter", "hs6", "rca"]]
    merged = ours.merge(ref, on=["year", "exporter", "hs6"], suffixes=("", "_ecomplexity"), how="outer")
    assert len(merged) == len(ours) == len(ref) > 50
    np.testing.assert_allclose(merged["rca"], merged["rca_ecomplexity"], rtol=1e-10)


TCI_ROWS = [("E", "I", P, 10), ("X", "I", P, 50), ("X", "I", Q, 40), ("E", "Z", R, 30)]


def test_tci_hand_calculated() -> None:
    t = ibis.memtable(_flows(TCI_ROWS))
    out = trade_complementarity(t, "E", "I").execute().iloc[0]
    # importer I: P 60, Q 40 -> m = (0.6, 0.4, 0); exporter E: P 10, R 30 -> x = (0.25, 0, 0.75)
    # sum |m - x| = 0.35 + 0.4 + 0.75 = 1.5 ; TC = 100 (1 - 1.5/2) = 25
    assert out.tci == pytest.approx(25.0)
    assert out.exporter_exports_usd == 40 and out.importer_imports_usd == 100 and out.n_products == 3
    # restricted to {P, Q}: m = (0.6, 0.4), x = (1, 0): sum = 0.4 + 0.4 = 0.8 -> TC = 60
    ws = trade_complementarity(t, "E", "I", products=[P, Q]).execute().iloc[0]
    assert ws.tci == pytest.approx(60.0)


def test_tci_bounds() -> None:
    same = ibis.memtable(_flows([("E", "Z", P, 5), ("E", "Z", Q, 15), ("X", "I", P, 1), ("X", "I", Q, 3)]))
    assert trade_complementarity(same, "E", "I").execute().tci.iloc[0] == pytest.approx(100.0)
    disjoint = ibis.memtable(_flows([("E", "Z", P, 5), ("X", "I", Q, 3)]))
    assert trade_complementarity(disjoint, "E", "I").execute().tci.iloc[0] == pytest.approx(0.0)


def test_complementarity_frame(tmp_path: Path, engine: str) -> None:
    """The warehouse-level TCI, on every engine (DuckDB and Spark)."""
    written = Warehouse(tmp_path / "wh")
    written.ingest("trade_flows", _flows([("IND", "JPN", P, 10), ("CHN", "JPN", P, 50), ("CHN", "JPN", Q, 40),
                                          ("IND", "USA", R, 30)]), source="hand-made test data")
    wh = on_engine(written, engine)
    df = complementarity_frame(wh, "ind", "JPN")
    assert tuple(df.columns) == COMPLEMENTARITY_COLUMNS
    assert df.scope.iloc[0] == "all" and df.tci.iloc[0] == pytest.approx(25.0)
    cm = df[df.scope == "critical-minerals"].iloc[0]  # P and Q are critical minerals, R is not
    assert cm.tci == pytest.approx(60.0)
    with pytest.raises(InputError, match="JPX"):
        complementarity_frame(wh, "IND", "JPX")
    with pytest.raises(InputError, match="2020"):
        complementarity_frame(wh, "IND", "JPN", years=[2020])
