"""Submarine cables: the source parser (real release and SYNTHETIC fixtures), the metrics, the
cut scenario and the CLI.

Real data: TeleGeography's open release in ``shared/data/submarine-cables`` (CC BY-NC-SA 3.0,
read here, never copied). Fixtures: ``tests/fixtures/cables`` (SYNTHETIC, the publisher's layout;
expected answers worked out by hand below).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pandas as pd
import pytest
from _local_http import QuietHandler, serve

from kakehashi.catalogue.cables import cable_suppliers, chokepoint, chokepoints, supplier_countries
from kakehashi.cli import main
from kakehashi.errors import InputError
from kakehashi.metrics import cables as mc
from kakehashi.schemas import conform
from kakehashi.sources.cables import (
    LICENCE,
    SOURCE,
    download_cables,
    normalise_suppliers,
    parse_cables,
    parse_length_km,
    split_owners,
)
from kakehashi.warehouse import Warehouse

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "cables"
GOOD = FIX / "good"


@pytest.fixture(scope="module")
def real(shared_data: Path) -> Path:
    folder = shared_data / "submarine-cables"
    if not (folder / "cable").is_dir():
        pytest.skip(f"no submarine-cable release at {folder}")
    return folder


@pytest.fixture(scope="module")
def real_tables(real: Path) -> mc.pd.DataFrame:
    return parse_cables(real)


def _raw_cables(folder: Path) -> list[dict]:
    """The publisher's cable files read with json alone (the independent side of the checks)."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((folder / "cable").glob("*.json"))
            if p.name not in ("cable-geo.json", "all.json")]


# ------------------------------------------------------------------ real release


def test_real_facts_japan_india(real: Path, real_tables) -> None:
    t = real_tables
    jp = set(t.landings.loc[t.landings["country"] == "JPN", "cable"])
    ind = set(t.landings.loc[t.landings["country"] == "IND", "cable"])
    assert (len(jp), len(ind)) == (32, 21)
    assert t.landings.loc[t.landings["country"] == "JPN", "station"].nunique() == 25
    assert t.landings.loc[t.landings["country"] == "IND", "station"].nunique() == 13
    assert jp & ind == {"flag-europe-asia-fea", "seamewe-3"}
    names = t.cables.set_index("cable")["name"]
    assert sorted(names[sorted(jp & ind)]) == ["FLAG Europe-Asia (FEA)", "SeaMeWe-3"]
    assert set(t.cables.loc[t.cables["cable"].isin(jp & ind), "rfs_year"]) == {1997, 1999}
    # independent: the publisher's own country index, read with json alone
    japan = json.loads((real / "country" / "japan.json").read_text(encoding="utf-8"))
    india = json.loads((real / "country" / "india.json").read_text(encoding="utf-8"))
    assert {c["id"] for c in japan["cables"]} == jp
    assert {c["id"] for c in india["cables"]} == ind


def test_real_nec_built_13_of_japans_cables(real: Path, real_tables) -> None:
    t = real_tables
    jp = t.cables[t.cables["cable"].isin(t.landings.loc[t.landings["country"] == "JPN", "cable"])]
    shares = mc.builder_shares(jp, supplier_countries()).set_index("supplier")
    assert shares.at["NEC", "cables"] == 13
    assert shares.at["NEC", "share"] == pytest.approx(13 / 32)
    # independent: the publisher's supplier index for NEC, intersected with Japan's cables
    nec = json.loads((real / "supplier" / "nec.json").read_text(encoding="utf-8"))
    assert len({c["id"] for c in nec["cables"]} & set(jp["cable"])) == 13


