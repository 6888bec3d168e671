"""USGS Mineral Commodity Summaries world tables: real files of two editions and fixtures."""

from __future__ import annotations

import csv
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.errors import InputError
from kakehashi.schemas import conform
from kakehashi.sources import usgs

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "usgs"


def _value(df: pd.DataFrame, **where: object) -> float:
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    rows = df[mask]
    assert len(rows) == 1, (where, rows)
    return float(rows["quantity"].iloc[0])


# --------------------------------------------------------------------------- real files
def test_rare_earths_2024_china(shared_data: Path) -> None:
    """The published figure: China mined 240,000 t REO in 2023 of a world 350,000 t."""
    w = usgs.parse_usgs_world(shared_data / "usgs-mcs-2024/world/mcs2024-raree_world.csv")
    p = w.production
    assert _value(p, country="CHN", year=2023, commodity="rare-earths", stage="mine") == 240_000
    assert set(p["unit"]) == {"t REO"} and set(p["source"]) == {"USGS MCS 2024"}
    assert "World" not in " ".join(p["country"]) and len(p["country"].unique()) == 15
    wt = w.world_totals
    assert _value(wt, year=2023, commodity="rare-earths", stage="mine") == 350_000
    assert _value(wt, year=2023, commodity="rare-earths", stage="reserves") == 110_000_000
    assert _value(w.reserves, country="CHN", commodity="rare-earths") == 44_000_000
    assert set(w.reserves["year"]) == {2023}  # the latest production year of the edition


