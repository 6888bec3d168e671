"""CEPII BACI parser and ingest: fixtures in BACI's exact format, broken files, the real sample."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pyarrow.compute as pc
import pytest
from _local_http import QuietHandler, serve

from kakehashi import InputError, Warehouse
from kakehashi.sources.baci import (
    baci_url,
    download_baci,
    ingest_baci,
    iter_baci,
    load_baci,
    parse_baci,
    parse_baci_filename,
    parse_baci_products,
    read_baci_country_codes,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BACI = FIXTURES / "baci"
GOOD = BACI / "BACI_HS92_Y2021_V202301.csv"
CODES = BACI / "country_codes_V202301.csv"

# The good 2021 fixture, mapped by hand: (exporter, importer, hs6, value_usd = 1000 * v, quantity_t).
# Row "156,697" (China → Europe EFTA nes) is a non-country partner and is left out.
EXPECTED_2021 = {
    ("AFG", "JPN", "090500", 1500.0, 0.2),
    ("AFG", "IND", "090500", 12250.0, None),
    ("CHN", "JPN", "850511", 1234567.0, 45.6),
    ("CHN", "TWN", "850511", 100000.0, 2.0),
    ("CHN", "IND", "280530", 50001.0, 10.0),
    ("TWN", "JPN", "710231", 2500000.0, 0.05),
    ("USA", "JPN", "280530", 1.0, 0.0),
    ("FRA", "JPN", "280530", 3000.0, 1.0),
    ("ITA", "CHN", "261400", 500.0, None),
    ("ZAF", "JPN", "010111", 42420.0, 3.5),
}


def _rows(table: object) -> set[tuple[object, ...]]:
    df = table.to_pandas()  # type: ignore[attr-defined]
    return {
        (r.exporter, r.importer, r.hs6, r.value_usd, None if pd.isna(r.quantity_t) else r.quantity_t)
        for r in df.itertuples()
    }


def make_release_zip(folder: Path, name: str = "BACI_HS92_V202301.zip") -> Path:
    """A release zip like CEPII's, built from the fixture CSVs."""
    path = folder / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in ("BACI_HS92_Y2021_V202301.csv", "BACI_HS92_Y2022_V202301.csv",
                  "country_codes_V202301.csv", "product_codes_HS92_V202301.csv"):
            zf.write(BACI / f, f)
    return path


# ------------------------------------------------------------------ parsing
def test_good_csv_maps_codes_values_and_quantities() -> None:
    flows = parse_baci(GOOD, country_codes=CODES)
    assert _rows(flows) == EXPECTED_2021
    assert set(flows.column("year").to_pylist()) == {2021}
    assert set(flows.column("hs_revision").to_pylist()) == {"HS92"}
    assert set(flows.column("source").to_pylist()) == {"CEPII BACI HS92 V202301"}
    assert flows.schema.field("year").type == "int32"


def test_rows_come_in_warehouse_order_whatever_the_file_order(tmp_path: Path) -> None:
    keys = ["importer", "exporter", "hs6"]
    lines = GOOD.read_text().splitlines()
    shuffled = tmp_path / GOOD.name
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    for path in (GOOD, shuffled):  # BACI's own order (by numeric codes), and reversed
        df = parse_baci(path, country_codes=CODES).to_pandas()
        assert df[keys].values.tolist() == sorted(df[keys].values.tolist())
        assert _rows(parse_baci(path, country_codes=CODES)) == EXPECTED_2021


def test_two_codes_for_one_country_duplicate_a_flow(tmp_path: Path) -> None:
    # 842 and 840 both mean USA: the two rows below are one flow twice.
    path = tmp_path / GOOD.name
    path.write_text('"t","i","j","k","v","q"\n2021,840,392,280530,1,"        1.000"\n'
                    '2021,842,392,280530,2,"        1.000"\n')
    with pytest.raises(InputError, match=r"duplicate flow USA → JPN, product 280530 \(codes i in "
                                         r"\[840, 842\], j in \[392\]\), first at line 2") as err:
        parse_baci(path, country_codes={840: "USA", 842: "USA", 392: "JPN"})
    assert err.value.line == 3


def test_na_with_any_padding_is_an_unknown_quantity(tmp_path: Path) -> None:
    # BACI writes "           NA" (13 characters) or, since 2026, a bare NA; other paddings are read too
    # (on a second read of the file: the first tries BACI's two forms only).
    path = tmp_path / GOOD.name
    for na in ('"           NA"', "NA", '"   NA"', '"NA"', "  NA"):
        path.write_text('"t","i","j","k","v","q"\n2021,156,392,850511,1,"        1.500"\n'
                        f'2021,4,392,90500,2,{na}\n')
        flows = parse_baci(path, country_codes=CODES)
        assert flows.column("quantity_t").to_pylist() == [None, 1.5], na  # AFG → JPN comes first
        assert flows.column("value_usd").to_pylist() == [2000.0, 1000.0]


