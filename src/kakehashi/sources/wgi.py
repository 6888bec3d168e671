"""World Bank Worldwide Governance Indicators (WGI) → the ``governance`` table.

The six WGI indicators (Kaufmann, Kraay and Mastruzzi, "The Worldwide
Governance Indicators: Methodology and Analytical Issues", World Bank Policy
Research Working Paper 5430, 2010) are kept by their short codes:

==== ==================================================
va   Voice and Accountability
pv   Political Stability and Absence of Violence/Terrorism
ge   Government Effectiveness
rq   Regulatory Quality
rl   Rule of Law
cc   Control of Corruption
==== ==================================================

Only the **estimate** (about -2.5 to 2.5, higher is better) is read; standard
errors, numbers of sources, percentile ranks and their bounds are ignored.

Accepted layouts (detected from the columns, file type from the extension):

1. **Stata** ``wgidataset.dta`` (the WGI release up to 2022): one row per
   economy and year, columns ``code``, ``countryname``, ``year`` and, per
   indicator, the suffixes ``e`` (estimate), ``s``, ``n``, ``r``, ``l``, ``u``;
   the estimate of Voice and Accountability is ``vae``. The same wide layout
   is accepted in ``.csv`` and ``.xlsx``.
2. **Long** (the WGI download since the 2023 update, ``.xlsx`` or ``.csv``):
   one row per economy, year and indicator. Columns (case-insensitive, any of
   the names listed): code ``code`` / ``Economy (code)`` / ``Country Code``;
   name ``countryname`` / ``Economy (name)`` / ``Country Name`` (optional);
   ``year``; ``indicator``; ``estimate``. The indicator is a short code (``va``),
   a DataBank code (``VA.EST``) or the full English name.
3. **World Bank DataBank** export (``.csv`` or ``.xlsx``): ``Country Name``,
   ``Country Code``, ``Series Name``, ``Series Code``, then one column per year
   named ``1996 [YR1996]``. Only the ``*.EST`` series are read; other series
   (ranks, standard errors) are skipped and counted. DataBank's trailing
   footer lines ("Data from database: ...", "Last Updated: ...") are ignored.

Country codes: the World Bank's own codes map to ISO 3166 through
``country_aliases.csv``: ROM → ROU, ZAR → COD, TMP → TLS, ADO → AND,
WBG → PSE (West Bank and Gaza) and KSV → XKX. Kosovo has no ISO 3166 code;
kakehashi uses the user-assigned ``XKX`` that the World Bank itself uses in its
newer releases (see :mod:`kakehashi.sources.countries`). ANT (Netherlands
Antilles, dissolved 2010) is kept as the ISO 3166-3 code ANT. An unknown code
is an :class:`InputError` listing every unknown code with its first line.

Missing estimates (empty, NaN, ``..``, ``#N/A``, ``NA``) are omitted; their
number is in ``df.attrs["omitted_missing"]``. Any other text in the estimate
column is an error naming the file, line and value.
"""

from __future__ import annotations

import re
import struct
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd

from kakehashi.errors import InputError
from kakehashi.schemas import conform
from kakehashi.sources.countries import to_iso3
from kakehashi.sources.textcsv import read_csv_frame

__all__ = ["INDICATORS", "MISSING", "load_wgi", "parse_wgi"]

INDICATORS: dict[str, str] = {
    "va": "Voice and Accountability",
    "pv": "Political Stability and Absence of Violence/Terrorism",
    "ge": "Government Effectiveness",
    "rq": "Regulatory Quality",
    "rl": "Rule of Law",
    "cc": "Control of Corruption",
}
"""WGI indicator code → English name."""

MISSING = frozenset({"", "..", "#N/A", "N/A", "NA", "NAN", "#NA"})
"""Texts that mean "no estimate" in the World Bank's files (compared upper-cased)."""

