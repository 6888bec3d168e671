"""Screens compiled once per shape with bound parameters give exactly the frame of the plain path.

The plain path builds the Ibis expression of each request and compiles it
(``to_frame(wh, request_expr(...))``); the prepared path
(:func:`kakehashi.metrics.screen.request_frame`) reuses one compiled template
per shape and binds the importers and the rival. Data: the SYNTHETIC tiny
sample world, and the real BACI extracts with the UN concordance (converted
rows) when ``shared/data`` is present.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pytest
from _realdata import mixed_warehouse

from kakehashi import prepared
from kakehashi.metrics import screen as S
from kakehashi.warehouse import Warehouse

KEYS = ["importer", "hs6", "year"]


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(KEYS, kind="stable").reset_index(drop=True)


def plain(wh: Warehouse, req: S.ScreenRequest, thresholds: S.Thresholds = S.DEFAULT_THRESHOLDS
          ) -> pd.DataFrame:
    """The screen compiled for this request alone (the path every request took before templates)."""
    return _sorted(S.to_frame(wh, S.request_expr(wh, req, thresholds)))


def fast(wh: Warehouse, req: S.ScreenRequest, thresholds: S.Thresholds = S.DEFAULT_THRESHOLDS
         ) -> pd.DataFrame:
    return _sorted(S.request_frame(wh, req, thresholds))


CASES = [
    ("JPN", "CHN", [2023], None),
    ("IND", "CHN", [2023], None),
    ("USA", "CHN", [2021], None),
    ("JPN", "USA", [2022], None),
    ("CHN", "JPN", None, None),
    ("JPN+IND", "CHN", [2023], None),
    ("IND+JPN", "CHN", [2023], None),
    ("JPN+IND+USA", "CHN", [2022, 2023], None),
    ("JPN", "CHN", None, "critical-minerals"),
    ("JPN+IND", "CHN", [2021], "critical-minerals"),
    (None, "CHN", [2023], None),
]


@pytest.mark.parametrize(("importer", "rival", "years", "products"), CASES)
def test_prepared_screen_is_the_plain_screen(tiny_warehouse: Warehouse, importer: str | None, rival: str,
                                             years: list[int] | None, products: str | None) -> None:
    wh = tiny_warehouse
    req = S.resolve_request(wh, importer, rival, years=years, products=products)
    want = plain(wh, req)
    assert len(want) > 0
    got = fast(wh, req)  # the first of its shape may compile the template
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_frame_equal(fast(wh, req), want, check_exact=True)  # from the cached template
    label = S.bloc_label(req.importers) if req.importers is not None else None
    if label is not None:
        assert set(got["importer"]) == {label}


def test_template_is_reused_and_never_serves_another_importers_answer(tiny_warehouse: Warehouse) -> None:
    wh = tiny_warehouse
    prepared.clear()
    before = dict(prepared.stats)
    frames = {}
    for imp, riv in [("JPN", "CHN"), ("IND", "CHN"), ("JPN", "USA"), ("USA", "CHN"), ("JPN", "CHN")]:
        req = S.resolve_request(wh, imp, riv, years=[2022])
        got = fast(wh, req)
        pd.testing.assert_frame_equal(got, plain(wh, req), check_exact=True)
        assert set(got["importer"]) == {imp}
        frames[(imp, riv)] = got
    # one shape: compiled once, reused four times
    assert prepared.stats["compiled"] - before["compiled"] == 1
    assert prepared.stats["reused"] - before["reused"] == 4
    # the values are bound per call: different importers and rivals give different answers
    assert not frames[("JPN", "CHN")].equals(frames[("IND", "CHN")])
    assert not frames[("JPN", "CHN")]["rival_usd"].equals(frames[("JPN", "USA")]["rival_usd"])


def test_other_thresholds_and_years_are_other_shapes(tiny_warehouse: Warehouse) -> None:
    wh = tiny_warehouse
    strict = S.Thresholds(import_hhi=0.2, world_export_hhi=0.2, import_export_ratio=2.0)
    for years in ([2021], [2023]):
        req = S.resolve_request(wh, "JPN", "CHN", years=years)
        for th in (S.DEFAULT_THRESHOLDS, strict):
            pd.testing.assert_frame_equal(fast(wh, req, th), plain(wh, req, th), check_exact=True)
    req = S.resolve_request(wh, "JPN", "CHN", years=[2023])
    assert not fast(wh, req, strict)["dependent"].equals(fast(wh, req)["dependent"])


def test_placeholders_become_parameters(tiny_warehouse: Warehouse) -> None:
    con = tiny_warehouse.connect()
    t = tiny_warehouse.table("trade_flows")
    a, b = prepared.placeholder("a"), prepared.placeholder("b")
    expr = t.filter(t.importer == a).select("hs6", unit=ibis.literal(a + "+" + b)).limit(1)
    tmpl = prepared.compile_template(con, expr)
    assert tmpl is not None
    assert tmpl.names == ("a", "b")
    assert "kakehashi-param" not in tmpl.sql
    assert "$a" in tmpl.sql and "$b" in tmpl.sql


def test_unsafe_expressions_are_compiled_per_request(tiny_warehouse: Warehouse) -> None:
    con = tiny_warehouse.connect()
    mem = ibis.memtable(pd.DataFrame({"x": [1]}))  # registered on one connection: no template
    assert prepared.compile_template(con, mem.mutate(y=ibis.literal(prepared.placeholder("a")))) is None
    with pytest.raises(ValueError, match="bad parameter name"):
        prepared.placeholder("a b")


def test_prepared_frame_counts_a_plain_run_for_an_untemplatable_shape(tiny_warehouse: Warehouse) -> None:
    wh = tiny_warehouse
    prepared.clear()
    before = prepared.stats["plain"]

    def build(values: dict[str, str]) -> ibis.Table:
        mem = ibis.memtable(pd.DataFrame({"x": [1, 2]}))
        return mem.mutate(code=ibis.literal(values["c"]))

    for code in ("JPN", "IND"):
        df = prepared.prepared_frame(wh, ("memtable-test",), build, {"c": code})
        assert list(df["code"]) == [code, code]
    assert prepared.stats["plain"] - before == 2


# ------------------------------------------------------- converted rows (real data)


def test_prepared_screen_on_converted_real_flows(shared_data: Path, tmp_path: Path) -> None:
    """HS92 2021 and HS17 2024 BACI files converted to HS22 through the UN concordance."""
    wh = mixed_warehouse(shared_data, tmp_path / "wh")
    converted = 0
    for imp, riv, years in [("JPN", "CHN", None), ("DEU", "ZAF", [2021]), ("JPN+IND", "CHN", [2024]),
                            ("USA", "ZAF", None)]:
        req = S.resolve_request(wh, imp, riv, years=years)
        want = plain(wh, req)
        assert len(want) > 0
        converted += int(want["converted"].sum())
        # converted values are plain sums over concordance shares, whose order DuckDB does not fix: two
        # runs of the plain path itself can differ in the last bit, so floats are compared to 1e-12 here
        for _ in range(2):
            pd.testing.assert_frame_equal(fast(wh, req), want, check_exact=False, rtol=1e-12, atol=0.0)
    assert converted > 0


def test_product_labels_follow_the_snapshot(tmp_path: Path) -> None:
    """Names are read once per snapshot: a new ingest of the products table is seen at once."""
    src = "hand-made SYNTHETIC rows"
    rows = pd.DataFrame({"year": [2023, 2023], "exporter": ["CHN", "VNM"], "importer": ["JPN", "JPN"],
                         "hs6": ["999991", "999991"], "value_usd": [80.0, 20.0], "quantity_t": [None, None],
                         "hs_revision": ["HS22", "HS22"], "source": [src, src]})
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("trade_flows", rows, source=src)

    def products(text: str) -> pd.DataFrame:
        return pd.DataFrame({"hs6": ["999991"], "hs_revision": ["HS22"], "description": [text],
                             "hs4": ["9999"], "section": [None]})

    wh.ingest("products", products("first name"), source=src)
    first = S.screen_frame(wh, "JPN", "CHN")
    assert list(first["product_name"]) == ["first name"]
    assert list(first["workstream"]) == [""]  # in no catalogue workstream
    wh.ingest("products", products("second name"), source=src, mode="replace")
    assert list(S.screen_frame(wh, "JPN", "CHN")["product_name"]) == ["second name"]


def test_a_builder_that_refuses_placeholders_runs_as_before(tiny_warehouse: Warehouse) -> None:
    """Building with placeholders may fail where real values do not: the request then runs unprepared."""
    from kakehashi.errors import InputError

    wh = tiny_warehouse
    prepared.clear()
    before = prepared.stats["plain"]

    def build(values: dict[str, str]) -> ibis.Table:
        if not values["c"].isalpha():
            raise InputError(f"bad code {values['c']!r}")
        t = wh.table("trade_flows")
        f = t.filter(t.importer == values["c"])
        return f.aggregate(n=f.count())

    got = prepared.prepared_frame(wh, ("refusing-builder",), build, {"c": "JPN"})
    want = wh.execute(build({"c": "JPN"}))
    assert int(got["n"].iloc[0]) == int(want["n"].iloc[0]) > 0
    assert prepared.stats["plain"] - before == 1
    with pytest.raises(InputError, match="bad code"):
        prepared.prepared_frame(wh, ("refusing-builder",), build, {"c": "J1N"})


def test_templates_and_world_summary_serve_other_connections(tiny_warehouse: Warehouse) -> None:
    """Threads with their own connections (as the web service has) reuse the compiled template and the
    world-export summary; each gets the plain path's frame for its own importer."""
    from concurrent.futures import ThreadPoolExecutor

    prepared.clear()
    path = tiny_warehouse.path
    cases = [(imp, riv) for imp in ("JPN", "IND", "USA", "JPN+IND") for riv in ("CHN", "KOR")]
    wh0 = tiny_warehouse
    want = {c: plain(wh0, S.resolve_request(wh0, c[0], c[1], years=[2023])) for c in cases}
    before = dict(prepared.stats)

    def one(case: tuple[str, str]) -> pd.DataFrame:
        wh = Warehouse(path, read_only=True)  # a connection of its own
        try:
            return fast(wh, S.resolve_request(wh, case[0], case[1], years=[2023]))
        finally:
            wh.close()

    with ThreadPoolExecutor(4) as ex:
        got = dict(zip(cases, ex.map(one, cases), strict=True))
    for case in cases:
        pd.testing.assert_frame_equal(got[case], want[case], check_exact=True)
    ran = {k: prepared.stats[k] - before[k] for k in before}
    assert ran["plain"] == 0 and ran["compiled"] + ran["reused"] == len(cases)  # all through templates


