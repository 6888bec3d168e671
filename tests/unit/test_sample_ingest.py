"""Loading the SYNTHETIC sample: through the real parsers, atomically, never mixed with real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kakehashi.cli import main
from kakehashi.errors import InputError
from kakehashi.sample import SOURCE_MINERALS, SOURCE_TRADE, generate
from kakehashi.sample.ingest import ingest_sample, ingest_world, read_manifest
from kakehashi.sources.baci import parse_baci, parse_baci_products
from kakehashi.sources.usgs import parse_usgs_world_dir
from kakehashi.sources.wgi import parse_wgi
from kakehashi.warehouse import Warehouse

KEYS = {
    "trade_flows": ["year", "exporter", "importer", "hs6"],
    "production": ["year", "country", "commodity", "stage"],
    "reserves": ["year", "country", "commodity"],
    "world_totals": ["year", "commodity", "stage"],
    "governance": ["year", "country", "indicator"],
    "products": ["hs6"],
}


def _sorted(df: pd.DataFrame, table: str) -> pd.DataFrame:
    out = df.sort_values(KEYS[table], ignore_index=True)
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def assert_same_table(got: pd.DataFrame, want: pd.DataFrame, table: str) -> None:
    """Same rows and keys; numbers equal within BACI's rounding (v has 3 decimals of 1000 USD)."""
    a, b = _sorted(got, table), _sorted(want, table)
    assert list(a.columns) == list(b.columns), table
    assert len(a) == len(b), table
    for col in a.columns:
        if pd.api.types.is_float_dtype(b[col]):
            np.testing.assert_array_equal(a[col].isna(), b[col].isna(), err_msg=f"{table}.{col}")
            np.testing.assert_allclose(a[col].dropna().to_numpy(float), b[col].dropna().to_numpy(float),
                                       rtol=1e-9, atol=1e-6, err_msg=f"{table}.{col}")
        else:
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), f"{table}.{col}"


def test_tiny_warehouse_holds_the_synthetic_sample(tiny_warehouse: Warehouse) -> None:
    world = generate("tiny")
    assert {"trade_flows", "production", "reserves", "world_totals", "governance", "products"} <= set(
        tiny_warehouse.tables())
    for table in ("trade_flows", "production", "reserves", "world_totals", "governance", "products"):
        got = tiny_warehouse.execute(tiny_warehouse.table(table))
        assert_same_table(got, getattr(world, table), table)
    t = tiny_warehouse.table("trade_flows")
    sources = tiny_warehouse.execute(t.select("source").distinct())["source"].tolist()
    assert sources == [SOURCE_TRADE] and "SYNTHETIC" in sources[0]
    assert all("SYNTHETIC" in s for s in tiny_warehouse.log()["source"])
    assert tiny_warehouse.read_only


def test_round_trip_through_the_real_parsers(tiny_sample_dir: Path) -> None:
    world = generate("tiny")
    codes = tiny_sample_dir / "baci" / "country_codes_V202501.csv"
    for year in world.years:
        flows = parse_baci(tiny_sample_dir / f"baci/BACI_HS22_Y{year}_V202501.csv",
                           country_codes=codes).to_pandas()
        assert flows["source"].str.startswith("CEPII BACI HS22").all()
        assert_same_table(flows.assign(source=SOURCE_TRADE), world.trade_flows_year(year), "trade_flows")
    products = parse_baci_products(tiny_sample_dir / "baci/product_codes_HS22_V202501.csv")
    assert_same_table(products, world.products, "products")
    minerals = parse_usgs_world_dir(tiny_sample_dir / "usgs")
    for table in ("production", "reserves", "world_totals"):
        got = getattr(minerals, table).assign(source=SOURCE_MINERALS)
        assert_same_table(got, getattr(world, table), table)
    assert_same_table(parse_wgi(tiny_sample_dir / "wgi/wgidataset.csv"), world.governance, "governance")


