"""USGS Mineral Commodity Summaries (MCS): world production and reserves by country.

The MCS data release has one CSV per commodity (``mcs2024-raree_world.csv``,
77 files per edition) with columns ``Source, Country, Type``, production
columns such as ``Prod_t_2022, Prod_t_est_2023``, reserves ``Reserves_t`` and
free-text notes. :func:`parse_usgs_world` turns one file into the canonical
``production``, ``reserves`` and ``world_totals`` tables.

What the parser does with each quirk of the real files
------------------------------------------------------
* **Encoding**: UTF-8 with a byte-order mark and CRLF line ends; Windows-1252
  is accepted as a fallback; a byte neither decodes is an error naming its
  line. **Damage**: a row with fewer fields than the header, a last row
  without its line end (a file cut there may read ``90`` as ``9``), a file
  without data rows, and a quantity beyond the schema's bounds are refused.
  Trailing empty columns and empty rows are dropped;
  a value under a column without a header (the 2024 barite file repeats its
  reserves there; the 2024 vermiculite file puts a note there) is ignored and
  listed in :attr:`UsgsWorld.notes`.
* **Column names** carry the measure, a product qualifier, the unit, an
  estimate flag and the year: ``Prod_t_est_2023``, ``Prod_kt_Est_2023``,
  ``Prod_Sponge_t_Est_2022``, ``Cap_kg_2023``, ``Reserves_ore_K2O_equiv_kt``,
  ``Reserves_kt_2023``. They are parsed by :func:`parse_measure_column`.
  Notes columns (``Prod_notes``, ``Prod_note``, ``Cap_notes``, ``Reserves_notes``)
  are ignored. A header that is none of these is an error.
* **Units**: every mass is converted to metric tons (``t``, ``kt`` ×1e3, ``Mt``,
  ``mt``, ``mmt`` ×1e6, ``kg`` ×1e-3); carats (``kct`` ×1e3, ``mct`` ×1e6) to
  ``carat``; ``mcm`` (million cubic metres, helium) ×1e6 to ``m3``. The unit
  string adds the basis of the quantity from the package data when known, e.g.
  ``t REO`` (rare-earth oxide), ``t Li content``, ``t TiO2 content``.
* **Capacity is not production**: ``Cap_*`` columns, and rows whose ``Type``
  speaks of capacity but not of production (cement "Clinker capacity"), go to
  :attr:`UsgsWorld.capacity` (same columns as ``production``, not a canonical
  table, not ingested). A file with capacity only (abrasives) therefore gives
  an empty ``production`` table, not an error.
* **Years**: production and capacity years come from the column names. The
  reserves year is the year in the reserves column name if any, else the
  latest production year of the file (USGS reports reserves "as of" the
  edition, alongside the latest, estimated, production year).
* **Countries**: names are mapped to ISO3 with :mod:`kakehashi.sources.countries`
  (USGS names such as "Burma", "Congo (Kinshasa)", "Korea, Republic of").
  Non-breaking spaces are folded. A footnote glued to a name is stripped when
  the name without it is a known country and the name with it is not: trailing
  digits ("Belgium8", "United States1") or one lower-case letter ("Japane",
  "Korea, Republic ofe"). A qualifier in brackets or after a comma
  ("Brazil (beneficiated)", "Argentina, crude ore") is dropped when the rest is a
  known country; it is kept in :attr:`UsgsWorld.notes`. Unknown names raise one
  :class:`InputError` listing them all with their lines.
* **World and residual rows**: "World total ..." rows go to ``world_totals``
  (stage as the production rows; ``reserves`` for reserves), never into
  ``production``. "Other countries ..." rows are kept apart too: in
  :attr:`UsgsWorld.other_countries` and, for the warehouse, in ``world_totals``
  with the stage suffixed ``:other-countries`` (``mine:other-countries``,
  ``reserves:other-countries``). Other groups of countries ("United States and
  Canada") are set aside and reported in :attr:`UsgsWorld.notes`.
* **Text in numeric cells** becomes a null quantity with the reason recorded
  in :attr:`UsgsWorld.notes` (see :data:`NULL_REASONS`): ``NA``, ``W``
  (withheld), ``XX`` (not applicable), "Included in World total.",
  "Included with “Other countries.”", "Included with ilmenite", "Large",
  "Very small", "Less than ½ unit.", bounds such as ``<100`` and
  ``>17,000,000``. ``e5,000`` is an estimate of 5,000 and kept. Quoted
  thousands ("72,000") and padding spaces are read. Any other text is an
  :class:`InputError` naming the file, line, column and value. Empty cells
  produce no row.
* **Stage** (mine, refinery, smelter, plant) comes from the ``Type`` text
  ("Mine production", "Refinery production", "Smelter production", "Plant
  production", with USGS's typos "Mne", "poduction"), else from the
  commodity's default in ``usgs_commodities.csv``.
* **Several products in one file** (bauxite and alumina; ilmenite and rutile;
  platinum and palladium; pig iron and raw steel; bentonite, fuller's earth and
  kaolin; iron ore as usable ore and as iron content; ...) get their own
  commodity keys from ``usgs_products.csv``: the first pattern of the file's
  code that matches the column qualifier, else the ``Type`` text, else the
  country label, gives the commodity, stage and basis.
* **Duplicates**: two rows with the same year, country, commodity and stage are
  an error naming both lines. Several reserves cells for one country and
  commodity (a mine row and a refinery row) collapse to the one that holds a
  number; two different numbers are an error.
* **Several editions**: for each table, year and *file family* (the USGS
  code of the file a commodity comes from: ilmenite, rutile and
  titanium-minerals are all ``timin``), the rows of the newest edition are
  kept and an older edition's are dropped (MCS 2024 revises MCS 2023's 2022
  estimate), within one ingest (:func:`combine`) and against the warehouse
  (:func:`load_usgs`), whatever the order; what was dropped is listed in
  ``superseded``. The family, not the commodity, is the unit: MCS 2023 gives
  the United States under "Ilmenite and rutile", MCS 2024 under ilmenite, and
  keeping both would count the country twice.
* **Source label**: ``USGS MCS <edition>``, the edition from the file name
  (``mcs2024-...``, any case), else from the ``Source`` column (``MCS2024``).

Files that cannot be used at all are listed in :data:`REFUSED` with the reason;
:func:`parse_usgs_world_dir` reports them instead of skipping them silently.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from kakehashi.errors import InputError
from kakehashi.schemas import conform
from kakehashi.sources.countries import is_aggregate, lookup_name, normalise_name
from kakehashi.sources.textcsv import check_line_end, decode_text

__all__ = [
    "NULL_REASONS",
    "REFUSED",
    "SUPERSEDED_COLUMNS",
    "UNITS",
    "MeasureColumn",
    "UsgsLoad",
    "UsgsWorld",
    "combine",
    "commodities",
    "edition_groups",
    "edition_of",
    "family",
    "load_usgs",
    "parse_cell",
    "parse_measure_column",
    "parse_usgs_paths",
    "parse_usgs_world",
    "parse_usgs_world_dir",
    "prefer_newer",
    "resolve_country",
]

REFUSED: dict[str, str] = {}
"""Files of the MCS data releases that are refused, by file name, with the reason.