def test_no_world_view_is_left_on_the_connection(tiny_warehouse: Warehouse) -> None:
    for imp in ("JPN", "IND"):
        S.request_frame(tiny_warehouse, S.resolve_request(tiny_warehouse, imp, "CHN", years=[2022]))
    raw = tiny_warehouse.connect().con
    left = [r[0] for r in raw.sql("SELECT view_name FROM duckdb_views()").fetchall()
            if str(r[0]).startswith("_kakehashi_world_")]
    assert left == []
    # the next screen of the same shape registers the summary again and still gives the plain frame
    req = S.resolve_request(tiny_warehouse, "JPN", "CHN", years=[2022])
    pd.testing.assert_frame_equal(fast(tiny_warehouse, req), plain(tiny_warehouse, req), check_exact=True)


# ----------------------------------------------- sorted and annotated in Arrow, read through a cursor
def reference_screen(wh: Warehouse, req: S.ScreenRequest) -> pd.DataFrame:
    """The screen as it was built before the Arrow sort and the vectorised labels: the plain frame, each
    code's labels looked up one by one, then pandas' stable sort (missing severity last)."""
    from kakehashi.catalogue import chapter_description

    names, workstreams = S.product_labels(wh, req.revision)
    df = S.to_frame(wh, S.request_expr(wh, req))
    df["product_name"] = df["hs6"].map(lambda c: names.get(c) or chapter_description(str(c))).astype("object")
    df["workstream"] = df["hs6"].map(lambda c: workstreams.get(c, ""))
    return df.sort_values(["severity", "importer", "hs6", "year"], ascending=[False, True, True, True],
                          kind="stable").reset_index(drop=True)


