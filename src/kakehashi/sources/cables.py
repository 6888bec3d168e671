"""TeleGeography's open Submarine Cable Map release → ``cables``, ``cable_landings``,
``landing_stations``, ``cable_routes``.

The publisher's layout (the ``open_undersea_cable_map`` repository, TeleGeography's map as last
released under **CC BY-NC-SA 3.0**; read at run time, never shipped with kakehashi)::

    cable/<id>.json                      one cable: id, name, length ("45,000 km"), landing_points
                                         [{id, name, country, is_tbd}], owners and suppliers (free
                                         text, comma-separated), rfs, rfs_year, is_planned, url, notes
    cable/all.json                       [{id, name}] of every cable (used by the downloader)
    cable/cable-geo.json                 GeoJSON FeatureCollection of MultiLineString routes
                                         (properties.id = cable id; a cable may have several features)
    landing-point/landing-point-geo.json GeoJSON FeatureCollection of Point landing stations
    landing-point/<id>.json, country/, supplier/, status/, ready-for-service/
                                         indexes derived by the publisher (not read: the cable files
                                         hold the same facts; the tests use them as a cross-check)

Countries are the publisher's English names, mapped to ISO3 by
:func:`kakehashi.sources.countries.to_iso3` (aliases in ``catalogue/data/country_aliases.csv``).
Owners are split on commas outside parentheses, with company-form suffixes ("Inc.", "Ltd.") kept
on their company; suppliers are split the same way and normalised through
``catalogue/data/cable_suppliers.csv`` (a name not listed there is kept as written).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kakehashi.errors import InputError

__all__ = [
    "LICENCE",
    "LICENCE_NOTICE",
    "SOURCE",
    "CableTables",
    "download_cables",
    "load_cables",
    "normalise_suppliers",
    "parse_cables",
    "parse_length_km",
    "split_owners",
]

LICENCE = "CC BY-NC-SA 3.0"
"""Licence of the submarine-cable data (Creative Commons Attribution-NonCommercial-ShareAlike 3.0
Unported, https://creativecommons.org/licenses/by-nc-sa/3.0/)."""

SOURCE = f"TeleGeography Submarine Cable Map (open release, {LICENCE})"
"""Source label written on every row and in the ingest log."""

LICENCE_NOTICE = (f"data: {SOURCE}, via github.com/stevesong/open_undersea_cable_map; "
                  "non-commercial use, share alike, attribute TeleGeography")
"""The line every ``kakehashi cables`` command prints on stderr."""

_SKIP = {"cable-geo.json", "all.json"}
_LEGAL_SUFFIX = re.compile(
    r"^(inc|ltd|llc|lda|s\.?a|s\.?a\.?s|s\.?p\.?a|co|corp|plc|gmbh|ag|b\.?v|n\.?v|s\.?l|pte|bhd|sdn bhd|"
    r"pty|limited|l\.?p)\.?$", re.IGNORECASE)


@dataclass
class CableTables:
    """The four canonical tables of one release, and what was left aside (``notes``)."""

    cables: pd.DataFrame
    landings: pd.DataFrame
    stations: pd.DataFrame
    routes: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _bad(path: Path, field_name: str, what: str, hint: str) -> InputError:
    return InputError(f"field {field_name}: {what}", file=path, hint=hint)


def _read_json(path: Path, kind: type) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError("file not found", file=path,
                         hint="give the folder of the open_undersea_cable_map repository "
                         "(with cable/ and landing-point/)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", file=path,
                         hint="the file is damaged or not the publisher's; download it again") from None
    if not isinstance(data, kind):
        raise _bad(path, "(top level)", f"expected a JSON {kind.__name__}, found {type(data).__name__}",
                   "the file is not in the publisher's layout")
    return data


def parse_length_km(text: object, *, path: Path | None = None) -> float | None:
    """Read the publisher's length ("45,000 km", "1,234.5 km") in kilometres; ``None`` stays ``None``.

    Examples
    --------
    >>> parse_length_km("45,000 km"), parse_length_km(None)
    (45000.0, None)
    """
    if text is None:
        return None
    m = re.fullmatch(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*km\s*", str(text))
    if m is None:
        raise InputError(f"field length: cannot read {text!r} as a length in km", file=path, value=text,
                         hint="the publisher writes lengths like '45,000 km'")
    return float(m.group(1).replace(",", ""))


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def split_owners(text: str | None) -> list[str]:
    """Split the publisher's owners text into companies, in order, without repeats.

    Commas inside parentheses do not split; a company-form suffix after a comma ("Inc.",
    "Ltd.", "LLC.", "S.A.") stays with its company.

    Examples
    --------
    >>> split_owners("KDDI, Telstra (incl. Pacnet, Reach), Acme, Inc., KDDI")
    ['KDDI', 'Telstra (incl. Pacnet, Reach)', 'Acme, Inc.']
    >>> split_owners(None)
    []
    """
    if not text:
        return []
    out: list[str] = []
    for part in _split_top_level(str(text)):
        if not part:
            continue
        if out and _LEGAL_SUFFIX.match(part):
            out[-1] = f"{out[-1]}, {part}"
        else:
            out.append(part)
    return list(dict.fromkeys(out))


def _supplier_index() -> dict[str, str]:
    from kakehashi.catalogue.cables import cable_suppliers

    t = cable_suppliers()
    return {a.casefold(): s for a, s in zip(t["alias"], t["supplier"], strict=True)}


def normalise_suppliers(text: str | None) -> list[str]:
    """Split the suppliers text and map each name through ``cable_suppliers.csv``.

    A name not in the table is kept as written (so nothing is lost); repeats are dropped.

    Examples
    --------
    >>> normalise_suppliers("Huawei Marine, Alcatel Submarine Networks, ASN")
    ['HMN Tech', 'ASN']
    """
    index = _supplier_index()
    names = split_owners(text)
    return list(dict.fromkeys(index.get(n.casefold(), n) for n in names))


def _text(value: object, path: Path, name: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(path, name, f"expected text, found {value!r}", "the file is not in the publisher's layout")
    return value.strip()


def _parse_cable(path: Path, d: dict[str, Any], to_iso3: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cid = _text(d.get("id"), path, "id")
    name = _text(d.get("name"), path, "name")
    lps = d.get("landing_points")
    if not isinstance(lps, list):
        raise _bad(path, "landing_points", f"expected a list, found {lps!r}",
                   "the file is not in the publisher's layout")
    if not lps:
        raise _bad(path, "landing_points", "the cable has no landing points",
                   "a cable needs at least one landing point; fix or remove the file")
    rfs = d.get("rfs_year")
    if rfs is not None and (isinstance(rfs, bool) or not isinstance(rfs, int)):
        raise _bad(path, "rfs_year", f"expected a year, found {rfs!r}", "rfs_year is an integer or null")
    planned = d.get("is_planned")
    if not isinstance(planned, bool):
        raise _bad(path, "is_planned", f"expected true or false, found {planned!r}",
                   "is_planned is a JSON boolean")
    cable = {
        "cable": cid, "name": name, "length_km": parse_length_km(d.get("length"), path=path),
        "rfs_year": rfs, "is_planned": planned,
        "owners": split_owners(_text(d.get("owners"), path, "owners", required=False)),
        "suppliers": normalise_suppliers(_text(d.get("suppliers"), path, "suppliers", required=False)),
    }
    landings = []
    for i, lp in enumerate(lps):
        where = f"landing_points[{i}]"
        if not isinstance(lp, dict):
            raise _bad(path, where, f"expected an object, found {lp!r}",
                       "the file is not in the publisher's layout")
        sid = _text(lp.get("id"), path, f"{where}.id")
        country = _text(lp.get("country"), path, f"{where}.country")
        try:
            iso3 = to_iso3(country)
        except InputError as exc:
            raise InputError(f"field {where}.country: {exc.message}", file=path, value=country,
                             hint=(exc.hint or "") + "; add the name to catalogue/data/country_aliases.csv "
                             "with its source if it is a real country") from None
        landings.append({"cable": cid, "station": sid, "country": iso3,
                         "name": _text(lp.get("name"), path, f"{where}.name")})
    return cable, landings


def _features(path: Path, geometry: str) -> list[dict[str, Any]]:
    data = _read_json(path, dict)
    feats = data.get("features")
    if data.get("type") != "FeatureCollection" or not isinstance(feats, list):
        raise _bad(path, "features", "not a GeoJSON FeatureCollection",
                   "expected the publisher's GeoJSON file")
    out = []
    for i, f in enumerate(feats):
        geom = f.get("geometry") if isinstance(f, dict) else None
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(geom, dict) or geom.get("type") != geometry or not isinstance(props, dict) \
                or not isinstance(props.get("id"), str):
            raise _bad(path, f"features[{i}]", f"expected a {geometry} feature with properties.id",
                       "expected the publisher's GeoJSON file")
        out.append(f)
    return out


def parse_cables(folder: str | Path) -> CableTables:
    """Read the repository's layout under ``folder`` into the four canonical tables.

    Parameters
    ----------
    folder
        The repository's root (holding ``cable/`` and ``landing-point/``).

    Returns
    -------
    CableTables
        ``cables`` (cable, name, length_km, rfs_year, is_planned, owners, suppliers, source),
        ``landings`` (cable, station, country), ``stations`` (station, name, country, lon, lat),
        ``routes`` (cable, geometry as GeoJSON MultiLineString text), and ``notes``: what was
        left aside (routes of unknown cables, stations without coordinates).

    Raises
    ------
    InputError
        A file that is not the expected JSON, a missing field, an unreadable length, a landing
        point in an unknown country, a cable with no landing points, a landing station given two
        different countries; the message names the file and the field.
    """
    from kakehashi.sources.countries import to_iso3

    root = Path(folder)
    cdir = root / "cable"
    if not cdir.is_dir():
        raise InputError("no cable/ folder", file=root,
                         hint="give the folder of the open_undersea_cable_map repository "
                         "(kakehashi download cables fetches it)")
    cables, landings = [], []
    files = sorted(p for p in cdir.glob("*.json") if p.name not in _SKIP)
    if not files:
        raise InputError("no cable/<id>.json files", file=cdir, hint="download the repository again")
    for path in files:
        cable, rows = _parse_cable(path, _read_json(path, dict), to_iso3)
        cable["_file"] = path
        cables.append(cable)
        for r in rows:
            r["_file"] = path
        landings.extend(rows)
    cab = pd.DataFrame(cables)
    dup = cab[cab["cable"].duplicated()]
    if len(dup):
        raise InputError(f"field id: cable id {dup['cable'].iloc[0]!r} appears in two files",
                         file=dup["_file"].iloc[0], hint="each cable id may appear once")
    land = pd.DataFrame(landings)
    # one name and one country per landing station
    for col in ("country", "name"):
        n = land.groupby("station")[col].nunique()
        if (n > 1).any():
            sid = n[n > 1].index[0]
            rows = land[land["station"] == sid]
            raise InputError(f"field landing_points.{col}: station {sid!r} is given as "
                             f"{' and '.join(map(repr, rows[col].unique()))}",
                             file=rows["_file"].iloc[-1],
                             hint="a landing station has one name and one country")
    notes: list[str] = []
    geo_path = root / "landing-point" / "landing-point-geo.json"
    coords: dict[str, tuple[float, float]] = {}
    for i, f in enumerate(_features(geo_path, "Point")):
        xy = f["geometry"].get("coordinates")
        if not (isinstance(xy, list) and len(xy) >= 2 and all(isinstance(v, int | float) for v in xy[:2])):
            raise _bad(geo_path, f"features[{i}].geometry.coordinates", f"expected [lon, lat], found {xy!r}",
                       "expected the publisher's GeoJSON file")
        coords[f["properties"]["id"]] = (float(xy[0]), float(xy[1]))
    stations = land.drop_duplicates("station")[["station", "name", "country"]].sort_values("station")
    nan = (float("nan"), float("nan"))
    stations = stations.assign(lon=pd.Series([coords.get(s, nan)[0] for s in stations["station"]],
                                             index=stations.index, dtype="float64"),
                               lat=pd.Series([coords.get(s, nan)[1] for s in stations["station"]],
                                             index=stations.index, dtype="float64"))
    missing = stations["lon"].isna().sum()
    if missing:
        notes.append(f"{missing} landing station(s) without coordinates in {geo_path.name}")
    unused = set(coords) - set(stations["station"])
    if unused:
        notes.append(f"{len(unused)} point(s) of {geo_path.name} on no cable, left out")
    route_path = cdir / "cable-geo.json"
    lines: dict[str, list[Any]] = {}
    for i, f in enumerate(_features(route_path, "MultiLineString")):
        parts = f["geometry"].get("coordinates")
        if not isinstance(parts, list):
            raise _bad(route_path, f"features[{i}].geometry.coordinates", "expected a list of lines",
                       "expected the publisher's GeoJSON file")
        lines.setdefault(f["properties"]["id"], []).extend(parts)
    known = set(cab["cable"])
    stray = sorted(set(lines) - known)
    if stray:
        notes.append(f"{len(stray)} route(s) in {route_path.name} for no cable file, left out: "
                     f"{', '.join(stray[:5])}")
    no_route = sorted(known - set(lines))
    if no_route:
        notes.append(f"{len(no_route)} cable(s) without a route: {', '.join(no_route[:5])}")
    routes = pd.DataFrame(
        [{"cable": c, "geometry": json.dumps({"type": "MultiLineString", "coordinates": lines[c]},
                                             separators=(",", ":"))}
         for c in sorted(set(lines) & known)], columns=["cable", "geometry"])
    cab = cab.drop(columns="_file").assign(source=SOURCE).sort_values("cable", ignore_index=True)
    cab["rfs_year"] = cab["rfs_year"].astype("Int32")
    land = land[["cable", "station", "country"]].sort_values(["cable", "station"], ignore_index=True)
    return CableTables(cab, land, stations.reset_index(drop=True), routes, notes)


def load_cables(wh: Any, folder: str | Path) -> CableTables:
    """Parse ``folder`` and replace the four cable tables in one transaction (all or nothing).

    The source label (:data:`SOURCE`, with the licence) is written to the ingest log of every table.
    """
    tables = parse_cables(folder)
    origin = str(folder)
    with wh.transaction() as tx:
        tx.write("cables", tables.cables, source=SOURCE, origin=origin, mode="replace")
        tx.write("cable_landings", tables.landings, source=SOURCE, origin=origin, mode="replace")
        tx.write("landing_stations", tables.stations, source=SOURCE, origin=origin, mode="replace")
        tx.write("cable_routes", tables.routes, source=SOURCE, origin=origin, mode="replace")
    return tables


_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def download_cables(out: str | Path, base_url: str | None = None) -> tuple[Path, int]:
    """Download the repository's raw files into ``out`` in the publisher's layout.

    Fetches ``cable/all.json`` (the list of cable ids), every ``cable/<id>.json``,
    ``cable/cable-geo.json``, ``landing-point/landing-point-geo.json``, ``LICENSE`` and
    ``README.md`` through :func:`kakehashi.sources.download.fetch` (a file already complete is
    not fetched again, so an interrupted run resumes).

    Parameters
    ----------
    out
        Destination folder (created).
    base_url
        Base of the raw files; default :func:`kakehashi.config.cables_url`
        (``KAKEHASHI_CABLES_URL`` or the GitHub repository's raw files).

    Returns
    -------
    (Path, int)
        The folder and the number of cable files.
    """
    from kakehashi.config import cables_url
    from kakehashi.sources.download import fetch

    base = cables_url(base_url)
    root = Path(out)
    (root / "cable").mkdir(parents=True, exist_ok=True)
    (root / "landing-point").mkdir(parents=True, exist_ok=True)
    index = fetch(f"{base}/cable/all.json", root / "cable" / "all.json", progress=False)
    ids = []
    for i, item in enumerate(_read_json(index, list)):
        cid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(cid, str) or not _SAFE_ID.match(cid) or cid + ".json" in _SKIP:
            raise _bad(index, f"[{i}].id", f"not a cable id: {cid!r}", "the index is not the publisher's")
        ids.append(cid)
    for rel in ("cable/cable-geo.json", "landing-point/landing-point-geo.json", "LICENSE", "README.md"):
        fetch(f"{base}/{rel}", root / rel, progress=False)
    for cid in ids:
        fetch(f"{base}/cable/{cid}.json", root / "cable" / f"{cid}.json", progress=False)
    return root, len(ids)
