"""Strategic-goods catalogue: codes exist in HS 2022, every row is sourced, links are closed."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.catalogue import (
    STAGES,
    chain_links,
    hs_chapters,
    select_products,
    sources,
    strategic_goods,
    usgs_hs,
    workstreams,
)
from kakehashi.errors import InputError
from kakehashi.warehouse import Warehouse


@pytest.fixture(scope="module")
def hs2022_codes(shared_data: Path) -> set[str]:
    with open(shared_data / "hs" / "harmonized-system-2022.csv", encoding="utf-8") as fh:
        return {row["hscode"] for row in csv.DictReader(fh) if row["level"] == "6"}


def test_six_workstreams_each_with_goods() -> None:
    goods = strategic_goods()
    assert workstreams() == ["critical-minerals", "semiconductors", "ict", "clean-energy",
                             "medicines", "ai-data-centres"]
    assert set(goods["workstream"]) == set(workstreams())
    assert goods.groupby("workstream").size().min() >= 8


def test_goods_rows_are_complete_and_sourced() -> None:
    goods = strategic_goods()
    assert list(goods.columns) == ["workstream", "hs6", "name", "stage", "flag", "source"]
    assert goods["hs6"].str.fullmatch(r"[0-9]{6}").all()
    assert set(goods["stage"]) <= set(STAGES)
    assert set(goods["flag"]) <= {"E", "A"}
    assert (goods["source"].str.strip() != "").all()
    assert (goods["name"].str.strip() != "").all()
    assert not goods.duplicated(["workstream", "hs6"]).any()


def test_every_code_exists_in_hs2022(hs2022_codes: set[str]) -> None:
    codes = set(strategic_goods()["hs6"]) | set(usgs_hs()["hs6"])
    codes |= set(chain_links()["input_hs6"]) | set(chain_links()["output_hs6"])
    missing = sorted(codes - hs2022_codes)
    assert missing == []
    assert len(hs2022_codes) > 5000  # the real nomenclature, not an empty file


def test_source_keys_are_explained() -> None:
    known = set(sources()["key"])
    for table in (strategic_goods(), chain_links(), usgs_hs()):
        for text in table["source"]:
            keys = {tok.strip(";,") for tok in text.split() if tok[:1].isupper() and tok[1:2].isdigit()}
            assert keys <= known, (text, keys - known)
            assert "policy-facts" in text or keys


def test_every_hs_chapter_has_a_short_sourced_title() -> None:
    chapters = hs_chapters()
    expected = {f"{c:02d}" for c in range(1, 98)} - {"77"}  # chapter 77 is reserved in HS 2022
    assert set(chapters) == expected
    assert all(0 < len(t.strip()) <= 45 for t in chapters.values())
    table = pd.read_csv(Path(__file__).parents[2] / "src/kakehashi/catalogue/data/hs_chapters.csv", dtype=str)
    assert set(table["source"]) <= set(sources()["key"])


def test_chapter_titles_match_the_nomenclature(shared_data: Path) -> None:
    with open(shared_data / "hs" / "harmonized-system-2022.csv", encoding="utf-8") as fh:
        official = {r["hscode"]: r["description"] for r in csv.DictReader(fh) if r["level"] == "2"}
    official.pop("99", None)  # "commodities not specified according to kind": national use, no HS chapter
    assert set(hs_chapters()) == set(official)

    def stems(text: str) -> set[str]:
        words = "".join(ch if ch.isalpha() else " " for ch in text.lower()).split()
        common = {"and", "the", "not", "other", "articles", "thereof"}
        return {w[:5] for w in words if len(w) >= 3 and w not in common}

    # each short title shares a content word with its chapter's official title (no shuffled rows)
    unmatched = {c: t for c, t in hs_chapters().items() if not stems(t) & stems(official[c])}
    assert unmatched == {}


def test_chain_links_reference_catalogue_codes() -> None:
    links = chain_links()
    codes = set(strategic_goods()["hs6"])
    assert set(links["input_hs6"]) <= codes
    assert set(links["output_hs6"]) <= codes
    assert (links["input_hs6"] != links["output_hs6"]).all()
    # no share without a source: every missing share is explained in the note
    assert links.loc[links["input_share"].isna(), "note"].str.contains("input share").all()
    assert links["input_share"].dropna().between(0, 1).all()
    # the chains the issue names are present
    pairs = set(zip(links["input_hs6"], links["output_hs6"], strict=True))
    for pair in [("280530", "850511"), ("850511", "850231"), ("280461", "381800"),
                 ("381800", "854142"), ("854142", "854143"), ("380110", "850760"),
                 ("854231", "847150"), ("848620", "854231")]:
        assert pair in pairs


def test_usgs_map_covers_key_minerals() -> None:
    m = usgs_hs()
    for key in ["rare-earths", "gallium", "germanium", "graphite", "lithium", "cobalt", "nickel",
                "antimony", "tungsten", "molybdenum", "bismuth", "copper", "silicon",
                "platinum-group-metals"]:
        assert key in set(m["commodity"]), key
    assert set(m.loc[m["commodity"] == "rare-earths", "hs6"]) >= {"280530", "284690", "284610"}
    assert not m.duplicated(["commodity", "hs6"]).any()


def test_usgs_map_keys_match_the_usgs_commodity_list() -> None:
    from kakehashi.sources.usgs import commodities

    keys = set(commodities()["commodity"])
    assert set(usgs_hs()["commodity"]) <= keys


def test_select_products_workstream_list_and_errors() -> None:
    ce = select_products("clean-energy")
    assert "850760" in ce and "854143" in ce and ce == sorted(ce)
    assert select_products(["850511", "280530"]) == ["280530", "850511"]
    assert select_products("850511,280530") == ["280530", "850511"]
    assert len(select_products(None)) == strategic_goods()["hs6"].nunique()
    with pytest.raises(InputError, match="clean-energy"):
        select_products("clean-enrgy")
    with pytest.raises(InputError, match="8505"):
        select_products(["8505"])
    with pytest.raises(InputError, match="warehouse"):
        select_products("ict", revision="HS17")


def test_select_products_through_chained_concordance(tmp_path: Path) -> None:
    from kakehashi.metrics.concordance import select_products
    # HS22 -> HS17 (stored as 2022->2017) and HS12 -> HS17 (stored the other way round):
    # the selector follows HS22 -> HS17 -> HS12 through both directions.
    conc = pd.DataFrame(
        [
            ("HS22", "850511", "HS17", "850511", "1:1", 1.0),
            ("HS22", "854143", "HS17", "854140", "n:1", 1.0),
            ("HS22", "854142", "HS17", "854140", "n:1", 1.0),
            ("HS12", "854140", "HS17", "854140", "1:1", 1.0),
            ("HS12", "850511", "HS17", "850511", "1:1", 1.0),
        ],
        columns=["from_revision", "from_hs6", "to_revision", "to_hs6", "relationship", "weight"],
    )
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("hs_concordance", conc, source="hand-made test data")
    # HS17 854140 splits equally into HS22 854142 and 854143: it is in scope only when more than half
    # of its value maps to the selection (both codes), not when one of the two is selected
    assert select_products(["854143", "850511"], revision="HS17", wh=wh) == ["850511"]
    assert select_products(["854142", "854143", "850511"], revision="HS17", wh=wh) == ["850511", "854140"]
    assert select_products(["854142", "854143"], revision="HS12", wh=wh) == ["854140"]
    assert select_products(["854143"], revision="HS12", wh=wh) == []
    assert select_products(["854140"], revision="HS22", selector_revision="HS12", wh=wh) == [
        "854142", "854143"]
    with pytest.raises(InputError, match="no chain from HS22 to HS92"):
        select_products(["850511"], revision="HS92", wh=wh)
