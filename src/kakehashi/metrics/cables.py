"""Submarine-cable dependency: per-country cables, landing-station concentration, builders,
owners, the country graph (direct links, indirect paths, independent paths), chokepoints and cuts.

Pure functions on pandas frames in the canonical schemas (``cables``, ``cable_landings``,
``landing_stations``, ``cable_routes``); no I/O. The tables are small (hundreds of cables), so
pandas and plain Python suffice; the graph and geometry code is written here (no networkx or
shapely dependency) and tested against hand calculations.

Conventions
-----------
* A cable *lands in* a country when one of its landing stations is there; a cable is
  *international* when it lands in two or more countries.
* The **country graph** joins two countries by every cable landing in both: a cable landing in
  k countries joins all k(k-1)/2 pairs (the publisher does not give the order of landings along
  the trunk, so which pairs are adjacent on the seabed is unknown).
* **Independent paths** between two countries are *cable-disjoint* paths: no cable is used by two
  paths (each cable is one edge of a hypergraph), so cutting one cable removes at most one path.
  Their number is a maximum flow with unit capacity on every cable (Menger's theorem).
* **Design capacity** (Tbps) is not in the open release: every concentration here counts cables.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

Point = tuple[float, float]

# ---------------------------------------------------------------- geometry


def point_in_polygon(p: Point, polygon: Sequence[Point]) -> bool:
    """True when ``p`` lies inside ``polygon`` (even-odd ray casting; the boundary counts as inside
    only where the ray test says so, which :func:`segment_intersects_polygon` covers by testing edges).

    Examples
    --------
    >>> square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    >>> point_in_polygon((1, 1), square), point_in_polygon((3, 1), square)
    (True, False)
    """
    x, y = p
    inside = False
    n = len(polygon)
    for i in range(n):
        (x1, y1), (x2, y2) = polygon[i], polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            xc = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < xc:
                inside = not inside
    return inside


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True when segments ab and cd share a point (touching and collinear overlap included).

    The orientation test of computational geometry (Cormen et al., *Introduction to
    Algorithms*, §33.1): the segments cross when each one's end points lie on opposite sides
    of the other; a zero orientation with the point on the segment is a touch.

    Examples
    --------
    >>> segments_intersect((0, 0), (2, 2), (0, 2), (2, 0)), segments_intersect((0, 0), (1, 0), (0, 1), (1, 1))
    (True, False)
    """
    d1, d2 = _orient(c, d, a), _orient(c, d, b)
    d3, d4 = _orient(a, b, c), _orient(a, b, d)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return ((d1 == 0 and _on_segment(c, d, a)) or (d2 == 0 and _on_segment(c, d, b))
            or (d3 == 0 and _on_segment(a, b, c)) or (d4 == 0 and _on_segment(a, b, d)))


def segment_intersects_polygon(a: Point, b: Point, polygon: Sequence[Point]) -> bool:
    """True when segment ab has a point in ``polygon``: an end inside, or a crossing of an edge.

    Examples
    --------
    >>> square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    >>> segment_intersects_polygon((-1, 1), (3, 1), square)
    True
    >>> segment_intersects_polygon((-1, 3), (3, 3), square)
    False
    """
    if point_in_polygon(a, polygon) or point_in_polygon(b, polygon):
        return True
    n = len(polygon)
    return any(segments_intersect(a, b, polygon[i], polygon[(i + 1) % n]) for i in range(n))


def line_intersects_polygon(lines: Iterable[Sequence[Sequence[float]]], polygon: Sequence[Point]) -> bool:
    """True when any segment of a MultiLineString's lines meets ``polygon``.

    A segment spanning more than 180° of longitude is the publisher's jump across the
    antimeridian (±180°), not a line around the world, and is skipped.
    """
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    box = (min(xs), min(ys), max(xs), max(ys))
    for line in lines:
        for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(line):
            if abs(x2 - x1) > 180:
                continue
            if max(x1, x2) < box[0] or min(x1, x2) > box[2] or max(y1, y2) < box[1] or min(y1, y2) > box[3]:
                continue
            if segment_intersects_polygon((x1, y1), (x2, y2), polygon):
                return True
    return False