def test_real_supplier_split_matches_publisher_index(real: Path, real_tables) -> None:
    """Every supplier file of the publisher lists exactly the cables our split gives it."""
    alias = {a.casefold(): s for a, s in zip(cable_suppliers()["alias"], cable_suppliers()["supplier"],
                                             strict=True)}
    exploded = real_tables.cables[["cable", "suppliers"]].explode("suppliers").dropna()
    for path in sorted((real / "supplier").glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        ours = set(exploded.loc[exploded["suppliers"] == alias.get(d["name"].casefold(), d["name"]), "cable"])
        assert ours == {c["id"] for c in d["cables"]}, path.name
    assert set(exploded["suppliers"]) <= set(cable_suppliers()["supplier"])  # every name is in the table


def test_real_tables_conform_and_counts(real: Path, real_tables) -> None:
    t = real_tables
    raw = _raw_cables(real)
    assert len(t.cables) == len(raw) == 521
    assert int(t.cables["is_planned"].sum()) == sum(d["is_planned"] for d in raw)
    assert len(t.landings) == sum(len(d["landing_points"]) for d in raw)
    assert len(t.stations) == 1414 and t.stations["lon"].notna().all()
    assert set(t.routes["cable"]) == set(t.cables["cable"])
    for name, df in (("cables", t.cables), ("cable_landings", t.landings), ("landing_stations", t.stations),
                     ("cable_routes", t.routes)):
        assert conform(df, name).num_rows == len(df)
    sea3 = t.cables.set_index("cable").loc["seamewe-3"]
    assert sea3["length_km"] == 39000.0 and sea3["suppliers"] == ["ASN", "Fujitsu", "SubCom"]


def test_real_landing_station_hhi_by_hand(real: Path, real_tables) -> None:
    """India's international cables over its stations, recounted from the raw files."""
    counts: dict[str, int] = {}
    for d in _raw_cables(real):
        countries = {lp["country"] for lp in d["landing_points"]}
        if len(countries) < 2:
            continue
        for sid in {lp["id"] for lp in d["landing_points"] if lp["country"] == "India"}:
            counts[sid] = counts.get(sid, 0) + 1
    total = sum(counts.values())
    expected = sum((n / total) ** 2 for n in counts.values())
    hhi, table = mc.landing_station_hhi(real_tables.landings, "IND")
    assert hhi == pytest.approx(expected)
    assert dict(zip(table["station"], table["cables"], strict=True)) == counts
    assert counts["mumbai-india"] == 16  # Mumbai is where most of India's cables land


def test_real_chokepoints_by_hand(real_tables) -> None:
    """Membership checked against vertices read off the publisher's routes.

    * SeaMeWe-3 has vertices (101.25, 2.26) in the Malacca gate, (43.31, 12.62)-ish in
      Bab-el-Mandeb ((43.3, 12.62)), (31.39, 30.8) on the Egyptian crossing, (121.0, 21.5) in the
      Luzon Strait and reaches Perth from Jakarta through the Sunda Strait.
    * FLAG Europe-Asia crosses Thailand on land (Satun-Songkhla), so it never enters the Malacca
      gate; it has (43.31, 12.62) in Bab-el-Mandeb, (32.29, 30.13) on the Egyptian crossing and
      (121.0, 21.1) in the Luzon Strait.
    * AAE-1 also crosses Thailand on land; it enters the Gulf through Hormuz (to Qatar), and
      has (43.27, 12.62) and (31.73, 29.88).
    * FASTER runs from Japan to the United States: no strait.
    * Taiwan Strait Express-1 joins Fuzhou to Tamsui across the strait's northern part.
    """
    polys = {c.key: c.polygon for c in chokepoints()}
    r = real_tables.routes
    got = mc.cables_through(r, polys)
    member = {c: set(g) for c, g in got.groupby("cable")["chokepoint"]}
    assert member["seamewe-3"] == {"malacca", "red-sea", "suez", "luzon", "sunda"}
    assert member["flag-europe-asia-fea"] == {"red-sea", "suez", "luzon"}
    assert member["asia-africa-europe-1-aae-1"] == {"hormuz", "red-sea", "suez"}
    assert "faster" not in member
    assert member["taiwan-strait-express-1-tse-1"] == {"taiwan"}
    for vertex, key in (((101.25, 2.26), "malacca"), ((43.31, 12.62), "red-sea"), ((32.29, 30.13), "suez"),
                        ((121.0, 21.1), "luzon")):
        assert mc.point_in_polygon(vertex, polys[key])


def test_real_cut_malacca_keeps_fea(real_tables) -> None:
    """FEA lands in Japan and India without passing Malacca: it survives the cut; SeaMeWe-3 is split
    into a western piece (with India) and an eastern piece (with Japan)."""
    t = real_tables
    pieces = mc.chokepoint_pieces(t.routes, t.landings, t.stations, [chokepoint("malacca").polygon])
    sea3 = pieces["seamewe-3"]
    assert len(sea3) == 2
    west, east = sorted(sea3, key=lambda s: "IND" in s, reverse=True)
    assert "IND" in west and "EGY" in west and "JPN" not in west
    assert "JPN" in east and "SGP" in east and "IND" not in east
    res = mc.cut_scenario(t.cables, t.landings, pieces=pieces, pairs=[("JPN", "IND")])
    row = res.paths.iloc[0]
    assert (row["direct_before"], row["direct_after"]) == (2, 1)
    assert row["paths_after"] <= row["paths_before"] and row["paths_with_planned"] >= row["paths_after"]
    assert "flag-europe-asia-fea" not in pieces


# ----------------------------------------------------------------- fixtures


def test_fixture_tables() -> None:
    t = parse_cables(GOOD)
    assert len(t.cables) == 9 and int(t.cables["is_planned"].sum()) == 2
    c = t.cables.set_index("cable")
    assert c.at["east-1", "owners"] == ["Acme Telecom, Inc.", "NTT"]
    assert c.at["west-1", "owners"] == ["Beta Networks (incl. Gamma, Delta)", "Tata Communications"]
    assert c.at["west-1", "suppliers"] == ["HMN Tech"]  # "Huawei Marine" through the alias table
    assert c.at["trunk-3", "suppliers"] == ["ASN", "Fujitsu"]
    assert c.at["lka-ind", "suppliers"] == [] and pd.isna(c.at["lka-ind", "length_km"])
    assert c.at["east-1", "length_km"] == 3500.0 and pd.isna(c.at["jpn-dom", "rfs_year"])
    assert set(t.stations["country"]) == {"JPN", "SGP", "IND", "LKA"}
    trunk = json.loads(t.routes.set_index("cable").at["trunk-3", "geometry"])
    assert len(trunk["coordinates"]) == 2  # two features of one cable merged
    assert any("1 point(s)" in n and "on no cable" in n for n in t.notes)  # nowhere-fiji
    assert (t.cables["source"] == SOURCE).all() and LICENCE in SOURCE


def test_split_and_normalise() -> None:
    assert split_owners("A, B (x, y), C, Ltd., A") == ["A", "B (x, y)", "C, Ltd."]
    assert normalise_suppliers("TE SubCom, Alcatel-Lucent Submarine Networks, Acme Cables") == [
        "SubCom", "ASN", "Acme Cables"]
    assert parse_length_km("1,234.5 km") == 1234.5
    with pytest.raises(InputError, match="length"):
        parse_length_km("about 3 km")


def test_fixture_chokepoints_by_hand() -> None:
    """Malacca gate (100.8-102.0 E, 1.4-3.1 N): west-1 has vertex (101.4, 2.2), west-2 (101.5, 2.0),
    trunk-3 (101.3, 2.4), new-2 (101.4, 2.3). Luzon (120.3-122.2 E, 18.6-21.9 N): the segments
    from Japan to (120, 20) cross x = 120.3 at y = 20.24 (east-1, trunk-3) and 20.25
    (thai-crossing). Nothing else reaches a polygon."""
    t = parse_cables(GOOD)
    got = mc.cables_through(t.routes, {c.key: c.polygon for c in chokepoints()})
    assert sorted(got.itertuples(index=False, name=None)) == sorted([
        ("west-1", "malacca"), ("west-2", "malacca"), ("trunk-3", "malacca"), ("new-2", "malacca"),
        ("east-1", "luzon"), ("trunk-3", "luzon"), ("thai-crossing", "luzon")])


def test_fixture_exposure_by_hand() -> None:
    """JPN: stations tokyo (east-1, trunk-3) and shima (thai-crossing, new-1) for international
    cables, 2 and 2: HHI 0.5. Its 5 cables: NEC on east-1 and new-1 (2/5), ASN, Fujitsu, SubCom
    one each, jpn-dom without a published builder. SGP's 5 cables include west-1 and new-2
    built by HMN Tech: rival-built share 2/5."""
    t = parse_cables(GOOD)
    hhi, per = mc.landing_station_hhi(t.landings, "JPN")
    assert hhi == pytest.approx(0.5)
    assert dict(zip(per["station"], per["cables"], strict=True)) == {"tokyo-japan": 2, "shima-japan": 2}
    jp = t.cables[t.cables["cable"].isin(t.landings.loc[t.landings["country"] == "JPN", "cable"])]
    b = mc.builder_shares(jp, supplier_countries()).set_index("supplier")
    assert b.at["NEC", "cables"] == 2 and b.at["NEC", "share"] == pytest.approx(0.4)
    assert b.at["(not published)", "cables"] == 1
    assert b.at["SubCom", "supplier_country"] == "USA"
    sg = t.cables[t.cables["cable"].isin(t.landings.loc[t.landings["country"] == "SGP", "cable"])]
    assert mc.rival_built_share(sg, supplier_countries(), "CHN") == (2, pytest.approx(0.4))
    assert mc.rival_built_share(jp, supplier_countries(), "CHN") == (0, 0.0)


def test_fixture_route_pieces_join_drawn_apart_lines() -> None:
    """west-2 is drawn as two lines that do not touch: uncut it is one piece; the Malacca cut
    separates Singapore from Sri Lanka."""
    t = parse_cables(GOOD)
    geom = t.routes.set_index("cable").at["west-2", "geometry"]
    xy = {"changi-singapore": (103.9, 1.3), "colombo-sri-lanka": (79.9, 6.9)}
    assert mc.route_pieces(geom, [], xy) == [frozenset(xy)]
    assert sorted(map(sorted, mc.route_pieces(geom, [chokepoint("malacca").polygon], xy))) == [
        ["changi-singapore"], ["colombo-sri-lanka"]]


def test_cut_scenario_fixture_known_answer() -> None:
    """In service: east-1 {JPN,SGP}, west-1 {SGP,IND}, west-2 {SGP,LKA}, lka-ind {LKA,IND},
    trunk-3 {JPN,SGP,IND}, thai-crossing {JPN,IND}. JPN-IND cable-disjoint paths before: thai,
    trunk-3, east-1+west-1 = 3 (JPN has only 3 international cables). Malacca splits west-1 and
    west-2 apart and trunk-3 into {JPN,SGP} | {IND}: only thai joins JPN to IND (1 path); SGP
    loses its last direct links to IND (2 cables before) and LKA (1). Planned new-1 {JPN,IND}
    avoids Malacca (+1 path, 2 with planned); new-2 {SGP,IND} is split too and restores nothing."""
    t = parse_cables(GOOD)
    pieces = mc.chokepoint_pieces(t.routes, t.landings, t.stations, [chokepoint("malacca").polygon])
    res = mc.cut_scenario(t.cables, t.landings, pieces=pieces, pairs=[("JPN", "IND")])
    assert res.cut == ["trunk-3", "west-1", "west-2"]
    assert list(res.lost_links.itertuples(index=False, name=None)) == [("IND", "SGP", 2), ("LKA", "SGP", 1)]
    assert res.paths.iloc[0].to_dict() == {"country_a": "JPN", "country_b": "IND", "direct_before": 2,
                                           "direct_after": 1, "paths_before": 3, "paths_after": 1,
                                           "paths_with_planned": 2}
    assert list(res.restore[["cable", "kind"]].itertuples(index=False, name=None)) == [("new-1", "+1 paths")]
    assert res.isolated == []  # LKA keeps lka-ind, SGP keeps east-1
    both = mc.cut_scenario(t.cables, t.landings, remove=["lka-ind"], pieces=pieces)
    assert both.isolated == ["LKA"]
    # cut by id: thai-crossing removed whole leaves trunk-3 and east-1+west-1: 2 paths, no link lost
    by_id = mc.cut_scenario(t.cables, t.landings, remove=["thai-crossing"], pairs=[("JPN", "IND")])
    assert by_id.paths.iloc[0]["paths_after"] == 2 and by_id.lost_links.empty


# ------------------------------------------------------------- graph and geometry


def test_segments_and_polygons() -> None:
    sq = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
    assert mc.segments_intersect((0, 0), (2, 2), (0, 2), (2, 0))          # crossing
    assert mc.segments_intersect((0, 0), (1, 0), (1, 0), (1, 5))          # touching at an end
    assert mc.segments_intersect((0, 0), (2, 0), (1, 0), (3, 0))          # collinear overlap
    assert not mc.segments_intersect((0, 0), (1, 0), (2, 0), (3, 0))      # collinear apart
    assert not mc.segments_intersect((0, 0), (1, 1), (0, 1), (1, 2))      # parallel
    assert mc.segment_intersects_polygon((-1, 1), (3, 1), sq)             # through, both ends outside
    assert mc.segment_intersects_polygon((1, 1), (1.5, 1.5), sq)          # inside
    assert not mc.segment_intersects_polygon((3, 3), (4, 1), sq)
    # a jump across the antimeridian is not a line around the world
    assert not mc.line_intersects_polygon([[[179.0, 1.0], [-179.0, 1.0]]], sq)


def _min_cut_brute(edges: dict[str, frozenset[str]], a: str, b: str) -> int:
    """Fewest cables whose removal disconnects a from b (brute force over subsets)."""
    names = sorted(edges)
    for k in range(len(names) + 1):
        for removed in itertools.combinations(names, k):
            rest = {c: s for c, s in edges.items() if c not in removed}
            seen, stack = {a}, [a]
            while stack:
                u = stack.pop()
                for s in rest.values():
                    if u in s:
                        for v in s - seen:
                            seen.add(v)
                            stack.append(v)
            if b not in seen:
                return k
    raise AssertionError("unreachable")


def test_disjoint_paths_equals_brute_force_min_cut() -> None:
    """Menger: the flow equals the smallest cable cut, on SYNTHETIC random hypergraphs."""
    rng = random.Random(7)
    countries = ["A", "B", "C", "D", "E", "F"]
    for _ in range(40):
        n = rng.randint(3, 9)
        edges = {f"k{i}": frozenset(rng.sample(countries, rng.choice([2, 2, 3]))) for i in range(n)}
        assert mc.disjoint_paths(edges, "A", "B") == _min_cut_brute(edges, "A", "B")


def test_shortest_indirect_paths() -> None:
    e = {"d": frozenset({"A", "B"}), "x": frozenset({"A", "X"}), "y": frozenset({"X", "B"}),
         "z": frozenset({"A", "Y", "B"}), "w": frozenset({"A", "P"}), "v": frozenset({"P", "Q"}),
         "u": frozenset({"Q", "B"})}
    assert mc.shortest_indirect_paths(e, "A", "B") == [("A", "X", "B"), ("A", "Y", "B")]
    assert mc.shortest_indirect_paths({"d": frozenset({"A", "B"})}, "A", "B") == []


# ----------------------------------------------------------------------- CLI


def _copy_good(tmp_path: Path) -> Path:
    dest = tmp_path / "release"
    shutil.copytree(GOOD, dest)
    return dest


@pytest.fixture()
def fixture_wh(tmp_path: Path) -> str:
    wh = tmp_path / "wh"
    assert main(["ingest", "cables", str(GOOD), "-w", str(wh)]) == 0
    return str(wh)


def test_cli_ingest_list_exposure_cut(fixture_wh: str, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    assert main(["ingest", "cables", str(GOOD), "-w", str(tmp_path / "again")]) == 0
    out = capsys.readouterr()
    assert "9 cables (2 planned)" in out.out and "CC BY-NC-SA 3.0" in out.err
    log = Warehouse(fixture_wh, read_only=True).log()
    assert set(log["table"]) == {"cables", "cable_landings", "landing_stations", "cable_routes"}
    assert (log["source"] == SOURCE).all()
    assert main(["cables", "list", "--between", "JPN,IND", "-w", fixture_wh, "-f", "csv"]) == 0
    out = capsys.readouterr()
    assert "CC BY-NC-SA 3.0" in out.err
    rows = pd.read_csv(pd.io.common.StringIO(out.out))
    assert sorted(rows["cable"]) == ["new-1", "thai-crossing", "trunk-3"]
    assert main(["cables", "exposure", "--country", "SGP", "-w", fixture_wh]) == 0
    exp = json.loads(capsys.readouterr().out)
    assert exp["cables"]["total"] == 5 and exp["landing_stations"]["count"] == 1
    assert exp["rival_built"] == {"rival": "CHN", "cables": 2, "share": 0.4, "builders": ["HMN Tech"]}
    assert exp["chokepoints"]["malacca"]["cables"] == ["new-2", "trunk-3", "west-1", "west-2"]
    assert main(["cables", "exposure", "--country", "JPN", "-w", fixture_wh, "-f", "csv"]) == 0
    long = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out)).set_index(["section", "item"])
    assert long.at[("landing_stations", "hhi_international"), "share"] == pytest.approx(0.5)
    assert long.at[("builder", "NEC"), "cables"] == 2
    assert main(["cables", "exposure", "--country", "JPN", "-w", fixture_wh, "-f", "table"]) == 0
    assert "hhi_international" in capsys.readouterr().out
    assert main(["cables", "cut", "--chokepoint", "Strait of Malacca", "-w", fixture_wh, "-f", "json"]) == 0
    cut = json.loads(capsys.readouterr().out)
    assert cut["paths"][0]["paths_after"] == 1 and len(cut["lost_links"]) == 2
    assert main(["cables", "cut", "--cable", "thai-crossing", "-w", fixture_wh, "-f", "csv",
                 "--out", str(tmp_path / "cut")]) == 0
    assert pd.read_csv(tmp_path / "cut" / "paths.csv")["paths_after"].tolist() == [2]


