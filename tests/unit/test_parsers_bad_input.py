"""Every reproducer of a parser crash or a silent wrong load (issue 12): each builds its malformed file.

Each case ends in a correct load or in an InputError naming the file, the line and the reason; on
the CLI, one line and exit 2.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kakehashi import InputError
from kakehashi.cli import main
from kakehashi.sources.baci import parse_baci, parse_baci_products
from kakehashi.sources.comtrade import parse_comtrade
from kakehashi.sources.hs import parse_concordance, parse_hs_nomenclature
from kakehashi.sources.usgs import parse_usgs_world
from kakehashi.sources.wgi import parse_wgi

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BACI_GOOD = FIXTURES / "baci" / "BACI_HS92_Y2021_V202301.csv"
BACI_CODES = FIXTURES / "baci" / "country_codes_V202301.csv"
BACI_NAME = BACI_GOOD.name


def _baci(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / BACI_NAME
    path.write_bytes(data)
    return path


def _refused(path: Path, match: str, line: int | None, parse: object, **kwargs: object) -> InputError:
    with pytest.raises(InputError, match=match) as err:
        parse(path, **kwargs)  # type: ignore[operator]
    assert err.value.file is not None and Path(err.value.file).name == path.name
    assert err.value.line == line
    return err.value


# ------------------------------------------------------------------------- BACI
def test_baci_header_with_a_space_before_a_column_name_loads_the_same(tmp_path: Path) -> None:
    lines = BACI_GOOD.read_bytes().split(b"\n", 1)
    assert lines[0] == b'"t","i","j","k","v","q"'
    path = _baci(tmp_path, b'"t", "i","j","k","v", q\n' + lines[1])
    loaded = parse_baci(path, country_codes=BACI_CODES)
    assert loaded.equals(parse_baci(BACI_GOOD, country_codes=BACI_CODES))


def test_baci_non_utf8_byte_in_a_row_names_its_line(tmp_path: Path) -> None:
    lines = BACI_GOOD.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b",", b",\xe9", 1)  # line 5
    err = _refused(_baci(tmp_path, b"".join(lines)), "byte 0xe9 is not UTF-8", 5, parse_baci,
                   country_codes=BACI_CODES)
    assert err.hint is not None and "damaged" in err.hint


def test_baci_quantity_beyond_any_flow_is_refused(tmp_path: Path) -> None:
    lines = BACI_GOOD.read_bytes().splitlines(keepends=True)
    assert lines[1].endswith(b'"        0.200"\n')
    lines[1] = lines[1].replace(b'"        0.200"', b"1e26")
    _refused(_baci(tmp_path, b"".join(lines)), r"value 1e26 in column q is beyond 1e\+10 t", 2, parse_baci,
             country_codes=BACI_CODES)


def test_baci_value_beyond_any_flow_is_refused(tmp_path: Path) -> None:
    lines = BACI_GOOD.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b"1234.567", b"2e9")  # 2e9 thousand USD = 2e12 USD for one flow
    _refused(_baci(tmp_path, b"".join(lines)), r"value 2e9 in column v is beyond 1e\+09 thousand USD", 4,
             parse_baci, country_codes=BACI_CODES)


def test_baci_file_cut_after_v_is_refused(tmp_path: Path) -> None:
    data = BACI_GOOD.read_bytes()
    lines = data.splitlines(keepends=True)
    last = lines[7]
    cut = b"".join(lines[:7]) + last[: last.index(b'"')]  # "2021,...,v," : q lost with the end of the file
    assert cut.endswith(b",")
    _refused(_baci(tmp_path, cut), "the last row has no line end", 8, parse_baci, country_codes=BACI_CODES)
    # the same row ending with a line end: an empty q is refused too (BACI writes NA for unknown)
    _refused(_baci(tmp_path, cut + b"\n"), "missing value in column q", 8, parse_baci,
             country_codes=BACI_CODES)


def test_baci_header_only_is_refused_and_cli_exits_2(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _baci(tmp_path, b'"t","i","j","k","v","q"\n')
    _refused(path, "no data rows", 2, parse_baci, country_codes=BACI_CODES)
    code = main(["ingest", "baci", str(path), "--country-codes", str(BACI_CODES), "-w", str(tmp_path / "wh")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].startswith("hint: ")  # the error's line and its hint
    assert err[0].startswith("error: ") and "no data rows" in err[0] and BACI_NAME in err[0]
    assert not (tmp_path / "wh" / "CURRENT").exists()


def test_baci_damaged_zip_member_is_an_input_error(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(BACI_GOOD, BACI_NAME)
        zf.write(FIXTURES / "baci" / "product_codes_HS92_V202301.csv", "product_codes_HS92_V202301.csv")
    data = bytearray(buf.getvalue())
    start = data.index(b"PK\x03\x04") + 30 + len(BACI_NAME)  # first byte of the deflated member
    data[start + 5] ^= 0xFF
    path = tmp_path / "BACI_HS92_V202301.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"member {BACI_NAME} of the zip is damaged") as err:
        parse_baci(path, country_codes=BACI_CODES)
    assert err.value.file == str(path)


def test_baci_empty_product_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "product_codes_HS92_V202301.csv"
    path.write_bytes(b"")
    _refused(path, "the file is empty", 1, parse_baci_products)


# ------------------------------------------------------------------------- USGS
def test_usgs_file_cut_in_its_last_row_is_refused(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "usgs-mcs-2024" / "world" / "mcs2024-gold_world.csv").read_bytes()
    ghana = data.index(b"MCS2024,Ghana,")
    row_end = data.index(b"\n", ghana)
    assert data[ghana:row_end].startswith(b'MCS2024,Ghana,"Gold - contained content, mine production, '
                                          b'metric tons",88,90,')
    cut = data[: data.index(b",90,", ghana) + 2]  # "...,88,9": 90 t would be read as 9 t
    path = tmp_path / "mcs2024-gold_world.csv"
    path.write_bytes(cut)
    _refused(path, "row has 5 fields, fewer than the header's 8", 8, parse_usgs_world)
    # cut at the end of the number (all fields present but no line end): refused as well
    whole = data[:row_end].rstrip(b"\r")
    path.write_bytes(whole[: whole.index(b",90,") + 3])
    _refused(path, "fields, fewer than", 8, parse_usgs_world)
    path.write_bytes(whole)
    _refused(path, "the last row has no line end", 8, parse_usgs_world)
    # the complete row with its line end loads Ghana's 2023 gold as 90 t
    path.write_bytes(data[: row_end + 1])
    prod = parse_usgs_world(path).production
    assert prod.query("country == 'GHA' and year == 2023")["quantity"].tolist() == [90.0]


def test_usgs_stray_byte_is_an_input_error_naming_the_line(tmp_path: Path) -> None:
    lines = (FIXTURES / "usgs" / "good" / "mcs2024-lithi_world.csv").read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b"Chile", b"Ch\x90ile")  # 0x90: neither UTF-8 nor Windows-1252
    path = tmp_path / "mcs2024-lithi_world.csv"
    path.write_bytes(b"".join(lines))
    _refused(path, "byte 0x90 is not UTF-8", 4, parse_usgs_world)
    lines[3] = lines[3].replace(b"Ch\x90ile", b"Chile").replace(b"39000", b"39\xff000")
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError, match="unexpected text") as err:
        parse_usgs_world(path)  # 0xff is Windows-1252 "ÿ": the file is read so, and the cell is refused
    assert err.value.line == 4


def test_usgs_header_only_is_refused(tmp_path: Path) -> None:
    good = FIXTURES / "usgs" / "good" / "mcs2024-lithi_world.csv"
    header = good.read_bytes().splitlines(keepends=True)[0]
    path = tmp_path / "mcs2024-lithi_world.csv"
    path.write_bytes(header)
    _refused(path, "no data rows", 2, parse_usgs_world)


# -------------------------------------------------------------------------- WGI
def test_wgi_empty_dta_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "wgidataset.dta"
    path.write_bytes(b"")
    _refused(path, "cannot read the WGI Stata file", None, parse_wgi)


def test_wgi_corrupted_dta_is_an_input_error(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "wgi" / "wgidataset.dta").read_bytes()
    path = tmp_path / "wgidataset.dta"
    path.write_bytes(data[:5000])  # truncated inside the header of the variables
    _refused(path, "cannot read the WGI Stata file", None, parse_wgi)
    path.write_bytes(b"<stata_dta><header>garbage")
    _refused(path, "cannot read the WGI Stata file", None, parse_wgi)


def test_wgi_truncated_databank_header_is_refused(tmp_path: Path) -> None:
    data = (FIXTURES / "wgi" / "wgi-databank.csv").read_bytes()
    path = tmp_path / "wgi-databank.csv"
    path.write_bytes(data[:40])  # '"Country Name","Country Code","Series N'
    _refused(path, "malformed CSV: unexpected end of data", 1, parse_wgi)  # cut inside a quoted name
    path.write_bytes(data[: data.index(b',"Series Code"')] + b"\n")  # the header cut at a comma
    _refused(path, "no data rows", 2, parse_wgi)


def test_wgi_estimate_beyond_the_scale_is_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "wgi" / "wgi-long.csv").read_text()
    lines = text.splitlines(keepends=True)
    fields = lines[1].split(",")
    estimate = fields[4]
    float(estimate)  # the Estimate column of the fixture's first row
    lines[1] = ",".join([*fields[:4], "1e308", *fields[5:]])
    path = tmp_path / "wgi-long.csv"
    path.write_text("".join(lines))
    err = _refused(path, r"value 1e\+308 in column value is outside the plausible range \[-5, 5\]", 2,
                   parse_wgi)
    assert err.value == 1e308
    lines[1] = ",".join([*fields[:4], "inf", *fields[5:]])
    path.write_text("".join(lines))
    _refused(path, "not a finite number", 2, parse_wgi)


# --------------------------------------------------------------------------- HS
def test_hs_empty_nomenclature_and_concordance(tmp_path: Path) -> None:
    nomenclature = tmp_path / "harmonized-system-2022.csv"
    nomenclature.write_bytes(b"")
    _refused(nomenclature, "the file is empty", 1, parse_hs_nomenclature)
    concordance = tmp_path / "HS_consolidated_comtrade_concordances.csv"
    concordance.write_bytes(b"")
    _refused(concordance, "the file is empty", 1, parse_concordance)
    concordance.write_bytes(b"code.after,code.before,Relationship,adjustment\n")
    _refused(concordance, "no data rows", 2, parse_concordance)


def test_hs_nomenclature_without_six_digit_rows_is_refused(tmp_path: Path) -> None:
    lines = (FIXTURES / "hs" / "harmonized-system-2022.csv").read_text().splitlines(keepends=True)
    path = tmp_path / "harmonized-system-2022.csv"
    path.write_text("".join(line for line in lines if not line.rstrip().endswith(",6")))
    _refused(path, "no six-digit codes", None, parse_hs_nomenclature)


def test_concordance_with_an_empty_row(tmp_path: Path) -> None:
    good = FIXTURES / "hs" / "HS_consolidated_comtrade_concordances.csv"
    lines = good.read_text().splitlines(keepends=True)
    path = tmp_path / "HS_consolidated_comtrade_concordances.csv"
    path.write_text("".join([*lines[:3], ",,,\n", *lines[3:]]))
    _refused(path, "cannot read adjustment ''", 4, parse_concordance)
    path.write_text("".join([*lines[:3], "\n", *lines[3:]]))  # a blank line is not a row: same as without
    pd.testing.assert_frame_equal(parse_concordance(path), parse_concordance(good))


# --------------------------------------------------------------------- Comtrade
def test_comtrade_row_cut_short_and_empty_response(tmp_path: Path) -> None:
    lines = (FIXTURES / "comtrade" / "comtrade_C_A_HS_2021-2022.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "comtrade.csv"
    cut = lines[2][: lines[2].index(b",H5,")]
    path.write_bytes(b"".join(lines[:2]) + cut + b"\n")
    _refused(path, "fields, fewer than the header's", 3, parse_comtrade)
    path = tmp_path / "comtrade.json"
    path.write_text('{"elapsedTime": "0.1 secs", "count": 0, "data": []}')
    _refused(path, "no records", None, parse_comtrade)


def test_cli_reports_a_damaged_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wgidataset.dta"
    path.write_bytes(b"\x00" * 10)
    assert main(["ingest", "wgi", str(path), "-w", str(tmp_path / "wh")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].startswith("hint: ")
    assert err[0].startswith("error: ") and str(path) in err[0] and "cannot read the WGI Stata file" in err[0]


# ----------------------------------------------------------------------- bounds
@pytest.mark.parametrize(("table", "column", "bad", "limit"), [
    ("trade_flows", "value_usd", 2e12, "[0, 1e+12]"),
    ("trade_flows", "quantity_t", 3e10, "[0, 1e+10]"),
    ("production", "quantity", 2e11, "[0, 1e+11]"),
    ("reserves", "quantity", 2e13, "[0, 1e+13]"),
    ("governance", "value", -5.5, "[-5, 5]"),
])
def test_schema_bounds_refuse_values_outside_physical_sense(table: str, column: str, bad: float,
                                                            limit: str) -> None:
    from kakehashi.schemas import conform

    rows = {  # SYNTHETIC rows, one per table, valid but for the column under test
        "trade_flows": dict(year=2022, exporter="CHN", importer="JPN", hs6="850511", value_usd=1.0,
                            quantity_t=1.0, hs_revision="HS17", source="SYNTHETIC"),
        "production": dict(year=2022, country="AUS", commodity="lithium", stage="mine", quantity=1.0,
                           unit="t", source="SYNTHETIC"),
        "reserves": dict(year=2022, country="AUS", commodity="lithium", quantity=1.0, unit="t",
                         source="SYNTHETIC"),
        "governance": dict(year=2022, country="JPN", indicator="ge", value=1.0),
    }
    good = pd.DataFrame([rows[table], {**rows[table], "year": 2023}]).assign(_line=[2, 3])
    conform(good, table, origin="synthetic.csv")
    damaged = good.copy()
    damaged.loc[1, column] = bad
    message = f"value {bad!r} in column {column} is outside the plausible range {limit}"
    with pytest.raises(InputError, match=re.escape(message)) as err:
        conform(damaged, table, origin="synthetic.csv")
    assert err.value.line == 3 and err.value.file == "synthetic.csv"