Empty: every world file of the MCS 2023 and MCS 2024 data releases parses.
"""

UNITS: dict[str, tuple[str, float]] = {
    "t": ("t", 1.0),
    "kt": ("t", 1e3),
    "mt": ("t", 1e6),
    "mmt": ("t", 1e6),
    "kg": ("t", 1e-3),
    "kct": ("carat", 1e3),
    "mct": ("carat", 1e6),
    "mcm": ("m3", 1e6),
}
"""Unit token in a USGS column name (lower-cased) → (canonical unit, factor).

``Mt``/``mt``/``mmt`` are million metric tons in the MCS files (iron ore
reserves: "Crude ore, million metric tons"; raw steel).
"""

NULL_REASONS: dict[str, str] = {
    "na": "not available",
    "w": "withheld to avoid disclosing company proprietary data",
    "xx": "not applicable",
    "included in world total": "included in the world total",
    'included with "other countries"': "included with other countries",
    "included with ilmenite": "included with ilmenite",
    "included with platinum": "included with platinum",
    "large": "reported only as 'large'",
    'categorized as "large"': "reported only as 'large'",
    "moderate": "reported only as 'moderate'",
    "small": "reported only as 'small'",
    "very small": "reported only as 'very small'",
    "less than 1/2 unit": "less than half the unit",
}
"""Text found in numeric cells of the MCS files (folded) → why the quantity is null."""

_MEASURES = {"prod": "production", "cap": "capacity", "reserves": "reserves"}
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_BOUND = re.compile(r"^([<>]=?)\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)$")
_STAGE_WORDS = (
    (re.compile(r"\bsmelter\b"), "smelter"),
    (re.compile(r"\brefinery\b"), "refinery"),
    (re.compile(r"\b(mine|mne)\b"), "mine"),
    (re.compile(r"\bplant (production|poduction)\b"), "plant"),
)


@dataclass(frozen=True)
class MeasureColumn:
    """A parsed production, capacity or reserves column name."""

    name: str
    measure: str  # production | capacity | reserves
    unit: str  # canonical unit: t, carat, m3
    factor: float  # multiply the file's number by this to get ``unit``
    year: int | None
    estimated: bool
    qualifier: str  # e.g. "Sponge", "ore_K2O_equiv"; "" when none


def parse_measure_column(name: str) -> MeasureColumn | None:
    """Parse a USGS MCS column name; ``None`` if it is not a measure column.

    Examples
    --------
    >>> c = parse_measure_column("Prod_kt_Est_2023")
    >>> (c.measure, c.unit, c.factor, c.year, c.estimated)
    ('production', 't', 1000.0, 2023, True)
    >>> parse_measure_column("Prod_notes") is None
    True
    >>> parse_measure_column("Reserves_ore_K2O_equiv_kt").qualifier
    'ore_K2O_equiv'
    """
    parts = name.strip().split("_")
    kind = _MEASURES.get(parts[0].lower())
    if kind is None or len(parts) < 2 or parts[-1].lower() in ("notes", "note"):
        return None
    rest = parts[1:]
    year = None
    if rest and re.fullmatch(r"(19|20)\d\d", rest[-1]):
        year = int(rest.pop())
    estimated = False
    if rest and rest[-1].lower() == "est":
        estimated = True
        rest.pop()
    if not rest or rest[-1].lower() not in UNITS:
        return None
    unit, factor = UNITS[rest.pop().lower()]
    return MeasureColumn(name, kind, unit, factor, year, estimated, "_".join(rest))


def parse_cell(text: str) -> tuple[float | None, str | None]:
    """Read one numeric cell: ``(value, None)``, ``(None, reason)`` or raise ``ValueError``.

    ``("", "empty")`` marks an empty cell. See :data:`NULL_REASONS`.

    Examples
    --------
    >>> parse_cell(' "72,000" '.strip().strip('"')), parse_cell("W"), parse_cell("e5,000")
    ((72000.0, None), (None, 'withheld to avoid disclosing company proprietary data'), (5000.0, None))
    >>> parse_cell(">17,000,000")
    (None, "reported only as a bound: '>17,000,000'")
    """
    t = text.replace("\xa0", " ").strip()
    if t == "":
        return None, "empty"
    if _NUMBER.match(t):
        return float(t.replace(",", "")), None
    if t[0] == "e" and _NUMBER.match(t[1:].strip()):
        return float(t[1:].strip().replace(",", "")), None  # "e" = estimated
    if _BOUND.match(t):
        return None, f"reported only as a bound: {t!r}"
    folded = normalise_name(t.replace("½", "1/2")).rstrip(".")
    folded = folded.replace("“", '"').replace("”", '"').replace('."', '"')
    if folded in NULL_REASONS:
        return None, NULL_REASONS[folded]
    raise ValueError(t)


SUPERSEDED_COLUMNS = ["table", "year", "family", "dropped", "kept", "rows"]
"""Columns of :attr:`UsgsWorld.superseded` and :attr:`UsgsLoad.superseded`: the table, the year and
the file family (USGS code) concerned, the source whose rows were dropped, the source kept instead,
and the number of rows dropped."""


@dataclass
class UsgsWorld:
    """Parsed USGS MCS world tables.

    Attributes
    ----------
    production, reserves, world_totals
        Canonical tables (see :mod:`kakehashi.schemas`). ``world_totals``
        also holds the "Other countries" rows, stage ``<stage>:other-countries``.
    other_countries
        The "Other countries" rows alone (``world_totals`` columns, plain stage).
    capacity
        Capacity rows (``production`` columns; not a canonical table).
    notes
        What was turned to null or set aside: file, line, column, value, reason.
    refused
        Files refused for a documented reason (:data:`REFUSED`): file, reason.
    superseded
        Rows of an older edition left out because a newer edition covers the
        same table, year and file: see :data:`SUPERSEDED_COLUMNS`.
    """

    production: pd.DataFrame
    reserves: pd.DataFrame
    world_totals: pd.DataFrame
    other_countries: pd.DataFrame
    capacity: pd.DataFrame
    notes: pd.DataFrame
    refused: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "reason"]))
    superseded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SUPERSEDED_COLUMNS))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The canonical tables to ingest: production, reserves, world_totals."""
        return {
            "production": self.production,
            "reserves": self.reserves,
            "world_totals": self.world_totals,
        }


