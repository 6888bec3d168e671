"""CEPII BACI: bilateral trade at HS six digits, reconciled mirror flows.

Format (as published by CEPII, https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37):
a release is a zip ``BACI_<REV>_V<release>.zip`` holding one CSV per year,
``BACI_<REV>_Y<year>_V<release>.csv``, plus ``country_codes_V<release>.csv``
and ``product_codes_<REV>_V<release>.csv``. Each yearly CSV has the columns

====  ========================================================================
t     year
i     exporter, numeric code (see the release's country_codes file)
j     importer, numeric code
k     product, HS six-digit code (leading zero dropped: ``10121`` is 010121)
v     value, **thousand** US dollars (FOB-reconciled)
q     quantity, metric tonnes; quoted and space-padded, ``NA`` when unknown
====  ========================================================================

Mapping to the canonical ``trade_flows`` table: ``year = t``,
``exporter``/``importer`` = ISO3 of ``i``/``j`` (490 "Other Asia, nes" →
TWN; see :mod:`kakehashi.sources.areas`), ``hs6`` = ``k`` zero-padded to six
digits, ``value_usd = 1000 * v``, ``quantity_t = q`` (``NA`` → null),
``hs_revision`` and the release from the file name, ``source = "CEPII BACI
<REV> V<release>"``. Flows with a non-country partner (e.g. 697 "Europe
EFTA, nes") are kept out of ``trade_flows`` and counted in
:class:`BaciYear` ``.aggregate_rows``.

Speed: the CSV is read by Arrow's multithreaded reader with typed columns
(its number parsing is strict), the checks are vectorised reductions in
NumPy/Arrow, country codes map through a lookup array into dictionary-encoded
ISO3 columns, and the rows are put in the warehouse's order (importer,
exporter, product) by moving BACI's exporter-importer runs as blocks (a file
in BACI's layout, one run per pair with increasing products, has no
duplicate flow); other files are sorted by two radix sorts and a scan of
the sorted keys finds duplicates. A clean file in BACI's layout takes a
faster path (:func:`_fast_year`): each chunk Arrow read is checked and cut
into code-pair segments in two threads, and the columns are moved into the
warehouse's order straight from the chunks, without whole-column copies;
anything else (a failed check, another layout) takes the general path.
Only when a check fails is the file read again (DuckDB, single-threaded,
with row numbers) to name the first offending line.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kakehashi.errors import InputError
from kakehashi.schemas import HS_REVISIONS, MAX_FLOW_T, MAX_FLOW_USD, conform, schema
from kakehashi.sources.areas import AreaResolution, resolve_area_codes
from kakehashi.sources.download import fetch
from kakehashi.sources.staging import write_products, write_trade_year
from kakehashi.sources.textcsv import read_csv_frame

BACI_BASE_URL = "https://www.cepii.fr/DATA_DOWNLOAD/baci/data"
"""Folder of CEPII's BACI release zips; a release is ``{BACI_BASE_URL}/BACI_<REV>_V<release>.zip``."""

BACI_COLUMNS: tuple[str, ...] = ("t", "i", "j", "k", "v", "q")
"""Columns of a BACI yearly CSV, in order."""

_YEAR_FILE = re.compile(r"^BACI_(HS\d{2})_Y(\d{4})_V(\d{6}[a-z]?)(?:[_\-.].*)?\.csv$", re.IGNORECASE)
_COUNTRY_FILE = re.compile(r"^country_codes_V(\d{6}[a-z]?)\.csv$", re.IGNORECASE)
_PRODUCT_FILE = re.compile(r"^product_codes_(HS\d{2})_V(\d{6}[a-z]?)\.csv$", re.IGNORECASE)
_RELEASE = re.compile(r"^V?(\d{6}[a-z]?)$", re.IGNORECASE)
_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CONVERT = re.compile(r'converting column "(\w+)"\. Could not convert string "(.*?)"')

CountryCodes = str | Path | pd.DataFrame | Mapping[int, str | None] | None
"""A country-code table: a BACI ``country_codes_V*.csv`` path, its parsed frame, or ``{code: iso3}``."""


# ------------------------------------------------------------------ names
def parse_baci_filename(name: str) -> tuple[str, int, str] | None:
    """Return ``(hs_revision, year, release)`` from a BACI yearly file name, or ``None``.

    Examples
    --------
    >>> parse_baci_filename("BACI_HS92_Y2021_V202301.csv")
    ('HS92', 2021, '202301')
    >>> parse_baci_filename("BACI_HS92_Y2021_V202301_ZAF-AFG-exporters.csv")
    ('HS92', 2021, '202301')
    """
    m = _YEAR_FILE.match(Path(name).name)
    if m is None:
        return None
    return m.group(1).upper(), int(m.group(2)), m.group(3).lower()


def baci_url(revision: str, release: str, *, base_url: str = BACI_BASE_URL) -> str:
    """URL of a BACI release zip on CEPII's server.

    Parameters
    ----------
    revision
        HS revision, ``HS92``, ``HS96``, ... ``HS22`` (BACI publishes HS92, HS96,
        HS02, HS07, HS12, HS17 and HS22 versions).
    release
        Release name, e.g. ``V202501`` or ``202401b``.

    Examples
    --------
    >>> baci_url("HS17", "V202501")
    'https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS17_V202501.zip'
    """
    rev = revision.strip().upper()
    if rev not in HS_REVISIONS:
        from kakehashi.errors import unknown_value_error

        raise unknown_value_error("HS revision", revision, HS_REVISIONS)
    m = _RELEASE.match(release.strip())
    if m is None:
        raise InputError(f"cannot read BACI release {release!r}",
                         hint="write it as on CEPII's site, e.g. V202501 or V202401b")
    return f"{base_url.rstrip('/')}/BACI_{rev}_V{m.group(1).lower()}.zip"


def download_baci(revision: str, release: str, dest: str | Path | None = None, *,
                  sha256: str | None = None, progress: bool = True,
                  base_url: str = BACI_BASE_URL, timeout: float = 60.0) -> Path:
    """Download a BACI release zip (resumable, cached).

    Parameters
    ----------
    revision, release
        See :func:`baci_url`.
    dest
        Folder to download into (created if needed), or a file name ending in
        ``.zip``; default: the download cache.

    See :func:`~kakehashi.sources.download.fetch` for resuming, checksums and
    the cache. A release is about 1-2 GB (HS92, all years).
    """
    url = baci_url(revision, release, base_url=base_url)
    if dest is not None and Path(dest).suffix.lower() != ".zip":
        Path(dest).mkdir(parents=True, exist_ok=True)
    return fetch(url, dest, sha256=sha256, progress=progress, timeout=timeout)


def source_label(revision: str, release: str) -> str:
    """Source label of BACI rows, e.g. ``'CEPII BACI HS92 V202301'``."""
    return f"CEPII BACI {revision} V{release}"


# ------------------------------------------------------------- code tables
def _read_text_csv(data: bytes, origin: str) -> pd.DataFrame:
    """A code table (UTF-8, or Latin-1 in older releases) as strings, ``_line`` dropped."""
    return read_csv_frame(data, origin, fallbacks=("cp1252", "latin-1")).drop(columns="_line")