@pytest.mark.parametrize(("importer", "rival", "years", "products"), CASES)
def test_screen_frame_is_the_reference_frame(tiny_warehouse: Warehouse, importer: str | None, rival: str,
                                             years: list[int] | None, products: str | None) -> None:
    wh = tiny_warehouse
    req = S.resolve_request(wh, importer, rival, years=years, products=products)
    want = reference_screen(wh, req)
    assert len(want) > 0 and (want["workstream"] != "").any()
    got = S.screen_frame(wh, importer, rival, years=years, products=products)
    pd.testing.assert_frame_equal(got, want, check_exact=True)  # values, order, dtypes, index


def test_sort_screen_orders_missing_severities_as_pandas() -> None:
    """SYNTHETIC rows: a null severity sorts last, tied rows by importer, code and year; with a float NaN
    (which Arrow would order apart from nulls) the pandas sort is used, so both orders are pandas'."""
    import pyarrow as pa

    def want(t: pa.Table) -> pd.DataFrame:
        return t.to_pandas().sort_values(["severity", "importer", "hs6", "year"],
                                         ascending=[False, True, True, True], kind="stable"
                                         ).reset_index(drop=True)

    base = {"importer": ["JPN", "IND", "JPN", "IND", "JPN", "JPN"],
            "hs6": ["000002", "000001", "000001", "000003", "000001", "000003"],
            "year": pa.array([2023, 2023, 2023, 2022, 2022, 2023], pa.int32())}
    with_nulls = pa.table({**base, "severity": [1.5, None, 7.0, 1.5, None, 0.0]})
    got = S.sort_screen(with_nulls)
    pd.testing.assert_frame_equal(got, want(with_nulls), check_exact=True)
    assert got["severity"].isna().tolist() == [False] * 4 + [True] * 2
    with_nan = pa.table({**base, "severity": pa.array([1.5, None, float("nan"), 1.5, None, 0.0])})
    pd.testing.assert_frame_equal(S.sort_screen(with_nan), want(with_nan), check_exact=True)