_PROD_COLS = ["year", "country", "commodity", "stage", "quantity", "unit", "source"]
_RES_COLS = ["year", "country", "commodity", "quantity", "unit", "source"]
_WT_COLS = ["year", "commodity", "stage", "quantity", "unit", "source"]
_NOTE_COLS = ["file", "line", "column", "value", "reason"]


def _data_file(name: str) -> Path:
    return Path(str(resources.files("kakehashi.catalogue") / "data" / name))


@cache
def _commodities() -> pd.DataFrame:
    return pd.read_csv(_data_file("usgs_commodities.csv"), keep_default_na=False, dtype=str)


@cache
def _products() -> pd.DataFrame:
    return pd.read_csv(_data_file("usgs_products.csv"), keep_default_na=False, dtype=str)


def commodities() -> pd.DataFrame:
    """USGS commodity codes and kakehashi's stable commodity keys (package data).

    Columns: usgs_code (from the file name, e.g. ``raree``), commodity (e.g.
    ``rare-earths``), name, stage (default stage), basis (what the quantity
    measures, e.g. ``REO``), source.

    Examples
    --------
    >>> commodities().set_index("usgs_code").loc["raree", "commodity"]
    'rare-earths'
    """
    return _commodities().copy()


def resolve_country(label: str) -> tuple[str | None, str]:
    """Map a USGS country label to ``(iso3, qualifier)``; ``(None, "")`` if unknown.

    Strips glued footnote markers (trailing digits, or one trailing lower-case
    letter when the name without it is known and the name with it is not) and
    qualifiers in brackets or after a comma when the rest is a known country.

    Examples
    --------
    >>> resolve_country("Japane"), resolve_country("Brazil (beneficiated)")
    (('JPN', ''), ('BRA', 'beneficiated'))
    >>> resolve_country("Korea, Republic ofe"), resolve_country("Argentina, crude ore")
    (('KOR', ''), ('ARG', 'crude ore'))
    """
    name = re.sub(r"\s+", " ", label.replace("\xa0", " ")).strip()

    def direct(text: str) -> str | None:
        found = lookup_name(text)
        if found is not None:
            return found
        stripped = re.sub(r"\d+$", "", text).strip()
        if stripped != text and (found := lookup_name(stripped)) is not None:
            return found
        if re.search(r"[a-z]$", text) and len(text) > 3:
            return lookup_name(text[:-1])
        return None

    found = direct(name)
    if found is not None:
        return found, ""
    m = re.match(r"^(.*?)\s*\((.*)\)\s*(?:\d+|[a-z])?$", name)
    if m and (found := direct(m.group(1))) is not None:
        return found, m.group(2).strip()
    if ", " in name:
        head, _, tail = name.partition(", ")
        if (found := direct(head)) is not None:
            return found, re.sub(r"\d+$", "", tail).strip()
    return None, ""


def _edition(path: Path, sources: list[str]) -> str:
    m = re.match(r"mcs(\d{4})", path.name, re.IGNORECASE)
    if m:
        return m.group(1)
    for s in sources:
        m = re.fullmatch(r"\s*MCS\s*(\d{4})\s*", s, re.IGNORECASE)
        if m:
            return m.group(1)
    raise InputError(
        "cannot tell the MCS edition: neither the file name (mcsYYYY-...) nor the Source column "
        "(MCSYYYY) names it",
        file=path,
        hint="keep the publisher's file name, e.g. mcs2024-raree_world.csv",
    )


