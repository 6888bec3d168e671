"""Submarine-cable figures shared by the dashboard page ``/cables`` and the ICT briefing pack.

Presentation only: the numbers come from :mod:`kakehashi.questions.cables`; this module draws
them (Altair → Vega-Lite in the browser, SVG through ``vl-convert`` in the pack, offline: the
map is a plain equirectangular lon/lat projection over a light sphere, graticule and the vendored
Natural Earth countries (:func:`kakehashi.report.charts.world_topology`), no tiles)
and words the cut scenario's result. Every caption carries the data's licence
(:data:`kakehashi.sources.cables.LICENCE_NOTICE`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import pandas as pd

from kakehashi.report import charts
from kakehashi.report.model import Figure
from kakehashi.sources.cables import LICENCE_NOTICE

STATION_COLOURS = ("#13294b", "#3a7ca5", "#f2a541")
"""Colours of the chosen countries' routes and landing stations (first, second, both)."""
OTHER_STATION = "#9aa5b1"
"""Landing stations of those cables in other countries."""
ATTRIBUTION = "Cable data: " + LICENCE_NOTICE.removeprefix("data: ")
"""The licence line shown with every cable figure (page and pack)."""


_BOTTOM = alt.Legend(orient="bottom", direction="horizontal", titleOrient="left")
"""Map legends go under the map, so the map keeps the full width on a phone."""


def _round(coords: Any) -> Any:
    if coords and isinstance(coords[0], (int, float)):
        return [round(float(coords[0]), 2), round(float(coords[1]), 2)]
    return [_round(c) for c in coords]


def map_data(data: Any, countries: Sequence[str]) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """GeoJSON features of the routes of the cables landing in ``countries`` and their stations.

    Each feature's ``properties``: ``cable``, ``name``, ``lands_in`` (the chosen countries it
    lands in, e.g. ``JPN and IND``), ``status`` (``in service`` or ``planned``). The stations
    frame: ``station, name, country, lon, lat, group`` (the chosen country, or ``other``).
    Coordinates are rounded to 0.01° (about 1 km), enough for a world map.
    """
    land = data.landings
    chosen = land[land["country"].isin(countries)]
    by_cable = chosen.groupby("cable")["country"].agg(lambda s: sorted(set(s)))
    order = {c: i for i, c in enumerate(countries)}
    names = data.cables.set_index("cable")
    features = []
    for cable, geom in zip(data.routes["cable"], data.routes["geometry"], strict=True):
        if cable not in by_cable.index:
            continue
        g = json.loads(geom)
        where = sorted(by_cable[cable], key=order.__getitem__)
        features.append({"type": "Feature",
                         "geometry": {"type": g["type"], "coordinates": _round(g["coordinates"])},
                         "properties": {"cable": cable, "name": str(names.at[cable, "name"]),
                                        "lands_in": " and ".join(where),
                                        "status": "planned" if bool(names.at[cable, "is_planned"])
                                        else "in service"}})
    st = land[land["cable"].isin(by_cable.index)].groupby("station")["cable"].nunique().rename("cables")
    stations = data.stations[data.stations["station"].isin(st.index)].merge(st, left_on="station",
                                                                             right_index=True)
    stations = stations.assign(group=stations["country"].where(stations["country"].isin(countries), "other"),
                               lon=stations["lon"].round(2), lat=stations["lat"].round(2))
    cols = ["station", "name", "country", "cables", "lon", "lat", "group"]
    return features, stations[cols].sort_values(["group", "name"], ignore_index=True)


def cable_map(features: list[dict[str, Any]], stations: pd.DataFrame, countries: Sequence[str], *,
              title: str, subtitle: str = "", width: charts.Width = 640, height: charts.Width = 320) -> Any:
    """Routes (by the chosen countries they land in; planned dashed) and landing stations on a world
    map in a plain lon/lat (equirectangular) projection, over the countries (Natural Earth 1:110m).

    One legend (where the cable lands); landing stations take the colour of their country (grey
    elsewhere) and a size by cables, which the caption says. ``width`` and ``height`` may be
    ``"container"`` (the dashboard sizes the map by its box's width and aspect ratio).
    """
    groups = list(countries) + ([" and ".join(countries)] if len(countries) > 1 else [])
    sphere = alt.Chart(alt.sphere()).mark_geoshape(fill="#f4f8fc", stroke="#c9dbf0")
    grid = alt.Chart(alt.graticule(step=[30, 30])).mark_geoshape(stroke="#dde3ea", strokeWidth=0.5,
                                                                  filled=False)
    land = alt.Chart(charts.countries_data()).mark_geoshape(
        fill=charts.LAND_FILL, stroke="white", strokeWidth=0.4)
    routes = alt.Chart(alt.Data(values=features)).mark_geoshape(filled=False, strokeWidth=1.3).encode(
        color=alt.Color("properties.lands_in:N", title="cable lands in", legend=_BOTTOM,
                        scale=alt.Scale(domain=groups, range=list(STATION_COLOURS[:len(groups)]))),
        strokeDash=alt.StrokeDash("properties.status:N", title="status", legend=None,
                                  scale=alt.Scale(domain=["in service", "planned"], range=[[1, 0], [4, 3]])),
        tooltip=[alt.Tooltip("properties.name:N", title="cable"),
                 alt.Tooltip("properties.lands_in:N", title="lands in"),
                 alt.Tooltip("properties.status:N", title="status")])
    dom = [*countries, "other"]
    points = alt.Chart(stations).mark_circle(opacity=0.85, stroke="white", strokeWidth=0.5).encode(
        longitude="lon:Q", latitude="lat:Q",
        color=alt.Color("group:N", title="landing station in", legend=None,
                        scale=alt.Scale(domain=dom,
                                        range=[*STATION_COLOURS[:len(countries)], OTHER_STATION])),
        size=alt.Size("cables:Q", title="cables", scale=alt.Scale(range=[12, 120]), legend=None),
        tooltip=[alt.Tooltip("name:N", title="landing station"), "country:N", "cables:Q"])
    chart = alt.layer(sphere, grid, land, routes, points).project(type="equirectangular").properties(
        width=width, height=height, title=charts._title(title, subtitle)).resolve_scale(color="independent")
    return charts._config(chart)