def read_baci_country_codes(source: str | Path | bytes, *, origin: str | None = None) -> pd.DataFrame:
    """Read a BACI ``country_codes_V*.csv``: columns ``code``, ``iso3`` (None for "N/A"), ``name``.

    Both layouts are accepted: ``country_code, country_name_abbreviation,
    country_name_full, iso_2digit_alpha, iso_3digit_alpha`` (releases up to
    2023) and ``country_code, country_name, country_iso2, country_iso3``
    (2024 on). Files are Latin-1 in older releases, UTF-8 in newer ones.
    """
    where = origin or (str(source) if not isinstance(source, bytes) else "country codes")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    df = _read_text_csv(data, where)
    cols = {c.strip().lower(): c for c in df.columns}
    iso_col = next((cols[c] for c in ("iso_3digit_alpha", "country_iso3") if c in cols), None)
    name_col = next((cols[c] for c in ("country_name_abbreviation", "country_name", "country_name_full")
                     if c in cols), None)
    if "country_code" not in cols or iso_col is None or name_col is None:
        raise InputError(
            f"not a BACI country-code table (columns: {', '.join(df.columns)})", file=where, line=1,
            hint="expected country_code and iso_3digit_alpha (or country_iso3) columns",
        )
    codes = df[cols["country_code"]].str.strip()
    bad = ~codes.str.fullmatch(r"\d+")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"country code {codes.iloc[row]!r} is not a number", file=where,
                         line=row + 2, value=codes.iloc[row])
    iso = df[iso_col].str.strip().str.upper()
    return pd.DataFrame({
        "code": codes.astype("int64"),
        "iso3": iso.where(iso.str.fullmatch(r"[A-Z]{3}"), None),
        "name": df[name_col].str.strip(),
    })


def code_table(country_codes: CountryCodes) -> dict[int, str | None] | None:
    """Normalise a country-code table argument to ``{code: iso3 or None}`` (``None`` stays ``None``)."""
    if country_codes is None:
        return None
    if isinstance(country_codes, pd.DataFrame):
        df = country_codes
    elif isinstance(country_codes, Mapping):
        return {int(k): v for k, v in country_codes.items()}
    else:
        df = read_baci_country_codes(country_codes)
    return {int(c): (None if i is None or i != i else str(i))
            for c, i in zip(df["code"], df["iso3"], strict=True)}


# --------------------------------------------------------------- sections
_SECTIONS: tuple[tuple[int, int, str], ...] = (
    (1, 5, "I"), (6, 14, "II"), (15, 15, "III"), (16, 24, "IV"), (25, 27, "V"), (28, 38, "VI"),
    (39, 40, "VII"), (41, 43, "VIII"), (44, 46, "IX"), (47, 49, "X"), (50, 63, "XI"), (64, 67, "XII"),
    (68, 70, "XIII"), (71, 71, "XIV"), (72, 83, "XV"), (84, 85, "XVI"), (86, 89, "XVII"),
    (90, 92, "XVIII"), (93, 93, "XIX"), (94, 96, "XX"), (97, 97, "XXI"),
)
"""HS sections by chapter range (WCO Harmonized System nomenclature; unchanged since HS 1992)."""


def hs_section(hs6: str) -> str | None:
    """HS section (Roman numeral) of a code, from its chapter; ``None`` for chapters 77, 98, 99.

    Examples
    --------
    >>> hs_section("850511"), hs_section("010121"), hs_section("999999")
    ('XVI', 'I', None)
    """
    chapter = int(hs6[:2])
    for lo, hi, sec in _SECTIONS:
        if lo <= chapter <= hi:
            return sec
    return None


def parse_baci_products(path: str | Path, *, hs_revision: str | None = None) -> pd.DataFrame:
    """Parse a BACI ``product_codes_<REV>_V*.csv`` (or the one inside a release zip) into ``products``.

    Codes lose their leading zero in BACI (``10121``) and are zero-padded;
    ``hs4`` is the first four digits and ``section`` comes from the chapter.

    Returns
    -------
    pandas.DataFrame
        The canonical ``products`` table (hs6, hs_revision, description, hs4, section).
    """
    path = Path(path)
    if zipfile.is_zipfile(path):
        with _open_zip(path) as zf:
            names = [n for n in zf.namelist() if _PRODUCT_FILE.match(Path(n).name)]
            if not names:
                raise InputError("no product_codes_<REV>_V*.csv in the zip", file=path,
                                 hint="pass the product codes CSV itself")
            member = names[0]
            data = _read_member(zf, member, path)
            origin = f"{path}!{member}"
            name = Path(member).name
    else:
        data, origin, name = path.read_bytes(), str(path), path.name
    m = _PRODUCT_FILE.match(name)
    rev = (hs_revision or (m.group(1) if m else "")).upper()
    if rev not in HS_REVISIONS:
        raise InputError("cannot tell the HS revision of this product table", file=origin,
                         hint="name it like product_codes_HS92_V202301.csv or pass hs_revision")
    df = _read_text_csv(data, origin)
    cols = {c.strip().lower(): c for c in df.columns}
    if "code" not in cols or "description" not in cols:
        raise InputError(f"missing column(s) code/description (columns: {', '.join(df.columns)})",
                         file=origin, line=1, hint="a BACI product table has columns code, description")
    code = df[cols["code"]].str.strip()
    bad = ~code.str.fullmatch(r"\d{5,6}")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"product code {code.iloc[row]!r} is not a six-digit HS code", file=origin,
                         line=row + 2, value=code.iloc[row], hint="HS codes have six digits")
    hs6 = code.str.zfill(6)
    out = pd.DataFrame({
        "hs6": hs6,
        "hs_revision": rev,
        "description": df[cols["description"]].str.strip(),
        "hs4": hs6.str[:4],
        "section": [hs_section(c) for c in hs6],
        "_line": range(2, len(df) + 2),
    })
    return conform(out, "products", origin=origin).to_pandas()


# ------------------------------------------------------------------- zips
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError, UnicodeDecodeError,
)
"""What reading a damaged zip member can raise (bad CRC, deflate stream, header or member name)."""


@contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        zf = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise InputError(f"not a complete zip archive ({exc})", file=path,
                         hint="the download is probably truncated: run 'kakehashi download baci' "
                         "again (it resumes) or re-download the file") from None
    with zf:
        yield zf


def _read_member(zf: zipfile.ZipFile, member: str, path: Path) -> bytes:
    try:
        return zf.read(member)
    except _ZIP_ERRORS as exc:
        raise InputError(f"member {member} of the zip is damaged ({exc})", file=path,
                         hint="the download is probably truncated: download the release again") from None


def _extract_member(zf: zipfile.ZipFile, member: str, path: Path, folder: Path) -> Path:
    target = folder / Path(member).name
    try:
        with zf.open(member) as src, open(target, "wb") as dst:
            while block := src.read(1 << 22):
                dst.write(block)
    except _ZIP_ERRORS as exc:
        raise InputError(f"member {member} of the zip is damaged ({exc})", file=path,
                         hint="the download is probably truncated: download the release again") from None
    return target


