"""HS nomenclature, revision concordance and conversion of trade flows between revisions."""

from __future__ import annotations

import csv
from pathlib import Path

import ibis
import pandas as pd
import pytest

from kakehashi.errors import InputError
from kakehashi.schemas import conform
from kakehashi.sources import hs

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "hs"


def _flows(rows: list[tuple[int, str, str, str, float, float | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs6", "value_usd", "quantity_t",
                                       "hs_revision"]).assign(source="test (synthetic)")


def _run(expr: ibis.Table) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    try:
        out: pd.DataFrame = con.execute(expr)
    finally:
        con.disconnect()
    return out.sort_values(["year", "exporter", "importer", "hs6"]).reset_index(drop=True)


# ----------------------------------------------------------------------- nomenclature
def test_nomenclature_fixture() -> None:
    p = hs.parse_hs_nomenclature(FIX / "harmonized-system-2022.csv")
    assert list(p["hs6"]) == ["280530", "284610", "284690", "010121"]
    assert set(p["hs_revision"]) == {"HS22"}
    row = p.set_index("hs6").loc["284610"]
    assert (row["hs4"], row["section"], row["description"]) == ("2846", "VI", "Cerium compounds")
    conform(p, "products")


def test_nomenclature_real(shared_data: Path) -> None:
    path = shared_data / "hs" / "harmonized-system-2022.csv"
    p = hs.parse_hs_nomenclature(path)
    with open(path, encoding="utf-8", newline="") as fh:
        expected = [r for r in csv.DictReader(fh) if r["level"] == "6"]
    assert len(p) == len(expected) == 5613
    assert p["hs6"].is_unique and p["hs6"].str.fullmatch(r"\d{6}").all()
    parents = {r["hscode"]: r["parent"] for r in expected}
    assert (p["hs4"] == p["hs6"].map(parents)).all()
    assert p.set_index("hs6").loc["280530", "description"] == next(
        r["description"] for r in expected if r["hscode"] == "280530")


def test_nomenclature_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot tell the HS revision"):
        hs.parse_hs_nomenclature(tmp_path / "nomenclature.csv")
    bad = tmp_path / "hs-2017.csv"
    bad.write_text("section,hscode,description,parent,level\nI,0101,Horses,01,4\nI,01012X,Bad,0101,6\n")
    with pytest.raises(InputError) as err:
        hs.parse_hs_nomenclature(bad)
    assert f"{bad}:3" in str(err.value)
    with pytest.raises(InputError, match="unknown HS revision"):
        hs.parse_hs_nomenclature(bad, revision="HS99")


# ----------------------------------------------------------------------- concordance
def test_concordance_fixture_hand_computed() -> None:
    c = hs.parse_concordance(FIX / "HS_consolidated_comtrade_concordances.csv")
    conform(c, "hs_concordance")
    assert c.attrs["skipped_rows"] == 1  # the SITC row
    idx = c.set_index(["from_revision", "from_hs6", "to_revision", "to_hs6"])
    # forward HS92 -> HS96: three codes merged into 721790 (n:1, weight 1)
    assert idx.loc[("HS92", "721719", "HS96", "721790"), "weight"] == 1.0
    assert idx.loc[("HS92", "721719", "HS96", "721790"), "relationship"] == "n:1"
    # backward HS96 -> HS92: 721790 split equally into three (1:n, 1/3 each)
    back = c[(c["from_revision"] == "HS96") & (c["from_hs6"] == "721790") & (c["to_revision"] == "HS92")]
    assert sorted(back["to_hs6"]) == ["721719", "721729", "721739"]
    assert back["weight"].tolist() == pytest.approx([1 / 3] * 3)
    assert set(back["relationship"]) == {"1:n"}
    # leading zeros restored
    assert ("HS96", "010111", "HS02", "010121") in idx.index
    assert idx.loc[("HS92", "850120", "HS96", "850131"), "weight"] == 0.5


def test_concordance_real(shared_data: Path) -> None:
    path = shared_data / "hs" / "HS_consolidated_comtrade_concordances.csv"
    c = hs.parse_concordance(path)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    hs_steps = {"1996 to 1992", "2002 to 1996", "2007 to 2002", "2012 to 2007", "2017 to 2012",
                "2022 to 2017"}
    n_hs = sum(1 for r in rows if r["adjustment"] in hs_steps)
    assert len(c) == 2 * n_hs
    assert c.attrs["skipped_rows"] == len(rows) - n_hs
    sums = c.groupby(["from_revision", "from_hs6", "to_revision"])["weight"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    assert set(zip(c["from_revision"], c["to_revision"], strict=True)) == {
        (a, b) for a, b in zip(hs.REVISION_YEARS, list(hs.REVISION_YEARS)[1:], strict=False)
    } | {(b, a) for a, b in zip(hs.REVISION_YEARS, list(hs.REVISION_YEARS)[1:], strict=False)}


def test_weights_from_trade() -> None:
    c = hs.parse_concordance(FIX / "HS_consolidated_comtrade_concordances.csv")
    trade = pd.DataFrame({"hs6": ["721719", "721729", "721739", "721719"], "hs_revision": "HS92",
                          "value_usd": [10.0, 30.0, 0.0, 10.0]})
    w = hs.weights_from_trade(c, trade)
    back = w[(w["from_revision"] == "HS96") & (w["from_hs6"] == "721790") & (w["to_revision"] == "HS92")]
    assert back.set_index("to_hs6")["weight"].to_dict() == pytest.approx(
        {"721719": 20 / 50, "721729": 30 / 50, "721739": 0.0})
    # no trade observed for the split of HS92 850120 into HS96: equal split kept
    fwd = w[(w["from_revision"] == "HS92") & (w["from_hs6"] == "850120")]
    assert fwd["weight"].tolist() == [0.5, 0.5]


# ----------------------------------------------------------------------- conversion
def test_convert_hand_computed_split_and_merge() -> None:
    conc = ibis.memtable(hs.parse_concordance(FIX / "HS_consolidated_comtrade_concordances.csv"))
    flows = _flows([
        (2021, "JPN", "IND", "721790", 90.0, 9.0, "HS96"),   # split 1/3 each to HS92
        (2021, "JPN", "IND", "850110", 5.0, None, "HS96"),   # 1:1
        (2021, "KOR", "IND", "721719", 1.0, 1.0, "HS92"),    # already HS92: unchanged, then summed
    ])
    out = _run(hs.convert_trade_flows(ibis.memtable(flows), conc, "HS92"))
    assert set(out["hs_revision"]) == {"HS92"}
    jpn = out[out["exporter"] == "JPN"].set_index("hs6")
    assert jpn["value_usd"].to_dict() == pytest.approx(
        {"721719": 30.0, "721729": 30.0, "721739": 30.0, "850110": 5.0})
    assert jpn.loc["721729", "quantity_t"] == pytest.approx(3.0)
    assert pd.isna(jpn.loc["850110", "quantity_t"])
    assert out[out["exporter"] == "KOR"]["value_usd"].tolist() == [1.0]


def test_convert_chained_forward_two_steps() -> None:
    """HS92 850120 → HS96 {850120, 850131} (1/2 each) → HS02 (1:1): 100 → 50 + 50."""
    conc = ibis.memtable(hs.parse_concordance(FIX / "HS_consolidated_comtrade_concordances.csv"))
    flows = _flows([(2000, "CHN", "JPN", "850120", 100.0, 10.0, "HS92"),
                    (2000, "CHN", "JPN", "010111", 8.0, 2.0, "HS92")])
    out = _run(hs.convert_trade_flows(ibis.memtable(flows), conc, "HS02", from_revisions=["HS92"]))
    assert out.set_index("hs6")["value_usd"].to_dict() == pytest.approx(
        {"850120": 50.0, "850131": 50.0, "010121": 4.0, "010129": 4.0})
    assert out["value_usd"].sum() == pytest.approx(108.0)


def test_convert_real_baci_hs92_to_hs22_preserves_totals(shared_data: Path) -> None:
    """A real BACI HS92 extract carried through six revisions keeps its total value and quantity."""
    raw = pd.read_csv(shared_data / "baci-sample" / "BACI_HS92_Y2021_V202301_ZAF-AFG-exporters.csv",
                      dtype={"k": str}, na_values=["NA"], skipinitialspace=True)
    raw = raw[raw["i"] == 4]  # Afghanistan's exports: a small real slice
    flows = pd.DataFrame({
        "year": raw["t"], "exporter": raw["i"].astype(str), "importer": raw["j"].astype(str),
        "hs6": raw["k"].str.zfill(6), "value_usd": raw["v"] * 1000,
        "quantity_t": pd.to_numeric(raw["q"].astype(str).str.strip(), errors="coerce"),
        "hs_revision": "HS92", "source": "BACI HS92 V202301",
    })
    concordance = hs.parse_concordance(shared_data / "hs" / "HS_consolidated_comtrade_concordances.csv")
    conc = ibis.memtable(concordance)
    out = _run(hs.convert_trade_flows(ibis.memtable(flows), conc, "HS22", from_revisions=["HS92"]))
    assert set(out["hs_revision"]) == {"HS22"}
    assert out["value_usd"].sum() == pytest.approx(flows["value_usd"].sum(), rel=1e-9)
    assert out["quantity_t"].sum() == pytest.approx(flows["quantity_t"].sum(), rel=1e-9)
    # per exporter-importer pair too
    before = flows.groupby("importer")["value_usd"].sum()
    after = out.groupby("importer")["value_usd"].sum()
    pd.testing.assert_series_equal(before.sort_index(), after.sort_index(), check_exact=False, rtol=1e-9)


def test_conversion_steps_and_bad_revision() -> None:
    assert hs.conversion_steps("HS92", "HS02") == [("HS92", "HS96"), ("HS96", "HS02")]
    assert hs.conversion_steps("HS17", "HS17") == []
    with pytest.raises(InputError, match="unknown HS revision"):
        hs.conversion_steps("HS92", "HS2")


@pytest.mark.spark
def test_convert_same_on_spark(spark_available: None) -> None:
    """The conversion expression gives the same rows on PySpark as on DuckDB."""
    from kakehashi.engines import spark_session

    conc = hs.parse_concordance(FIX / "HS_consolidated_comtrade_concordances.csv")
    flows = _flows([(2000, "CHN", "JPN", "850120", 100.0, 10.0, "HS92"),
                    (2000, "JPN", "IND", "721790", 90.0, None, "HS96")])
    expr = hs.convert_trade_flows(ibis.memtable(flows), ibis.memtable(conc), "HS02")
    duck = _run(expr)
    con = ibis.pyspark.connect(spark_session())
    spark = con.execute(expr).sort_values(["year", "exporter", "importer", "hs6"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)
    assert duck["value_usd"].sum() == pytest.approx(190.0)