def _usgs_code(path: Path) -> str:
    m = re.match(r"mcs\d{4}-(.+?)_world\.csv$", path.name, re.IGNORECASE)
    if not m:
        raise InputError(
            "not a USGS MCS world file name (expected mcsYYYY-<code>_world.csv)",
            file=path,
            hint="keep the publisher's file name, e.g. mcs2024-raree_world.csv",
        )
    return m.group(1).lower()


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Return (start line, cells) for every CSV record of the file, header included."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    text = decode_text(raw, path, fallbacks=("cp1252",))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=path, line=start,
                         hint="the file is damaged or truncated: download it again") from None
    return rows


def _stage_from_type(type_text: str) -> str | None:
    folded = type_text.casefold()
    for pattern, stage in _STAGE_WORDS:
        if pattern.search(folded):
            return stage
    return None


@cache
def _product_rules(code: str) -> tuple[tuple[re.Pattern[str], str, str, str], ...]:
    rules = _products()
    rules = rules[rules["usgs_code"] == code]
    return tuple(
        (re.compile(str(pat)), str(com), str(stage), str(basis))
        for pat, com, stage, basis in zip(
            rules["pattern"], rules["commodity"], rules["stage"], rules["basis"], strict=True
        )
    )


@cache
def _product(code: str, pieces: tuple[str, ...]) -> tuple[str, str, str] | None:
    """(commodity, stage, basis) of the first product rule matching a piece, in order."""
    rules = _product_rules(code)
    for piece in pieces:
        folded = piece.casefold()
        for pattern, commodity, stage, basis in rules:
            if pattern.search(folded):
                return commodity, stage, basis
    return None


def _unit(unit: str, basis: str) -> str:
    return f"{unit} {basis}" if basis else unit


@dataclass
class _Layout:
    """The columns of one USGS world file."""

    header: list[str]
    i_country: int
    i_source: int | None
    i_type: int | None
    type_default: str
    measures: dict[int, MeasureColumn]
    latest: int


def _parse_header(cells: list[str], path: Path) -> _Layout:
    """Read the header row: where Country, Source and Type are, and every measure column."""
    header = [h.replace("\ufeff", "").strip() for h in cells]
    while header and header[-1] == "":
        header.pop()
    lower = [h.lower() for h in header]
    if "country" not in lower:
        raise InputError("no Country column in the header", file=path, line=1,
                         hint="expected the USGS MCS world layout: Source, Country, Type, Prod_..., ...")
    i_country = lower.index("country")
    i_source = lower.index("source") if "source" in lower else None
    i_type = lower.index("type") if "type" in lower else None
    type_default = ""
    measures: dict[int, MeasureColumn] = {}
    for i, h in enumerate(header):
        if i in (i_country, i_source, i_type):
            continue
        col = parse_measure_column(h)
        if col is not None:
            measures[i] = col
        elif re.search(r"notes?$", h, re.IGNORECASE) or h == "":
            continue
        elif i_type is None and i == i_country + 1:
            i_type, type_default = i, h  # e.g. fluorspar: the Type header is 'Mine production, fluorspar'
        else:
            raise InputError(f"unrecognised column {h!r}", file=path, line=1, value=h,
                             hint="expected Source, Country, Type, Prod_<unit>_<year>, Cap_..., "
                             "Reserves_<unit>, *_notes")
    if not any(c.measure in ("production", "capacity", "reserves") for c in measures.values()):
        raise InputError(
            "no production, capacity or reserves columns (Prod_*, Cap_*, Reserves_*)",
            file=path, line=1, hint="is this a USGS MCS world file?",
        )
    prod_years = [c.year for c in measures.values() if c.measure == "production" and c.year]
    cap_years = [c.year for c in measures.values() if c.measure == "capacity" and c.year]
    latest = max(prod_years or cap_years or [0])
    res_cols = [i for i, c in measures.items() if c.measure == "reserves"]
    if len(res_cols) > 1:
        preferred = [i for i in res_cols if "equiv" in measures[i].qualifier.lower()]
        if len(preferred) != 1:
            raise InputError(
                "several reserves columns: " + ", ".join(header[i] for i in res_cols),
                file=path, line=1, hint="kakehashi reads one reserves column per file",
            )
        for i in res_cols:
            if i != preferred[0]:
                del measures[i]  # potash: K2O equivalent kept (basis of production), ore tonnage dropped
    for i, c in measures.items():
        if c.measure in ("production", "capacity") and c.year is None:
            raise InputError(f"no year in column {header[i]!r}", file=path, line=1, value=header[i])
        if c.measure == "reserves" and c.year is None and not latest:
            raise InputError("reserves without a production year to date them", file=path, line=1)

    return _Layout(header, i_country, i_source, i_type, type_default, measures, latest)


