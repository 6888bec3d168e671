"""A firm's bill of materials (and capabilities): strict parsing, one error naming line and field.

A bill of materials is CSV with a header (or JSON: a list of objects, or
``{"rows": [...]}``) with the columns

``item``
    The firm's name of the part or material (1-200 characters).
``hs6``
    Its HS six-digit code, in the warehouse's HS revision.
``supplier_country``
    ISO3 code of the country it is bought from.
``annual_spend_usd``
    Yearly spend with that supplier country, US dollars, a positive number.
``seeking_alternatives`` (optional)
    ``true``/``false`` (also ``yes``/``no``, ``1``/``0``, empty = false): the
    firm looks for other suppliers of this item (firm-level matching).

An item bought from several countries has one row per country, all with the
same ``hs6``. Refused, with one line naming the line (the header is line 1;
JSON rows count from 1) and the field, and nothing stored: an unknown HS code
or country, a spend that is not a number, negative, zero or not finite, a
duplicate (item, supplier_country), an item with two HS codes, a missing or
unknown column, more than :data:`MAX_ROWS` rows or :data:`MAX_BYTES` bytes.

Capabilities (``hs6,country,annual_capacity_usd``) follow the same rules.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Collection
from typing import Any

from kakehashi.errors import InputError

MAX_ROWS = 5000
"""Most rows in one upload (a large manufacturer's direct-material BOM at HS6 level fits)."""
MAX_BYTES = 1_000_000
"""Largest upload in bytes (the web server's body limit may be lower: ``kakehashi serve --max-body``)."""

BOM_COLUMNS: tuple[str, ...] = ("item", "hs6", "supplier_country", "annual_spend_usd")
BOM_OPTIONAL: tuple[str, ...] = ("seeking_alternatives",)
CAPABILITY_COLUMNS: tuple[str, ...] = ("hs6", "country", "annual_capacity_usd")

_HS6 = re.compile(r"^\d{6}$")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


def _records(data: bytes | str, fmt: str, what: str) -> tuple[list[dict[str, Any]], int, list[str] | None]:
    """Rows as dicts, the line number of the first row, and the CSV header (``None`` for JSON)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise InputError(f"the {what} has {len(raw):,} bytes, more than {MAX_BYTES:,}",
                         hint="split it into several organisations' uploads or keep the main items")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"the {what} is not UTF-8 text (byte {exc.start})",
                         hint="save the file as UTF-8 CSV") from None
    if fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"the {what} is not valid JSON: line {exc.lineno}: {exc.msg}",
                             hint='send a list of objects or {"rows": [...]}') from None
        rows = doc.get("rows") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError(f"the {what} JSON is not a list of objects", hint='send {"rows": [{...}, ...]}')
        return rows, 1, None
    if fmt != "csv":
        raise InputError(f"unknown format {fmt!r}", hint="send CSV or JSON")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    try:
        rows = []
        for r in reader:
            if None in r:
                raise InputError(f"line {reader.line_num}: more fields than the header's {len(header)}",
                                 hint="quote fields that contain commas")
            rows.append(r)
    except csv.Error as exc:
        raise InputError(f"line {reader.line_num}: not CSV ({exc})", hint="save the file as CSV") from None
    return rows, 2, header


def _check_columns(header: Collection[str], required: tuple[str, ...], optional: tuple[str, ...],
                   what: str, where: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{where}: the {what} has no column {missing[0]!r}",
                         hint=f"columns are {','.join(required + optional)}")
    unknown = [c for c in header if c not in required + optional]
    if unknown:
        raise InputError(f"{where}: the {what} has an unknown column {unknown[0]!r}",
                         hint=f"columns are {','.join(required + optional)}")


def _amount(value: Any, where: str, field: str) -> float:
    if isinstance(value, bool):
        raise InputError(f"{where}, field {field}: {value!r} is not a number",
                         hint="write US dollars, e.g. 125000")
    try:
        v = float(str(value).strip().replace("_", "")) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise InputError(f"{where}, field {field}: {str(value)[:40]!r} is not a number",
                         hint="write US dollars without currency signs or thousands separators, e.g. 125000"
                         ) from None
    if not math.isfinite(v):
        raise InputError(f"{where}, field {field}: {value!r} is not a finite number", hint="write US dollars")
    if v <= 0:
        raise InputError(f"{where}, field {field}: {v:g} is not positive",
                         hint="spend and capacity are positive amounts; leave out rows without any")
    return v


def _code(value: Any, where: str, field: str, valid: Callable[[str], bool], kind: str, example: str) -> str:
    text = str(value if value is not None else "").strip()
    if not valid(text):
        shown = text[:40] if text else "(empty)"
        raise InputError(f"{where}, field {field}: unknown {kind} {shown!r}",
                         hint=f"use a {kind} the warehouse holds, e.g. {example}")
    return text


def parse_bom(data: bytes | str, *, fmt: str = "csv", countries: Collection[str],
              products: Collection[str]) -> list[dict[str, Any]]:
    """Parse and validate a bill of materials (module docstring); rows as plain dicts.

    Parameters
    ----------
    data
        The upload (CSV or JSON text or bytes).
    fmt
        ``"csv"`` or ``"json"``.
    countries
        ISO3 codes the warehouse knows.
    products
        HS6 codes the warehouse knows (its analysis revision).

    Returns
    -------
    list of dict
        ``item, hs6, supplier_country, annual_spend_usd, seeking_alternatives`` per row.
    """
    rows, first, header = _records(data, fmt, "bill of materials")
    if header is not None:
        _check_columns(header, BOM_COLUMNS, BOM_OPTIONAL, "bill of materials", "line 1")
    if not rows:
        raise InputError("the bill of materials has no rows", hint="one row per item and supplier country")
    if len(rows) > MAX_ROWS:
        raise InputError(f"the bill of materials has {len(rows):,} rows, more than {MAX_ROWS:,}",
                         hint="group items by HS6 code and supplier country")
    known_c, known_p = set(countries), set(products)
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    item_code: dict[str, tuple[str, int]] = {}
    for i, r in enumerate(rows):
        line = i + first
        where = f"line {line}" if header is not None else f"row {line}"
        if header is None:
            _check_columns(list(r), BOM_COLUMNS, BOM_OPTIONAL, "bill of materials", where)
        item = str(r.get("item") or "").strip()
        if not item or len(item) > 200:
            raise InputError(f"{where}, field item: {'empty' if not item else 'longer than 200 characters'}",
                             hint="name each item in 1-200 characters")
        hs6 = _code(r.get("hs6"), where, "hs6", lambda t: bool(_HS6.match(t)) and t in known_p,
                    "HS6 code", "850511")
        country = _code(str(r.get("supplier_country") or "").upper(), where, "supplier_country",
                        lambda t: t in known_c, "ISO3 country", "IND")
        spend = _amount(r.get("annual_spend_usd"), where, "annual_spend_usd")
        flag = str(r.get("seeking_alternatives", "") if r.get("seeking_alternatives") is not None else "")
        flag = flag.strip().lower()
        if flag not in _TRUE | _FALSE:
            raise InputError(f"{where}, field seeking_alternatives: {flag[:20]!r} is not true or false",
                             hint="write true or false (or leave it empty)")
        key = (item.lower(), country)
        if key in seen:
            raise InputError(f"{where}, field supplier_country: duplicate row: item {item!r} from {country} "
                             f"is already on line {seen[key]}",
                             hint="one row per item and supplier country; add the spends together")
        seen[key] = line
        prev = item_code.get(item.lower())
        if prev is not None and prev[0] != hs6:
            raise InputError(f"{where}, field hs6: item {item!r} has HS6 {hs6} here but {prev[0]} on line "
                             f"{prev[1]}", hint="give every row of an item the same HS6 code")
        item_code.setdefault(item.lower(), (hs6, line))
        out.append({"item": item, "hs6": hs6, "supplier_country": country, "annual_spend_usd": spend,
                    "seeking_alternatives": flag in _TRUE})
    return out


def parse_capabilities(data: bytes | str, *, fmt: str = "csv", countries: Collection[str],
                       products: Collection[str]) -> list[dict[str, Any]]:
    """Parse and validate capabilities ``hs6,country,annual_capacity_usd`` (one row per HS6 and country)."""
    rows, first, header = _records(data, fmt, "capabilities")
    if header is not None:
        _check_columns(header, CAPABILITY_COLUMNS, (), "capabilities", "line 1")
    if not rows:
        raise InputError("the capabilities have no rows", hint="one row per HS6 code and country")
    if len(rows) > MAX_ROWS:
        raise InputError(f"the capabilities have {len(rows):,} rows, more than {MAX_ROWS:,}")
    known_c, known_p = set(countries), set(products)
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, r in enumerate(rows):
        line = i + first
        where = f"line {line}" if header is not None else f"row {line}"
        if header is None:
            _check_columns(list(r), CAPABILITY_COLUMNS, (), "capabilities", where)
        hs6 = _code(r.get("hs6"), where, "hs6", lambda t: bool(_HS6.match(t)) and t in known_p,
                    "HS6 code", "850511")
        country = _code(str(r.get("country") or "").upper(), where, "country", lambda t: t in known_c,
                        "ISO3 country", "IND")
        cap = _amount(r.get("annual_capacity_usd"), where, "annual_capacity_usd")
        if (hs6, country) in seen:
            raise InputError(f"{where}, field country: duplicate row: {hs6} from {country} is already on "
                             f"line {seen[(hs6, country)]}", hint="one row per HS6 code and country")
        seen[(hs6, country)] = line
        out.append({"hs6": hs6, "country": country, "annual_capacity_usd": cap})
    return out