def builders_chart(builders: pd.DataFrame, rival_builders: Sequence[str], *, title: str,
                   subtitle: str = "", width: charts.Width = 520, row_height: int = 20) -> Any:
    """Share of a country's cables by supplier; the rival's builders in red."""
    rivals = set(rival_builders)
    df = builders.assign(built_by=builders["supplier"].map(
        lambda s: "rival" if s in rivals else ("not published" if s.startswith("(") else "other")))
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", title="share of its cables", axis=alt.Axis(format="%")),
        y=alt.Y("supplier:N", title=None, sort="-x"),
        color=alt.Color("built_by:N", title=None, scale=alt.Scale(
            domain=["rival", "other", "not published"],
            range=[charts.RIVAL_COLOUR, "#13294b", charts.OTHER_COLOUR])),
        tooltip=["supplier:N", "supplier_country:N", "cables:Q", alt.Tooltip("share:Q", format=".0%")],
    ).properties(width=width, height=max(60, row_height * len(df)), title=charts._title(title, subtitle))
    return charts._config(chart)


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _n(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def cut_sentences(result: Any, what: dict[str, Any], name: Callable[[str], str]) -> list[str]:
    """The cut scenario's result in sentences.

    ``result`` and ``what`` as returned by :func:`kakehashi.questions.cables.cut`; ``name``
    maps an ISO3 code to the country's name.
    """
    from kakehashi.catalogue.cables import chokepoint

    parts = [f"the {chokepoint(k).name}" for k in what["chokepoints"]]
    if what["cables_removed"]:
        parts.append(("cable " if len(what["cables_removed"]) == 1 else "cables ")
                     + _and(what["cables_removed"]))
    cutting = "Cutting " + _and(parts)
    out = [f"{cutting} severs {_n(len(result.cut), 'cable')} in service."]
    for row in result.paths.itertuples(index=False):
        a, b = str(row.country_a), str(row.country_b)
        after = _n(int(row.paths_after), "cable-disjoint path")
        out.append(f"{cutting} leaves {name(a)} and {name(b)} with {after} "
                   f"instead of {int(row.paths_before)} ({int(row.direct_after)} direct cable(s) in service "
                   f"instead of {int(row.direct_before)}).")
        mine = result.restore[(result.restore["country_a"] == a) & (result.restore["country_b"] == b)]
        if len(mine):
            listed = [f"{r.name} ({f'RFS {int(r.rfs_year)}, ' if pd.notna(r.rfs_year) else ''}{r.kind})"
                      for r in mine.itertuples(index=False)]
            out.append(f"These planned cables would restore paths between {name(a)} and {name(b)}: "
                       f"{_and(listed)}; with every planned cable there would be "
                       f"{int(row.paths_with_planned)}.")
        else:
            out.append(f"No planned cable would add a path between {name(a)} and {name(b)}.")
        lost = result.lost_links
        for c in (a, b):
            others = sorted(set(lost.loc[lost["country_a"] == c, "country_b"])
                            | set(lost.loc[lost["country_b"] == c, "country_a"]))
            if others:
                out.append(f"{name(c)} loses its last direct cable to {_and([name(o) for o in others])}.")
    if result.isolated:
        out.append(f"Left without any international cable: {_and([name(c) for c in result.isolated])}.")
    return out


def screen_columns() -> dict[str, str]:
    """Display names of the cable-goods screen's columns (pack and page)."""
    return {"hs6": "HS6", "product_name": "product", "imports_usd": "imports (USD)",
            "rival_share": "rival share", "import_hhi": "import HHI", "top_supplier": "top supplier",
            "dependent": "dependent", "severity": "severity"}


def pack_figures(wh: Any, members: Sequence[str], rival: str, partner: str | None,
                 year: int | None) -> list[Figure]:
    """The submarine-cable section of a briefing pack, with the trade screen of the cable goods.

    For each member (and the partner) where cables land: its builders (rival-built in red) and
    key counts; a map of their routes and landing stations; the cables through each chokepoint;
    the Malacca cut between the first member and the partner; the dependency screen of the cable
    goods (:data:`kakehashi.questions.cables.CABLE_GOODS`) for the importer.
    """
    from kakehashi.questions import cables as cq
    from kakehashi.sources.countries import country_name

    data = cq.read_cables(wh)
    landed = set(data.landings["country"])
    chosen = [c for c in (*members, *([partner] if partner else [])) if c in landed]
    chosen = list(dict.fromkeys(chosen))
    figures: list[Figure] = []
    rows: list[dict[str, Any]] = []
    for code in chosen:
        exp = cq.exposure(data, code, rival=rival)
        b = pd.DataFrame(exp["builders"])
        c, ls, rb = exp["cables"], exp["landing_stations"], exp["rival_built"]
        hhi = "n/a" if ls["hhi_international"] is None else f"{ls['hhi_international']:.2f}"
        figures.append(Figure(
            f"cables-builders-{code}", f"Submarine cables of {code}: builders",
            f"{c['total']} cables land in {code} ({c['planned']} planned, "
            f"{c['international']} international) "
            f"at {ls['count']} landing stations (HHI of international cables over stations {hhi}). "
            f"Built by {rival}'s suppliers ({', '.join(rb['builders']) or 'none listed'}): {rb['cables']} "
            f"({rb['share']:.0%}). A consortium counts for each member. {ATTRIBUTION}.",
            b, builders_chart(b, rb["builders"], title=f"Who built {code}'s submarine cables",
                              subtitle="share of its cables by supplier; the rival's in red")
            if len(b) else None, empty=f"No builder is published for {code}'s cables.",
            columns={"supplier": "supplier", "supplier_country": "country", "cables": "cables",
                     "share": "share"}))
        rows.extend({"country": code, "chokepoint": v["name"], "cables": v["count"],
                     "share": v["count"] / c["total"] if c["total"] else None,
                     "ids": ", ".join(v["cables"])} for v in exp["chokepoints"].values())
    if not chosen:
        figures.append(Figure("cables", "Submarine cables", "", pd.DataFrame(),
                              empty=f"No cable lands in {', '.join(members)} in the cable data. "
                                    f"{ATTRIBUTION}."))
    else:
        features, stations = map_data(data, chosen)
        figures.append(Figure(
            "cables-map", f"Submarine-cable routes of {' and '.join(chosen)}",
            f"Routes of the cables landing in {' or '.join(chosen)} as drawn by the publisher (schematic), "
            f"planned ones dashed, with their landing stations; country boundaries from Natural Earth "
            f"1:110m (public domain). {ATTRIBUTION}.",
            stations, cable_map(features, stations, chosen, title=f"Cables of {' and '.join(chosen)}",
                                subtitle="equirectangular projection; routes are schematic"),
            columns={"name": "landing station", "country": "country", "cables": "cables",
                     "lon": "lon", "lat": "lat"}))
        note = ("Cables whose drawn route crosses each chokepoint polygon (catalogue/data/chokepoints.csv). "
                f"{ATTRIBUTION}.")
        figures.append(Figure(
            "cables-chokepoints", "Cables through chokepoints", note, pd.DataFrame(rows), None, empty=note,
            columns={"country": "country", "chokepoint": "chokepoint", "cables": "cables",
                     "share": "share of its cables", "ids": "cables"}))
        if len(chosen) >= 2:
            a, b2 = chosen[0], chosen[-1]
            result, what = cq.cut(data, chokepoints=["malacca"], between=[(a, b2)])
            text = " ".join(cut_sentences(result, what, country_name)) + f" {ATTRIBUTION}."
            figures.append(Figure(
                "cables-cut", f"Scenario: the Strait of Malacca cut, {a}–{b2}", text, result.paths, None,
                empty=text,
                columns={"country_a": "A", "country_b": "B", "direct_before": "direct before",
                         "direct_after": "direct after", "paths_before": "paths before",
                         "paths_after": "paths after", "paths_with_planned": "with planned"}))
    goods, yr = cq.cable_goods_screen(wh, tuple(members), rival, year=year)
    who = "+".join(members)
    text = (f"The dependency screen of the goods a cable is made, lit and laid with (HS "
            f"{', '.join(cq.CABLE_GOODS)}), {who} on {rival}" + (f", {yr}." if yr else ".")
            + " Read with the cable figures: the dependence on the rival's goods beside the dependence "
              "on the cables themselves." if len(goods)
            else f"No trade in the cable goods for {who} in this warehouse.")
    figures.append(Figure("cable-goods", f"Trade in the cable goods: {who} on {rival}", text, goods, None,
                          empty=text, columns=screen_columns()))
    return figures