def _check_last_line(path: Path, last: tuple[int, list[str]]) -> None:
    """Refuse a file cut inside its last row: the MCS files end with a line end, and a last row
    without one may have lost digits (``90`` read as ``9``)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 64))
        tail = fh.read()
    check_line_end(tail, path, last[0])


def _row_kind(country_label: str) -> str:
    """``world``, ``other`` (residual "Other countries"), ``group`` (several countries) or ``country``."""
    folded = normalise_name(re.sub(r"\d+$", "", country_label))
    if folded.startswith("world"):
        return "world"
    if is_aggregate(country_label) and not folded.startswith("other asia"):
        return "other" if folded.startswith("other") else "group"
    return "country"


def parse_usgs_world(path: str | Path) -> UsgsWorld:
    """Parse one USGS MCS world CSV (e.g. ``mcs2024-raree_world.csv``).

    See the module documentation for every rule applied to the publisher's format.

    Parameters
    ----------
    path
        The file, with the publisher's name ``mcsYYYY-<code>_world.csv``.

    Returns
    -------
    UsgsWorld
        ``production``, ``reserves`` and ``world_totals`` in their canonical
        columns, already checked with :func:`kakehashi.schemas.conform`.

    Raises
    ------
    InputError
        Unknown file name or code, unknown columns, unexpected text in a
        numeric cell, unknown country names (all listed), duplicate rows, or a
        file without production, capacity or reserves columns.

    Examples
    --------
    >>> w = parse_usgs_world("mcs2024-raree_world.csv")          # doctest: +SKIP
    >>> w.production.query("country == 'CHN' and year == 2023")   # doctest: +SKIP
    """
    path = Path(path)
    code = _usgs_code(path)
    table = _commodities().set_index("usgs_code")
    if code not in table.index:
        raise InputError(
            f"unknown USGS commodity code {code!r}",
            file=path,
            hint="add it to kakehashi/catalogue/data/usgs_commodities.csv",
        )
    meta = table.loc[code]
    rows = _read_rows(path)
    if not rows:
        raise InputError("empty file", file=path, line=1,
                         hint="the download is probably incomplete: download it again")
    layout = _parse_header(rows[0][1], path)
    header, measures, latest = layout.header, layout.measures, layout.latest
    i_country, i_source, i_type, type_default = (layout.i_country, layout.i_source, layout.i_type,
                                                 layout.type_default)

    sources = [cells[i_source] for _, cells in rows[1:] if i_source is not None and i_source < len(cells)]
    label = f"USGS MCS {_edition(path, sources)}"
    notes: list[dict[str, object]] = []
    unknown: dict[str, list[int]] = {}
    prod: list[dict[str, object]] = []
    cap: list[dict[str, object]] = []
    res: list[dict[str, object]] = []
    wt: list[dict[str, object]] = []
    other: list[dict[str, object]] = []

    data_rows = [(line, cells) for line, cells in rows[1:] if any(c.strip() for c in cells)]
    if not data_rows:
        raise InputError("the file has a header but no data rows", file=path, line=2,
                         hint="the file is empty or truncated: download it again")
    for line, cells in data_rows:
        if len(cells) < len(header):
            raise InputError(
                f"row has {len(cells)} fields, fewer than the header's {len(header)}", file=path, line=line,
                hint="the file is truncated or damaged (a row cut short): download it again",
            )
    _check_last_line(path, data_rows[-1])
    for line, cells in data_rows:
        cells = [c.replace("\ufeff", "") for c in cells]
        for i, cell in enumerate(cells):
            if cell.strip() and (i >= len(header) or header[i] == ""):
                notes.append(dict(file=path.name, line=line, column=f"(column {i + 1}, no header)",
                                  value=cell.strip(),
                                  reason="value under a column without a header: ignored"))
        country_label = re.sub(r"\s+", " ", cells[i_country].replace("\xa0", " ")).strip()
        type_text = (cells[i_type].strip() if i_type is not None else "") or type_default
        if type_text.upper() in ("NA", "XX"):
            type_text = type_default
        values: dict[int, tuple[float | None, str | None]] = {}
        for i in measures:
            try:
                values[i] = parse_cell(cells[i])
            except ValueError:
                raise InputError(
                    f"unexpected text {cells[i].strip()!r} in numeric column {header[i]}",
                    file=path, line=line, value=cells[i].strip(),
                    hint="numbers, NA, W, XX and the USGS's documented phrases are accepted; "
                    "report a new phrase to the kakehashi developers",
                ) from None
        if country_label == "":
            if all(v[1] == "empty" for v in values.values()):
                continue
            raise InputError("numbers in a row without a country", file=path, line=line)
        kind = _row_kind(country_label)
        folded = normalise_name(re.sub(r"\d+$", "", country_label))
        iso3, qualifier = (None, "")
        if kind == "country":
            iso3, qualifier = resolve_country(country_label)
            if iso3 is None:
                unknown.setdefault(country_label, []).append(line)
                continue
            if qualifier:
                notes.append(dict(file=path.name, line=line, column=header[i_country], value=country_label,
                                  reason=f"qualifier '{qualifier}' dropped; country {iso3}"))
        elif kind == "group":
            notes.append(dict(file=path.name, line=line, column=header[i_country], value=country_label,
                              reason="group of countries: set aside, not a country row"))
            continue
        elif kind == "world" and folded not in ("world total", "world total (rounded)", "world"):
            notes.append(dict(file=path.name, line=line, column=header[i_country], value=country_label,
                              reason="world total as labelled by USGS"))
        capacity_row = bool(re.search(r"capacity", type_text, re.I)) and not re.search(
            r"production", type_text, re.I)
        for i, col in measures.items():
            value, reason = values[i]
            if reason == "empty":
                continue
            if reason is not None:
                notes.append(dict(file=path.name, line=line, column=header[i], value=cells[i].strip(),
                                  reason=reason))
            rule = _product(code, (col.qualifier, type_text, country_label))
            commodity = rule[0] if rule is not None else str(meta["commodity"])
            basis = rule[2] if rule is not None else str(meta["basis"])
            stage = (rule[1] if rule is not None else None) or _stage_from_type(type_text) \
                or str(meta["stage"])
            quantity = None if value is None else value * col.factor
            unit = _unit(col.unit, basis)
            if col.measure == "reserves":
                year = col.year or latest
                if kind == "country":
                    res.append(dict(year=year, country=iso3, commodity=commodity, quantity=quantity,
                                    unit=unit, source=label, _line=line))
                else:
                    target = wt if kind == "world" else other
                    target.append(dict(year=year, commodity=commodity, stage="reserves",
                                       quantity=quantity, unit=unit, source=label, _line=line))
                continue
            measure = "capacity" if (col.measure == "capacity" or capacity_row) else "production"
            year = int(col.year or 0)
            if measure == "capacity":
                if kind == "country":
                    cap.append(dict(year=year, country=iso3, commodity=commodity, stage=f"{stage} capacity",
                                    quantity=quantity, unit=unit, source=label, _line=line))
                continue
            if kind == "country":
                prod.append(dict(year=year, country=iso3, commodity=commodity, stage=stage,
                                 quantity=quantity, unit=unit, source=label, _line=line))
            else:
                target = wt if kind == "world" else other
                target.append(dict(year=year, commodity=commodity, stage=stage, quantity=quantity,
                                   unit=unit, source=label, _line=line))
    if unknown:
        listed = "; ".join(f"{name!r} (line {', '.join(map(str, lines))})" for name, lines in unknown.items())
        first = next(iter(unknown.values()))[0]
        raise InputError(
            f"unknown country name(s): {listed}",
            file=path, line=first, value=next(iter(unknown)),
            hint="add the name to kakehashi/catalogue/data/country_aliases.csv with its ISO3 code",
        )
    production = _frame(prod, _PROD_COLS)
    _check_unique(production, ["year", "country", "commodity", "stage"], path)
    capacity = _frame(cap, _PROD_COLS)
    _check_unique(capacity, ["year", "country", "commodity", "stage"], path)
    reserves = _collapse_reserves(_frame(res, _RES_COLS), path)
    world = _collapse_reserves(_frame(wt, _WT_COLS), path, key=["year", "commodity", "stage"])
    others = _collapse_reserves(_frame(other, _WT_COLS), path, key=["year", "commodity", "stage"])
    _check_unique(world, ["year", "commodity", "stage"], path)
    _check_unique(others, ["year", "commodity", "stage"], path)
    tagged = others.assign(stage=others["stage"] + ":other-countries")
    world_totals = pd.concat([world, tagged], ignore_index=True) if len(tagged) else world
    for name, frame in (("production", production), ("reserves", reserves), ("world_totals", world_totals)):
        conform(frame, name, origin=path, check_keys=False)  # keys checked above, with both lines
    return UsgsWorld(
        production=production.drop(columns="_line"),
        reserves=reserves.drop(columns="_line"),
        world_totals=world_totals.drop(columns="_line"),
        other_countries=others.drop(columns="_line"),
        capacity=capacity.drop(columns="_line"),
        notes=pd.DataFrame(notes, columns=_NOTE_COLS),
    )


def _frame(records: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(records, columns=[*columns, "_line"])
    df["year"] = df["year"].astype("int32")
    df["quantity"] = df["quantity"].astype("float64")
    df["_line"] = df["_line"].astype("int64")
    return df


def _check_unique(df: pd.DataFrame, key: list[str], path: Path) -> None:
    dup = df[df.duplicated(key, keep=False)]
    if len(dup):
        first = dup.iloc[0]
        same = dup[(dup[key] == first[key]).all(axis=1)]
        lines = ", ".join(str(x) for x in same["_line"])
        what = ", ".join(f"{k}={first[k]!r}" for k in key)
        raise InputError(
            f"two rows for the same {what} (lines {lines})",
            file=path, line=int(same["_line"].iloc[-1]),
            hint="the file repeats a country for one product and stage",
        )


def _collapse_reserves(df: pd.DataFrame, path: Path, key: list[str] | None = None) -> pd.DataFrame:
    """Keep one reserves row per key: the one holding a number (several equal numbers are one)."""
    key = key or ["year", "country", "commodity"]
    is_res = df["stage"] == "reserves" if "stage" in df.columns else pd.Series(True, index=df.index)
    res, rest = df[is_res], df[~is_res]
    numbers = res.dropna(subset=["quantity"])
    distinct = numbers.groupby(key, sort=False)["quantity"].nunique()
    if (distinct > 1).any():
        bad = distinct[distinct > 1].index[0]
        bad = bad if isinstance(bad, tuple) else (bad,)
        rows = numbers[(numbers[key] == pd.Series(bad, index=key)).all(axis=1)]
        lines = ", ".join(str(x) for x in rows["_line"])
        what = ", ".join(f"{k}={v!r}" for k, v in zip(key, bad, strict=True))
        raise InputError(f"different reserves for the same {what} (lines {lines})",
                         file=path, line=int(rows["_line"].iloc[-1]))
    ordered = res.assign(_has=res["quantity"].notna()).sort_values("_has", ascending=False, kind="stable")
    kept = ordered.drop_duplicates(key).drop(columns="_has").sort_values("_line", kind="stable")
    out = pd.concat([rest, kept], ignore_index=True) if len(rest) else kept.reset_index(drop=True)
    out["year"] = out["year"].astype("int32")
    return out


def parse_usgs_world_dir(folder: str | Path) -> UsgsWorld:
    """Parse every ``*_world.csv`` file of a folder and concatenate the tables.

    Files named in :data:`REFUSED` are not parsed and are listed in
    :attr:`UsgsWorld.refused` with the reason. Any other failure raises.

    Raises
    ------
    InputError
        The folder holds no world files, or one file fails to parse.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", file=folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith("_world.csv"))
    if not files:
        raise InputError("no USGS world files (*_world.csv) in the folder", file=folder,
                         hint="download the MCS data release and unpack its world folder")
    return combine([parse_usgs_world(p) for p in files if p.name not in REFUSED],
                   refused=[(p.name, REFUSED[p.name]) for p in files if p.name in REFUSED])