@pytest.mark.parametrize(("v", "q"), [("inf", '"        1.000"'), ("nan", '"        1.000"'),
                                      ("1", '"          inf"'), ("1", '"          nan"')])
def test_non_finite_values_are_refused(tmp_path: Path, v: str, q: str) -> None:
    path = tmp_path / GOOD.name
    path.write_text('"t","i","j","k","v","q"\n2021,156,392,850511,1,"        1.000"\n'
                    f'2021,4,392,90500,{v},{q}\n')
    with pytest.raises(InputError, match="not a finite number") as err:
        parse_baci(path, country_codes=CODES)
    assert err.value.line == 3


def test_non_country_partner_is_counted_apart() -> None:
    (year,) = list(iter_baci(GOOD, country_codes=CODES))
    assert year.aggregate_rows == {697: 1}
    assert year.year == 2021 and year.hs_revision == "HS92" and year.release == "202301"


def test_newer_country_code_layout_gives_the_same_rows() -> None:
    flows = parse_baci(GOOD, country_codes=BACI / "country_codes_V202501.csv")
    assert _rows(flows) == EXPECTED_2021


def test_country_codes_reader_handles_latin1_na_and_namibia() -> None:
    cc = read_baci_country_codes(CODES)
    by_code = dict(zip(cc["code"], cc["iso3"], strict=True))
    assert by_code[384] == "CIV" and by_code[516] == "NAM"
    assert pd.isna(by_code[490]) and pd.isna(by_code[697])  # "N/A"
    assert "Côte d'Ivoire" in set(cc["name"])


def test_zip_release_uses_its_own_code_table_and_all_years(tmp_path: Path) -> None:
    z = make_release_zip(tmp_path)
    flows = parse_baci(z)
    assert sorted(set(flows.column("year").to_pylist())) == [2021, 2022]
    df = flows.to_pandas()
    assert _rows(flows.filter(pc.equal(flows.column("year"), 2021))) == EXPECTED_2021
    # 2022 file: first six 2021 rows with AFG→JPN changed to v=2.5, q=0.3; the EFTA row left out
    y22 = df[df.year == 2022]
    assert len(y22) == 5
    assert y22.value_usd.sum() == pytest.approx(1000 * (2.5 + 12.25 + 1234.567 + 100 + 50.001))


def test_products_from_csv_and_zip(tmp_path: Path) -> None:
    prod = parse_baci_products(BACI / "product_codes_HS92_V202301.csv")
    assert prod["hs6"].tolist() == ["010111", "090500", "261400", "280530", "710231", "850511"]
    assert prod["hs4"].tolist() == ["0101", "0905", "2614", "2805", "7102", "8505"]
    # Sections by chapter, WCO nomenclature: 01 live animals (I), 09 vegetable (II), 26 mineral (V),
    # 28 chemicals (VI), 71 precious stones (XIV), 85 machinery (XVI).
    assert prod["section"].tolist() == ["I", "II", "V", "VI", "XIV", "XVI"]
    assert set(prod["hs_revision"]) == {"HS92"}
    from_zip = parse_baci_products(make_release_zip(tmp_path))
    pd.testing.assert_frame_equal(from_zip, prod)


def test_filename_parsing_and_overrides(tmp_path: Path) -> None:
    assert parse_baci_filename("BACI_HS17_Y2023_V202501.csv") == ("HS17", 2023, "202501")
    assert parse_baci_filename("baci_hs22_y2022_v202401b.csv") == ("HS22", 2022, "202401b")
    assert parse_baci_filename("trade.csv") is None
    odd = tmp_path / "trade.csv"
    shutil.copy(GOOD, odd)
    with pytest.raises(InputError, match="cannot tell the HS revision and year") as err:
        parse_baci(odd, country_codes=CODES)
    assert str(odd) in str(err.value)
    flows = parse_baci(odd, country_codes=CODES, hs_revision="HS92", year=2021)
    assert _rows(flows) == EXPECTED_2021