def test_refuses_a_warehouse_with_real_data(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    real = generate("tiny").trade_flows_year(2022).head(3).assign(source="CEPII BACI HS22 V202501")
    wh.ingest("trade_flows", real, source="CEPII BACI HS22 V202501")
    before = wh.snapshot_id
    with pytest.raises(InputError, match="holds real data") as err:
        ingest_world(wh, generate("tiny"))
    assert err.value.hint is not None and "--warehouse" in err.value.hint
    assert wh.snapshot_id == before


def test_folder_must_be_a_synthetic_sample(tmp_path: Path, tiny_sample_dir: Path) -> None:
    with pytest.raises(InputError, match="not a kakehashi sample folder"):
        read_manifest(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(tiny_sample_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["synthetic"] = False
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match='"synthetic": true'):
        ingest_sample(Warehouse(tmp_path / "wh"), copy)


def test_a_broken_file_leaves_the_warehouse_unchanged(tmp_path: Path, tiny_sample_dir: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    ingest_sample(wh, tiny_sample_dir)
    before = wh.snapshot_id
    copy = tmp_path / "broken"
    shutil.copytree(tiny_sample_dir, copy)
    year_file = copy / "baci" / "BACI_HS22_Y2023_V202501.csv"
    lines = year_file.read_bytes().split(b"\r\n")
    lines[5] = lines[5].replace(b",", b",-", 4).replace(b",-", b",", 3)  # a negative value
    year_file.write_bytes(b"\r\n".join(lines))
    with pytest.raises(InputError) as err:
        ingest_sample(wh, copy)
    assert "BACI_HS22_Y2023_V202501.csv" in str(err.value)
    assert wh.snapshot_id == before


def test_ingest_sample_command(tmp_path: Path, tiny_sample_dir: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "sample", str(tiny_sample_dir), "--warehouse", str(tmp_path / "wh")]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "trade_flows" in out and "governance" in out
    assert main(["ingest", "sample", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "wh")]) == 2
    assert "not a kakehashi sample folder" in capsys.readouterr().err


def test_real_hs_descriptions_replace_the_chapter_words(tmp_path: Path, tiny_sample_dir: Path,
                                                       shared_data: Path) -> None:
    import csv

    from kakehashi.catalogue import hs_chapters, product_names
    from kakehashi.metrics.screen import annotate_products
    from kakehashi.sources.hs import load_hs_nomenclature

    nomenclature = shared_data / "hs" / "harmonized-system-2022.csv"
    with open(nomenclature, encoding="utf-8") as fh:
        official = {r["hscode"]: r["description"] for r in csv.DictReader(fh) if r["level"] == "6"}
    wh = Warehouse(tmp_path / "wh")
    ingest_sample(wh, tiny_sample_dir)
    codes = sorted(set(wh.execute(wh.table("products").select("hs6"))["hs6"]))
    catalogue_code = next(c for c in codes if c in product_names())
    other = next(c for c in codes if c not in product_names() and c in official)
    frame = pd.DataFrame({"hs6": [catalogue_code, other]})

    before = annotate_products(frame, wh, "HS22").set_index("hs6")["product_name"]
    assert hs_chapters()[other[:2]].lower() in before[other].lower()  # SYNTHETIC sample: chapter words
    assert before[catalogue_code] == product_names()[catalogue_code]

    load_hs_nomenclature(wh, nomenclature)
    after = annotate_products(frame, wh, "HS22").set_index("hs6")["product_name"]
    assert after[other] == official[other].strip()  # the nomenclature's own words win once ingested
    assert after[catalogue_code] == product_names()[catalogue_code]  # catalogue names stay
    wh.close()
    # another revision with no description loaded: every code is named by its chapter
    bare = annotate_products(frame, None, "HS17").set_index("hs6")["product_name"]
    for code in (catalogue_code, other):
        assert hs_chapters()[code[:2]].lower() in bare[code].lower()
        assert f"{code[:4]}.{code[4:]}" in bare[code]