def test_annotate_products_is_the_lookup_of_each_code(tiny_warehouse: Warehouse) -> None:
    """Vectorised labels equal the per-code lookup (name, else the HS chapter; workstreams, else empty),
    with and without a warehouse, for catalogue codes, codes only in the data and unknown codes."""
    from kakehashi.catalogue import chapter_description

    codes = ["280530", "850511", "010121", "999999", "280530", "271111"]
    frame = pd.DataFrame({"hs6": codes, "n": range(len(codes))}, index=[5, 3, 9, 1, 0, 2])
    for wh in (tiny_warehouse, None):
        names, workstreams = S.product_labels(wh, "HS22")
        got = S.annotate_products(frame, wh, "HS22")
        want = frame.copy()
        want["product_name"] = [names.get(c) or chapter_description(str(c)) for c in want["hs6"]]
        want["product_name"] = want["product_name"].astype("object")
        want["workstream"] = pd.Series([workstreams.get(c, "") for c in want["hs6"]], index=want.index)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert got.loc[1, "product_name"] == chapter_description("999999") and got.loc[1, "workstream"] == ""
        assert "critical-minerals" in got.loc[5, "workstream"]
    empty = S.annotate_products(frame.iloc[:0], tiny_warehouse, "HS22")
    assert list(empty.columns) == ["hs6", "n", "product_name", "workstream"] and empty.empty


def test_a_failed_templated_query_leaves_the_connection_usable(tiny_warehouse: Warehouse) -> None:
    """A template that fails while DuckDB runs it raises the warehouse's engine error, and the thread's
    connection answers the next query (no result is left pending on it)."""
    from kakehashi.errors import EngineError

    wh = tiny_warehouse
    tmpl = prepared.Template("SELECT CAST($code AS INTEGER) AS n FROM range(3)", ("code",),
                             ibis.schema({"n": "int32"}))
    assert prepared._run(wh, wh.connect(), tmpl, {"code": "7"})["n"].to_pylist() == [7, 7, 7]
    with pytest.raises(EngineError):
        prepared._run(wh, wh.connect(), tmpl, {"code": "not a number"})
    req = S.resolve_request(wh, "JPN", "CHN", years=[2023])
    pd.testing.assert_frame_equal(fast(wh, req), plain(wh, req), check_exact=True)


@pytest.mark.parametrize(("importer", "rival"), [("JPN", "CHN"), ("USA", "CHN"), ("JPN+IND", "CHN")])
def test_screen_sums_are_the_order_stable_sums(tiny_warehouse: Warehouse, importer: str, rival: str) -> None:
    """Imports, the import HHI and the rival's imports are, bit for bit, the order-stable sums
    (:func:`kakehashi.metrics.concentration.stable_sum`) of each supplier's imports, of their squares and
    of the rival's (which the screen takes from one sorted list, and a plain sum, per product)."""
    from kakehashi.metrics.concentration import stable_sum

    wh = tiny_warehouse
    req = S.resolve_request(wh, importer, rival, years=[2023])
    members = req.importers or []
    f = S.request_flows(wh, req)
    f = f.filter((f.year == 2023) & f.importer.isin(members) & ~f.exporter.isin(members))
    sup = f.group_by(["hs6", "exporter"]).aggregate(v=stable_sum(f.value_usd))
    stats = sup.group_by("hs6").aggregate(
        imports_usd=stable_sum(sup.v), sq=stable_sum(sup.v * sup.v),
        rival_usd=stable_sum(ibis.ifelse(sup.exporter == rival, sup.v, 0.0)))
    stats = stats.mutate(import_hhi=stats.sq / (stats.imports_usd * stats.imports_usd))
    want = S.to_frame(wh, stats.filter(stats.imports_usd > 0)).sort_values("hs6").reset_index(drop=True)
    got = fast(wh, req).sort_values("hs6").reset_index(drop=True)
    assert len(got) == len(want) > 0
    for col in ("imports_usd", "import_hhi", "rival_usd"):
        assert got[col].tolist() == want[col].tolist(), col  # the same floats, not merely close