BROKEN = [
    ("missing-column", 1, r"missing column\(s\) q in header"),
    ("text-in-v", 4, r"'abc' in column v is not a number"),
    ("text-in-q", 3, r"'n/a' in column q is not a number"),
    ("negative-v", 5, r"negative value -100 in column v"),
    ("unknown-country", 3, r"unknown country code\(s\) 999"),
    ("year-mismatch", 5, r"year '2020' in column t differs from the file's year 2021"),
    ("duplicates", 6, r"duplicate flow CHN → TWN, product 850511, first at line 5"),
    ("hs-not-six", 4, r"product code '8505' in column k is not a six-digit HS code"),
    ("extra-field", 4, r"row has 7 fields, expected 6"),
    ("empty-v", 4, r"missing value '' in column v"),
]


@pytest.mark.parametrize(("name", "line", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_name_file_line_and_value(name: str, line: int, message: str) -> None:
    path = BACI / "broken" / f"BACI_HS92_Y2021_V202301_{name}.csv"
    with pytest.raises(InputError, match=message) as err:
        parse_baci(path, country_codes=CODES)
    assert err.value.file == str(path)
    assert err.value.line == line
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert err.value.hint


def test_truncated_zip(tmp_path: Path) -> None:
    z = make_release_zip(tmp_path)
    cut = tmp_path / "BACI_HS92_V202301_cut.zip"
    cut.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(InputError, match="not a complete zip archive") as err:
        parse_baci(cut)
    assert str(cut) in str(err.value) and "download" in (err.value.hint or "")


def test_zip_without_baci_files(tmp_path: Path) -> None:
    z = tmp_path / "other.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(InputError, match="no BACI yearly CSV"):
        parse_baci(z)


def test_unknown_code_without_table_suggests_the_code_file(tmp_path: Path) -> None:
    path = BACI / "broken" / "BACI_HS92_Y2021_V202301_unknown-country.csv"
    with pytest.raises(InputError) as err:
        parse_baci(path)
    assert "--country-codes" in (err.value.hint or "")


# ------------------------------------------------------------------ ingest
def test_ingest_zip_in_one_transaction_with_products(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    result = load_baci(wh, [make_release_zip(tmp_path)])
    assert result.rows == 15 and result.years == [2021, 2022] and result.aggregate_rows == 2
    assert result.products == 6
    t = wh.table("trade_flows")
    df = wh.execute(t.group_by("year").aggregate(n=t.count()).order_by("year"))
    assert df["n"].tolist() == [10, 5]
    assert len(wh.execute(wh.table("products"))) == 6
    assert len(wh.log()) == 3  # two years and the products, one snapshot
    assert len(list((tmp_path / "wh" / "snapshots").iterdir())) == 1


def test_bad_file_leaves_warehouse_unchanged(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    assert ingest_baci(wh, GOOD, country_codes=CODES) == 10
    before = wh.snapshot_id
    bad = BACI / "broken" / "BACI_HS92_Y2021_V202301_negative-v.csv"
    with pytest.raises(InputError, match="negative value"):
        ingest_baci(wh, [BACI / "BACI_HS92_Y2022_V202301.csv", bad], country_codes=CODES)
    assert wh.snapshot_id == before
    assert [p.name for p in wh.files("trade_flows")] == ["2021.parquet"]


def test_other_sources_of_a_year_are_kept_and_same_source_replaced(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    other = pd.DataFrame([{"year": 2021, "exporter": "CHN", "importer": "JPN", "hs6": "850511",
                           "value_usd": 5.0, "quantity_t": None, "hs_revision": "HS17",
                           "source": "UN Comtrade HS17 (test, synthetic)"}])
    wh.ingest("trade_flows", other, source="test")
    ingest_baci(wh, GOOD, country_codes=CODES)
    ingest_baci(wh, GOOD, country_codes=CODES)  # again: replaces its own rows, keeps the HS17 row
    df = wh.execute(wh.table("trade_flows"))
    assert len(df) == 11
    assert (df.hs_revision == "HS17").sum() == 1


# ---------------------------------------------------------------- download
def test_url_builder() -> None:
    assert baci_url("HS17", "V202501") == "https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS17_V202501.zip"
    assert baci_url("hs22", "202401b").endswith("/BACI_HS22_V202401b.zip")
    with pytest.raises(InputError, match="unknown HS revision 'HS99'"):
        baci_url("HS99", "V202501")
    with pytest.raises(InputError, match="cannot read BACI release"):
        baci_url("HS17", "2025")


def test_download_baci_from_a_local_server(tmp_path: Path) -> None:
    payload = make_release_zip(tmp_path).read_bytes()

    class Handler(QuietHandler):
        paths: ClassVar[list[str]] = []

        def do_GET(self) -> None:
            type(self).paths.append(self.path)
            ok = self.path == "/DATA_DOWNLOAD/baci/data/BACI_HS92_V202301.zip"
            body = payload if ok else b"missing"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve(Handler) as base:
        out = download_baci("HS92", "V202301", tmp_path / "dl", progress=False,
                            base_url=f"{base}/DATA_DOWNLOAD/baci/data")
        with pytest.raises(Exception, match="HTTP 404"):
            download_baci("HS92", "V209912", tmp_path / "dl2", progress=False,
                          base_url=f"{base}/DATA_DOWNLOAD/baci/data")
    assert out.name == "BACI_HS92_V202301.zip" and out.read_bytes() == payload
    assert parse_baci(out).num_rows == 15


# --------------------------------------------------------------- real data
def test_real_baci_sample(shared_data: Path) -> None:
    folder = shared_data / "baci-sample"
    path = folder / "BACI_HS92_Y2021_V202301_ZAF-AFG-exporters.csv"
    flows = parse_baci(path, country_codes=folder / "country_codes_V202201.csv")
    # Independent reference: the csv module over the raw file.
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    v_sum = sum(float(r["v"]) for r in rows)
    assert len(rows) == 71_192
    assert flows.num_rows == 71_192
    assert pc.sum(flows.column("value_usd")).as_py() == pytest.approx(1000 * v_sum, rel=1e-12)
    assert flows.column("quantity_t").null_count == sum(r["q"].strip() == "NA" for r in rows)
    assert pc.sum(flows.column("quantity_t")).as_py() == pytest.approx(
        sum(float(r["q"]) for r in rows if r["q"].strip() != "NA"), rel=1e-12)
    df = flows.to_pandas()
    assert (df.importer == "TWN").sum() == sum(r["j"] == "490" for r in rows)
    assert (df.importer == "ITA").sum() == sum(r["j"] == "380" for r in rows)  # ISO 380, absent from V202201
    assert set(df.exporter) == {"ZAF", "AFG"}
    assert (df.hs6.str.len() == 6).all()


def test_real_baci_sample_ingests(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "baci-sample"
    wh = Warehouse(tmp_path / "wh")
    n = ingest_baci(wh, [folder / "BACI_HS92_Y2021_V202301_ZAF-AFG-exporters.csv"],
                    country_codes=folder / "country_codes_V202201.csv")
    assert n == 71_192
    t = wh.table("trade_flows")
    df = wh.execute(t.aggregate(n=t.count(), years=t.year.nunique()))
    assert df["n"].tolist() == [71_192] and df["years"].tolist() == [1]


def test_area_code_resolution_order() -> None:
    from kakehashi.sources.areas import resolve_area_codes

    res = resolve_area_codes([842, 490, 0, 697, 380, 123456], {490: "N/A", 697: "N/A", 842: "USA"})
    assert res.iso3 == {380: "ITA", 490: "TWN", 842: "USA"}
    assert res.aggregates == {0: "World", 697: "Europe EFTA, nes"}
    assert res.unknown == [123456]
    # the publisher's table wins over the built-in customs-area list
    assert resolve_area_codes([381], {381: "SMR"}).iso3 == {381: "SMR"}


@pytest.mark.spark
def test_ingested_baci_reads_the_same_on_spark(tmp_path: Path, spark_available: None) -> None:
    wh = Warehouse(tmp_path / "wh")
    ingest_baci(wh, [GOOD, BACI / "BACI_HS92_Y2022_V202301.csv"], country_codes=CODES)
    frames = []
    for engine in ("duckdb", "spark"):
        w = Warehouse(tmp_path / "wh", engine=engine, read_only=True)
        t = w.table("trade_flows")
        frames.append(w.execute(t.group_by(["year", "importer"]).aggregate(v=t.value_usd.sum())
                                .order_by(["year", "importer"])))
    pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False)
    assert frames[0]["v"].sum() == pytest.approx(
        1000 * (sum((1.5, 12.25, 1234.567, 100, 50.001, 2500, 0.001, 3, 0.5, 42.42)) +
                (2.5 + 12.25 + 1234.567 + 100 + 50.001)))


def test_file_cut_inside_a_quoted_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / GOOD.name
    lines = GOOD.read_text().splitlines()
    path.write_text("\n".join(lines[:7]) + "\n" + lines[7][:-8])  # line 8 ends inside its quoted q
    with pytest.raises(InputError, match="the last row ends inside a quoted value") as err:
        parse_baci(path, country_codes=CODES)
    assert err.value.line == 8 and err.value.file == str(path)
