"""Curated, cited package data for submarine cables: builders and chokepoints.

Files in ``catalogue/data/`` (UTF-8 CSV, one header line; sources in ``data/README.md``):

``cable_suppliers.csv``
    alias, supplier, country, note, source: every spelling of a cable builder
    (system supplier) that the publisher's free text uses or used, the one
    name kakehashi keeps, and the country of the builder's headquarters (ISO3;
    empty where no public source names it). The country is what a *rival-built*
    share counts: HMN Tech (formerly Huawei Marine) → CHN.
``chokepoints.csv``
    chokepoint (key), name, aliases (``|``-separated), polygon (``lon lat;
    lon lat; ...``, WGS 84, not closed), gazetteer (the strait's published
    coordinate), source, note (how the polygon was drawn: a box or gate
    across the strait between named coastal towns).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from kakehashi.errors import InputError, close_matches

__all__ = ["Chokepoint", "cable_suppliers", "chokepoint", "chokepoints", "supplier_countries"]


def _read(name: str) -> pd.DataFrame:
    with resources.files("kakehashi.catalogue").joinpath("data", name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@functools.cache
def cable_suppliers() -> pd.DataFrame:
    """The supplier alias table (alias, supplier, country, note, source).

    Examples
    --------
    >>> t = cable_suppliers().set_index("alias")
    >>> t.loc["Huawei Marine", "supplier"], t.loc["Huawei Marine", "country"]
    ('HMN Tech', 'CHN')
    """
    return _read("cable_suppliers.csv")


def supplier_countries() -> dict[str, str]:
    """Supplier (canonical name) → ISO3 of its headquarters, for suppliers with a known country.

    Examples
    --------
    >>> supplier_countries()["NEC"], supplier_countries()["HMN Tech"]
    ('JPN', 'CHN')
    """
    t = cable_suppliers()
    return {s: c for s, c in zip(t["supplier"], t["country"], strict=True) if c}


@dataclass(frozen=True)
class Chokepoint:
    """A named strait and the polygon (lon, lat vertices) that stands for it."""

    key: str
    name: str
    aliases: tuple[str, ...]
    polygon: tuple[tuple[float, float], ...]
    gazetteer: str
    source: str
    note: str


def _polygon(text: str, key: str) -> tuple[tuple[float, float], ...]:
    pts = []
    for pair in text.split(";"):
        lon, lat = (float(v) for v in pair.split())
        pts.append((lon, lat))
    if len(pts) < 3:  # pragma: no cover - checked by the tests on the shipped file
        raise ValueError(f"chokepoint {key}: a polygon needs at least 3 vertices")
    return tuple(pts)


@functools.cache
def chokepoints() -> tuple[Chokepoint, ...]:
    """The shipped chokepoints, in file order.

    Examples
    --------
    >>> [c.key for c in chokepoints()][:3]
    ['malacca', 'luzon', 'taiwan']
    """
    t = _read("chokepoints.csv")
    return tuple(
        Chokepoint(str(r["chokepoint"]), str(r["name"]), tuple(a for a in str(r["aliases"]).split("|") if a),
                   _polygon(str(r["polygon"]), str(r["chokepoint"])), str(r["gazetteer"]), str(r["source"]),
                   str(r["note"]))
        for r in t.to_dict(orient="records")
    )


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def chokepoint(name: str) -> Chokepoint:
    """The chokepoint called ``name`` (its key, an alias or its name; case and spaces ignored).

    Raises
    ------
    InputError
        For an unknown name, listing close matches and the known keys.

    Examples
    --------
    >>> chokepoint("Bab-el-Mandeb").key, chokepoint("Strait of Malacca").key
    ('red-sea', 'malacca')
    """
    folded = _fold(name)
    for c in chokepoints():
        if folded in {c.key, _fold(c.name), *c.aliases}:
            return c
    keys = [c.key for c in chokepoints()]
    matches = close_matches(folded, keys + [a for c in chokepoints() for a in c.aliases])
    hint = (f"did you mean: {', '.join(matches)}? " if matches else "") + f"known: {', '.join(keys)}"
    raise InputError(f"unknown chokepoint {name!r} (field --chokepoint)", value=name, hint=hint)
