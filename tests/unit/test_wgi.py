"""World Bank WGI: the real Stata file and fixtures of the other download layouts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kakehashi.errors import InputError
from kakehashi.schemas import conform
from kakehashi.sources.wgi import parse_wgi

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "wgi"


def _value(df: pd.DataFrame, country: str, year: int, indicator: str) -> float:
    rows = df[(df["country"] == country) & (df["year"] == year) & (df["indicator"] == indicator)]
    assert len(rows) == 1
    return float(rows["value"].iloc[0])


def test_real_stata_file(shared_data: Path) -> None:
    path = shared_data / "wgi" / "wgidataset.dta"
    gov = parse_wgi(path)
    conform(gov, "governance")
    assert gov["country"].nunique() == 214
    assert (gov["year"].min(), gov["year"].max()) == (1996, 2021)
    assert set(gov["indicator"]) == {"va", "pv", "ge", "rq", "rl", "cc"}
    # independent reading with pandas: Japan's 2021 government effectiveness estimate
    raw = pd.read_stata(path)
    expected = float(raw.loc[(raw["code"] == "JPN") & (raw["year"] == 2021), "gee"].iloc[0])
    assert _value(gov, "JPN", 2021, "ge") == pytest.approx(expected, abs=1e-12)
    # every non-missing estimate is a row; the missing ones are counted
    estimates = raw[["vae", "pve", "gee", "rqe", "rle", "cce"]]
    assert len(gov) == int(estimates.notna().sum().sum())
    assert gov.attrs["omitted_missing"] == int(estimates.isna().sum().sum())
    # World Bank codes mapped to ISO 3166 (Romania ROM, Kosovo KSV, DR Congo ZAR, ...)
    assert {"ROU", "XKX", "COD", "TLS", "AND", "PSE"} <= set(gov["country"])
    assert not {"ROM", "KSV", "ZAR", "TMP", "ADO", "WBG"} & set(gov["country"])


def test_long_layout_fixture() -> None:
    gov = parse_wgi(FIX / "wgi-long.csv")
    assert len(gov) == 9 and gov.attrs["omitted_missing"] == 2
    assert _value(gov, "JPN", 2022, "pv") == 1.10  # full indicator name → pv
    assert _value(gov, "ROU", 2022, "ge") == -0.20
    assert _value(gov, "XKX", 2022, "ge") == -0.30
    assert _value(gov, "COD", 2022, "rl") == -1.70
    assert "PSE" not in set(gov["country"]) and "IND" not in set(gov["country"])  # '..', '#N/A'


def test_long_layout_as_xlsx(tmp_path: Path) -> None:
    xlsx = tmp_path / "wgidataset.xlsx"
    pd.read_csv(FIX / "wgi-long.csv", dtype=str, keep_default_na=False).to_excel(xlsx, index=False)
    from_xlsx = parse_wgi(xlsx)
    from_csv = parse_wgi(FIX / "wgi-long.csv")
    pd.testing.assert_frame_equal(from_xlsx, from_csv)


def test_databank_layout_fixture() -> None:
    gov = parse_wgi(FIX / "wgi-databank.csv")
    assert len(gov) == 9
    assert gov.attrs["omitted_missing"] == 1 and gov.attrs["skipped_series"] == 1
    assert _value(gov, "IND", 2022, "ge") == 0.36
    assert _value(gov, "TLS", 2021, "rl") == -1.00
    assert _value(gov, "AND", 2022, "rl") == 1.62


def test_unknown_codes_listed() -> None:
    with pytest.raises(InputError) as err:
        parse_wgi(FIX / "wgi-unknown-code.csv")
    msg = str(err.value)
    assert "'ATL' (line 3)" in msg and "'NRN' (line 4)" in msg and "wgi-unknown-code.csv:3" in msg


def test_text_in_estimate_names_line_and_column() -> None:
    with pytest.raises(InputError) as err:
        parse_wgi(FIX / "wgi-bad-estimate.csv")
    msg = str(err.value)
    assert "wgi-bad-estimate.csv:3" in msg and "'about 0.3'" in msg and "gee" in msg


def test_unsupported_files(tmp_path: Path) -> None:
    other = tmp_path / "wgi.json"
    other.write_text("{}")
    with pytest.raises(InputError, match="unsupported WGI file type"):
        parse_wgi(other)
    nocode = tmp_path / "wgi.csv"
    nocode.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="no economy code column"):
        parse_wgi(nocode)