@cache
def _families() -> dict[str, str]:
    """Commodity key → USGS file code (its "family"): the unit a new edition revises."""
    pairs = pd.concat([_commodities()[["usgs_code", "commodity"]], _products()[["usgs_code", "commodity"]]])
    out: dict[str, str] = {}
    for code, commodity in sorted(zip(pairs["usgs_code"], pairs["commodity"], strict=True)):
        out.setdefault(str(commodity), str(code))  # zirconium: zirco and zirco-hafni are one family
    return out


def family(commodities: pd.Series) -> pd.Series:
    """The USGS file code of each commodity key (the key itself when the catalogue does not know it).

    Examples
    --------
    >>> family(pd.Series(["ilmenite", "rutile", "titanium-minerals", "unobtainium"])).tolist()
    ['timin', 'timin', 'timin', 'unobtainium']
    """
    table = _families()
    return commodities.astype(str).map(lambda c: table.get(c, c))


def edition_of(source: str) -> int:
    """The MCS edition year of a source label (``'USGS MCS 2024'`` → 2024; 0 when there is none)."""
    m = re.search(r"MCS\s*(\d{4})", str(source), re.IGNORECASE)
    return int(m.group(1)) if m else 0


def edition_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """The groups a new edition replaces: year and file family of each row."""
    return pd.DataFrame({"year": frame["year"].astype("int64").to_numpy(),
                         "family": family(frame["commodity"]).to_numpy()})