# ----------------------------------------------------------- the year files
@dataclass
class BaciYear:
    """One parsed BACI yearly file.

    Attributes
    ----------
    flows
        Canonical, checked ``trade_flows`` rows (Arrow); the string columns are
        dictionary-encoded (:func:`plain_strings` decodes them).
    origin
        The file (``zip!member`` for a zip member).
    hs_revision, year, release
        From the file name (or the arguments).
    aggregate_rows
        Rows left out because a partner is a non-country area (code → rows).
    """

    flows: pa.Table
    origin: str
    hs_revision: str
    year: int
    release: str
    aggregate_rows: dict[int, int]

    @property
    def source(self) -> str:
        """Source label of the rows."""
        return source_label(self.hs_revision, self.release)


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _read_header(csv_path: Path, origin: str) -> list[str]:
    """The column names of the header line, stripped of quotes and spaces (``" q"`` is ``q``)."""
    with open(csv_path, "rb") as fh:
        first = fh.readline(4096)
    text = first.decode("utf-8-sig", errors="replace").strip()
    if not text:
        raise InputError("the file is empty", file=origin, line=1,
                         hint="a BACI CSV starts with the header t,i,j,k,v,q")
    names = [c.strip().strip('"').strip().lower() for c in text.split(",")]
    missing = [c for c in BACI_COLUMNS if c not in names]
    extra = [c for c in names if c not in BACI_COLUMNS]
    if missing or extra or len(names) != len(BACI_COLUMNS):
        what = []
        if missing:
            what.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            what.append(f"unexpected column(s) {', '.join(extra)}")
        if not what:
            what.append("repeated column names")
        raise InputError(f"{'; '.join(what)} in header {text!r}", file=origin, line=1,
                         hint="a BACI CSV has exactly the columns t,i,j,k,v,q")
    return names


def _count_lines(csv_path: Path) -> int:
    with open(csv_path, "rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


def _check_last_row(csv_path: Path, origin: str) -> None:
    """Refuse a file without data rows, or cut inside its last row.

    BACI's files end with a line end. A last row without one may have lost
    digits of q (``0.029`` read as ``0.0``); a last row inside a quoted field
    would be read with an empty value.
    """
    size = csv_path.stat().st_size
    with open(csv_path, "rb") as fh:
        fh.seek(max(0, size - 4096))
        tail = fh.read()
        fh.seek(0)
        fh.readline()
        body = fh.read(4096)
    if not body.strip():
        raise InputError("the file has a header but no data rows", file=origin, line=2,
                         hint="the file is empty or truncated: download or extract it again")
    last = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    if last.count(b'"') % 2:
        line = _count_lines(csv_path) + (0 if tail.endswith(b"\n") else 1)
        raise InputError("the last row ends inside a quoted value", file=origin, line=line,
                         value=last.decode("utf-8", errors="replace"),
                         hint="the file is truncated: download or extract it again")
    if not tail.endswith(b"\n"):
        raise InputError("the last row has no line end: the file is cut inside it", file=origin,
                         line=_count_lines(csv_path) + 1, value=last.decode("utf-8", errors="replace"),
                         hint="the file is truncated: download or extract it again")


def _reader(csv_path: Path, names: Sequence[str], *, typed: bool, parallel: bool = True) -> str:
    types = {"t": "INTEGER", "i": "INTEGER", "j": "INTEGER", "k": "VARCHAR", "v": "DOUBLE", "q": "VARCHAR"}
    cols = ", ".join(f"'{n}': '{types[n] if typed else 'VARCHAR'}'" for n in names)
    return (f"read_csv({_sql_str(csv_path)}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, "
            f"parallel = {'true' if parallel else 'false'}, columns = {{{cols}}})")


def _csv_error(exc: duckdb.Error, origin: str) -> InputError:
    """Turn DuckDB's CSV error (which names the line) into an InputError."""
    text = str(exc)
    m = _LINE.search(text)
    line = int(m.group(1)) if m else None
    conv = _CONVERT.search(text)
    if conv:
        col, value = conv.group(1), conv.group(2)
        return InputError(f"{value!r} in column {col} is not a number", file=origin, line=line,
                          value=value, hint="BACI values are plain numbers; check the file is not damaged")
    if "Expected Number of Columns" in text:
        found = re.search(r"Found: (\d+)", text)
        return InputError(f"row has {found.group(1) if found else 'a wrong number of'} fields, expected 6",
                          file=origin, line=line, hint="each BACI row has t,i,j,k,v,q; the file may be "
                          "truncated or damaged")
    first = text.splitlines()[0] if text else type(exc).__name__
    return InputError(f"cannot read the CSV: {first}", file=origin, line=line,
                      hint="check that this is a BACI yearly CSV")


class _Checker:
    """Vectorised checks of a loaded BACI year, with line numbers on failure."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None, csv_path: Path, names: Sequence[str],
                 origin: str) -> None:
        self.con = con
        self.csv_path = csv_path
        self.names = names
        self.origin = origin

    def first_line(self, condition: str) -> tuple[int, dict[str, Any]]:
        """Line number and raw values of the first row meeting ``condition`` (over VARCHAR columns)."""
        con = duckdb.connect(config={"threads": 1})
        try:
            row = con.execute(
                f"SELECT * FROM (SELECT row_number() OVER () + 1 AS _line, * FROM "
                f"{_reader(self.csv_path, self.names, typed=False, parallel=False)}) "
                f"WHERE {condition} ORDER BY _line LIMIT 1"
            ).fetchone()
        except duckdb.Error as exc:
            raise self.unreadable(exc) from None
        finally:
            con.close()
        if row is None:  # pragma: no cover - only called after the fast check found a row
            return 0, {}
        return int(row[0]), dict(zip(["_line", *self.names], row, strict=True))

    def unreadable(self, exc: duckdb.Error) -> InputError:
        """The error of DuckDB's reader as an InputError; a byte that is not UTF-8 is located here."""
        if "unicode" in str(exc).lower() or "utf-8" in str(exc).lower():
            found = _first_non_utf8(self.csv_path)
            if found is not None:
                line, byte = found
                return InputError(f"byte 0x{byte.hex()} is not UTF-8 text", file=self.origin, line=line,
                                  value=byte, hint="BACI files are plain ASCII: the file is damaged, "
                                  "download or extract it again")
        return _csv_error(exc, self.origin)


def _first_non_utf8(csv_path: Path) -> tuple[int, bytes] | None:
    """(line, byte) of the first byte of the file that is not UTF-8, or ``None``."""
    with open(csv_path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                return n, raw[exc.start:exc.start + 1]
    return None


_Q_NUM = "TRY_CAST(nullif(nullif(trim(q), 'NA'), '') AS DOUBLE)"
_INT = "'^[0-9]+$'"
_MAX_CODE = 1 << 16
_ARROW_TYPES = {"t": pa.int32(), "i": pa.int32(), "j": pa.int32(), "k": pa.int32(), "v": pa.float64(),
                "q": pa.float64()}
_NULLS = [" " * n + "NA" for n in range(32)]
"""Unknown quantity: ``NA``, left-padded with spaces as BACI writes it (``"           NA"``). An empty q is
refused (Arrow's reader would also read empty t, i, j, k or v as null, which the checks refuse)."""
_USUAL_NULLS = ["NA", " " * 11 + "NA"]
"""The two forms of ``NA`` in BACI's releases (padded to 13 characters up to 2025, bare since). The file
is read with these first: Arrow matches every value against the null list, and the 32 padded forms
cost a sixth of the read's CPU. Any other form fails that read (it is not a number) and the file is
read again with :data:`_NULLS`, so the rows and the errors are those of :data:`_NULLS` alone."""


def _scan(csv_path: Path, check: _Checker) -> pa.Table:
    """Read the CSV with Arrow's multithreaded reader into typed columns.

    Arrow's number parsing is strict (no ``12345.6`` or ``0x10`` in an integer
    column) and skips the padding of ``q``, but its errors carry no line
    number, so a failure is located by :meth:`_Checker.first_line`. The file
    is memory-mapped: the reader parses the page cache's pages in place
    instead of copying the file into its own blocks (a quarter less kernel
    time for a ``baci``-size year; BENCHMARKS.md, ingest). As with any
    memory-mapped reader, a file that another program truncates while it is
    read ends the process (``SIGBUS``) instead of raising an error; the
    warehouse is unchanged, as after any failed ingest.
    """
    try:
        source: Any = pa.memory_map(str(csv_path))
    except (OSError, pa.ArrowException):
        source = csv_path

    def read(nulls: list[str]) -> pa.Table:
        if not isinstance(source, Path):
            source.seek(0)
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=1 << 24, skip_rows=1, column_names=list(check.names)),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True),
            convert_options=pacsv.ConvertOptions(column_types=_ARROW_TYPES, null_values=nulls,
                                                 include_columns=list(BACI_COLUMNS)),
        )

    try:
        try:
            return read(_USUAL_NULLS)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return read(_NULLS)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _locate_unreadable(check, str(exc)) from None
    finally:
        if not isinstance(source, Path):
            source.close()


