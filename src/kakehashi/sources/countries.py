"""Countries: ISO 3166 codes, names, and the publishers' aliases and quirks.

Inside kakehashi every country is an ISO 3166-1 alpha-3 code. This module turns
whatever a publisher writes (ISO2, ISO3, numeric codes, English names, the
USGS's "Burma" and "Congo (Kinshasa)", the World Bank's "Korea, Rep." and
"ROM", BACI's numeric quirks such as 490 "Other Asia, nes") into that code.

Package data (``kakehashi/catalogue/data``):

``countries.csv``
    iso3, iso2, numeric, name, region, status, iso_name, official_name. Generated once from ISO 3166-1
    and ISO 3166-3 (Debian ``iso-codes`` via ``pycountry``) with UN M49 regions
    (see ``catalogue/data/README.md``). ``status`` is ``official`` (ISO 3166-1),
    ``user-assigned`` (Kosovo, ``XKX``/983: no ISO code exists; the World Bank
    and the European Commission use XK/XKX, and 983 is in ISO's user-assigned
    numeric range 900-999) or ``former`` (ISO 3166-3 codes that trade data
    still carry for early years: ANT, CSK, DDR, SUN, SCG, YUG).
``country_aliases.csv``
    alias, iso3, kind (``name``, ``code`` or ``numeric``), note with its source.

Aggregates ("World", "World total (rounded)", "Other countries", "Europe EFTA,
nes", ...) are not countries: :func:`is_aggregate` recognises them and
:func:`to_iso3` refuses them. "Other Asia, nes" is *not* an aggregate: it is
BACI's and Comtrade's label for Taiwan (code 490 → ``TWN``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from kakehashi.errors import InputError, close_matches

__all__ = [
    "countries",
    "country_name",
    "is_aggregate",
    "load_countries",
    "lookup_name",
    "normalise_name",
    "numeric_to_iso3",
    "parse_country_codes",
    "to_iso3",
    "validate_iso3",
]

COUNTRY_COLUMNS = ["iso3", "iso2", "numeric", "name", "region"]

_AGGREGATE_PATTERNS = (
    r"world( total)?\b.*",
    r"other( countries)?\b.*",
    r"total\b.*",
    r"all countries\b.*",
    r".*\b(nes|n\.e\.s\.?|not elsewhere specified)$",
    r"areas?,? nes\b.*",
    r"bunkers?",
    r"free zones?",
    r"special categories",
    r"european union\b.*",
    r"eu(-?27|-?28)?",
    r"united states and canada",
    r"rest of (the )?world",
)
_AGGREGATE_RE = re.compile("^(?:" + "|".join(_AGGREGATE_PATTERNS) + ")$")
_NOT_AGGREGATE = {"other asia, nes", "other asia, not elsewhere specified"}


def _data_file(name: str) -> Path:
    return Path(str(resources.files("kakehashi.catalogue") / "data" / name))


def normalise_name(name: str) -> str:
    """Fold a country name for matching: case, accents, quotes, spaces.

    Examples
    --------
    >>> normalise_name("  Côte d’Ivoire ")
    "cote d'ivoire"
    >>> normalise_name("United\\xa0States")
    'united states'
    """
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'")
    text = re.sub(r"\s+", " ", text).strip().casefold()
    if text.startswith("the "):
        text = text[4:]
    return text


@cache
def _table() -> pd.DataFrame:
    df = pd.read_csv(_data_file("countries.csv"), keep_default_na=False, dtype=str)
    df["numeric"] = df["numeric"].astype("int32")
    df["region"] = df["region"].replace("", None)
    return df


@cache
def _aliases() -> pd.DataFrame:
    return pd.read_csv(_data_file("country_aliases.csv"), keep_default_na=False, dtype=str)


@cache
def _indexes() -> tuple[dict[str, str], dict[str, str], dict[int, str], dict[str, str]]:
    """(iso3 → iso3, iso2 → iso3, numeric → iso3, folded name → iso3)."""
    t = _table()
    by3 = {c: c for c in t["iso3"]}
    by2 = {c: i for c, i in zip(t["iso2"], t["iso3"], strict=True) if c}
    bynum = {int(n): i for n, i in zip(t["numeric"], t["iso3"], strict=True)}
    names = {normalise_name(n): i for n, i in zip(t["name"], t["iso3"], strict=True)}
    for col in ("iso_name", "official_name"):
        for n, i in zip(t[col], t["iso3"], strict=True):
            if n:
                names.setdefault(normalise_name(n), i)
    a = _aliases()
    for alias, iso3, kind in zip(a["alias"].tolist(), a["iso3"].tolist(), a["kind"].tolist(), strict=True):
        if kind == "name":
            names[normalise_name(str(alias))] = str(iso3)
        elif kind == "code":
            by3[str(alias).upper()] = str(iso3)
        elif kind == "numeric":
            bynum[int(alias)] = str(iso3)
    return by3, by2, bynum, names


def countries(*, include_former: bool = False) -> pd.DataFrame:
    """Return the countries table (iso3, iso2, numeric, name, region).

    Parameters
    ----------
    include_former
        Also list the ISO 3166-3 codes formerly used (USSR, Czechoslovakia, ...).

    Returns
    -------
    pandas.DataFrame
        One row per country or territory, in the ``countries`` canonical schema.

    Examples
    --------
    >>> countries().set_index("iso3").loc["JPN", "name"]
    'Japan'
    """
    t = _table()
    if not include_former:
        t = t[t["status"] != "former"]
    return t[COUNTRY_COLUMNS].reset_index(drop=True).copy()


def is_aggregate(name: str) -> bool:
    """True when ``name`` is a group of countries, not one country.

    Recognises the publishers' world and residual rows ("World", "World total
    (rounded)", "Other countries", "Other", "Europe EFTA, nes", "Areas, nes",
    "Bunkers", "European Union", "United States and Canada"). "Other Asia, nes"
    is Taiwan in BACI and Comtrade, so it is not an aggregate.

    Examples
    --------
    >>> is_aggregate("World total (rounded)"), is_aggregate("Other Asia, nes")
    (True, False)
    """
    folded = normalise_name(name)
    if folded in _NOT_AGGREGATE:
        return False
    return bool(_AGGREGATE_RE.match(folded))


def lookup_name(name: str) -> str | None:
    """Return the ISO3 code of a country name or alias, or ``None`` if unknown."""
    return _indexes()[3].get(normalise_name(name))


def _unknown(value: object, *, what: str = "country") -> InputError:
    t = _table()
    pool = list(t["iso3"]) if isinstance(value, str) and len(value.strip()) <= 3 else []
    if not pool:
        pool = list(t["name"]) + list(_aliases().query("kind == 'name'")["alias"])
    matches = close_matches(str(value).strip(), pool, n=8)
    if matches and not (isinstance(value, str) and len(value.strip()) <= 3):
        seen: dict[str, str] = {}
        for m in matches:
            seen.setdefault(str(lookup_name(m)), f"{m} ({lookup_name(m)})")
        matches = list(seen.values())[:5]
    hint = (
        f"did you mean: {', '.join(matches)}?"
        if matches
        else "use an ISO 3166 alpha-3 code such as JPN, IND or CHN"
    )
    return InputError(f"unknown {what} {value!r}", value=value, hint=hint)


def to_iso3(value: str | int) -> str:
    """Return the ISO 3166-1 alpha-3 code of a country given in any common form.

    Accepts ISO3 (``"jpn"``), ISO2 (``"JP"``), a numeric code (``392``,
    ``"392"``, with BACI/Comtrade quirks: 490 → TWN, 842 → USA, 699 → IND),
    an English name (``"Japan"``) or a known alias (``"Burma"``,
    ``"Korea, Rep."``, ``"Other Asia, nes"``, World Bank ``"ROM"``).

    Raises
    ------
    InputError
        For an unknown value or an aggregate, with close matches as hint.

    Examples
    --------
    >>> to_iso3("Burma"), to_iso3(490), to_iso3("in"), to_iso3("Congo (Kinshasa)")
    ('MMR', 'TWN', 'IND', 'COD')
    """
    by3, by2, _, names = _indexes()
    if isinstance(value, bool):
        raise _unknown(value)
    if isinstance(value, int):
        return numeric_to_iso3(value)
    text = str(value).strip()
    if text.isascii() and text.isdecimal():
        return numeric_to_iso3(int(text))
    upper = text.upper()
    if len(text) == 3 and upper in by3:
        return by3[upper]
    if len(text) == 2 and upper in by2:
        return by2[upper]
    found = names.get(normalise_name(text))
    if found is not None:
        return found
    if is_aggregate(text):
        raise InputError(
            f"{text!r} is a group of countries, not a country",
            value=value,
            hint="keep world and residual rows apart from country rows",
        )
    raise _unknown(value)


def validate_iso3(code: str) -> str:
    """Upper-case ``code`` and check that it is a known ISO3 country code.

    Only alpha-3 codes are accepted (and the World Bank's legacy codes such as
    ``ROM``, which are mapped to ISO: ``ROU``).

    Examples
    --------
    >>> validate_iso3("jpn")
    'JPN'
    """
    text = str(code).strip().upper()
    by3 = _indexes()[0]
    if text in by3:
        return by3[text]
    raise _unknown(code, what="ISO3 country code")


def country_name(iso3: str) -> str:
    """Return the English short name of an ISO3 code.

    Examples
    --------
    >>> country_name("TWN"), country_name("KOR")
    ('Taiwan', 'South Korea')
    """
    code = validate_iso3(iso3)
    t = _table()
    return str(t.loc[t["iso3"] == code, "name"].iloc[0])


def numeric_to_iso3(n: int | str) -> str:
    """Map an ISO 3166 / UN M49 numeric code (with BACI/Comtrade quirks) to ISO3.

    The quirks (``country_aliases.csv``, kind ``numeric``): 490 "Other Asia,
    nes" → TWN, 842 → USA, 699 → IND, 757 → CHE, 251 → FRA, 579 → NOR,
    381 → ITA, 58 Belgium-Luxembourg → BEL, 280 → DEU, 711 SACU → ZAF,
    736 former Sudan → SDN, 849 → UMI.

    Raises
    ------
    InputError
        For an unknown code or an aggregate code (e.g. 697 "Europe EFTA, nes").

    Examples
    --------
    >>> numeric_to_iso3(490), numeric_to_iso3("076")
    ('TWN', 'BRA')
    """
    try:
        num = int(str(n).strip())
    except ValueError:
        raise _unknown(n, what="numeric country code") from None
    found = _indexes()[2].get(num)
    if found is None:
        hint = "use an ISO 3166 numeric code"
        if num in (97, 472, 527, 568, 577, 636, 637, 697, 837, 838, 839, 879, 899, 0):
            hint = "this code is a group of countries or a special category, not a country"
        raise InputError(f"unknown numeric country code {n!r}", value=n, hint=hint)
    return found


def parse_country_codes(path: str | Path) -> pd.DataFrame:
    """Read the ``datasets/country-codes`` table into the ``countries`` schema.

    The publisher's file (``country-codes.csv``, ODC-PDDL) has one row per
    ISO 3166 entity with columns ``ISO3166-1-Alpha-3``, ``ISO3166-1-Alpha-2``,
    ``ISO3166-1-numeric``, ``official_name_en``, ``Region Name`` and many more.
    Namibia's alpha-2 code "NA" is kept (not read as missing).

    Returns
    -------
    pandas.DataFrame
        iso3, iso2, numeric, name, region (region ``None`` where empty), plus
        ``_line`` (source line) for :func:`kakehashi.schemas.conform`.

    Raises
    ------
    InputError
        Missing columns, or a row with an unreadable code (file and line named).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, keep_default_na=False, dtype=str, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read country codes: {exc}", file=path) from None
    needed = {
        "iso3": "ISO3166-1-Alpha-3",
        "iso2": "ISO3166-1-Alpha-2",
        "numeric": "ISO3166-1-numeric",
        "name": "official_name_en",
        "region": "Region Name",
    }
    missing = [c for c in needed.values() if c not in raw.columns]
    if missing:
        raise InputError(
            f"not a datasets/country-codes file: missing column(s) {', '.join(missing)}",
            file=path,
            hint="expected the country-codes.csv of the datasets/country-codes data package",
        )
    out = pd.DataFrame({k: raw[v].str.strip() for k, v in needed.items()})
    out["_line"] = range(2, len(out) + 2)
    out = out[out["iso3"] != ""].copy()
    bad = out[~out["iso3"].str.fullmatch(r"[A-Z]{3}") | ~out["numeric"].str.fullmatch(r"\d{1,3}")]
    if len(bad):
        row = bad.iloc[0]
        raise InputError(
            f"unreadable country code (iso3 {row['iso3']!r}, numeric {row['numeric']!r})",
            file=path,
            line=int(row["_line"]),
            value=row["iso3"],
        )
    out["numeric"] = out["numeric"].astype("int32")
    out["iso2"] = out["iso2"].replace("", None)
    out["region"] = out["region"].replace("", None)
    return out.reset_index(drop=True)


def load_countries(wh: Any, path: str | Path | None = None) -> pd.DataFrame:
    """Write the ``countries`` table: the package's own, or a country-codes file's.

    Parameters
    ----------
    wh
        A writable :class:`~kakehashi.warehouse.Warehouse`.
    path
        A ``datasets/country-codes`` CSV (:func:`parse_country_codes`); default:
        the shipped ISO 3166 table (:func:`countries`).
    """
    if path is None:
        table = countries()
        source, origin = "ISO 3166 (kakehashi package data)", None
    else:
        table = parse_country_codes(path)
        source, origin = "datasets/country-codes (ISO 3166, UN M49)", str(path)
    with wh.transaction() as tx:
        tx.write("countries", table, source=source, origin=origin, mode="replace")
    return table.drop(columns="_line", errors="ignore")