def prefer_newer(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep, for each year and file family, only the rows of the newest MCS edition.

    ``new`` and ``old`` are rows of one table (``old``: those already in the
    warehouse). For each (year, family) the newest edition found in either
    wins; rows of ``new`` from an older edition are dropped (an older edition
    never overwrites a newer one, whatever the ingest order). Rows of ``old``
    that ``new`` replaces are the caller's business (:func:`load_usgs`).

    Returns
    -------
    (kept, dropped)
        ``kept``: the rows of ``new`` to write. ``dropped``: one row per
        (year, family, dropped source) with the source kept instead and the
        number of rows dropped (:data:`SUPERSEDED_COLUMNS` without ``table``).
    """
    cols = [c for c in SUPERSEDED_COLUMNS if c != "table"]
    if new.empty:
        return new, pd.DataFrame(columns=cols)
    g_new = edition_groups(new).assign(edition=[edition_of(x) for x in new["source"]],
                                       source=new["source"].to_numpy())
    pool = g_new
    if not old.empty:
        g_old = edition_groups(old).assign(edition=[edition_of(x) for x in old["source"]],
                                           source=old["source"].to_numpy())
        pool = pd.concat([g_new, g_old], ignore_index=True)
    best = pool.sort_values("edition", kind="stable").groupby(["year", "family"]).tail(1)
    best = best.rename(columns={"edition": "best", "source": "kept"})[["year", "family", "best", "kept"]]
    marked = g_new.merge(best, on=["year", "family"], how="left")
    keep = (marked["edition"] >= marked["best"]).to_numpy()
    dropped = (marked[~keep].groupby(["year", "family", "source", "kept"]).size()
               .reset_index(name="rows").rename(columns={"source": "dropped"}))
    return new[keep].reset_index(drop=True), dropped[cols]


def _superseded_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=SUPERSEDED_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[SUPERSEDED_COLUMNS]
    return out.sort_values(["table", "year", "family"], kind="stable").reset_index(drop=True)


def combine(parts: list[UsgsWorld], *, refused: list[tuple[str, str]] | None = None) -> UsgsWorld:
    """Concatenate several parsed files into one :class:`UsgsWorld`.

    When two editions cover the same year and file (MCS 2023 and MCS 2024
    both give 2022), the later edition's rows are kept for that year and
    file (USGS revises the earlier estimate) and the earlier edition's
    rows are dropped and listed in :attr:`UsgsWorld.superseded`. See
    :func:`prefer_newer`.

    Raises
    ------
    InputError
        When two files of the same edition give the same key (a file given twice).
    """
    def cat(name: str) -> pd.DataFrame:
        frames = [getattr(p, name) for p in parts if len(getattr(p, name))]
        if not frames:
            return getattr(parts[0], name).iloc[0:0] if parts else pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    superseded: list[pd.DataFrame] = []

    def latest_edition(frame: pd.DataFrame, table: str | None = None) -> pd.DataFrame:
        if frame.empty or "source" not in frame.columns:
            return frame
        kept, dropped = prefer_newer(frame, frame.iloc[0:0])
        if table is not None and len(dropped):
            superseded.append(dropped.assign(table=table))
        return kept

    out = UsgsWorld(
        production=latest_edition(cat("production"), "production"),
        reserves=latest_edition(cat("reserves"), "reserves"),
        world_totals=latest_edition(cat("world_totals"), "world_totals"),
        other_countries=latest_edition(cat("other_countries")),
        capacity=latest_edition(cat("capacity")),
        notes=cat("notes"),
        refused=pd.DataFrame(refused or [], columns=["file", "reason"]),
    )
    out.superseded = _superseded_frame(superseded)
    for name, key in (("production", ["year", "country", "commodity", "stage"]),
                      ("reserves", ["year", "country", "commodity"]),
                      ("world_totals", ["year", "commodity", "stage"])):
        frame = getattr(out, name)
        if len(frame) and frame.duplicated(key).any():
            row = frame[frame.duplicated(key)].iloc[0]
            raise InputError(
                f"{name}: two files of {row['source']} give "
                f"{', '.join(f'{k}={row[k]!r}' for k in key)}",
                hint="give each file once",
            )
    return out


@dataclass
class UsgsLoad:
    """What :func:`load_usgs` wrote.

    Attributes
    ----------
    files
        Files parsed.
    rows
        Rows written per table (production, reserves, world_totals).
    sources
        Source labels, e.g. ``["USGS MCS 2024"]``.
    years
        Production years written (an older edition's years that a newer one covers are not).
    commodities
        Commodity keys written.
    world
        The parsed tables (with capacity, notes and refused files).
    superseded
        Rows left out or replaced because a newer edition covers the same
        table, year and file family (:data:`SUPERSEDED_COLUMNS`): an older
        edition among the files given, an older edition in the warehouse
        replaced by the files, or files of an older edition than the
        warehouse's, which are not written.
    """

    files: list[str]
    rows: dict[str, int]
    sources: list[str]
    years: list[int]
    commodities: list[str]
    world: UsgsWorld
    superseded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SUPERSEDED_COLUMNS))


def parse_usgs_paths(paths: Sequence[str | Path] | str | Path) -> tuple[UsgsWorld, list[str]]:
    """Parse USGS world files and folders of them into one :class:`UsgsWorld`.

    Returns the combined tables and the names of the files parsed.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    parts: list[UsgsWorld] = []
    refused: list[tuple[str, str]] = []
    files: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            world = parse_usgs_world_dir(p)
            parts.append(world)
            refused.extend(zip(world.refused["file"], world.refused["reason"], strict=True))
            files.extend(str(f) for f in sorted(p.iterdir())
                         if f.name.lower().endswith("_world.csv") and f.name not in REFUSED)
        elif p.is_file():
            if p.name in REFUSED:
                refused.append((p.name, REFUSED[p.name]))
                continue
            parts.append(parse_usgs_world(p))
            files.append(str(p))
        else:
            raise InputError("no such file or folder", file=p)
    if not parts:
        raise InputError("no USGS world file to load",
                         hint="give mcsYYYY-<code>_world.csv files or their folder")
    return combine(parts, refused=refused), files


def load_usgs(wh: Any, paths: Sequence[str | Path] | str | Path) -> UsgsLoad:
    """Parse USGS MCS world files (or folders) and write them in ONE transaction.

    Editions: for each table, year and file family (the USGS file a
    commodity comes from, e.g. ``timin`` for ilmenite, rutile and their
    total), the newest MCS edition wins, whatever the order of ingest. Rows of
    a newer (or the same) edition than the warehouse holds replace that
    year's and family's rows of the table; rows of an older edition are not
    written. Other rows are kept (so a later edition replaces the years it
    revises and one commodity can be reloaded alone). What was dropped on
    either side is in :attr:`UsgsLoad.superseded`. Nothing is written unless
    every file parses.

    Examples
    --------
    >>> load_usgs(Warehouse("wh"), ["usgs-mcs-2024/world"]).rows   # doctest: +SKIP
    """
    from kakehashi.sources.groups import replace_groups, staged_rows

    world, files = parse_usgs_paths(paths)
    sources = sorted(set(world.production["source"]) | set(world.world_totals["source"])
                     | set(world.reserves["source"]))
    label = ", ".join(sources) or "USGS MCS"
    origin = files[0] if len(files) == 1 else f"{len(files)} USGS world files"
    rows: dict[str, int] = {}
    years: set[int] = set()
    superseded = [world.superseded] if len(world.superseded) else []
    with wh.transaction() as tx:
        for name, frame in world.tables().items():
            old = staged_rows(tx, name)
            old = frame.iloc[0:0] if old is None else old
            kept, dropped = prefer_newer(frame, old)
            if len(dropped):
                superseded.append(dropped.assign(table=name))
            replaced = _replaced(old, kept)
            if len(replaced):
                superseded.append(replaced.assign(table=name))
            rows[name] = 0
            if name == "production":
                years = {int(y) for y in kept["year"]}
            if len(kept):
                rows[name] = replace_groups(tx, name, kept, ["year", "commodity"], source=label,
                                            origin=origin, group_of=edition_groups)
    return UsgsLoad(
        files=files,
        rows=rows,
        sources=sources,
        years=sorted(years),
        commodities=sorted(set(world.production["commodity"]) | set(world.world_totals["commodity"])),
        world=world,
        superseded=_superseded_frame(superseded),
    )


def _replaced(old: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Rows of an older edition in the warehouse that ``kept`` replaces (same year and family)."""
    cols = [c for c in SUPERSEDED_COLUMNS if c != "table"]
    if old.empty or kept.empty:
        return pd.DataFrame(columns=cols)
    new_src = edition_groups(kept).assign(kept=kept["source"].to_numpy()).drop_duplicates(["year", "family"])
    g_old = edition_groups(old).assign(dropped=old["source"].to_numpy())
    hit = g_old.merge(new_src, on=["year", "family"], how="inner")
    pairs = zip(hit["dropped"], hit["kept"], strict=True)
    older = pd.Series([edition_of(a) < edition_of(b) for a, b in pairs], index=hit.index, dtype=bool)
    hit = hit[older]
    return hit.groupby(["year", "family", "dropped", "kept"]).size().reset_index(name="rows")[cols]