def cables_through(routes: pd.DataFrame, polygons: Mapping[str, Sequence[Point]]) -> pd.DataFrame:
    """Which cables' drawn routes meet which chokepoint polygons.

    Parameters
    ----------
    routes
        ``cable_routes`` (cable, geometry as GeoJSON MultiLineString text).
    polygons
        Chokepoint key → polygon (lon, lat vertices).

    Returns
    -------
    pandas.DataFrame
        ``cable, chokepoint``: one row per cable and chokepoint it passes (sorted).
    """
    rows = []
    for cable, geom in zip(routes["cable"], routes["geometry"], strict=True):
        lines = json.loads(geom)["coordinates"]
        for key, poly in polygons.items():
            if line_intersects_polygon(lines, poly):
                rows.append((cable, key))
    return pd.DataFrame(rows, columns=["cable", "chokepoint"]).sort_values(
        ["chokepoint", "cable"], ignore_index=True)


def _node(x: float, y: float) -> tuple[float, float]:
    """Vertex key: rounded to 1e-3 degree, with -180 and 180 the same meridian."""
    x = round(float(x), 3)
    return (180.0 if x <= -180.0 else x, round(float(y), 3))


def _dist2(p: Point, q: Point) -> float:
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2


def route_pieces(geometry: str, polygons: Sequence[Sequence[Point]],
                 stations: Mapping[str, Point]) -> list[frozenset[str]]:
    """Split a cable's drawn route where it meets ``polygons``; group its landing stations by piece.

    The route's lines become a graph of vertices (rounded to 0.001°, ±180° joined). Where the
    publisher's lines do not share vertices (branches drawn apart), the graph's components are
    first joined at their closest pair of vertices, so the uncut route is one piece. Segments
    meeting a polygon are then removed, and each landing station goes to the piece of its
    nearest vertex.

    Parameters
    ----------
    geometry
        GeoJSON MultiLineString text (``cable_routes.geometry``).
    polygons
        Chokepoint polygons (lon, lat vertices).
    stations
        The cable's landing stations: id → (lon, lat).

    Returns
    -------
    list of frozenset
        Station ids per piece (pieces without a station left out), largest first; one group
        holding every station when no segment meets a polygon.
    """
    lines = json.loads(geometry)["coordinates"]
    index: dict[tuple[float, float], int] = {}
    edges: list[tuple[int, int, bool]] = []
    for line in lines:
        ids = []
        for p in line:
            ids.append(index.setdefault(_node(p[0], p[1]), len(index)))
        for (i, a), (j, b) in zip(zip(ids, line, strict=True), list(zip(ids, line, strict=True))[1:],
                                  strict=False):
            if i == j:
                continue
            cut = abs(b[0] - a[0]) <= 180 and any(
                segment_intersects_polygon((a[0], a[1]), (b[0], b[1]), poly) for poly in polygons)
            edges.append((i, j, cut))
    nodes = list(index)
    if not nodes:
        return [frozenset(stations)] if stations else []
    parent = list(range(len(nodes)))

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for i, j, _ in edges:
        parent[find(i)] = find(j)
    while True:  # join drawn-apart components at their closest vertices
        comps: dict[int, list[int]] = {}
        for u in range(len(nodes)):
            comps.setdefault(find(u), []).append(u)
        if len(comps) < 2:
            break
        first, *rest = comps.values()
        others = [u for comp in rest for u in comp]
        best = min(((u, v) for u in first for v in others), key=lambda uv: _dist2(nodes[uv[0]], nodes[uv[1]]))
        a, b = nodes[best[0]], nodes[best[1]]
        cut = abs(b[0] - a[0]) <= 180 and any(segment_intersects_polygon(a, b, poly) for poly in polygons)
        edges.append((best[0], best[1], cut))
        parent[find(best[0])] = find(best[1])
    parent = list(range(len(nodes)))
    for i, j, cut in edges:
        if not cut:
            parent[find(i)] = find(j)
    groups: dict[int, set[str]] = {}
    for sid, (x, y) in stations.items():
        if x is None or y is None or x != x or y != y:  # no coordinates: keep it with the first vertex
            nearest = 0
        else:
            key = _node(x, y)
            nearest = min(range(len(nodes)), key=lambda u: _dist2(nodes[u], key))
        groups.setdefault(find(nearest), set()).add(sid)
    return sorted((frozenset(g) for g in groups.values()), key=lambda g: (-len(g), sorted(g)))