def _locate_unreadable(check: _Checker, arrow_message: str) -> InputError:
    """Find the first line Arrow could not read (structure via DuckDB's strict reader, then values)."""
    con = duckdb.connect(config={"threads": 1})
    try:
        reader = _reader(check.csv_path, check.names, typed=False, parallel=False)
        con.execute(f"SELECT count(*) FROM {reader}")
    except duckdb.Error as exc:
        return check.unreadable(exc)
    finally:
        con.close()
    conditions = [(c, f"coalesce(NOT regexp_full_match(trim({c}), {_INT}), true)")
                  for c in ("t", "i", "j", "k")]
    conditions.append(("v", "TRY_CAST(v AS DOUBLE) IS NULL"))
    conditions.append(("q", f"({_Q_NUM} IS NULL AND coalesce(trim(q), '') <> 'NA')"))
    line, row = check.first_line(" OR ".join(cond for _, cond in conditions))
    for col, _ in conditions:
        value = row.get(col)
        if col == "q" and (value is None or str(value).strip() == ""):
            return InputError("missing value in column q", file=check.origin, line=line,
                              hint="BACI writes NA for an unknown quantity; an empty q means the row "
                              "was cut: download or extract the file again")
        if col == "q" and str(value).strip() == "NA":
            continue
        if value is None or str(value).strip() == "":
            return InputError(f"missing value '' in column {col}", file=check.origin, line=line,
                              hint="t, i, j, k and v are required in every BACI row")
        ok = str(value).strip().isdigit() if col in ("t", "i", "j", "k") else _is_float(str(value))
        if not ok:
            hint = {"v": "v is a value in thousand USD", "q": "q is a quantity in tonnes, or NA when unknown"}
            return InputError(f"{str(value).strip()!r} in column {col} is not a number", file=check.origin,
                              line=line, value=value, hint=hint.get(col, f"column {col} holds whole numbers"))
    return InputError(f"cannot read the CSV: {arrow_message.splitlines()[0]}", file=check.origin,
                      hint="check that this is a BACI yearly CSV")


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _load_year(con: duckdb.DuckDBPyConnection | None, csv_path: Path, origin: str, revision: str, year: int,
               release: str, table: Mapping[int, str | None] | None) -> BaciYear:
    names = _read_header(csv_path, origin)
    _check_last_row(csv_path, origin)
    check = _Checker(con, csv_path, names, origin)
    raw = _scan(csv_path, check)
    fast = _fast_year(raw, table, origin, revision, year, release)
    if fast is not None:
        return fast
    _check_values(raw, check, year)
    codes_i, codes_j = raw.column("i").to_numpy(), raw.column("j").to_numpy()
    res = _resolve_codes(codes_i, codes_j, table, check)
    return _finish(raw, codes_i, codes_j, res, check, revision, year, release)


def _check_values(raw: pa.Table, check: _Checker, year: int) -> None:
    """Vectorised checks; on failure, find the line and raise a precise InputError."""
    origin = check.origin
    for col in ("t", "i", "j", "k", "v"):
        if raw.column(col).null_count:
            line, row = check.first_line(f"{col} IS NULL OR trim({col}) IN ('', 'NA')")
            found = str(row.get(col) or "").strip()
            raise InputError(f"missing value {found!r} in column {col}", file=origin, line=line,
                             hint="t, i, j, k and v are required in every BACI row")
    # min_max over the chunks: no contiguous copy of the columns (the parser's largest allocations)
    t = pc.min_max(raw.column("t"))
    if raw.num_rows and not (t["min"].as_py() == year == t["max"].as_py()):
        line, row = check.first_line(f"TRY_CAST(t AS INTEGER) IS DISTINCT FROM {year}")
        raise InputError(f"year {row['t']!r} in column t differs from the file's year {year}",
                         file=origin, line=line, value=row["t"],
                         hint="a BACI yearly file holds one year; check the file name (…_Y<year>_…)")
    k = pc.min_max(raw.column("k"))
    if raw.num_rows and (k["min"].as_py() < 10_000 or k["max"].as_py() > 999_999):
        line, row = check.first_line("TRY_CAST(k AS INTEGER) NOT BETWEEN 10000 AND 999999")
        raise InputError(f"product code {row['k']!r} in column k is not a six-digit HS code",
                         file=origin, line=line, value=row["k"],
                         hint="BACI codes have six digits (five when the leading zero was dropped)")
    v, q = raw.column("v"), raw.column("q")
    v_range, q_range = pc.min_max(v), pc.min_max(q)  # skip nulls and NaN
    v_lo, v_hi = (v_range["min"].as_py() or 0.0), (v_range["max"].as_py() or 0.0)
    q_lo, q_hi = q_range["min"].as_py(), q_range["max"].as_py()
    if (pc.any(pc.is_nan(v)).as_py() or np.isinf(v_lo) or np.isinf(v_hi) or pc.any(pc.is_nan(q)).as_py()
            or (q_hi is not None and (np.isinf(q_lo) or np.isinf(q_hi)))):
        line, row = check.first_line(f"NOT isfinite(TRY_CAST(v AS DOUBLE)) OR NOT isfinite({_Q_NUM})")
        raise InputError("value is not a finite number", file=origin, line=line,
                         value=(row["v"], row["q"]), hint="v and q must be finite numbers")
    if v_lo < 0 or (q_lo is not None and q_lo < 0):
        line, row = check.first_line(f"TRY_CAST(v AS DOUBLE) < 0 OR {_Q_NUM} < 0")
        col = "v" if float(row["v"]) < 0 else "q"
        raise InputError(f"negative value {str(row[col]).strip()} in column {col}", file=origin, line=line,
                         value=row[col], hint="trade values and quantities must be >= 0")
    v_max, q_max = MAX_FLOW_USD / 1000.0, MAX_FLOW_T
    if v_hi > v_max or (q_hi is not None and q_hi > q_max):
        line, row = check.first_line(f"TRY_CAST(v AS DOUBLE) > {v_max!r} OR {_Q_NUM} > {q_max!r}")
        col = "v" if float(row["v"]) > v_max else "q"
        limit = f"{v_max:g} thousand USD" if col == "v" else f"{q_max:g} t"
        raise InputError(f"value {str(row[col]).strip()} in column {col} is beyond {limit} for one flow",
                         file=origin, line=line, value=row[col],
                         hint="no bilateral flow of one product comes near this: the file is damaged")


