"""The SYNTHETIC sample world: determinism, sizes, labels, formats and its deliberate structure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kakehashi.catalogue import hs_chapters, product_names, strategic_goods
from kakehashi.errors import InputError
from kakehashi.sample import FlowChunk, expected_rows, generate, write_sample
from kakehashi.sample import parameters as P
from kakehashi.sample.raw import baci_lines, usgs_edition
from kakehashi.sample.world import WGI_INDICATORS, build_model, hs22_codes, strategic_codes
from kakehashi.schemas import conform


@pytest.fixture(scope="module")
def tiny():
    return generate("tiny")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory, tiny) -> Path:
    return write_sample(tiny, tmp_path_factory.mktemp("sample") / "tiny")


def test_tiny_size_and_canonical_schema(tiny) -> None:
    flows = tiny.trade_flows
    assert len(tiny.model.iso3) == 12
    assert 140 <= len(tiny.model.hs6) <= 170
    per_year = flows.groupby("year").size()
    assert list(per_year.index) == [2021, 2022, 2023]
    assert per_year.between(2_000, 10_000).all()
    # the threshold is calibrated on every cell of a tiny world: rows match the expectation
    assert abs(len(flows) - expected_rows("tiny")) / expected_rows("tiny") < 0.05
    # every table passes the canonical checks (types, ISO3, HS6, non-negative, unique keys)
    conform(flows, "trade_flows")
    conform(tiny.production, "production")
    conform(tiny.reserves, "reserves")
    conform(tiny.world_totals, "world_totals")
    conform(tiny.governance, "governance")
    conform(tiny.products, "products")
    assert set(flows["hs6"]) <= set(hs22_codes())
    assert set(strategic_codes()) <= set(tiny.model.hs6)
    assert (flows["exporter"] != flows["importer"]).all()


def test_small_size_ranges() -> None:
    model = build_model("small")
    assert len(model.iso3) == 40
    assert 1_050 <= len(model.hs6) <= 1_200
    assert 150_000 <= expected_rows("small", [2022]) <= 300_000


def test_baci_size_is_ten_million_rows_a_year_without_generating_it() -> None:
    assert 9_500_000 <= expected_rows("baci", [2022]) <= 10_500_000
    model = build_model("baci")
    assert len(model.iso3) == 100 and 4_900 <= len(model.hs6) <= 5_100
    # generate one slice (two exporters, one year) and check it against the model's own
    # analytic expectation Σ Φ((μ − ln τ)/σ) for those exporters
    idx = [model.iso3.index("KOR"), model.iso3.index("PER")]
    rows = sum(len(c) for c in model.year_chunks(2022, idx))
    expected = sum(model.expected_flows(i) for i in idx)
    assert abs(rows - expected) / expected < 0.03
    # and the analytic expectation over all exporters matches the calibrated density
    total = sum(model.expected_flows(i) for i in range(len(model.iso3)))
    assert abs(total - expected_rows("baci", [2022])) / total < 0.02


def test_products_outside_the_catalogue_are_named_by_their_chapter(tiny) -> None:
    names = product_names()
    desc = dict(zip(tiny.products["hs6"], tiny.products["description"], strict=True))
    others = sorted(set(desc) - set(names))
    assert len(others) >= 20  # tiny: the catalogue and about 30 other codes
    for hs6 in others:
        title = hs_chapters()[hs6[:2]]
        assert title.lower() in desc[hs6].lower(), (hs6, desc[hs6])
        assert f"{hs6[:4]}.{hs6[4:]}" in desc[hs6]
    # catalogue codes keep one of their catalogue names
    goods = strategic_goods()
    assert all(desc[h] in set(goods.loc[goods["hs6"] == h, "name"]) for h in set(desc) & set(names))


def test_unknown_size_and_bad_years() -> None:
    with pytest.raises(InputError, match="unknown sample size 'tiney'") as err:
        generate("tiney")
    assert err.value.hint is not None and "tiny" in err.value.hint
    with pytest.raises(InputError, match="implausible year"):
        generate("tiny", years=[1850])


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, tiny_dir: Path) -> None:
    again = write_sample("tiny", tmp_path / "again")
    names = sorted(str(p.relative_to(tiny_dir)) for p in tiny_dir.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(again)) for p in again.rglob("*") if p.is_file())
    assert len(names) == 3 + 2 + 1 + 10 + 2
    for name in names:
        assert (tiny_dir / name).read_bytes() == (again / name).read_bytes(), name
    other = write_sample("tiny", tmp_path / "other", seed=7)
    for year in (2021, 2022, 2023):
        name = f"baci/BACI_HS22_Y{year}_V202501.csv"
        assert (tiny_dir / name).read_bytes() != (other / name).read_bytes()
    assert (tiny_dir / "wgi/wgidataset.csv").read_bytes() != (other / "wgi/wgidataset.csv").read_bytes()


def test_synthetic_labels_everywhere(tiny, tiny_dir: Path) -> None:
    for df in (tiny.trade_flows, tiny.production, tiny.reserves, tiny.world_totals):
        assert df["source"].str.contains("SYNTHETIC").all()
    assert tiny.synthetic is True
    manifest = json.loads((tiny_dir / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert manifest["size"] == "tiny" and manifest["seed"] == P.DEFAULT_SEED
    assert "SYNTHETIC" in (tiny_dir / "README-SYNTHETIC.txt").read_text()
    for f in tiny_dir.glob("usgs/mcs*_world.csv"):
        rows = [r for r in f.read_text(encoding="utf-8-sig").splitlines()[1:] if r.strip(",")]
        assert rows and all("SYNTHETIC" in r for r in rows), f.name


def test_baci_line_format_matches_the_publisher() -> None:
    # hand-written expectation in BACI's layout: v in thousand USD, trailing zeros dropped;
    # q in tonnes, three decimals, quoted and padded to 13 characters, NA when missing
    chunk = FlowChunk(
        year=2022, exporter=0,
        importer=np.array([1, 1, 2, 2], dtype=np.int32),
        product=np.array([0, 1, 0, 1], dtype=np.int32),
        value_usd=np.array([2410, 11000, 5, 4_103_870_590], dtype=np.int64),
        quantity_kg=np.array([13235, -1, 1, 12_015_965_573], dtype=np.int64),
    )
    text = baci_lines(chunk, np.array([392, 156, 490]), np.array([10121, 850511]))
    assert text == (
        b'2022,392,156,10121,2.41,"       13.235"\r\n'
        b'2022,392,156,850511,11,"           NA"\r\n'
        b'2022,392,490,10121,0.005,"        0.001"\r\n'
        b'2022,392,490,850511,4103870.59," 12015965.573"\r\n'
    )


def _read_baci_with_pandas(sample: Path, year: int) -> pd.DataFrame:
    """An independent reader of the written BACI file (pandas), for the round trip."""
    folder = sample / "baci"
    raw = pd.read_csv(folder / f"BACI_HS22_Y{year}_V202501.csv", dtype={"q": str})
    codes = pd.read_csv(folder / "country_codes_V202501.csv", keep_default_na=False)
    iso = dict(zip(codes["country_code"], codes["iso_3digit_alpha"], strict=True))
    iso[490] = "TWN"
    return pd.DataFrame({
        "year": raw["t"], "exporter": raw["i"].map(iso), "importer": raw["j"].map(iso),
        "hs6": raw["k"].astype(str).str.zfill(6), "value_usd": raw["v"] * 1000.0,
        "quantity_t": pd.to_numeric(raw["q"].str.strip(), errors="coerce"),
    })


def test_written_baci_reads_back_to_the_generated_flows(tiny, tiny_dir: Path) -> None:
    header = (tiny_dir / "baci/BACI_HS22_Y2021_V202501.csv").read_bytes().split(b"\r\n", 1)[0]
    assert header == b'"t","i","j","k","v","q"'
    codes = (tiny_dir / "baci/country_codes_V202501.csv").read_text()
    assert '490,"Other Asia, nes","Other Asia, not elsewhere specified","N/A","N/A"' in codes
    for year in tiny.years:
        back = _read_baci_with_pandas(tiny_dir, year)
        gen = tiny.trade_flows_year(year)
        assert len(back) == len(gen)
        assert (back["exporter"].to_numpy() == gen["exporter"].to_numpy()).all()
        assert (back["importer"].to_numpy() == gen["importer"].to_numpy()).all()
        assert (back["hs6"].to_numpy() == gen["hs6"].to_numpy()).all()
        np.testing.assert_allclose(back["value_usd"], gen["value_usd"], rtol=1e-12)
        np.testing.assert_array_equal(back["quantity_t"].isna(), gen["quantity_t"].isna())
        np.testing.assert_allclose(back["quantity_t"].dropna(), gen["quantity_t"].dropna(), rtol=1e-12)
    # rows are sorted as in BACI: exporter code, importer code, product
    raw = pd.read_csv(tiny_dir / "baci/BACI_HS22_Y2022_V202501.csv", usecols=["i", "j", "k"])
    assert raw.equals(raw.sort_values(["i", "j", "k"]).reset_index(drop=True))


def _world_shares(flows: pd.DataFrame, hs6: str) -> pd.Series:
    x = flows[flows["hs6"] == hs6].groupby("exporter")["value_usd"].sum()
    return x / x.sum()


@pytest.mark.parametrize(("hs6", "leader"), [
    ("850511", "CHN"),  # NdFeB magnets
    ("284690", "CHN"),  # rare-earth compounds
    ("811292", "CHN"),  # gallium, germanium
    ("380110", "CHN"),  # artificial graphite
    ("854143", "CHN"),  # solar modules
    ("848620", "JPN"),  # chip-making equipment
    ("854231", "TWN"),  # processors
    ("294110", "IND"),  # penicillins (API)
    ("253090", "AUS"),  # spodumene / RE concentrates
    ("283691", "CHL"),  # lithium carbonate
    ("260500", "COD"),  # cobalt ores
])
def test_structure_claims(tiny, hs6: str, leader: str) -> None:
    for year in tiny.years:
        shares = _world_shares(tiny.trade_flows_year(year), hs6)
        assert shares.idxmax() == leader, (hs6, year, shares.sort_values().tail(3).to_dict())


def test_tilts_are_consistent() -> None:
    by_product: dict[str, float] = {}
    for t in P.EXPORT_SPECIALISATIONS:
        assert t.country in {c.iso3 for c in P.COUNTRIES}
        for h in t.hs6:
            assert h in hs22_codes()
            by_product[h] = by_product.get(h, 0.0) + t.share
    assert max(by_product.values()) < 0.95


def test_quantities_follow_unit_values(tiny) -> None:
    flows = tiny.trade_flows.dropna(subset=["quantity_t"])
    unit = (flows["value_usd"] / flows["quantity_t"]).groupby(flows["hs6"]).median()
    # independent anchors: the declared unit values (USD/t) of particular products
    for hs6 in ("854231", "850511", "253090", "711011", "294110"):
        assert P.UNIT_VALUE[hs6] / 1.5 < unit[hs6] < P.UNIT_VALUE[hs6] * 1.5, hs6
    na_share = tiny.trade_flows["quantity_t"].isna().mean()
    assert 0.005 < na_share < 0.05


def test_minerals_and_governance(tiny, tiny_dir: Path) -> None:
    prod, world = tiny.production, tiny.world_totals
    assert set(prod["year"]) == {2022, 2023}
    assert set(prod["country"]) <= set(tiny.model.iso3)
    for (year, commodity, stage), part in prod.groupby(["year", "commodity", "stage"]):
        total = world[(world.year == year) & (world.commodity == commodity) & (world.stage == stage)]
        assert len(total) == 1
        assert part["quantity"].sum() <= total["quantity"].iloc[0] * 1.01
    ree = prod[(prod.commodity == "rare-earths") & (prod.year == 2023)].set_index("country")["quantity"]
    assert ree.idxmax() == "CHN"
    li = prod[(prod.commodity == "lithium") & (prod.year == 2023)].set_index("country")["quantity"]
    assert li.idxmax() == "AUS"
    assert {"rare-earths", "gallium", "germanium", "graphite", "lithium", "cobalt", "nickel",
            "antimony", "tungsten", "copper"} <= set(prod["commodity"])
    gov = tiny.governance
    assert len(gov) == 12 * 6 * 3
    assert set(gov["indicator"]) == set(WGI_INDICATORS)
    assert gov["value"].between(-2.5, 2.5).all()
    assert usgs_edition(tiny.years) == 2024
    raree = (tiny_dir / "usgs/mcs2024-raree_world.csv").read_bytes()
    assert raree.startswith(b"\xef\xbb\xbfSource,Country,Type,Prod_t_2022,Prod_t_est_2023")
    assert b"World total (rounded)" in raree and b"\r\n" in raree
