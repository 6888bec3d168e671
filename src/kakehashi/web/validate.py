"""Validation of request parameters, raising :class:`~kakehashi.errors.InputError`.

The API answers every :class:`~kakehashi.errors.KakehashiError` with 422, so a
bad code, year or draw count gets a message that says what to send instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator, WithJsonSchema

from kakehashi.errors import InputError, close_matches, unknown_value_error

ISO3_PATTERN = r"^[A-Z]{3}$"
"""An ISO 3166-1 alpha-3 country code, upper case (JPN, IND, CHN)."""
BLOC_PATTERN = r"^[A-Za-z+, ]{1,200}$"
"""A country or a bloc as typed (JPN, JPN+IND, JPN,IND); :func:`bloc` checks the grammar and the codes."""
HS6_PATTERN = r"^\d{6}$"
"""A six-digit HS code, zero-padded (850511)."""
COMMODITY_PATTERN = r"^[a-z][a-z0-9-]{1,40}$"
"""A commodity key as in the USGS catalogue (rare-earths, lithium)."""
SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,80}$"
"""A workstream key or measure id."""

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
"""A calendar date in ISO 8601 extended form, YYYY-MM-DD (no timestamps, no basic form)."""
FIRST_DATE = dt.date(1990, 1, 1)
"""Earliest reading date accepted (``as_of``): before any catalogued measure."""
LAST_DATE = dt.date(2100, 12, 31)
"""Latest reading date accepted (``as_of``)."""

MAX_PRODUCTS = 1000
"""Most HS codes a scenario sent to the server may list (select more by workstream, commodity or prefix)."""

_ISO3 = re.compile(ISO3_PATTERN)
_DATE = re.compile(DATE_PATTERN)
_HS6 = re.compile(HS6_PATTERN)
_COMMODITY = re.compile(COMMODITY_PATTERN)
_SLUG = re.compile(SLUG_PATTERN)


def iso3(value: str, known: Collection[str], *, field: str = "country") -> str:
    """Return ``value`` if it is an ISO3 code present in ``known``.

    Raises
    ------
    InputError
        Wrong shape (with an example) or unknown code (with close matches).
    """
    if not _ISO3.match(value):
        raise InputError(f"{field} {value!r} is not an ISO3 code", value=value,
                         hint="use an upper-case ISO 3166-1 alpha-3 code such as JPN, IND or CHN")
    if known and value not in known:
        raise _not_in_warehouse(field, value, known)
    return value


def bloc(value: str, known: Collection[str], *, field: str = "importer") -> tuple[str, ...]:
    """A country or a bloc (:func:`kakehashi.questions.request.parse_bloc`) whose members the warehouse has.

    A ``+`` typed in a query string arrives as a space (form encoding), so spaces join members too.
    """
    from kakehashi.questions.request import parse_bloc

    members = parse_bloc(value.strip().replace(" ", "+"), field=field)
    for code in members:
        if known and code not in known:
            raise _not_in_warehouse(field, code, known)
    return members


def iso3_list(values: Sequence[str], known: Collection[str], *, field: str = "country") -> list[str]:
    """Validate several ISO3 codes; see :func:`iso3`."""
    return [iso3(v, known, field=field) for v in values]


def named_countries(values: str | Sequence[str] | None, known: Collection[str], *,
                    field: str = "country") -> list[str]:
    """Countries a picker sends, by code, by name or as shown (``Japan (JPN)``), each in ``known``.

    The names are those the pages show (:func:`kakehashi.present.labels.country_label`); the
    grammar is :func:`kakehashi.questions.request.parse_country_names`.
    """
    from kakehashi.present.labels import country_label
    from kakehashi.questions.request import parse_country_names

    codes = parse_country_names(values, {c: country_label(c) for c in known}, field=field)
    return iso3_list(list(codes), known, field=field)


def hs6(value: str, known: Collection[str]) -> str:
    """Return ``value`` if it is a six-digit HS code present in ``known``."""
    if not _HS6.match(value):
        raise InputError(f"product {value!r} is not a six-digit HS code", value=value,
                         hint="HS codes have six digits, zero-padded, e.g. 850511 or 280530")
    if known and value not in known:
        raise _not_in_warehouse("product", value, known)
    return value


def year(value: int | None, years: Sequence[int]) -> int:
    """Return ``value`` (default: the latest year in ``years``) if the warehouse has it."""
    if not years:
        raise InputError("the warehouse has no trade data", hint="ingest trade flows first")
    if value is None:
        return max(years)
    if value not in years:
        raise InputError(f"no trade data for year {value}", value=value,
                         hint=f"choose a year between {min(years)} and {max(years)}")
    return value


def draws(value: int, cap: int) -> int:
    """Return ``value`` if ``1 <= value <= cap`` (Monte-Carlo draws per request)."""
    if value < 1:
        raise InputError(f"draws must be at least 1, got {value}", value=value,
                         hint="ask for e.g. 500 Monte-Carlo draws")
    if value > cap:
        raise InputError(f"draws {value} exceeds this server's limit of {cap} per request",
                         value=value, hint=f"ask for at most {cap} draws, or run the scenario from the "
                         "command line ('kakehashi scenario run') for more")
    return value


def scenario(spec: Any, *, years: Sequence[int], products: Collection[str], revisions: Sequence[str],
             max_draws: int, catalogued: bool = False) -> Any:
    """Check a validated scenario against the server's limits and the warehouse, before any work.

    Draws within ``max_draws``; the base year among ``years``; at most
    :data:`MAX_PRODUCTS` listed HS codes, each present in ``products`` when the
    scenario's HS revision is the warehouse's only one (a typo check for scenarios the user wrote;
    a ``catalogued`` measure's codes are checked against HS 2022 in the tests, and those without
    trade simply move nothing, as on the command line). All checks are on in-memory sets: no
    warehouse query, no lock.
    """
    draws(int(spec.draws), max_draws)
    if years:
        year(int(spec.base_year), years)
    listed = [(i, code) for i, m in enumerate(spec.measures) if m.products.kind == "hs6"
              for code in m.products.values]
    if len(listed) > MAX_PRODUCTS:
        raise InputError(f"the scenario lists {len(listed):,} HS codes; this server takes at most "
                         f"{MAX_PRODUCTS:,} per request", value=len(listed),
                         hint="select products by workstream, commodity or HS prefix, or run the scenario "
                         "from the command line ('kakehashi scenario run')")
    if products and list(revisions) == [spec.hs_revision] and not catalogued:
        for i, code in listed:
            if code not in products:
                matches = close_matches(code, sorted(products))
                raise InputError(f"measures[{i}].products: no trade in HS code {code!r} in this warehouse",
                                 value=code, hint=f"did you mean: {', '.join(matches)}?" if matches
                                 else "see /api/meta and the catalogue's workstreams")
    return spec


def commodity(value: str, known: Collection[str]) -> str:
    """Return ``value`` if it is a known commodity key."""
    if not _COMMODITY.match(value):
        raise InputError(f"commodity {value!r} is not a commodity key", value=value,
                         hint="commodity keys are lower case with hyphens, e.g. rare-earths, lithium")
    if known and value not in known:
        raise unknown_value_error("commodity", value, sorted(known))
    return value


def choice(value: str, known: Collection[str], *, field: str) -> str:
    """Return ``value`` if it is one of ``known``."""
    if value not in known:
        raise unknown_value_error(field, value, sorted(known))
    return value


def _not_in_warehouse(field: str, value: str, known: Collection[str]) -> InputError:
    matches = close_matches(value, sorted(known))
    hint = (f"did you mean: {', '.join(matches)}?" if matches
            else f"this warehouse has {len(known)} {field} codes; see /api/meta")
    return InputError(f"no data for {field} {value!r} in this warehouse", value=value, hint=hint)


def slug(value: str, *, field: str) -> str:
    """Return ``value`` if it looks like a key or id (letters, digits, ``_ . : -``)."""
    if not _SLUG.match(value):
        raise InputError(f"{field} {value!r} is not a valid id", value=value,
                         hint="ids use letters, digits and - _ . : only")
    return value


def iso_date(value: Any) -> dt.date:
    """Read a YYYY-MM-DD date between :data:`FIRST_DATE` and :data:`LAST_DATE`.

    Numbers (``0`` would be read as 1970-01-01 by a timestamp parser) and other
    forms are refused with :class:`ValueError`, which the API answers 422.
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and _DATE.match(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date; write YYYY-MM-DD, e.g. 2026-11-21") from None
    else:
        raise ValueError("write the date as YYYY-MM-DD, e.g. 2026-11-21")
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_DATE.isoformat()}..{LAST_DATE.isoformat()}")
    return day


BOUNDED_DATE_PATTERN = r"^(199\d|20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
"""The shape of a date :func:`iso_date` accepts, for the OpenAPI schema (it also checks the calendar)."""

IsoDate = Annotated[dt.date, BeforeValidator(iso_date),
                    WithJsonSchema({"type": "string", "pattern": BOUNDED_DATE_PATTERN,
                                    "description": "YYYY-MM-DD, 1990-01-01 to 2100-12-31"})]
"""A request date: YYYY-MM-DD between :data:`FIRST_DATE` and :data:`LAST_DATE` (see :func:`iso_date`)."""


PickedCountries = Annotated[list[str] | None, Query(description="Countries by ISO3 code or name, one per "
                                                  "box ticked or comma-separated (JPN,IND or Japan,India).")]
"""A page's country boxes (repeated fields) or a comma-separated list; read with :func:`named_countries`."""

CountryCode = Annotated[str, Query(pattern=ISO3_PATTERN)]
"""One country's ISO3 code in a query string (checked against the warehouse's countries by :func:`iso3`)."""