def _resolve_codes(codes_i: np.ndarray, codes_j: np.ndarray, table: Mapping[int, str | None] | None,
                   check: _Checker) -> AreaResolution:
    lo = min(int(codes_i.min()), int(codes_j.min())) if len(codes_i) else 0
    hi = max(int(codes_i.max()), int(codes_j.max())) if len(codes_i) else 0
    if lo < 0 or hi >= _MAX_CODE:
        bad = lo if lo < 0 else hi
        line, _ = check.first_line(f"TRY_CAST(i AS INTEGER) = {bad} OR TRY_CAST(j AS INTEGER) = {bad}")
        raise InputError(f"country code {bad} is out of range", file=check.origin, line=line, value=bad,
                         hint="BACI country codes are small positive numbers")
    marked = np.zeros(hi + 1, dtype=bool)
    marked[codes_i] = True
    marked[codes_j] = True
    seen = np.flatnonzero(marked)
    res = resolve_area_codes((int(c) for c in seen), table)
    if res.unknown:
        listed = ", ".join(str(c) for c in res.unknown[:20]) + (" ..." if len(res.unknown) > 20 else "")
        first = res.unknown[0]
        line, _ = check.first_line(f"TRY_CAST(i AS INTEGER) = {first} OR TRY_CAST(j AS INTEGER) = {first}")
        hint = ("pass the release's country_codes_V*.csv (--country-codes)" if table is None else
                "use the country_codes file of the same BACI release")
        raise InputError(f"unknown country code(s) {listed} (first at this line)", file=check.origin,
                         line=line, value=res.unknown, hint=hint)
    return res


def _constant(value: str, zeros: np.ndarray) -> pa.DictionaryArray:
    """``value`` in every row: dictionary indices ``zeros`` (the constant columns share one array)."""
    return pa.DictionaryArray.from_arrays(pa.array(zeros), pa.array([value]), safe=False)  # all 0: valid


