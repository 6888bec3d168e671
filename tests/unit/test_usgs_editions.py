"""USGS MCS editions: a newer edition's figures win whatever the ingest order (real MCS 2023 and 2024)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.cli import main
from kakehashi.sources import usgs
from kakehashi.warehouse import Warehouse

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "usgs"


def _table(wh: Warehouse, name: str) -> pd.DataFrame:
    frame = pd.concat([pd.read_parquet(f) for f in wh.files(name)], ignore_index=True)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _one(df: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    rows = df[mask]
    assert len(rows) == 1, (where, rows)
    return rows.iloc[0]


@pytest.fixture(scope="module")
def lithium_files(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real lithium and titanium-minerals files of MCS 2023 and MCS 2024, one folder per edition."""
    out = {}
    for edition in ("2023", "2024"):
        folder = tmp_path_factory.mktemp(f"mcs{edition}")
        for code in ("lithi", "timin"):
            name = f"mcs{edition}-{code}_world.csv"
            shutil.copy(shared_data / f"usgs-mcs-{edition}" / "world" / name, folder)
        out[edition] = folder
    return out


def test_older_edition_after_newer_keeps_newer_values(lithium_files: dict[str, Path], tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    usgs.load_usgs(wh, lithium_files["2024"])
    res = usgs.load_usgs(wh, lithium_files["2023"])
    prod = _table(wh, "production")
    # the files: MCS 2024 revises Australia's 2022 lithium to "74,700" t; MCS 2023 had "61,000" (est.)
    row = _one(prod, country="AUS", commodity="lithium", year=2022)
    assert row["quantity"] == 74_700 and row["source"] == "USGS MCS 2024"
    # MCS 2023's 2021 figure is not revised by MCS 2024 (which starts in 2022): kept
    assert _one(prod, country="AUS", commodity="lithium", year=2021)["quantity"] == 55_300
    # what was dropped is reported: MCS 2023's 2022 rows of both families, in every table concerned
    sup = res.superseded
    assert set(sup["dropped"]) == {"USGS MCS 2023"} and set(sup["kept"]) == {"USGS MCS 2024"}
    assert set(sup["year"]) == {2022} and set(sup["family"]) == {"lithi", "timin"}
    lithium_2022 = pd.read_csv(lithium_files["2023"] / "mcs2023-lithi_world.csv", encoding="utf-8-sig")
    countries = lithium_2022[~lithium_2022["Country"].str.startswith(("World", "Other"))]
    filled = countries["Prod_t_est_2022"].notna().sum()
    assert _one(sup, table="production", family="lithi")["rows"] == filled
    assert res.years == [2021]


def test_ingest_order_does_not_matter(lithium_files: dict[str, Path], tmp_path: Path) -> None:
    a, b = Warehouse(tmp_path / "a"), Warehouse(tmp_path / "b")
    usgs.load_usgs(a, lithium_files["2023"])
    usgs.load_usgs(a, lithium_files["2024"])
    usgs.load_usgs(b, lithium_files["2024"])
    usgs.load_usgs(b, lithium_files["2023"])
    for name in ("production", "reserves", "world_totals"):
        pd.testing.assert_frame_equal(_table(a, name), _table(b, name))
    assert _one(_table(a, "production"), country="AUS", commodity="lithium", year=2022)["quantity"] == 74_700
    # one ingest of both editions gives the same tables
    c = Warehouse(tmp_path / "c")
    usgs.load_usgs(c, [lithium_files["2023"], lithium_files["2024"]])
    pd.testing.assert_frame_equal(_table(a, "production"), _table(c, "production"))


def test_titanium_minerals_2023_rows_parse_and_newer_edition_replaces_the_family(
        lithium_files: dict[str, Path], shared_data: Path, tmp_path: Path) -> None:
    w = usgs.parse_usgs_world(shared_data / "usgs-mcs-2023" / "world" / "mcs2023-timin_world.csv")
    prod = w.production
    # the file's rows "Mine production: Ilmenite" and "Mine production: rutile" (kt, TiO2 content)
    assert _one(prod, country="AUS", commodity="ilmenite", year=2022)["quantity"] == 660_000
    assert _one(prod, country="SLE", commodity="rutile", year=2022)["quantity"] == 130_000
    assert _one(prod, country="AUS", commodity="rutile", year=2021)["quantity"] == 190_000
    # the United States reports both minerals together ("Ilmenite and rutile"): their own key
    assert _one(prod, country="USA", commodity="titanium-minerals", year=2022)["quantity"] == 200_000
    assert set(prod["unit"]) == {"t TiO2 content"} and set(prod["stage"]) == {"mine"}
    # 13 ilmenite and 11 rutile country rows per year in the file (Other countries and totals apart)
    counts = prod.groupby(["commodity", "year"]).size().to_dict()
    assert counts[("ilmenite", 2022)] == 13 and counts[("rutile", 2022)] == 11
    world = _one(w.world_totals, commodity="ilmenite", year=2022, stage="mine")["quantity"]
    assert world == 8_900_000
    # after MCS 2024 (which gives USA under ilmenite), no 2022 row of MCS 2023 is left in the family,
    # so the USA is not counted twice for 2022
    wh = Warehouse(tmp_path / "wh")
    usgs.load_usgs(wh, lithium_files["2024"])
    usgs.load_usgs(wh, lithium_files["2023"])
    stored = _table(wh, "production")
    tio2 = stored[stored["commodity"].isin(["ilmenite", "rutile", "titanium-minerals"])]
    assert set(tio2.loc[tio2["year"] == 2022, "source"]) == {"USGS MCS 2024"}
    assert set(tio2.loc[tio2["year"] == 2021, "source"]) == {"USGS MCS 2023"}
    usa = tio2[(tio2["year"] == 2022) & (tio2["country"] == "USA")].dropna(subset=["quantity"])
    assert usa["commodity"].tolist() == ["ilmenite"]  # rutile: "Included with ilmenite" (null)


def test_family_and_edition_helpers() -> None:
    fam = usgs.family(pd.Series(["ilmenite", "rutile", "titanium-minerals", "lithium", "zirconium"]))
    assert fam.tolist() == ["timin", "timin", "timin", "lithi", "zirco"]
    assert usgs.edition_of("USGS MCS 2024") == 2024 and usgs.edition_of("other") == 0


def test_cli_says_what_it_kept_and_dropped(lithium_files: dict[str, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    wh = str(tmp_path / "wh")
    assert main(["ingest", "usgs", str(lithium_files["2024"]), "-w", wh]) == 0
    assert "editions:" not in capsys.readouterr().out
    assert main(["ingest", "usgs", str(lithium_files["2023"]), "-w", wh]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("editions:"))
    both = [lithium_files["2024"], lithium_files["2023"]]
    sup = usgs.load_usgs(Warehouse(tmp_path / "again"), both).superseded
    assert line == (f"editions: kept USGS MCS 2024 over USGS MCS 2023 for 2022 (2 commodity files); "
                    f"dropped {int(sup['rows'].sum()):,} rows of USGS MCS 2023")
    assert "years 2021" in out  # the years written: MCS 2023's 2022 rows were not