_ALIASES = {
    "code": ("code", "economy (code)", "country code", "countrycode", "economy code"),
    "name": ("countryname", "economy (name)", "country name", "economy name", "economy"),
    "year": ("year", "time"),
    "indicator": ("indicator", "indicator code", "series code", "indicator (code)"),
    "estimate": ("estimate", "value", "estimate (value)"),
}
_NAME_TO_CODE = {re.sub(r"[^a-z]", "", v.lower()): k for k, v in INDICATORS.items()}
_NAME_TO_CODE["politicalstabilityandabsenceofviolence"] = "pv"
_NAME_TO_CODE["politicalstabilitynoviolence"] = "pv"


_BINARY_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, ValueError, KeyError, NotImplementedError, IndexError, TypeError, AttributeError,
    OverflowError, UnicodeError, struct.error, zipfile.BadZipFile, zlib.error, ElementTree.ParseError,
)
"""What pandas' Stata reader and openpyxl raise on a damaged .dta or .xlsx: these readers of binary
formats do not sort their errors, so a damaged file can end in any of these."""


def _databank_footer(cells: list[str]) -> bool:
    """DataBank's footer: empty rows and "Data from database: ...", "Last Updated: ..." lines."""
    first = cells[0].strip() if cells else ""
    rest_empty = not any(c.strip() for c in cells[1:])
    return rest_empty and (first == "" or first.startswith(("Data from", "Last Updated")))


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read WGI file: {exc.strerror}", file=path) from None
        return read_csv_frame(data, path, fallbacks=("cp1252",), skip=_databank_footer)
    if suffix not in (".dta", ".xlsx", ".xls"):
        raise InputError(
            f"unsupported WGI file type {suffix!r}",
            file=path,
            hint="give the World Bank's wgidataset.dta, its .xlsx download or a DataBank .csv export",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnicodeWarning)  # latin-1 names in the World Bank's .dta
            frame = pd.read_stata(path) if suffix == ".dta" else _read_excel(path)
    except _BINARY_ERRORS as exc:
        what = "Stata" if suffix == ".dta" else "Excel"
        raise InputError(f"cannot read the WGI {what} file ({type(exc).__name__}: {exc})", file=path,
                         hint="the file is damaged or truncated: download it again") from None
    if not len(frame):
        raise InputError("the file has no data rows", file=path,
                         hint="the file is empty or truncated: download it again")
    frame.columns = [str(c) for c in frame.columns]
    frame["_line"] = range(2, len(frame) + 2)
    return frame


def _read_excel(path: Path) -> pd.DataFrame:
    """The first sheet whose header has a recognisable code column."""
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    for frame in sheets.values():
        cols = {str(c).strip().lower() for c in frame.columns}
        if cols & set(_ALIASES["code"]):
            return frame
    raise InputError("no sheet with a country code column (code, Economy (code), Country Code)",
                     file=path)


def _find(columns: list[str], key: str) -> str | None:
    lookup = {str(c).strip().lower(): str(c) for c in columns}
    for alias in _ALIASES[key]:
        if alias in lookup:
            return lookup[alias]
    return None


def _indicator_code(value: str) -> str | None:
    text = str(value).strip()
    low = text.lower()
    if low in INDICATORS:
        return low
    m = re.fullmatch(r"([a-z]{2})\.est", low)
    if m and m.group(1) in INDICATORS:
        return m.group(1)
    return _NAME_TO_CODE.get(re.sub(r"[^a-z]", "", low))


