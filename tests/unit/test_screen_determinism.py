"""The same screen, asked twice in two fresh processes, gives the same bytes (issue 12.6).

A parallel engine adds doubles in an order that changes from run to run; the
screen's sums are taken in a fixed order (``kakehashi.metrics.concentration.stable_sum``),
so its CSV is byte-identical. The warehouse is SYNTHETIC: random fractional values,
enough rows (about 400,000) for DuckDB to aggregate in parallel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from kakehashi import Warehouse

SOURCE = "SYNTHETIC determinism test"


def _warehouse(path: Path) -> Path:
    rng = np.random.default_rng(7)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = sorted({f"Q{a}{b}" for a in letters[:6] for b in letters[:10]} | {"CHN", "JPN", "IND"})
    n = 400_000
    df = pd.DataFrame({"year": 2023, "exporter": rng.choice(codes, n),
                       "importer": rng.choice(["JPN", "IND", "USA", "DEU"], n),
                       "hs6": rng.choice([f"{i:06d}" for i in range(10000, 13000)], n),
                       "value_usd": rng.random(n) * 1e6, "quantity_t": None, "hs_revision": "HS22",
                       "source": SOURCE})
    df = df[df.exporter != df.importer].drop_duplicates(["year", "exporter", "importer", "hs6"])
    Warehouse(path).ingest("trade_flows", df, source=SOURCE)
    return path


def test_screen_csv_is_byte_identical_across_processes(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2] / "src"),
                                                        os.environ.get("PYTHONPATH", "")])}
    outputs = []
    for _ in range(2):
        run = subprocess.run([sys.executable, "-m", "kakehashi", "screen", "-i", "JPN+IND", "-r", "CHN",
                              "--format", "csv", "--warehouse", str(wh)],
                             capture_output=True, env=env, timeout=600, check=False)
        assert run.returncode == 0, run.stderr.decode()[-2000:]
        outputs.append(run.stdout)
    table = pd.read_csv(__import__("io").BytesIO(outputs[0]), dtype={"hs6": str})
    assert len(table) > 2000 and table["import_hhi"].between(0, 1).all()
    assert outputs[0] == outputs[1]
