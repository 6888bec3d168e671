"""Countries: ISO codes, publishers' aliases and quirks, the country-codes table."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.errors import InputError
from kakehashi.schemas import conform
from kakehashi.sources import countries as cty


def test_countries_table_is_canonical_and_unique() -> None:
    df = cty.countries()
    assert list(df.columns) == cty.COUNTRY_COLUMNS
    assert df["iso3"].is_unique and df["numeric"].is_unique
    assert len(df) == 250  # 249 ISO 3166-1 entries + Kosovo (user-assigned)
    out = conform(df, "countries")
    assert out.num_rows == 250
    former = cty.countries(include_former=True)
    assert {"SUN", "CSK", "ANT"} <= set(former["iso3"]) and "SUN" not in set(df["iso3"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("JPN", "JPN"), ("jpn", "JPN"), ("JP", "JPN"), (392, "JPN"), ("392", "JPN"), ("Japan", "JPN"),
        ("Burma", "MMR"), ("Congo (Kinshasa)", "COD"), ("Korea, Republic of", "KOR"),
        ("Russia", "RUS"), ("Turkey", "TUR"), ("Türkiye", "TUR"), ("Côte d’Ivoire", "CIV"),
        ("United\xa0States", "USA"), ("Korea, Rep.", "KOR"), ("ROM", "ROU"), ("ZAR", "COD"),
        ("TMP", "TLS"), ("ADO", "AND"), ("WBG", "PSE"), ("KSV", "XKX"), ("Kosovo", "XKX"),
        ("Other Asia, nes", "TWN"), (490, "TWN"), (842, "USA"), (699, "IND"), (757, "CHE"),
        (251, "FRA"), (579, "NOR"), ("076", "BRA"), ("Iran, Islamic Republic of", "IRN"),
    ],
)
def test_to_iso3(value: str | int, expected: str) -> None:
    assert cty.to_iso3(value) == expected


def test_unknown_country_lists_close_matches() -> None:
    with pytest.raises(InputError) as err:
        cty.to_iso3("Germani")
    assert "Germani" in str(err.value) and "Germany (DEU)" in str(err.value)
    with pytest.raises(InputError) as err:
        cty.validate_iso3("JPX")
    assert "JPN" in str(err.value)
    with pytest.raises(InputError, match="group of countries"):
        cty.to_iso3("World total (rounded)")
    with pytest.raises(InputError, match="group of countries"):
        cty.numeric_to_iso3(697)


def test_validate_and_name() -> None:
    assert cty.validate_iso3(" kor ") == "KOR"
    assert cty.country_name("TWN") == "Taiwan"
    assert cty.country_name("jpn") == "Japan"


@pytest.mark.parametrize(
    ("name", "aggregate"),
    [
        ("World", True), ("World total (rounded)", True), ("Other countries", True),
        ("Other countries (rounded)", True), ("Other", True), ("Europe EFTA, nes", True),
        ("United States and Canada", True), ("Other Asia, nes", False), ("Japan", False),
        ("Korea, Republic of", False),
    ],
)
def test_is_aggregate(name: str, aggregate: bool) -> None:
    assert cty.is_aggregate(name) is aggregate


def test_every_alias_points_to_a_known_code() -> None:
    aliases = cty._aliases()
    known = set(cty.countries(include_former=True)["iso3"])
    assert set(aliases["iso3"]) <= known
    assert aliases["alias"].is_unique


def test_baci_country_codes_all_resolve(shared_data: Path) -> None:
    """Every country of BACI's code table resolves, by number and by both names, consistently."""
    path = shared_data / "baci-sample" / "country_codes_V202201.csv"
    with open(path, encoding="latin-1", newline="") as fh:
        rows = list(csv.DictReader(fh))
    checked = 0
    for r in rows:
        if cty.is_aggregate(r["country_name_abbreviation"]):
            continue
        by_code = cty.numeric_to_iso3(r["country_code"])
        assert cty.to_iso3(r["country_name_abbreviation"]) == by_code
        assert cty.to_iso3(r["country_name_full"]) == by_code
        if r["iso_3digit_alpha"] not in ("N/A", ""):
            assert r["iso_3digit_alpha"] == by_code, r
        checked += 1
    assert checked == len(rows) - 1  # only 697 "Europe EFTA, nes" is an aggregate


def test_wgi_codes_and_names_agree(shared_data: Path) -> None:
    wgi = pd.read_stata(shared_data / "wgi" / "wgidataset.dta", columns=["code", "countryname"])
    pairs = wgi.drop_duplicates()
    for code, name in pairs.itertuples(index=False):
        assert cty.to_iso3(code) == cty.to_iso3(name), (code, name)


def test_parse_country_codes_real_file(shared_data: Path) -> None:
    df = cty.parse_country_codes(shared_data / "countries" / "country-codes.csv")
    table = conform(df, "countries").to_pandas().set_index("iso3")
    assert table.loc["NAM", "iso2"] == "NA"  # not read as missing
    assert table.loc["JPN", "numeric"] == 392
    assert table.loc["IND", "region"] == "Asia"
    # agrees with the shipped table on every shared code
    ours = cty.countries().set_index("iso3")
    common = table.index.intersection(ours.index)
    assert len(common) > 240
    assert (table.loc[common, "numeric"] == ours.loc[common, "numeric"]).all()


def test_parse_country_codes_errors(tmp_path: Path) -> None:
    bad = tmp_path / "codes.csv"
    bad.write_text("iso,name\nJPN,Japan\n")
    with pytest.raises(InputError, match="missing column"):
        cty.parse_country_codes(bad)
    bad.write_text(
        "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,ISO3166-1-numeric,official_name_en,Region Name\n"
        "JPN,JP,392,Japan,Asia\nXY1,XY,12x,Nowhere,\n"
    )
    with pytest.raises(InputError) as err:
        cty.parse_country_codes(bad)
    assert f"{bad}:3" in str(err.value)


def test_superscript_digits_are_not_a_numeric_code() -> None:
    """'¹' is a digit to str.isdigit() but not a number int() reads: an unknown name, not a crash."""
    with pytest.raises(InputError):
        cty.to_iso3("¹")