def chokepoint_pieces(routes: pd.DataFrame, landings: pd.DataFrame, stations: pd.DataFrame,
                      polygons: Sequence[Sequence[Point]]) -> dict[str, list[frozenset[str]]]:
    """Cable → the country sets of its pieces, for every cable whose route meets ``polygons``.

    Each piece's countries are those of its landing stations (:func:`route_pieces`); cables
    whose route stays clear of every polygon are not listed.
    """
    xy = {s: (x, y) for s, x, y in zip(stations["station"], stations["lon"], stations["lat"], strict=True)}
    country = dict(zip(landings["station"], landings["country"], strict=True))
    by_cable = landings.groupby("cable")["station"].apply(list).to_dict()
    out: dict[str, list[frozenset[str]]] = {}
    for cable, geom in zip(routes["cable"], routes["geometry"], strict=True):
        lines = json.loads(geom)["coordinates"]
        if cable not in by_cable or not any(line_intersects_polygon(lines, p) for p in polygons):
            continue
        pieces = route_pieces(geom, polygons, {s: xy.get(s, (math.nan, math.nan)) for s in by_cable[cable]})
        out[cable] = [frozenset(country[s] for s in g) for g in pieces]
    return out


# --------------------------------------------------------------- per country


def countries_of(landings: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Cable → the set of countries (ISO3) it lands in."""
    return {str(c): frozenset(str(x) for x in g) for c, g in landings.groupby("cable")["country"]}


def country_cables(cables: pd.DataFrame, landings: pd.DataFrame, country: str) -> pd.DataFrame:
    """The cables landing in ``country``, with where else they land.

    Returns
    -------
    pandas.DataFrame
        cable, name, rfs_year, is_planned, length_km, stations (in ``country``, count),
        countries (every country it lands in, ``;``-joined), international (bool),
        suppliers, owners (``;``-joined); sorted by ready-for-service year then name.
    """
    mine = landings[landings["country"] == country]
    where = countries_of(landings[landings["cable"].isin(mine["cable"])])
    n_st = mine.groupby("cable")["station"].nunique()
    out = cables[cables["cable"].isin(n_st.index)].copy()
    out["stations"] = out["cable"].map(n_st).astype(int)
    out["countries"] = out["cable"].map(lambda c: ";".join(sorted(where[c])))
    out["international"] = out["cable"].map(lambda c: len(where[c]) > 1)
    for col in ("suppliers", "owners"):
        out[col] = out[col].map(lambda v: ";".join(list(v)))
    cols = ["cable", "name", "rfs_year", "is_planned", "length_km", "stations", "countries",
            "international", "suppliers", "owners"]
    return out[cols].sort_values(["rfs_year", "name"], na_position="last", ignore_index=True)


def landing_station_hhi(landings: pd.DataFrame, country: str, *, international_only: bool = True
                        ) -> tuple[float | None, pd.DataFrame]:
    """Concentration of a country's cables over its landing stations.

    ``HHI = Σ_s (n_s / Σ_t n_t)²`` where ``n_s`` is the number of (international, by default)
    cables landing at station ``s`` of the country; a cable landing at two of its stations
    counts at both. 1 means every cable lands at one station; 1/S is an even spread over S
    stations. Counts of cables, not capacity: design capacity is not in the open data.

    Returns
    -------
    (float or None, pandas.DataFrame)
        The HHI (``None`` when the country has no such cable) and the table ``station,
        cables, share``, largest first.
    """
    rows = landings
    if international_only:
        where = countries_of(landings)
        rows = landings[landings["cable"].map(lambda c: len(where[c]) > 1)]
    mine = rows[rows["country"] == country]
    n = mine.groupby("station")["cable"].nunique().rename("cables").reset_index()
    if n.empty:
        return None, n.assign(share=pd.Series(dtype=float))
    n["share"] = n["cables"] / n["cables"].sum()
    n = n.sort_values(["cables", "station"], ascending=[False, True], ignore_index=True)
    return float((n["share"] ** 2).sum()), n


def _list_shares(cables: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    total = len(cables)
    exploded = cables[["cable", column]].explode(column).dropna()
    counts = exploded.groupby(column)["cable"].nunique().rename("cables")
    out = counts.reset_index().rename(columns={column: label})
    unknown = int((cables[column].map(len) == 0).sum())
    if unknown:
        out = pd.concat([out, pd.DataFrame({label: ["(not published)"], "cables": [unknown]})],
                        ignore_index=True)
    out["share"] = out["cables"] / total if total else float("nan")
    return out.sort_values(["cables", label], ascending=[False, True], ignore_index=True)


def builder_shares(cables: pd.DataFrame, supplier_country: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Share of the given cables that each builder (system supplier) worked on.

    ``share_b = |{cables with b among their suppliers}| / |cables|``. A cable built by a
    consortium counts for each member, so shares can add up to more than 1; cables without a
    published supplier are one row ``(not published)``.

    Returns
    -------
    pandas.DataFrame
        supplier, cables, share, supplier_country (ISO3 of the builder's headquarters from
        ``supplier_country``; empty where unknown).
    """
    out = _list_shares(cables, "suppliers", "supplier")
    sc = supplier_country or {}
    out["supplier_country"] = out["supplier"].map(lambda s: sc.get(s, ""))
    return out


def owner_shares(cables: pd.DataFrame) -> pd.DataFrame:
    """Share of the given cables that each owner holds a part in (``owner, cables, share``);
    consortia count for each member, as in :func:`builder_shares`."""
    return _list_shares(cables, "owners", "owner")


def rival_built_share(cables: pd.DataFrame, supplier_country: Mapping[str, str], rival: str
                      ) -> tuple[int, float | None]:
    """Cables with at least one builder headquartered in ``rival``, and their share of all cables.

    ``rival_share = |{c : ∃ b ∈ suppliers(c), country(b) = rival}| / |cables|``; e.g. HMN Tech
    (formerly Huawei Marine) → CHN. Cables without a published supplier count in the
    denominator (they are not known to be rival-built).

    Examples
    --------
    >>> df = pd.DataFrame({"cable": ["a", "b", "c"], "suppliers": [["HMN Tech"], ["NEC"], []]})
    >>> rival_built_share(df, {"HMN Tech": "CHN", "NEC": "JPN"}, "CHN")
    (1, 0.3333333333333333)
    """
    if len(cables) == 0:
        return 0, None
    n = int(cables["suppliers"].map(lambda s: any(supplier_country.get(b) == rival for b in s)).sum())
    return n, n / len(cables)


# ------------------------------------------------------------- country graph


def hyperedges(landings: pd.DataFrame, cables: Iterable[str] | None = None) -> dict[str, frozenset[str]]:
    """Cable → countries, keeping only international cables (and only ``cables`` when given)."""
    where = countries_of(landings)
    keep = set(where) if cables is None else set(cables)
    return {c: s for c, s in where.items() if c in keep and len(s) > 1}


def adjacency(edges: Mapping[str, frozenset[str]]) -> dict[str, dict[str, set[str]]]:
    """Country → neighbour → the cables joining them (every pair of a cable's countries)."""
    adj: dict[str, dict[str, set[str]]] = {}
    for cable, cs in edges.items():
        for a in cs:
            for b in cs:
                if a != b:
                    adj.setdefault(a, {}).setdefault(b, set()).add(cable)
    return adj


def direct_cables(edges: Mapping[str, frozenset[str]], a: str, b: str) -> list[str]:
    """Cables landing in both ``a`` and ``b`` (sorted)."""
    return sorted(c for c, cs in edges.items() if a in cs and b in cs)


def shortest_indirect_paths(edges: Mapping[str, frozenset[str]], a: str, b: str, *, limit: int = 50
                            ) -> list[tuple[str, ...]]:
    """The shortest country paths from ``a`` to ``b`` through at least one third country.

    Breadth-first search on the country graph without the direct ``a``–``b`` link; every
    shortest path is returned (up to ``limit``, in lexical order), as country tuples
    ``(a, x, ..., b)``.

    Examples
    --------
    >>> e = {"k1": frozenset({"JPN", "SGP"}), "k2": frozenset({"SGP", "IND"}),
    ...      "k3": frozenset({"JPN", "IND"})}
    >>> shortest_indirect_paths(e, "JPN", "IND")
    [('JPN', 'SGP', 'IND')]
    """
    adj = adjacency(edges)
    if a not in adj or b not in adj:
        return []
    dist = {a: 0}
    parents: dict[str, list[str]] = {a: []}
    queue = deque([a])
    while queue:
        u = queue.popleft()
        for v in sorted(adj[u]):
            if u == a and v == b:
                continue  # the direct link does not count
            if v not in dist:
                dist[v] = dist[u] + 1
                parents[v] = [u]
                if v != b:
                    queue.append(v)
            elif dist[v] == dist[u] + 1:
                parents[v].append(u)
    if b not in dist:
        return []
    paths: list[tuple[str, ...]] = []

    def walk(node: str, tail: tuple[str, ...]) -> None:
        if len(paths) >= limit:
            return
        if node == a:
            paths.append((a, *tail))
            return
        for p in sorted(parents[node]):
            walk(p, (node, *tail))

    walk(b, ())
    return sorted(paths)[:limit]


def disjoint_paths(edges: Mapping[str, frozenset[str]], a: str, b: str) -> int:
    """Number of cable-disjoint paths between countries ``a`` and ``b``.

    Maximum flow (Edmonds-Karp, breadth-first augmenting paths) in the network where each
    cable ``k`` is split into ``k_in → k_out`` with capacity 1 and every country ``c`` it lands
    in has arcs ``c → k_in`` and ``k_out → c`` of unbounded capacity. By Menger's theorem the
    flow equals the largest number of paths from ``a`` to ``b`` that share no cable (countries
    may be shared), which is the number of cables one must cut to separate them.

    Examples
    --------
    >>> e = {"k1": frozenset({"A", "B"}), "k2": frozenset({"A", "C"}), "k3": frozenset({"C", "B"}),
    ...      "k4": frozenset({"A", "B", "C"})}
    >>> disjoint_paths(e, "A", "B")
    3
    """
    if a == b:
        raise ValueError("the two countries must differ")
    big = len(edges) + 1
    cap: dict[tuple[str, str], int] = {}
    nbrs: dict[str, set[str]] = {}

    def arc(u: str, v: str, c: int) -> None:
        cap[(u, v)] = cap.get((u, v), 0) + c
        cap.setdefault((v, u), 0)
        nbrs.setdefault(u, set()).add(v)
        nbrs.setdefault(v, set()).add(u)

    for k, cs in edges.items():
        kin, kout = f"\0in:{k}", f"\0out:{k}"
        arc(kin, kout, 1)
        for c in cs:
            arc(f"c:{c}", kin, big)
            arc(kout, f"c:{c}", big)
    s, t = f"c:{a}", f"c:{b}"
    if s not in nbrs or t not in nbrs:
        return 0
    flow = 0
    while True:
        prev = {s: s}
        queue = deque([s])
        while queue and t not in prev:
            u = queue.popleft()
            for v in nbrs[u]:
                if v not in prev and cap[(u, v)] > 0:
                    prev[v] = u
                    queue.append(v)
        if t not in prev:
            return flow
        v = t
        while v != s:  # every augmenting path crosses a unit cable arc: push one unit
            u = prev[v]
            cap[(u, v)] -= 1
            cap[(v, u)] += 1
            v = u
        flow += 1


# ------------------------------------------------------------------ the cut


@dataclass
class CutResult:
    """What a cut does to the country graph of cables in service.

    Attributes
    ----------
    cut
        The cables in service that are cut (removed whole, or split at a chokepoint), sorted.
    lost_links
        ``country_a, country_b, cables_before``: pairs of countries joined directly by at least
        one cable in service before the cut and by none after.
    paths
        ``country_a, country_b, direct_before, direct_after, paths_before, paths_after,
        paths_with_planned``: for each asked pair, direct cables and cable-disjoint paths
        before, after the cut, and after adding every planned cable (cut the same way).
    restore
        ``country_a, country_b, cable, name, rfs_year, kind``: planned cables that, cut the same
        way, would restore a lost direct link (kind ``direct link``) or add independent paths to
        an asked pair (kind ``+N paths``).
    isolated
        Countries with an international cable in service before the cut and none after.
    """

    cut: list[str]
    lost_links: pd.DataFrame
    paths: pd.DataFrame
    restore: pd.DataFrame
    isolated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _apply_cut(edges: Mapping[str, frozenset[str]], remove: set[str],
               pieces: Mapping[str, Sequence[frozenset[str]]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for c, cs in edges.items():
        if c in remove:
            continue
        if c in pieces:
            for i, piece in enumerate(pieces[c]):
                if len(piece) > 1:
                    out[f"{c}#{i}"] = piece
        else:
            out[c] = cs
    return out


def cut_scenario(cables: pd.DataFrame, landings: pd.DataFrame, *, remove: Iterable[str] = (),
                 pieces: Mapping[str, Sequence[frozenset[str]]] | None = None,
                 pairs: Sequence[tuple[str, str]] = ()) -> CutResult:
    """Cut cables and measure which direct links and independent paths are lost.

    The graph before the cut holds the international cables in service (``is_planned``
    false). A cable in ``remove`` is taken out whole (``--cable``); a cable in ``pieces`` (cut
    at a chokepoint, :func:`chokepoint_pieces`) is replaced by its pieces, each joining only the
    countries on its side of the cut. Restoring candidates are the planned cables, cut the same
    way (a planned cable through the same strait is split too).

    Parameters
    ----------
    cables, landings
        Canonical ``cables`` and ``cable_landings``.
    remove
        Cable ids removed whole.
    pieces
        Cable id → country sets of its pieces after the cut.
    pairs
        Country pairs whose independent paths are counted (e.g. ``[("JPN", "IND")]``).
    """
    remove_set, pieces = set(remove), dict(pieces or {})
    planned = set(cables.loc[cables["is_planned"].astype(bool), "cable"])
    in_service = set(cables["cable"]) - planned
    before = hyperedges(landings, in_service)
    after = _apply_cut(before, remove_set, pieces)
    candidates = _apply_cut(hyperedges(landings, planned), remove_set, pieces)
    names = cables.set_index("cable")
    adj_before, adj_after = adjacency(before), adjacency(after)
    lost = []
    for a, nb in adj_before.items():
        for b, ks in nb.items():
            if a < b and not adj_after.get(a, {}).get(b):
                lost.append((a, b, len(ks)))
    lost_df = pd.DataFrame(lost, columns=["country_a", "country_b", "cables_before"]).sort_values(
        ["country_a", "country_b"], ignore_index=True)

    def base(k: str) -> str:
        return k.split("#", 1)[0]

    restore: list[tuple[str, str, str, str, object, str]] = []
    for a, b, _ in lost_df.itertuples(index=False):
        for k in sorted({base(k) for k in direct_cables(candidates, a, b)}):
            restore.append((a, b, k, str(names.at[k, "name"]), names.at[k, "rfs_year"], "direct link"))
    rows = []
    for a, b in pairs:
        p_after = disjoint_paths(after, a, b)
        rows.append({"country_a": a, "country_b": b,
                     "direct_before": len(direct_cables(before, a, b)),
                     "direct_after": len({base(k) for k in direct_cables(after, a, b)}),
                     "paths_before": disjoint_paths(before, a, b), "paths_after": p_after,
                     "paths_with_planned": disjoint_paths({**after, **candidates}, a, b)})
        for k in sorted({base(k) for k in candidates}):
            mine = {p: cs for p, cs in candidates.items() if base(p) == k}
            gain = disjoint_paths({**after, **mine}, a, b) - p_after
            if gain > 0:
                restore.append((a, b, k, str(names.at[k, "name"]), names.at[k, "rfs_year"], f"+{gain} paths"))
    paths_df = pd.DataFrame(rows, columns=["country_a", "country_b", "direct_before", "direct_after",
                                           "paths_before", "paths_after", "paths_with_planned"])
    restore_df = pd.DataFrame(restore, columns=["country_a", "country_b", "cable", "name", "rfs_year",
                                                "kind"])
    cut = sorted((remove_set | set(pieces)) & in_service)
    notes = []
    n_planned = len((remove_set | set(pieces)) & planned)
    if n_planned:
        notes.append(f"{n_planned} planned cable(s) are cut too and restore only what their remaining "
                     "pieces join")
    isolated = sorted(set(adj_before) - {c for c, nb in adj_after.items() if nb})
    return CutResult(cut, lost_df, paths_df, restore_df, isolated, notes)