def _year_and_zeros(n: int, year: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``year`` column and the constant columns' indices of ``n`` rows."""
    return np.full(n, year, dtype=np.int32), np.zeros(n, dtype=np.int32)


def _finish(raw: pa.Table, codes_i: np.ndarray, codes_j: np.ndarray, res: AreaResolution,
            check: _Checker, revision: str, year: int, release: str) -> BaciYear:
    """Map codes to ISO3 (dictionary-encoded), drop non-country partners, check duplicate flows.

    The rows come out in the warehouse's order (importer, exporter, HS6), so that
    the warehouse writes them without sorting again; the duplicate check is
    :func:`_pair_runs` for BACI's layout, else a scan of the sorted keys.
    """
    isos = sorted(set(res.iso3.values()))  # alphabetical: index order is string order
    iso_index = {iso: n for n, iso in enumerate(isos)}
    size = max([*res.iso3, *res.aggregates, 0]) + 1
    lut = np.full(size, -1, dtype=np.int32)  # -1: non-country area
    for code, iso in res.iso3.items():
        lut[code] = iso_index[iso]
    with ThreadPoolExecutor(2) as pool:  # NumPy and Arrow release the GIL for these copies
        columns = pool.submit(lambda: tuple(raw.column(c).to_numpy() for c in ("k", "v", "q")))
        ex, im = lut[codes_i], lut[codes_j]
        country = (ex >= 0) & (im >= 0)
        k, v, q = columns.result()  # q: null (NA) as NaN: the checks refused any NaN in the file
    aggregate_rows: dict[int, int] = {}
    if not country.all():
        for code in res.aggregates:
            n = int(((codes_i == code) | (codes_j == code)).sum())
            if n:
                aggregate_rows[code] = n
        ex, im, k, v, q = ex[country], im[country], k[country], v[country], q[country]
    runs = _pair_runs(ex, im, k, len(isos))
    if runs is None:
        order = _warehouse_order(ex, im, k, isos, res, check)
        if order is not None:
            ex, im, k, v, q = ex[order], im[order], k[order], v[order], q[order]
        runs = (np.zeros(1, dtype=np.int64), np.array([len(k)]), np.zeros(1, dtype=np.int64))
    # The columns are moved into the warehouse's order and finished in parallel.
    with ThreadPoolExecutor(2) as pool:
        value = pool.submit(lambda: _value_usd(_move_runs(runs, v)))
        quantity = pool.submit(lambda: pa.array(_move_runs(runs, q), pa.float64(), from_pandas=True))
        ex, im = _move_pairs(runs, ex, im)
        hs_index, hs_codes = _hs_index(_move_runs(runs, k))
        value_usd, quantity_t = value.result(), quantity.result()
    flows = _flows_table(year, isos, ex, im, hs_index, hs_codes, value_usd, quantity_t, revision, release)
    return BaciYear(flows=flows, origin=check.origin, hs_revision=revision, year=year, release=release,
                    aggregate_rows=aggregate_rows)


def _flows_table(year: int, isos: Sequence[str], ex: np.ndarray, im: np.ndarray, hs_index: np.ndarray,
                 hs_codes: np.ndarray, value_usd: np.ndarray, quantity_t: pa.Array, revision: str,
                 release: str, filled: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
    """The canonical ``trade_flows`` rows of a year, strings dictionary-encoded (ISO3 and HS6 sorted).

    ``filled``: :func:`_year_and_zeros` of the rows, when already made (in another thread).
    """
    years, zeros = filled if filled is not None else _year_and_zeros(len(hs_index), year)
    iso_values = pa.array(isos, pa.string())
    return pa.table({
        "year": pa.array(years),
        "exporter": pa.DictionaryArray.from_arrays(pa.array(ex), iso_values),
        "importer": pa.DictionaryArray.from_arrays(pa.array(im), iso_values),
        "hs6": pa.DictionaryArray.from_arrays(pa.array(hs_index),
                                              pa.array([f"{c:06d}" for c in hs_codes.tolist()], pa.string())),
        "value_usd": pa.array(value_usd),
        "quantity_t": quantity_t,
        "hs_revision": _constant(revision, zeros),
        "source": _constant(source_label(revision, release), zeros),
    })


# ------------------------------------------------------- the fast path (BACI's layout)
@dataclass
class _Block:
    """One chunk of the CSV as the fast path sees it: its segments and the columns it moves.

    A segment is a run of rows of one (i, j) code pair inside the chunk, with
    strictly increasing products. ``k`` and ``v`` are views of Arrow's buffers,
    ``q`` is Arrow's array (NA as null).
    """

    starts: np.ndarray
    lengths: np.ndarray
    codes_i: np.ndarray
    codes_j: np.ndarray
    k_first: np.ndarray
    k_last: np.ndarray
    k: np.ndarray
    v: np.ndarray
    q: pa.Array


def _scan_block(columns: Sequence[pa.Array], year: int) -> _Block | None:
    """Check one chunk (the conditions of :func:`_check_values` and :func:`_resolve_codes`) and cut it.

    Returns ``None`` when a check fails or the rows are not in BACI's layout
    (a product repeated or out of order within a pair): the caller then takes
    the general path, which raises the precise error or sorts.
    """
    t, i_col, j_col, k_col, v_col, q_col = columns
    n = len(t)
    if any(c.null_count for c in (t, i_col, j_col, k_col, v_col)):
        return None
    t_range, k_range, q_range = pc.min_max(t), pc.min_max(k_col), pc.min_max(q_col)
    if n and not (t_range["min"].as_py() == year == t_range["max"].as_py()):
        return None
    if n and (k_range["min"].as_py() < 10_000 or k_range["max"].as_py() > 999_999):
        return None
    i, j, k, v = (c.to_numpy() for c in (i_col, j_col, k_col, v_col))  # no nulls: views, no copies
    if n and not (0.0 <= v.min() and v.max() <= MAX_FLOW_USD / 1000.0):  # also false for NaN and inf
        return None
    q_lo, q_hi = q_range["min"].as_py(), q_range["max"].as_py()
    if pc.any(pc.is_nan(q_col)).as_py() or (q_hi is not None and not (0.0 <= q_lo and q_hi <= MAX_FLOW_T)):
        return None
    if n and (min(int(i.min()), int(j.min())) < 0 or max(int(i.max()), int(j.max())) >= _MAX_CODE):
        return None
    cut = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    if not bool(((k[1:] > k[:-1]) | cut).all()):
        return None
    starts = np.concatenate(([0], np.flatnonzero(cut) + 1)) if n else np.zeros(0, dtype=np.int64)
    lengths = np.diff(np.append(starts, n))
    return _Block(starts=starts, lengths=lengths, codes_i=i[starts], codes_j=j[starts], k_first=k[starts],
                  k_last=k[starts + lengths - 1], k=k, v=v, q=q_col)


def _fast_year(raw: pa.Table, table: Mapping[int, str | None] | None, origin: str, revision: str, year: int,
               release: str) -> BaciYear | None:
    """The year as :func:`_finish` builds it, for a clean file in BACI's layout; else ``None``.

    The same checks and the same rows, in the same order, without the
    whole-column copies of the general path: each chunk of the CSV is checked
    and cut into segments (one code pair, increasing products) in two
    threads, the code mapping, the aggregate partners and the ordering work
    on the segments (a few thousand), and each column is moved into the
    warehouse's order straight from Arrow's chunks. ``None`` whenever the
    general path could decide otherwise: a check fails (it then raises the
    precise error), a code is unknown, or the file is not in BACI's layout
    (it then sorts or reports the duplicate).
    """
    columns = [raw.column(c).chunks for c in BACI_COLUMNS]
    if raw.num_rows < 2 or len({tuple(len(a) for a in chunks) for chunks in columns}) != 1:
        return None
    with ThreadPoolExecutor(2) as pool:
        scanned = list(pool.map(lambda cols: _scan_block(cols, year), zip(*columns, strict=True)))
    blocks = [b for b in scanned if b is not None]
    if len(blocks) != len(scanned):
        return None
    block_of = np.concatenate([np.full(len(b.starts), n, dtype=np.int64) for n, b in enumerate(blocks)])
    starts, lengths, codes_i, codes_j, k_first, k_last = (
        np.concatenate([getattr(b, name) for b in blocks])
        for name in ("starts", "lengths", "codes_i", "codes_j", "k_first", "k_last"))
    res = resolve_area_codes((int(c) for c in np.unique(np.concatenate([codes_i, codes_j]))), table)
    if res.unknown:
        return None
    isos = sorted(set(res.iso3.values()))  # alphabetical: index order is string order
    if len(isos) * len(isos) >= 1 << 31:
        return None
    iso_index = {iso: n for n, iso in enumerate(isos)}
    lut = np.full(max([*res.iso3, *res.aggregates, 0]) + 1, -1, dtype=np.int32)  # -1: non-country area
    for code, iso in res.iso3.items():
        lut[code] = iso_index[iso]
    ex, im = lut[codes_i], lut[codes_j]
    aggregate_rows: dict[int, int] = {}
    country = (ex >= 0) & (im >= 0)
    if not country.all():
        for code in res.aggregates:
            rows = int(lengths[(codes_i == code) | (codes_j == code)].sum())
            if rows:
                aggregate_rows[code] = rows
        block_of, starts, lengths, ex, im, k_first, k_last = (
            a[country] for a in (block_of, starts, lengths, ex, im, k_first, k_last))
    if int(lengths.sum()) < 2:
        return None
    # Segments of one country pair next to each other form one run (a pair cut by a chunk boundary,
    # or two codes of one ISO3): its products must go on increasing, as in _pair_runs.
    pair = im.astype(np.int64) * len(isos) + ex
    new_run = np.concatenate(([True], pair[1:] != pair[:-1]))
    if not bool((new_run[1:] | (k_first[1:] > k_last[:-1])).all()):
        return None
    first_segment = np.flatnonzero(new_run)
    run_pair = pair[first_segment]
    by = np.argsort(run_pair, kind="stable")
    ordered = run_pair[by]
    if len(ordered) > 1 and not bool((ordered[1:] > ordered[:-1]).all()):  # a pair in two runs
        return None
    rank = np.empty(len(by), dtype=np.int64)
    rank[by] = np.arange(len(by))
    moved = np.argsort(rank[np.cumsum(new_run) - 1], kind="stable")  # segments in the warehouse's order
    pieces = list(zip(block_of[moved].tolist(), starts[moved].tolist(), (starts + lengths)[moved].tolist(),
                      strict=True))

    def move(name: str) -> np.ndarray:
        cols = [getattr(b, name) for b in blocks]
        return np.concatenate([cols[n][a:e] for n, a, e in pieces])

    def values() -> np.ndarray:
        value_usd = move("v")
        value_usd *= 1000.0  # BACI's thousand USD in USD, rounded as _value_usd does
        np.round(value_usd, 6, out=value_usd)
        return value_usd

    run_lengths = np.add.reduceat(lengths, first_segment)[by]
    with ThreadPoolExecutor(2) as pool:
        value = pool.submit(values)
        quantity = pool.submit(lambda: pa.concat_arrays([blocks[n].q.slice(a, e - a) for n, a, e in pieces]))
        filled = pool.submit(_year_and_zeros, int(run_lengths.sum()), year)
        pairs = pool.submit(lambda: (np.repeat(ex[first_segment][by], run_lengths),
                                     np.repeat(im[first_segment][by], run_lengths)))
        hs_index, hs_codes = _hs_index(move("k"))
        (ex_rows, im_rows), value_usd, quantity_t = pairs.result(), value.result(), quantity.result()
        flows = _flows_table(year, isos, ex_rows, im_rows, hs_index, hs_codes, value_usd, quantity_t,
                             revision, release, filled.result())
    return BaciYear(flows=flows, origin=origin, hs_revision=revision, year=year, release=release,
                    aggregate_rows=aggregate_rows)


def _pair_runs(ex: np.ndarray, im: np.ndarray, k: np.ndarray,
               n_iso: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The runs of a file laid out as BACI writes it, or ``None`` (then :func:`_warehouse_order` decides).

    A BACI file holds each exporter-importer pair in one run of rows with
    strictly increasing product codes. When that holds, and no pair comes
    back in a second run, no flow is repeated, and moving the runs, sorted
    by (importer, exporter), gives the warehouse's order without sorting the
    rows. Returns ``(starts, lengths, by)``: where each run starts, its
    length, and the runs' order.
    """
    n = len(k)
    if n < 2 or n_iso * n_iso >= 1 << 31:
        return None
    pair = im.astype(np.int32) * np.int32(n_iso) + ex
    cut = pair[1:] != pair[:-1]
    if not bool(((k[1:] > k[:-1]) | cut).all()):  # a product repeated or out of order within a run
        return None
    starts = np.concatenate(([0], np.flatnonzero(cut) + 1))
    run_pair = pair[starts]
    by = np.argsort(run_pair, kind="stable")
    ordered = run_pair[by]
    if len(ordered) > 1 and not bool((ordered[1:] > ordered[:-1]).all()):  # a pair in two runs
        return None
    return starts, np.diff(np.append(starts, n)), by


def _move_runs(runs: tuple[np.ndarray, np.ndarray, np.ndarray], column: np.ndarray) -> np.ndarray:
    """``column`` with its runs in the order ``by`` (block copies)."""
    starts, lengths, by = runs
    if bool((by == np.arange(len(by))).all()):
        return column
    return np.concatenate([column[a:a + m] for a, m in zip(starts[by].tolist(), lengths[by].tolist(),
                                                             strict=True)])


def _move_pairs(runs: tuple[np.ndarray, np.ndarray, np.ndarray], ex: np.ndarray,
                im: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exporter and importer of the moved runs (constant within a run: repeated, not copied)."""
    starts, lengths, by = runs
    if bool((by == np.arange(len(by))).all()):
        return ex, im
    moved = lengths[by]
    return np.repeat(ex[starts][by], moved), np.repeat(im[starts][by], moved)


def _value_usd(v: np.ndarray) -> np.ndarray:
    """BACI's thousand USD in USD, rounded to the micro-dollar (removes the binary noise of ×1000)."""
    value_usd = v * 1000.0
    np.round(value_usd, 6, out=value_usd)
    return value_usd


def _hs_index(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary indices of the product codes and the sorted codes (``k`` lies in [10000, 999999])."""
    present = np.zeros(1_000_000, dtype=bool)
    present[k] = True
    return (np.cumsum(present, dtype=np.int32) - 1)[k], np.flatnonzero(present)


def _warehouse_order(ex: np.ndarray, im: np.ndarray, k: np.ndarray, isos: Sequence[str],
                     res: AreaResolution, check: _Checker) -> np.ndarray | None:
    """Row order by (importer, exporter, product), or ``None`` if already so; raise on a duplicate flow.

    BACI files are sorted by exporter, importer and product code, so two
    stable radix sorts on the 16-bit country indices (exporter, then
    importer) usually give the order; the keys are then checked to increase
    strictly, which is also the duplicate check. Otherwise (unsorted files,
    two codes with one ISO3) a full sort locates any duplicate.
    """
    pair = im.astype(np.int64) * len(isos) + ex
    key = pair * 1_000_000 + k
    if len(key) < 2 or bool((key[1:] > key[:-1]).all()):
        return None
    order = _stable_order_by_runs(pair)
    ordered = key[order]
    if bool((ordered[1:] > ordered[:-1]).all()):
        return order
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if same.any():
        at = int(order[1:][same][0])
        _raise_duplicate((isos[ex[at]], isos[im[at]], f"{int(k[at]):06d}"), res, check)
    return order


def _stable_order_by_runs(pair: np.ndarray) -> np.ndarray:
    """Stable ascending order of ``pair``, moving runs of equal values as blocks.

    A BACI file holds each exporter-importer pair in one run of rows, so
    sorting the few thousand runs by their pair and laying their rows out in
    that order is a stable sort of the rows at O(n) cost. Equal pairs in
    separate runs keep their file order (the run sort is stable too).
    """
    n = len(pair)
    starts = np.concatenate(([0], np.flatnonzero(pair[1:] != pair[:-1]) + 1))
    lengths = np.diff(np.append(starts, n))
    by = np.argsort(pair[starts], kind="stable")
    new_lengths = lengths[by]
    new_starts = np.cumsum(new_lengths) - new_lengths
    order = np.repeat(starts[by] - new_starts, new_lengths)
    order += np.arange(n, dtype=order.dtype)
    return order


def _raise_duplicate(flow: tuple[str, str, str], res: AreaResolution, check: _Checker) -> None:
    exporter, importer, k = flow
    same_e = sorted(c for c, iso in res.iso3.items() if iso == exporter)
    same_i = sorted(c for c, iso in res.iso3.items() if iso == importer)
    con = duckdb.connect(config={"threads": 1})
    try:
        lines = [int(r[0]) for r in con.execute(
            f"SELECT _line FROM (SELECT row_number() OVER () + 1 AS _line, * FROM "
            f"{_reader(check.csv_path, check.names, typed=False, parallel=False)}) "
            f"WHERE TRY_CAST(i AS INTEGER) IN ({', '.join(map(str, same_e))}) "
            f"AND TRY_CAST(j AS INTEGER) IN ({', '.join(map(str, same_i))}) "
            f"AND lpad(trim(k), 6, '0') = '{k}' ORDER BY _line LIMIT 2"
        ).fetchall()]
    finally:
        con.close()
    codes = "" if len(same_e) == 1 and len(same_i) == 1 else f" (codes i in {same_e}, j in {same_i})"
    first = f", first at line {lines[0]}" if lines else ""
    raise InputError(
        f"duplicate flow {exporter} → {importer}, product {k}{codes}{first}",
        file=check.origin, line=lines[1] if len(lines) > 1 else None, value=(exporter, importer, k),
        hint="each exporter-importer-product appears once in a BACI year: the file repeats a row, or "
        "two country codes of the code table map to one ISO3 code",
    )


def plain_strings(flows: pa.Table) -> pa.Table:
    """Decode dictionary-encoded columns into the canonical schema's plain types."""
    return flows.cast(schema("trade_flows").arrow_schema())


def _connect() -> duckdb.DuckDBPyConnection:
    # Insertion order is kept: BACI files are sorted, which makes the duplicate check O(n).
    return duckdb.connect()


# ------------------------------------------------------------ public parse
def _check_revision(revision: str, origin: str) -> str:
    rev = revision.upper()
    if rev not in HS_REVISIONS:
        raise InputError(f"unknown HS revision {revision!r}", file=origin,
                         hint=f"use one of {', '.join(HS_REVISIONS)}")
    return rev


def iter_baci(path: str | Path, *, country_codes: CountryCodes = None, hs_revision: str | None = None,
              year: int | None = None) -> Iterator[BaciYear]:
    """Parse a BACI CSV or release zip one year at a time (memory: one year).

    Parameters
    ----------
    path
        A yearly CSV (``BACI_HS92_Y2021_V202301.csv``) or a release zip.
    country_codes
        Country-code table; default: the zip's ``country_codes_V*.csv``, else
        the built-in resolution of :mod:`kakehashi.sources.areas`.
    hs_revision, year
        Needed only when a CSV's name does not follow BACI's pattern.

    Yields
    ------
    BaciYear
        One per yearly file, in the order of years.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path, hint="check the path")
    table = code_table(country_codes)
    # No connection is opened up front: the checks' line search opens its own, only on a failure.
    con = None
    try:
        if zipfile.is_zipfile(path) or path.suffix.lower() == ".zip":
            yield from _iter_zip(con, path, table)
            return
        parsed = parse_baci_filename(path.name)
        rev = hs_revision or (parsed[0] if parsed else None)
        yr = year or (parsed[1] if parsed else None)
        release = parsed[2] if parsed else "unknown"
        if rev is None or yr is None:
            raise InputError(
                "cannot tell the HS revision and year from the file name", file=path,
                hint="keep BACI's name (BACI_HS92_Y2021_V202301.csv) or pass hs_revision and year",
            )
        yield _load_year(con, path, str(path), _check_revision(rev, str(path)), int(yr), release, table)
    finally:
        if con is not None:
            con.close()


def _iter_zip(con: duckdb.DuckDBPyConnection | None, path: Path,
              table: Mapping[int, str | None] | None) -> Iterator[BaciYear]:
    with _open_zip(path) as zf:
        members = sorted(
            (parse_baci_filename(n), n) for n in zf.namelist() if parse_baci_filename(n) is not None
        )
        if not members:
            raise InputError("no BACI yearly CSV (BACI_<REV>_Y<year>_V<release>.csv) in the zip", file=path,
                             hint="pass a BACI release zip or one of its yearly CSV files")
        if table is None:
            code_files = [n for n in zf.namelist() if _COUNTRY_FILE.match(Path(n).name)]
            if code_files:
                table = code_table(read_baci_country_codes(_read_member(zf, code_files[0], path),
                                                            origin=f"{path}!{code_files[0]}"))
        with tempfile.TemporaryDirectory(prefix="kakehashi-baci-") as tmp:
            for meta, member in members:
                assert meta is not None
                rev, yr, release = meta
                csv_path = _extract_member(zf, member, path, Path(tmp))
                try:
                    yield _load_year(con, csv_path, f"{path}!{member}", rev, yr, release, table)
                finally:
                    csv_path.unlink(missing_ok=True)


def parse_baci(path: str | Path, *, country_codes: CountryCodes = None, hs_revision: str | None = None,
               year: int | None = None) -> pa.Table:
    """Parse a BACI yearly CSV or release zip into canonical ``trade_flows``.

    ``value_usd = 1000 * v`` (BACI values are in thousand USD); ``quantity_t =
    q`` (tonnes; ``NA`` → null); 490 → TWN; flows with a non-country partner
    are left out (see :class:`BaciYear`). For a whole release prefer
    :func:`ingest_baci`, which holds one year in memory at a time.

    Raises
    ------
    InputError
        Naming the file, line and value: truncated zip, wrong or missing
        columns, non-numeric or negative values, unknown country codes, HS
        code not six digits, duplicate flows, a year that differs from the
        file name's.

    Examples
    --------
    >>> flows = parse_baci("BACI_HS92_Y2021_V202301.csv",
    ...                    country_codes="country_codes_V202301.csv")  # doctest: +SKIP
    """
    years = iter_baci(path, country_codes=country_codes, hs_revision=hs_revision, year=year)
    parts = [plain_strings(y.flows) for y in years]
    return pa.concat_tables(parts) if parts else schema("trade_flows").arrow_schema().empty_table()


# ------------------------------------------------------------------ ingest
@dataclass
class BaciIngest:
    """What :func:`load_baci` wrote.

    Attributes
    ----------
    rows
        Trade-flow rows parsed and written (not counting other sources' rows kept).
    years
        Years written.
    files
        Yearly files parsed (``zip!member`` for zip members).
    products
        Rows of the ``products`` table written (0 without product codes).
    aggregate_rows
        Rows left out because a partner is a non-country area.
    """

    rows: int = 0
    years: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    products: int = 0
    aggregate_rows: int = 0


def _zip_products(path: Path) -> pd.DataFrame | None:
    if not zipfile.is_zipfile(path):
        return None
    with _open_zip(path) as zf:
        if not any(_PRODUCT_FILE.match(Path(n).name) for n in zf.namelist()):
            return None
    return parse_baci_products(path)


def load_baci(wh: Any, paths: Sequence[str | Path] | str | Path, *,
              country_codes: CountryCodes = None) -> BaciIngest:
    """Parse BACI files and write them to the warehouse in one transaction.

    Each year replaces the rows of the same BACI revision for that year and
    keeps other sources' rows (other revisions, Comtrade) whose key does not
    collide. A release zip's product codes are written to ``products``
    (replacing that revision's products, keeping other revisions').
    Nothing is committed unless every file parses.

    Returns
    -------
    BaciIngest
        Rows, years, files, products and left-out aggregate rows.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    out = BaciIngest()
    with wh.transaction() as tx:
        for p in paths:
            for parsed in iter_baci(p, country_codes=country_codes):
                out.rows += write_trade_year(
                    tx, parsed.flows, parsed.year, source=parsed.source,
                    source_prefix=f"CEPII BACI {parsed.hs_revision} ", origin=parsed.origin)
                out.years.append(parsed.year)
                out.files.append(parsed.origin)
                out.aggregate_rows += sum(parsed.aggregate_rows.values())
            prod = _zip_products(Path(p))
            if prod is not None:
                revs = ", ".join(sorted(set(prod["hs_revision"])))
                out.products += write_products(tx, prod, source=f"CEPII BACI product codes {revs}",
                                               origin=str(p))
    out.years = sorted(set(out.years))
    return out


def ingest_baci(wh: Any, paths: Sequence[str | Path] | str | Path, *,
                country_codes: CountryCodes = None) -> int:
    """Parse BACI files and write them to ``wh`` in ONE transaction; return the trade rows written.

    See :func:`load_baci` for the merge rules and what else is written.

    Examples
    --------
    >>> ingest_baci(Warehouse("wh"), ["BACI_HS17_V202501.zip"])  # doctest: +SKIP
    """
    return load_baci(wh, paths, country_codes=country_codes).rows