def _raw_cells(path: Path) -> list[list[str]]:
    """Rows of a publisher's file read with nothing but the csv module (independent reference)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.reader(fh) if any(c.strip() for c in r)]


def _expected_country_rows(path: Path) -> int:
    """Non-empty production cells of country rows, counted from the raw file."""
    rows = _raw_cells(path)
    header = rows[0]
    prod = [i for i, h in enumerate(header)
            if re.match(r"Prod_", h) and not h.lower().endswith(("notes", "note"))]
    n = 0
    for r in rows[1:]:
        name = r[1].replace("\xa0", " ").strip().lower()
        if name.startswith(("world", "other")) or name == "united states and canada":
            continue
        type_text = r[2] if header[2] == "Type" else header[2]
        if "capacity" in type_text.lower() and "production" not in type_text.lower():
            continue
        n += sum(1 for i in prod if i < len(r) and r[i].strip())
    return n


@pytest.mark.parametrize("edition", ["2024", "2023"])
def test_every_world_file_parses_or_is_refused_for_a_listed_reason(shared_data: Path, edition: str) -> None:
    folder = shared_data / f"usgs-mcs-{edition}" / "world"
    files = sorted(folder.glob("*.csv"))
    assert len(files) == 77
    parsed = 0
    for f in files:
        if f.name in usgs.REFUSED:
            assert usgs.REFUSED[f.name].strip()
            continue
        w = usgs.parse_usgs_world(f)
        for name, frame in w.tables().items():
            conform(frame, name, origin=f, check_keys=False)  # canonical (keys checked by the parser)
        assert set(w.production["source"]) <= {f"USGS MCS {edition}"}
        # every non-empty production cell of a country row is a production row
        assert len(w.production) == _expected_country_rows(f), f.name
        parsed += 1
    assert parsed == 77 - sum(1 for f in files if f.name in usgs.REFUSED)
    assert parsed >= 76


def test_parse_folder_2023_and_world_totals_add_up(shared_data: Path) -> None:
    w = usgs.parse_usgs_world_dir(shared_data / "usgs-mcs-2023" / "world")
    assert w.refused.empty
    assert set(w.production["year"]) == {2021, 2022}
    assert set(w.reserves["year"]) == {2022}
    # rare earths 2022 (MCS 2023): China 210,000 t REO
    assert _value(w.production, country="CHN", year=2022, commodity="rare-earths") == 210_000
    # countries + "Other countries" match the rounded world total within 10 % for mine lithium
    p = w.production.query("commodity == 'lithium' and year == 2022")["quantity"].sum()
    o = _value(w.other_countries, commodity="lithium", year=2022, stage="mine")
    world = _value(w.world_totals, commodity="lithium", year=2022, stage="mine")
    assert abs((p + o) / world - 1) < 0.1
    # several products in one file get their own keys (2023: ilmenite, rutile)
    assert {"ilmenite", "rutile", "titanium-minerals"} <= set(w.world_totals["commodity"])


def test_units_converted_to_tonnes(shared_data: Path) -> None:
    w = usgs.parse_usgs_world(shared_data / "usgs-mcs-2024/world/mcs2024-galli_world.csv")  # Prod_kg
    china = _value(w.production, country="CHN", year=2023, commodity="gallium")
    assert china == 600_000 * 1e-3  # 600,000 kg in the file
    assert set(w.production["unit"]) == {"t"}
    assert not w.capacity.empty and set(w.capacity["stage"]) == {"refinery capacity"}


def test_upper_case_file_name(shared_data: Path) -> None:
    w = usgs.parse_usgs_world(shared_data / "usgs-mcs-2024/world/MCS2024-bismu_world.csv")
    assert set(w.production["commodity"]) == {"bismuth"} and set(w.production["stage"]) == {"refinery"}


def test_commodities_cover_every_file(shared_data: Path) -> None:
    codes = set(usgs.commodities()["usgs_code"])
    for edition in ("2023", "2024"):
        for f in (shared_data / f"usgs-mcs-{edition}" / "world").glob("*.csv"):
            m = re.match(r"mcs\d{4}-(.+)_world\.csv", f.name, re.I)
            assert m and m.group(1).lower() in codes, f.name
    table = usgs.commodities()
    assert table["usgs_code"].is_unique
    assert table.set_index("usgs_code").loc["raree", "commodity"] == "rare-earths"


# --------------------------------------------------------------------------- fixtures
def test_fixture_lithium_every_quirk() -> None:
    w = usgs.parse_usgs_world(FIX / "good" / "mcs2024-lithi_world.csv")
    p = w.production
    assert len(p) == 14  # 7 countries x 2 years; World and Other rows kept apart
    assert sorted(p["country"].unique()) == ["AUS", "CHL", "CHN", "JPN", "KOR", "USA", "ZWE"]
    assert _value(p, country="AUS", year=2023) == 72_000  # quoted thousands
    assert _value(p, country="JPN", year=2022) == 0  # "Japane": footnote letter stripped
    assert _value(p, country="KOR", year=2023) == 120  # "e120": estimate
    assert math.isnan(_value(p, country="KOR", year=2022))  # "Less than ½ unit."
    assert math.isnan(_value(p, country="USA", year=2023))  # W, "United\xa0States"
    assert _value(p, country="ZWE", year=2023) == 3_400  # "Zimbabwe8"
    assert set(p["unit"]) == {"t Li content"} and set(p["stage"]) == {"mine"}
    r = w.reserves
    assert len(r) == 7 and set(r["year"]) == {2023}
    assert _value(r, country="CHL") == 9_300_000 and math.isnan(_value(r, country="KOR"))
    wt = w.world_totals
    assert _value(wt, year=2022, stage="mine") == 146_000
    assert _value(wt, year=2023, stage="reserves") == 28_000_000
    assert _value(wt, year=2023, stage="mine:other-countries") == 1_200
    assert math.isnan(_value(wt, year=2023, stage="reserves:other-countries"))
    assert len(wt) == 6
    reasons = w.notes.set_index(["line", "column"])["reason"]
    assert reasons[(2, "Prod_t_2022")].startswith("withheld")
    assert reasons[(7, "Prod_t_2022")] == "less than half the unit"
    assert reasons[(9, "Reserves_t")] == "included in the world total"


def test_fixture_copper_stages_capacity_and_groups() -> None:
    w = usgs.parse_usgs_world(FIX / "good" / "mcs2024-coppe_world.csv")
    p = w.production
    assert len(p) == 14  # mine: 4 countries x 2 years; refinery: 3 x 2
    assert _value(p, country="COD", year=2023, stage="mine") == 2_500_000  # kt -> t
    assert _value(p, country="CHN", year=2023, stage="refinery") == 12_000_000
    assert "MMR" in set(p["country"])  # Burma
    assert len(w.capacity) == 3 and _value(w.capacity, country="JPN") == 1_700_000
    assert "USA" not in set(p["country"]) and "CAN" not in set(p["country"])
    assert "group of countries" in " ".join(w.notes["reason"])
    assert len(w.reserves) == 4  # refinery rows have no reserves cells
    assert _value(w.world_totals, year=2023, stage="refinery") == 27_000_000
    assert _value(w.world_totals, year=2023, stage="reserves:other-countries") == 230_000_000


def test_fixture_unknown_countries_listed_together() -> None:
    with pytest.raises(InputError) as err:
        usgs.parse_usgs_world(FIX / "unknown-country" / "mcs2024-lithi_world.csv")
    msg = str(err.value)
    assert "'Atlantis' (line 3)" in msg and "'Narnia' (line 4)" in msg
    assert "mcs2024-lithi_world.csv:3" in msg


def test_fixture_unexpected_text_names_file_line_column_value() -> None:
    with pytest.raises(InputError) as err:
        usgs.parse_usgs_world(FIX / "bad-text" / "mcs2024-cobal_world.csv")
    msg = str(err.value)
    assert "mcs2024-cobal_world.csv:3" in msg
    assert "Prod_t_est_2022" in msg and "'about 10000'" in msg


def test_fixture_without_measure_columns_is_refused() -> None:
    with pytest.raises(InputError, match="no production, capacity or reserves columns"):
        usgs.parse_usgs_world(FIX / "no-production" / "mcs2024-graph_world.csv")


def test_bad_file_names_and_duplicates(tmp_path: Path) -> None:
    odd = tmp_path / "lithium.csv"
    shutil.copy(FIX / "good" / "mcs2024-lithi_world.csv", odd)
    with pytest.raises(InputError, match="not a USGS MCS world file name"):
        usgs.parse_usgs_world(odd)
    unknown = tmp_path / "mcs2024-unobt_world.csv"
    shutil.copy(FIX / "good" / "mcs2024-lithi_world.csv", unknown)
    with pytest.raises(InputError, match="unknown USGS commodity code 'unobt'"):
        usgs.parse_usgs_world(unknown)
    dup = tmp_path / "mcs2024-lithi_world.csv"
    text = (FIX / "good" / "mcs2024-lithi_world.csv").read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    dup.write_text("\r\n".join([*lines[:4], lines[3], *lines[4:]]), encoding="utf-8")
    with pytest.raises(InputError, match=r"two rows for the same .*lines 4, 5"):
        usgs.parse_usgs_world(dup)


def test_parse_folder_of_fixtures() -> None:
    w = usgs.parse_usgs_world_dir(FIX / "good")
    assert set(w.production["commodity"]) == {"lithium", "copper"}
    with pytest.raises(InputError, match="no USGS world files"):
        usgs.parse_usgs_world_dir(FIX)


@pytest.mark.parametrize(
    ("name", "measure", "unit", "factor", "year", "qualifier"),
    [
        ("Prod_t_est_2023", "production", "t", 1.0, 2023, ""),
        ("Prod_Sponge_t_Est_2022", "production", "t", 1.0, 2022, "Sponge"),
        ("Cap_kg_2023", "capacity", "t", 1e-3, 2023, ""),
        ("Reserves_mt", "reserves", "t", 1e6, None, ""),
        ("Reserves_kt_2023", "reserves", "t", 1e3, 2023, ""),
        ("Prod_mct_est_2023", "production", "carat", 1e6, 2023, ""),
        ("Prod_mcm_2022", "production", "m3", 1e6, 2022, ""),
    ],
)
def test_measure_columns(name: str, measure: str, unit: str, factor: float, year: int | None,
                         qualifier: str) -> None:
    col = usgs.parse_measure_column(name)
    assert col is not None
    assert (col.measure, col.unit, col.factor, col.year, col.qualifier) == (measure, unit, factor, year,
                                                                              qualifier)