@pytest.mark.parametrize(("bad", "words"), [
    ("not-json.json", ["not-json.json", "not valid JSON"]),
    ("list-top.json", ["list-top.json", "(top level)"]),
    ("unknown-country.json", ["unknown-country.json", "landing_points[1].country", "Atlantis"]),
    ("no-landing.json", ["no-landing.json", "landing_points", "no landing points"]),
    ("bad-length.json", ["bad-length.json", "length"]),
    ("bad-planned.json", ["bad-planned.json", "is_planned"]),
])
def test_cli_bad_input_exit_2_and_warehouse_kept(bad: str, words: list[str], fixture_wh: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    before = Warehouse(fixture_wh, read_only=True).snapshot_id
    release = _copy_good(tmp_path)
    shutil.copy(FIX / "bad" / bad, release / "cable" / bad)
    capsys.readouterr()
    assert main(["ingest", "cables", str(release), "-w", fixture_wh]) == 2
    err = capsys.readouterr().err
    error_lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1
    for w in words:
        assert w in error_lines[0]
    assert Warehouse(fixture_wh, read_only=True).snapshot_id == before  # atomic: nothing written


@pytest.mark.parametrize(("rel", "text", "words"), [
    ("cable/cable-geo.json", '{"type": "Feature"}', ["cable-geo.json", "field features"]),
    ("landing-point/landing-point-geo.json",
     '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "x"}, '
     '"geometry": {"type": "Point", "coordinates": ["a", 1]}}]}',
     ["landing-point-geo.json", "features[0].geometry.coordinates"]),
])
def test_bad_geojson_named(rel: str, text: str, words: list[str], tmp_path: Path) -> None:
    release = _copy_good(tmp_path)
    (release / rel).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        parse_cables(release)
    for w in words:
        assert w in str(err.value)


def test_cli_unknown_chokepoint_and_cable(fixture_wh: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cables", "cut", "--chokepoint", "gibraltar", "-w", fixture_wh]) == 2
    err = capsys.readouterr().err
    assert "unknown chokepoint 'gibraltar' (field --chokepoint)" in err and "malacca" in err
    assert main(["cables", "cut", "--cable", "east-9", "-w", fixture_wh]) == 2
    assert "east-1" in capsys.readouterr().err
    assert main(["cables", "exposure", "--country", "FRA", "-w", fixture_wh]) == 2
    assert "no cable lands in FRA" in capsys.readouterr().err


def test_cables_without_tables_says_what_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wh = Warehouse(tmp_path / "wh")
    with wh.transaction() as tx:
        from kakehashi.sources.countries import countries

        tx.write("countries", countries(), source="ISO 3166", mode="replace")
    assert main(["cables", "list", "--country", "JPN", "-w", str(tmp_path / "wh")]) == 2
    assert "kakehashi ingest cables" in capsys.readouterr().err


def test_download_from_local_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The downloader fetches the repository's files from a base URL (a server on 127.0.0.1
    serving the fixture folder) into the same layout; the parse is identical."""
    handler = type("FixtureHandler", (QuietHandler, SimpleHTTPRequestHandler), {})
    with serve(partial(handler, directory=str(GOOD))) as base:
        folder, n = download_cables(tmp_path / "dl", base)
        assert n == 9
        monkeypatch.setenv("KAKEHASHI_CABLES_URL", base)
        assert main(["download", "cables", "--out", str(tmp_path / "dl2")]) == 0
    assert "CC BY-NC-SA 3.0" in capsys.readouterr().err
    for got in (folder, tmp_path / "dl2"):
        a, b = parse_cables(got), parse_cables(GOOD)
        pd.testing.assert_frame_equal(a.cables, b.cables)
        pd.testing.assert_frame_equal(a.routes, b.routes)
    assert sorted(os.listdir(folder / "cable")) == sorted(os.listdir(GOOD / "cable"))


# ------------------------------------------------------------ package data


def test_package_data_is_cited_and_valid() -> None:
    from kakehashi.provenance import licences_for
    from kakehashi.sources.countries import validate_iso3

    sup = cable_suppliers()
    assert sup["alias"].str.casefold().is_unique
    assert (sup["source"].str.len() > 0).all()
    for code in sup.loc[sup["country"] != "", "country"]:
        assert validate_iso3(code) == code
    assert supplier_countries()["HMN Tech"] == "CHN" and supplier_countries()["ASN"] == "FRA"
    keys = [c.key for c in chokepoints()]
    assert keys == ["malacca", "luzon", "taiwan", "red-sea", "suez", "hormuz", "sunda", "lombok"]
    for c in chokepoints():
        assert len(c.polygon) >= 3 and c.source.startswith("https://") and c.gazetteer and c.note
        assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in c.polygon)
    assert chokepoint("Bab-el-Mandeb").key == "red-sea" and chokepoint("LOMBOK STRAIT").key == "lombok"
    lic = licences_for([SOURCE])
    assert list(lic["licence"].str.startswith("CC BY-NC-SA 3.0")) == [True]
