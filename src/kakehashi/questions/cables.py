"""Submarine-cable questions composed for every front end: list, exposure, cut.

Reads the four cable tables of a warehouse once (:func:`read_cables`) and composes the
answers from :mod:`kakehashi.metrics.cables`; the CLI (and later the web) only format them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kakehashi.errors import InputError
from kakehashi.metrics import cables as mc

TABLES = ("cables", "cable_landings", "landing_stations", "cable_routes")
"""The warehouse tables a cable question reads."""

DEFAULT_RIVAL = "CHN"
"""Country whose builders make a cable *rival-built* by default (HMN Tech → CHN)."""

CABLE_GOODS: tuple[str, ...] = ("854470", "900110", "700220", "851762", "890590")
"""The ICT workstream's codes (``catalogue/data/strategic_goods.csv``) that a submarine cable is
made, lit and laid with: optical-fibre cables (854470), optical fibres and cables not of 8544
(900110), optical-fibre preforms (700220), transmission apparatus, where repeaters and line
terminal equipment are classified (851762), and cable-laying vessels (890590)."""


@dataclass
class CableData:
    """The four cable tables as pandas frames (``owners`` and ``suppliers`` as Python lists)."""

    cables: pd.DataFrame
    landings: pd.DataFrame
    stations: pd.DataFrame
    routes: pd.DataFrame
    source: str


def read_cables(wh: Any) -> CableData:
    """Read the cable tables of ``wh``; refuse a warehouse without them, with the command to run."""
    missing = [t for t in TABLES if t not in wh.tables()]
    if missing:
        raise InputError(f"the warehouse at {wh.path} holds no {', '.join(missing)} table",
                         hint="load the cable data with 'kakehashi download cables --out DIR' and "
                         "'kakehashi ingest cables DIR'")
    cab = wh.execute(wh.table("cables"))
    for col in ("owners", "suppliers"):
        cab[col] = cab[col].map(lambda v: [] if v is None else [str(x) for x in v])
    cab["rfs_year"] = cab["rfs_year"].astype("Int64")
    sources = sorted(set(cab["source"].astype(str)))
    return CableData(cab, wh.execute(wh.table("cable_landings")), wh.execute(wh.table("landing_stations")),
                     wh.execute(wh.table("cable_routes")), "; ".join(sources))


def _known(data: CableData, country: str, field: str) -> str:
    from kakehashi.sources.countries import validate_iso3

    code = validate_iso3(country)
    if code not in set(data.landings["country"]):
        raise InputError(f"no cable lands in {code} (field {field})", value=country,
                         hint="check the code; landlocked countries have no landing station")
    return code


def parse_pair(text: str, *, field: str = "--between") -> tuple[str, str]:
    """``JPN,IND`` → ``("JPN", "IND")`` (two different ISO3 codes)."""
    from kakehashi.sources.countries import validate_iso3

    parts = [p.strip() for p in text.replace("+", ",").split(",") if p.strip()]
    if len(parts) != 2:
        raise InputError(f"{field}: expected two countries, found {text!r}", value=text,
                         hint="write two ISO3 codes separated by a comma, e.g. JPN,IND")
    a, b = (validate_iso3(p) for p in parts)
    if a == b:
        raise InputError(f"{field}: the two countries are the same ({a})", value=text,
                         hint="name two different countries")
    return a, b


def cable_list(data: CableData, *, country: str | None = None,
               between: tuple[str, str] | None = None) -> pd.DataFrame:
    """Cables landing in ``country``, or landing in both countries of ``between``."""
    if (country is None) == (between is None):
        raise InputError("give --country or --between (one of them)",
                         hint="e.g. --country JPN or --between JPN,IND")
    if country is not None:
        return mc.country_cables(data.cables, data.landings, _known(data, country, "--country"))
    assert between is not None
    a, b = (_known(data, c, "--between") for c in between)
    left = mc.country_cables(data.cables, data.landings, a)
    both = set(left["cable"]) & set(data.landings.loc[data.landings["country"] == b, "cable"])
    return left[left["cable"].isin(both)].drop(columns="stations").reset_index(drop=True)


def chokepoint_membership(data: CableData, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """``cable, chokepoint`` for the shipped chokepoints (or ``keys``)."""
    from kakehashi.catalogue.cables import chokepoint, chokepoints

    chosen = [chokepoint(k) for k in keys] if keys else list(chokepoints())
    return mc.cables_through(data.routes, {c.key: c.polygon for c in chosen})


def paths_between(data: CableData, a: str, b: str, *, limit: int = 50) -> dict[str, Any]:
    """Direct cables in service, cable-disjoint paths and shortest indirect country paths."""
    in_service = set(data.cables.loc[~data.cables["is_planned"].astype(bool), "cable"])
    edges = mc.hyperedges(data.landings, in_service)
    adj = mc.adjacency(edges)
    paths = mc.shortest_indirect_paths(edges, a, b, limit=limit)
    return {
        "direct_in_service": mc.direct_cables(edges, a, b),
        "independent_paths": mc.disjoint_paths(edges, a, b) if a in adj and b in adj else 0,
        "shortest_indirect": [{"path": list(p),
                               "cables_per_hop": [len(adj[u][v]) for u, v in itertools.pairwise(p)]}
                              for p in paths],
    }


def exposure(data: CableData, country: str, *, rival: str = DEFAULT_RIVAL) -> dict[str, Any]:
    """A country's cable exposure as one JSON-ready dict.

    Keys: ``country``; ``cables`` (total, in_service, planned, international, ids);
    ``landing_stations`` (count, hhi_international: HHI of its international cables over its
    landing stations, the per-station counts, and the basis ``cable counts``); ``builders``
    (per supplier: cables, share, supplier_country) and ``rival_built`` (rival, cables, share);
    ``owners`` (per owner: cables, share); ``chokepoints`` (per chokepoint: cables and ids);
    ``notes`` and ``source``.
    """
    from kakehashi.catalogue.cables import chokepoints, supplier_countries

    code = _known(data, country, "--country")
    mine = mc.country_cables(data.cables, data.landings, code)
    cab = data.cables[data.cables["cable"].isin(mine["cable"])]
    stations = data.landings.loc[data.landings["country"] == code, "station"].nunique()
    hhi, per_station = mc.landing_station_hhi(data.landings, code)
    sc = supplier_countries()
    builders = mc.builder_shares(cab, sc)
    owners = mc.owner_shares(cab)
    n_rival, share_rival = mc.rival_built_share(cab, sc, rival)
    through = mc.cables_through(data.routes[data.routes["cable"].isin(mine["cable"])],
                                {c.key: c.polygon for c in chokepoints()})
    planned = int(mine["is_planned"].sum())
    return {
        "country": code,
        "cables": {"total": len(mine), "in_service": len(mine) - planned, "planned": planned,
                   "international": int(mine["international"].sum()), "ids": list(mine["cable"])},
        "landing_stations": {
            "count": int(stations),
            "hhi_international": hhi,
            "basis": "cable counts (design capacity is not in the open data)",
            "per_station": per_station.to_dict(orient="records"),
        },
        "builders": builders.to_dict(orient="records"),
        "rival_built": {"rival": rival, "cables": n_rival, "share": share_rival,
                        "builders": sorted(s for s, c in sc.items() if c == rival)},
        "owners": owners.to_dict(orient="records"),
        "chokepoints": {c.key: {"name": c.name, "count": int((through["chokepoint"] == c.key).sum()),
                                "cables": sorted(through.loc[through["chokepoint"] == c.key, "cable"])}
                        for c in chokepoints()},
        "notes": ["shares count cables; a cable built or owned by a consortium counts for each member, "
                  "so shares may add up to more than 1",
                  "chokepoints: the publisher's drawn routes against the polygons of "
                  "catalogue/data/chokepoints.csv (schematic lines, not surveyed positions)"],
        "source": data.source,
    }


def cut(data: CableData, *, chokepoints: Sequence[str] = (), cables: Sequence[str] = (),
        between: Sequence[tuple[str, str]] = (("JPN", "IND"),)) -> tuple[mc.CutResult, dict[str, Any]]:
    """The cut scenario: cables split at ``chokepoints`` and ``cables`` removed whole.

    Returns the :class:`~kakehashi.metrics.cables.CutResult` and a description of the cut
    (chokepoints with their cables, cables removed).
    """
    from kakehashi.catalogue.cables import chokepoint

    if not chokepoints and not cables:
        raise InputError("nothing to cut", hint="give --chokepoint NAME (e.g. malacca) or --cable ID")
    chosen = [chokepoint(k) for k in chokepoints]
    known = set(data.cables["cable"])
    for c in cables:
        if c not in known:
            from kakehashi.errors import close_matches

            matches = close_matches(c, known)
            raise InputError(f"unknown cable {c!r} (field --cable)", value=c,
                             hint=f"did you mean: {', '.join(matches)}?" if matches
                             else "see 'kakehashi cables list --country XXX' for cable ids")
    for a, b in between:
        for code in (a, b):
            _known(data, code, "--between")
    pieces = mc.chokepoint_pieces(data.routes, data.landings, data.stations, [c.polygon for c in chosen]) \
        if chosen else {}
    result = mc.cut_scenario(data.cables, data.landings, remove=cables, pieces=pieces, pairs=list(between))
    what = {"chokepoints": [c.key for c in chosen], "cables_removed": sorted(set(cables)),
            "cables_split": sorted(pieces), "source": data.source}
    return result, what


def cable_goods_screen(wh: Any, country: str | Sequence[str], rival: str = DEFAULT_RIVAL, *,
                       year: int | None = None) -> tuple[pd.DataFrame, int | None]:
    """The dependency screen of ``country`` (or a bloc) on ``rival`` for the cable goods.

    The goods are :data:`CABLE_GOODS`.

    :func:`kakehashi.questions.exposure.screen` restricted to those products, in ``year``
    (default: the latest year of the trade data). Returns the screen (most severe first) and
    the year, or an empty frame and ``None`` when the warehouse holds no trade.
    """
    from kakehashi.questions import exposure as trade

    if "trade_flows" not in wh.tables():
        return pd.DataFrame(), None
    _, yr = trade.latest_year(wh, year)
    members = (country,) if isinstance(country, str) else tuple(country)
    return trade.screen(wh, members, rival, years=[yr], products=list(CABLE_GOODS)), yr
