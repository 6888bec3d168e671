"""The request grammar shared by every front end (light: no engine imports).

One grammar for countries, blocs, HS code lists and years, whether they come
from a command-line option, a query parameter or a form field:

* a country is an ISO 3166-1 alpha-3 code (``JPN``), case-insensitive;
* a bloc is several countries joined by ``+`` or ``,`` (``JPN+IND``,
  ``JPN,IND``), treated as one importer (trade inside the bloc excluded);
* an HS list is six-digit codes separated by commas (``850511,280530``);
* years are one year (``2023``), a range (``2021-2023``) or a list
  (``2019,2021``), within :data:`YEAR_MIN`-:data:`YEAR_MAX`;
* a source precedence is source-label prefixes in order of preference,
  separated by commas (``"UN Comtrade,CEPII BACI"``).

Every error is an :class:`~kakehashi.errors.InputError` naming the field and
the value and saying what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from kakehashi.errors import InputError

YEAR_MIN = 1988
"""Earliest year a request may name (the first HS year)."""
YEAR_MAX = 2100
"""Latest year a request may name."""
MAX_BLOC = 30
"""Most countries in one bloc or coalition."""
MAX_HS_CODES = 500
"""Most HS codes in one request (a workstream is the way to ask for more)."""

_ISO3 = re.compile(r"^[A-Za-z]{3}$")
_HS6 = re.compile(r"^\d{6}$")
_SEP = re.compile(r"[+,]")


def parse_country(text: str, *, field: str = "country") -> str:
    """One ISO3 country code, checked against ISO 3166 (close matches in the hint).

    Examples
    --------
    >>> parse_country(" jpn ")
    'JPN'
    """
    from kakehashi.sources.countries import validate_iso3

    code = str(text).strip()
    if not code:
        raise InputError(f"{field} is empty", hint="name an ISO3 code such as JPN, IND or CHN")
    if not _ISO3.match(code):
        raise InputError(f"{field} {code!r} is not an ISO3 code", value=code,
                         hint="use a three-letter ISO 3166-1 code such as JPN, IND or CHN")
    return validate_iso3(code)


def parse_bloc(text: str | list[str] | tuple[str, ...], *, field: str = "importer") -> tuple[str, ...]:
    """A country or a bloc: ``JPN``, ``JPN+IND`` or ``JPN,IND`` (or a list of codes).

    Members keep their order; an empty member (``JPN+``, ``JPN++IND``), a repeated
    member or more than :data:`MAX_BLOC` members is an error.

    Examples
    --------
    >>> parse_bloc("JPN+IND")
    ('JPN', 'IND')
    >>> parse_bloc("jpn,ind")
    ('JPN', 'IND')
    """
    parts = list(text) if isinstance(text, list | tuple) else _SEP.split(str(text))
    shown = "+".join(str(p) for p in parts) if isinstance(text, list | tuple) else str(text)
    if not shown.strip():
        raise InputError(f"{field} is empty", hint="name a country (JPN) or a bloc (JPN+IND)")
    if any(not str(p).strip() for p in parts):
        raise InputError(f"{field} {shown!r} has an empty member", value=shown,
                         hint="join ISO3 codes with one + or one comma, e.g. JPN+IND")
    if len(parts) > MAX_BLOC:
        raise InputError(f"{field} {shown!r} has {len(parts)} members, more than {MAX_BLOC}", value=shown,
                         hint=f"name at most {MAX_BLOC} countries")
    codes = tuple(parse_country(p, field=field) for p in parts)
    seen: set[str] = set()
    for c in codes:
        if c in seen:
            raise InputError(f"{field} {shown!r} names {c} twice", value=shown, hint="name each country once")
        seen.add(c)
    return codes


def parse_country_list(text: str | None, *, field: str = "coalition") -> tuple[str, ...]:
    """An optional comma- or ``+``-separated list of countries (``AUS,USA,KOR``); empty when not given."""
    if text is None or text == "":
        return ()
    return parse_bloc(text, field=field)


_LABELLED = re.compile(r"^.*\(\s*([A-Za-z]{3})\s*\)$")


def parse_country_names(values: str | Sequence[str] | None, names: Mapping[str, str], *,
                        field: str = "coalition") -> tuple[str, ...]:
    """Countries named by ISO3 code, by name, or as a picker shows them (``Japan (JPN)``).

    ``values`` is one text (members separated by commas or ``+``) or several
    (a form's repeated field, each possibly a list itself); ``names`` maps the
    codes a request may name to their names (matched ignoring case). The
    result is checked as a bloc (:func:`parse_bloc`: ISO 3166, no repeats,
    at most :data:`MAX_BLOC`); empty when nothing is named.

    Examples
    --------
    >>> names = {"JPN": "Japan", "IND": "India", "AUS": "Australia"}
    >>> parse_country_names("Japan, ind", names)
    ('JPN', 'IND')
    >>> parse_country_names(["Australia (AUS)", "JPN"], names)
    ('AUS', 'JPN')
    """
    texts = [values] if isinstance(values, str) else list(values or ())
    parts = [p.strip() for t in texts for p in _SEP.split(str(t)) if p.strip()]
    if not parts:
        return ()
    by_name = {n.strip().lower(): c for c, n in names.items() if n}
    codes: list[str] = []
    for p in parts:
        labelled = _LABELLED.match(p)
        if labelled:
            codes.append(labelled.group(1).upper())
        elif p.lower() in by_name:
            codes.append(by_name[p.lower()])
        elif _ISO3.match(p):
            codes.append(p.upper())
        else:
            from kakehashi.errors import close_matches

            matches = close_matches(p, sorted(names.values()))
            raise InputError(f"{field}: unknown country {p!r}", value=p,
                             hint=(f"did you mean: {', '.join(matches)}? " if matches else "")
                             + "name countries by name (Japan) or ISO3 code (JPN), separated by commas")
    return parse_bloc(codes, field=field)


def bloc_label(codes: tuple[str, ...] | list[str]) -> str:
    """The name of a bloc: members joined by ``+`` (``JPN+IND``)."""
    return "+".join(codes)


def parse_hs_list(text: str | list[str] | None, *, field: str = "hs") -> list[str] | None:
    """Six-digit HS codes separated by commas; ``None`` when not given.

    An empty list (``--hs ,``), a code that is not six digits or more than
    :data:`MAX_HS_CODES` codes is an error.

    Examples
    --------
    >>> parse_hs_list("850511, 280530")
    ['850511', '280530']
    """
    if text is None:
        return None
    parts = list(text) if isinstance(text, list) else str(text).split(",")
    codes = [str(p).strip() for p in parts if str(p).strip()]
    if not codes:
        raise InputError(f"{field} {text!r} names no HS code", value=str(text),
                         hint="list six-digit codes separated by commas, e.g. 850511,280530")
    if len(codes) > MAX_HS_CODES:
        raise InputError(f"{field} names {len(codes)} HS codes, more than {MAX_HS_CODES}",
                         hint="ask for a workstream instead, or split the request")
    for c in codes:
        if not _HS6.match(c):
            raise InputError(f"{field} code {c!r} is not a six-digit HS code", value=c,
                             hint="HS codes have six digits, zero-padded, e.g. 850511 or 028530")
    return list(dict.fromkeys(codes))


def parse_years(text: str | None, *, field: str = "years") -> list[int] | None:
    """``2021``, ``2021-2023`` or ``2019,2021`` as a sorted list of years; ``None`` when not given.

    Years outside :data:`YEAR_MIN`-:data:`YEAR_MAX` are refused before any range is expanded.

    Examples
    --------
    >>> parse_years("2021-2023")
    [2021, 2022, 2023]
    """
    if text is None or str(text).strip() == "":
        return None
    years: set[int] = set()
    bad = InputError(f"cannot read {field} {text!r}", value=str(text),
                     hint="write one year (2021), a range (2021-2023) or a list (2019,2021)")
    for part in str(text).split(","):
        part = part.strip()
        bounds = part.split("-", 1) if "-" in part[1:] else [part]
        try:
            lo, hi = int(bounds[0]), int(bounds[-1])
        except ValueError:
            raise bad from None
        for y in (lo, hi):
            if not YEAR_MIN <= y <= YEAR_MAX:
                raise InputError(f"{field}: year {y} is outside {YEAR_MIN}-{YEAR_MAX}", value=y,
                                 hint="name years of the data, e.g. 2021-2023")
        if hi < lo:
            raise bad
        years.update(range(lo, hi + 1))
    return sorted(years)


def parse_products(workstream: str | None, hs: str | None, *, field: str = "hs") -> str | list[str] | None:
    """The product set of a request: a workstream key or an HS list (:func:`parse_hs_list`), not both.

    Examples
    --------
    >>> parse_products(None, "850511,280530")
    ['850511', '280530']
    >>> parse_products("critical-minerals", None)
    'critical-minerals'
    """
    if workstream and hs is not None:
        raise InputError("give a workstream or HS codes, not both",
                         hint="--workstream selects a catalogue group; --hs lists codes")
    if hs is not None:
        return parse_hs_list(hs, field=field)
    return workstream or None


def parse_bloc_with(importer: str, partner: str | None = None, *, field: str = "importer") -> tuple[str, ...]:
    """The importer's members followed by the partner's (a bloc screened as one importer).

    Examples
    --------
    >>> parse_bloc_with("JPN", "IND")
    ('JPN', 'IND')
    """
    codes = parse_bloc(importer, field=field)
    if partner:
        codes += tuple(c for c in parse_bloc(partner, field="partner") if c not in codes)
    return codes


Importer = str | Sequence[str]
"""A country or a bloc: ``"JPN"``, ``"JPN+IND"``, ``"JPN,IND"`` or ``["JPN", "IND"]``."""


def members(importer: Importer, *, field: str = "importer") -> tuple[str, ...]:
    """The member codes of a country or bloc (:func:`~kakehashi.questions.request.parse_bloc`).

    Examples
    --------
    >>> members("jpn+ind")
    ('JPN', 'IND')
    """
    if isinstance(importer, str):
        return parse_bloc(importer, field=field)
    return parse_bloc(list(importer), field=field)
MAX_PRECEDENCE = 20
"""Most sources in one precedence list."""


def parse_precedence(text: str | None, *, field: str = "precedence") -> tuple[str, ...] | None:
    """Source prefixes in order of preference (``"UN Comtrade,CEPII BACI"``), or ``None`` for the default.

    Each item is the start of a ``trade_flows.source`` label (see
    :data:`kakehashi.metrics.flows.SOURCE_PRECEDENCE`); an empty or repeated
    item is an error.

    Examples
    --------
    >>> parse_precedence("UN Comtrade, CEPII BACI")
    ('UN Comtrade', 'CEPII BACI')
    >>> parse_precedence(None) is None
    True
    """
    if text is None:
        return None
    items = [p.strip() for p in str(text).split(",")]
    hint = "list source names in order of preference, e.g. \"UN Comtrade,CEPII BACI\""
    if not any(items) or any(not p for p in items):
        raise InputError(f"{field} {text!r} has an empty source name", value=text, hint=hint)
    if len(set(items)) != len(items):
        dup = next(p for p in items if items.count(p) > 1)
        raise InputError(f"{field} names {dup!r} twice", value=text, hint=hint)
    if len(items) > MAX_PRECEDENCE:
        raise InputError(f"{field} names {len(items)} sources (at most {MAX_PRECEDENCE})", value=text,
                         hint=hint)
    return tuple(items)