def _estimates(values: pd.Series, lines: pd.Series, path: Path, column: pd.Series) -> pd.Series:
    """Numbers as floats, missing markers as NaN; other text raises naming the line."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip()
    missing = text.isna() | text.str.upper().isin(MISSING)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = numbers.isna() & ~missing
    if bad.any():
        i = bad[bad].index[0]
        raise InputError(
            f"unexpected text {text[i]!r} in column {column[i]}",
            file=path, line=int(lines[i]), value=text[i],
            hint="estimates are numbers; '..' or '#N/A' mark a missing value",
        )
    return numbers.astype("float64")


def _to_iso3(codes: pd.Series, lines: pd.Series, path: Path) -> pd.Series:
    mapping: dict[str, str] = {}
    unknown: dict[str, int] = {}
    for code, line in zip(codes, lines, strict=True):
        if code in mapping or code in unknown:
            continue
        if not code.isascii():  # the World Bank's codes are ASCII letters (and to_iso3 reads digits)
            unknown[code] = int(line)
            continue
        try:
            mapping[code] = to_iso3(code)
        except InputError:
            unknown[code] = int(line)
    if unknown:
        listed = ", ".join(f"{c!r} (line {n})" for c, n in unknown.items())
        raise InputError(
            f"unknown economy code(s): {listed}",
            file=path, line=next(iter(unknown.values())), value=next(iter(unknown)),
            hint="add the code to kakehashi/catalogue/data/country_aliases.csv (kind 'code')",
        )
    return codes.map(mapping)


def _wide(raw: pd.DataFrame, path: Path, code_col: str, year_col: str) -> pd.DataFrame:
    """The Stata layout: ``vae``, ``pve``, ... one column per indicator estimate."""
    lower = {str(c).lower(): c for c in raw.columns}
    present = [k for k in INDICATORS if f"{k}e" in lower]
    if not present:
        raise InputError("no WGI estimate columns (vae, pve, gee, rqe, rle, cce)", file=path,
                         hint="the estimate of each indicator is its code with the suffix 'e'")
    frame = raw.rename(columns={code_col: "code", year_col: "year"})
    long = frame.melt(id_vars=["code", "year", "_line"], value_vars=[lower[f"{k}e"] for k in present],
                      var_name="indicator", value_name="estimate")
    long["_column"] = long["indicator"]
    long["indicator"] = long["indicator"].str.lower().str[:-1]
    return long


def _long(raw: pd.DataFrame, path: Path, code_col: str, year_col: str, ind_col: str,
          est_col: str) -> tuple[pd.DataFrame, int]:
    frame = raw.rename(columns={code_col: "code", year_col: "year", ind_col: "indicator",
                                est_col: "estimate"})
    codes = frame["indicator"].map(_indicator_code)
    unknown = frame.loc[codes.isna(), "indicator"].unique()
    if len(unknown):
        first = frame.loc[codes.isna(), "_line"].iloc[0]
        raise InputError(f"unknown WGI indicator(s): {', '.join(map(repr, unknown[:5]))}", file=path,
                         line=int(first), hint=f"expected one of {', '.join(INDICATORS)} or their names")
    frame["indicator"] = codes
    return frame[["code", "year", "indicator", "estimate", "_line"]], 0


def _estimate_series(series: object) -> str | None:
    """``GE.EST`` → ``ge``; any other DataBank series → ``None``."""
    m = re.fullmatch(r"([A-Za-z]{2})\.EST", str(series).strip())
    if m is None or m.group(1).lower() not in INDICATORS:
        return None
    return m.group(1).lower()


def _databank(raw: pd.DataFrame, path: Path, code_col: str) -> tuple[pd.DataFrame, int]:
    series_col = _find(list(raw.columns), "indicator") or "Series Code"
    if series_col not in raw.columns or series_col == code_col:
        raise InputError("DataBank layout without a Series Code column", file=path, line=1,
                         hint="export from DataBank with the Series Code column, or use the WGI download")
    years = {c: int(m.group(1)) for c in raw.columns
             if (m := re.match(r"^\s*(\d{4})(?:\s*\[YR\d{4}\])?\s*$", str(c)))}
    frame = raw.rename(columns={code_col: "code", series_col: "series"})
    frame = frame[frame["code"].astype(str).str.strip() != ""]  # DataBank footer lines
    frame = frame[~frame["code"].astype(str).str.startswith(("Data from", "Last Updated"))]
    ind = frame["series"].map(_estimate_series)
    skipped = int(ind.isna().sum())
    frame = frame[ind.notna()].assign(indicator=ind[ind.notna()])
    long = frame.melt(id_vars=["code", "indicator", "_line"], value_vars=list(years),
                      var_name="year", value_name="estimate")
    long["year"] = long["year"].map(years)
    long["_column"] = long["year"].astype(str)
    return long, skipped


def parse_wgi(path: str | Path) -> pd.DataFrame:
    """Read a World Bank WGI file into the canonical ``governance`` table.

    Parameters
    ----------
    path
        ``wgidataset.dta`` (Stata), the World Bank's ``.xlsx`` download (wide or
        long), or a ``.csv`` in any of the layouts in the module documentation.

    Returns
    -------
    pandas.DataFrame
        Columns year, country (ISO3), indicator (va, pv, ge, rq, rl, cc), value
        (the estimate). ``attrs["omitted_missing"]``: estimates that were missing
        and omitted; ``attrs["skipped_series"]``: DataBank rows of other series;
        ``attrs["source"]``: ``"World Bank WGI"``.

    Raises
    ------
    InputError
        Unreadable file, unknown layout, unknown economy codes (all listed),
        unknown indicators, text in the estimate column, duplicate rows.

    Examples
    --------
    >>> gov = parse_wgi("wgidataset.dta")                              # doctest: +SKIP
    >>> gov.query("country == 'JPN' and year == 2021 and indicator == 'ge'")  # doctest: +SKIP
    """
    path = Path(path)
    raw = _read(path)
    columns = [str(c) for c in raw.columns]
    raw.columns = columns
    code_col = _find(columns, "code")
    if code_col is None:
        raise InputError(
            "no economy code column (code, Economy (code) or Country Code)", file=path, line=1,
            hint="expected the World Bank's WGI layouts; see kakehashi.sources.wgi",
        )
    year_col = _find(columns, "year")
    ind_col = _find(columns, "indicator")
    est_col = _find(columns, "estimate")
    skipped = 0
    if year_col is not None and ind_col is not None and est_col is not None:
        long, skipped = _long(raw, path, code_col, year_col, ind_col, est_col)
    elif year_col is not None:
        long = _wide(raw, path, code_col, year_col)
    elif any(re.match(r"^\s*\d{4}\s*\[YR\d{4}\]\s*$", c) for c in columns):
        long, skipped = _databank(raw, path, code_col)
    else:
        raise InputError("unrecognised WGI layout: no year column and no DataBank year columns",
                         file=path, line=1, hint="see the accepted layouts in kakehashi.sources.wgi")
    long = long.reset_index(drop=True)
    if "_column" not in long.columns:
        long["_column"] = est_col or "estimate"
    long["value"] = _estimates(long["estimate"], long["_line"], path, long["_column"])
    missing = int(long["value"].isna().sum())
    long = long[long["value"].notna()].reset_index(drop=True)
    long["code"] = long["code"].astype(str).str.strip().str.upper()
    years = pd.to_numeric(long["year"], errors="coerce")
    if years.isna().any():
        i = years[years.isna()].index[0]
        raise InputError(f"unreadable year {long['year'][i]!r}", file=path, line=int(long["_line"][i]))
    out = pd.DataFrame({
        "year": years.astype("int32"),
        "country": _to_iso3(long["code"], long["_line"], path),
        "indicator": long["indicator"].astype(str),
        "value": long["value"],
        "_line": long["_line"],
    })
    if not len(out):
        raise InputError("no governance estimate in the file (every estimate is missing)", file=path,
                         hint="the file is truncated or holds no *.EST series: download it again")
    conform(out, "governance", origin=path)
    out = out.drop(columns="_line").sort_values(["country", "year", "indicator"]).reset_index(drop=True)
    out.attrs.update(omitted_missing=missing, skipped_series=skipped, source="World Bank WGI")
    return out


def load_wgi(wh: Any, path: str | Path) -> pd.DataFrame:
    """Parse a WGI file and write it to ``governance`` (its years replace the same years).

    Returns
    -------
    pandas.DataFrame
        The parsed table (with the ``attrs`` of :func:`parse_wgi`).
    """
    from kakehashi.sources.groups import replace_groups

    gov = parse_wgi(path)
    with wh.transaction() as tx:
        replace_groups(tx, "governance", gov, ["year"], source="World Bank WGI", origin=str(path))
    return gov
