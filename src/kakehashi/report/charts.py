"""Chart definitions shared by the dashboard (interactive, Vega-Lite in the browser)
and the briefing packs (static SVG through ``vl-convert``, offline).

Each function takes the tidy table that is printed next to the chart and
returns an Altair chart; it computes nothing beyond ordering and labels.
:func:`to_spec` gives the Vega-Lite JSON for the browser, :func:`to_svg` and
:func:`to_png` render offline.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

import altair as alt
import pandas as pd

VEGA_LITE_VERSION = "6.4"
"""Vega-Lite version of the specs (what Altair 6 emits and the dashboard serves)."""

FONT = "Noto Sans, Noto Sans CJK JP, Noto Sans Devanagari, sans-serif"
PALETTE = ["#13294b", "#c8102e", "#3a7ca5", "#f2a541", "#5b8e7d", "#8c6bb1", "#9aa5b1", "#d36135",
           "#2f4858", "#86bbd8", "#b5bfa1"]
RIVAL_COLOUR = "#c8102e"
PARTNER_COLOUR = "#1f7a4d"
OTHER_COLOUR = "#c3cad4"

Width = int | str
USD_LABELS = "replace(replace(replace(datum.label, 'G', ' bn'), 'M', ' m'), 'k', ' k')"
"""Axis label expression: d3's SI prefixes (G, M, k) read as bn, m and k for money."""


def _config(chart: alt.TopLevelMixin) -> Any:
    return chart.configure(font=FONT, background="white").configure_axis(
        labelFontSize=11, titleFontSize=12, titleFontWeight="normal", gridColor="#e6e9ef",
        domainColor="#9aa5b1", tickColor="#9aa5b1", labelColor="#1c2430", titleColor="#1c2430",
    ).configure_legend(labelFontSize=11, titleFontSize=11, orient="right").configure_title(
        fontSize=14, anchor="start", color="#13294b", fontWeight="bold", subtitleColor="#5b6678",
        subtitleFontSize=11,
    ).configure_view(stroke=None)


def _title(title: str, subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(title, subtitle=subtitle) if subtitle else alt.TitleParams(title)


def _colour_domain(names: list[str], highlight: dict[str, str]) -> alt.Scale:
    colours = []
    palette = [c for c in PALETTE if c not in highlight.values()]
    i = 0
    for n in names:
        if n in highlight:
            colours.append(highlight[n])
        elif n == "other":
            colours.append(OTHER_COLOUR)
        else:
            colours.append(palette[i % len(palette)])
            i += 1
    return alt.Scale(domain=names, range=colours)


def supplier_shares(df: pd.DataFrame, *, title: str, subtitle: str = "", rival: str | None = None,
                    partner: str | None = None, width: Width = 520, height: int = 240,
                    y_title: str = "share of imports", measure: str = "share",
                    legend_title: str = "supplier") -> Any:
    """Stacked bars of supplier shares per year (``measure="value_usd"``: the values in USD);
    ``legend_title`` names the countries (``"exporter"`` for shares of world exports).

    Parameters
    ----------
    df
        Columns ``year``, ``supplier``, ``share`` (0-1) and ``value_usd``; small
        suppliers may already be grouped as ``"other"``.
    """
    order = (df.groupby("supplier")["share"].sum().sort_values(ascending=False).index.tolist())
    if "other" in order:
        order = [s for s in order if s != "other"] + ["other"]
    highlight = {k: v for k, v in ((rival, RIVAL_COLOUR), (partner, PARTNER_COLOUR)) if k}
    rank = {s: i for i, s in enumerate(order)}
    data = df.assign(year=df["year"].astype(str), rank=df["supplier"].map(rank))
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=(alt.Y("share:Q", title=y_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
           if measure == "share" else
           alt.Y(f"{measure}:Q", title=y_title, axis=alt.Axis(format="~s", labelExpr=USD_LABELS))),
        color=alt.Color("supplier:N", title=legend_title, scale=_colour_domain(order, highlight),
                        sort=order),
        order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("year:O"), alt.Tooltip("supplier:N", title=legend_title),
                 alt.Tooltip("share:Q", format=".1%"),
                 alt.Tooltip("value_usd:Q", format=",.0f", title="value (USD)")],
    ).properties(width=width, height=height, title=_title(title, subtitle))
    return _config(chart)


def dependency_map(df: pd.DataFrame, *, title: str, subtitle: str = "", width: Width = 520,
                   height: int = 320) -> Any:
    """Scatter of severity against substitutability, one point per product.

    Parameters
    ----------
    df
        Columns ``hs6``, ``product``, ``severity``, ``substitutability`` (0-1,
        the share of the rival's supply others could replace), ``dependent`` (bool)
        and ``rival_share``.
    """
    data = df.assign(status=df["dependent"].map({True: "dependent", False: "not dependent"}))
    chart = alt.Chart(data).mark_circle(opacity=0.85, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("substitutability:Q", title="substitutability (share of rival supply others could replace)",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("severity:Q", title="severity"),
        size=alt.Size("rival_share:Q", title="rival share", legend=alt.Legend(format="%"),
                      scale=alt.Scale(range=[30, 400])),
        color=alt.Color("status:N", title=None,
                        scale=alt.Scale(domain=["dependent", "not dependent"],
                                        range=[RIVAL_COLOUR, "#3a7ca5"])),
        tooltip=["hs6:N", "product:N", alt.Tooltip("severity:Q", format=".2f"),
                 alt.Tooltip("substitutability:Q", format=".0%"), alt.Tooltip("rival_share:Q", format=".0%")],
    ).properties(width=width, height=height, title=_title(title, subtitle))
    return _config(chart)


def scenario_bands(df: pd.DataFrame, *, title: str, subtitle: str = "", unit: str = "USD",
                   width: Width = 520, row_height: int = 22) -> Any:
    """Median with 5th-95th percentile band for each row of a scenario result.

    Parameters
    ----------
    df
        Columns ``label``, ``p5``, ``p50``, ``p95`` (one metric, one unit).
    """
    data = df.copy()
    order = data.sort_values("p50", ascending=False)["label"].tolist()
    fmt = ",.0f" if unit == "USD" else ".1%" if unit == "share" else ",.2f"
    axis_fmt = "~s" if unit == "USD" else "%" if unit == "share" else ",.2f"
    # d3's SI prefixes read G for billions; money reads bn and m
    label_expr = ("replace(replace(replace(datum.label, 'G', ' bn'), 'M', ' m'), 'k', ' k')"
                  if unit == "USD" else "datum.label")
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=300))
    base = alt.Chart(data).encode(y=y)
    band = base.mark_rule(strokeWidth=6, opacity=0.35, color="#3a7ca5").encode(
        x=alt.X("p5:Q", title=f"{unit}, 5th–95th percentile and median",
                axis=alt.Axis(format=axis_fmt, labelExpr=label_expr)),
        x2="p95:Q")
    median = base.mark_tick(color="#13294b", thickness=2, size=16).encode(
        x="p50:Q",
        tooltip=["label:N", alt.Tooltip("p5:Q", format=fmt), alt.Tooltip("p50:Q", format=fmt),
                 alt.Tooltip("p95:Q", format=fmt)])
    height = max(60, row_height * len(order))
    chart = (band + median).properties(width=width, height=height,
                                       title=_title(title, subtitle))
    return _config(chart)


def frontier(df: pd.DataFrame, *, title: str, subtitle: str = "", x: str = "risk", y: str = "cost",
             x_title: str = "supply risk", y_title: str = "cost", width: Width = 520,
             height: int = 260, lam: str | None = None) -> Any:
    """Risk–cost frontier: one point per solved portfolio, joined in order of ``x``.

    With ``lam`` (the column of the weight on cost) each point's tooltip names it in words and the
    points that ignore cost and that weigh it most are labelled so
    (:func:`kakehashi.present.labels.cost_weight_label`).
    """
    from kakehashi.present.labels import cost_weight_label

    tooltip = [alt.Tooltip(f"{x}:Q", format=".3f", title=x_title),
               alt.Tooltip(f"{y}:Q", format=",.3f", title=y_title)]
    data = df
    if lam is not None and lam in df:
        top = df[lam].max()
        data = df.assign(point=df[lam].map(cost_weight_label),
                         end=[("cost ignored" if v == 0 else "") for v in df[lam]],
                         last=[("most weight on cost" if v == top and v > 0 else "") for v in df[lam]])
        tooltip = [alt.Tooltip("point:N", title="portfolio"), *tooltip]
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=50, filled=True), color="#13294b").encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
        order=alt.Order(f"{x}:Q"),
        tooltip=tooltip,
    )
    chart: Any = line
    if data is not df:
        first = alt.Chart(data).mark_text(align="left", dx=7, dy=-7, fontSize=11, color="#5b6678")
        last = alt.Chart(data).mark_text(align="right", dx=-4, dy=-9, fontSize=11, color="#5b6678")
        chart = (line + first.encode(x=f"{x}:Q", y=f"{y}:Q", text="end:N")
                 + last.encode(x=f"{x}:Q", y=f"{y}:Q", text="last:N"))
    return _config(chart.properties(width=width, height=height, title=_title(title, subtitle)))


def production_shares(df: pd.DataFrame, *, title: str, subtitle: str = "", rival: str | None = None,
                      partner: str | None = None, width: Width = 520, row_height: int = 20) -> Any:
    """Horizontal bars of each country's share of world production.

    Parameters
    ----------
    df
        Columns ``country``, ``share`` (0-1) and ``quantity``.
    """
    order = df.sort_values("share", ascending=False)["country"].tolist()
    highlight = {k: v for k, v in ((rival, RIVAL_COLOUR), (partner, PARTNER_COLOUR)) if k}
    data = df.assign(role=df["country"].map(lambda c: "rival" if c == rival else
                                            "partner" if c == partner else "other"))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("country:N", title=None, sort=order),
        x=alt.X("share:Q", title="share of world production", axis=alt.Axis(format="%")),
        color=alt.Color("role:N", legend=None, scale=alt.Scale(
            domain=["rival", "partner", "other"],
            range=[highlight.get(rival or "", RIVAL_COLOUR), PARTNER_COLOUR, "#3a7ca5"])),
        tooltip=["country:N", alt.Tooltip("share:Q", format=".1%"),
                 alt.Tooltip("quantity:Q", format=",.0f")],
    ).properties(width=width, height=max(60, row_height * len(order)),
                 title=_title(title, subtitle))
    return _config(chart)


WORLD_TOPOLOGY = "countries-110m.json"
"""Vendored Natural Earth 1:110m countries (TopoJSON from the npm package ``world-atlas@2.0.2``;
Natural Earth is public domain, world-atlas ISC), in ``web/static/vendor/``."""
LAND_FILL = "#e3e8ee"
"""Fill of the countries with no value (and of the land under the cable routes)."""


@functools.cache
def _topology_text() -> str:
    path = files("kakehashi.web").joinpath("static", "vendor", WORLD_TOPOLOGY)
    return path.read_text(encoding="utf-8")


def world_topology(*, antarctica: bool = True) -> dict[str, Any]:
    """The vendored world topology (TopoJSON, objects ``countries`` and ``land``), a fresh copy.

    Each country carries ``properties.iso3``, mapped from its ISO 3166 numeric ``id`` with
    :func:`kakehashi.sources.countries.numeric_to_iso3`; the three features without a numeric id
    in Natural Earth (N. Cyprus, Somaliland, Kosovo) get ``None``. ``antarctica=False`` leaves
    Antarctica out of ``countries`` (a map fitted to its data then spends no room on it). The
    file is read once.
    """
    from kakehashi.sources.countries import numeric_to_iso3

    topo: dict[str, Any] = json.loads(_topology_text())
    geoms = topo["objects"]["countries"]["geometries"]
    for g in geoms:
        g.setdefault("properties", {})["iso3"] = numeric_to_iso3(g["id"]) if "id" in g else None
    if not antarctica:
        topo["objects"]["countries"]["geometries"] = [g for g in geoms if g["properties"]["iso3"] != "ATA"]
    return topo


WORLD_DATA = {"world-countries": True, "world-countries-no-antarctica": False}
"""Names of the world topology in a spec (``True``: with Antarctica). A chart refers to it by name
and :func:`to_spec` puts the topology once in the spec's ``datasets`` (validating 100 KB of arcs
through Altair's schema would take a quarter of a second for each chart)."""


def countries_data(*, antarctica: bool = True) -> alt.NamedData:
    """The world's countries as chart data: a reference by name that :func:`to_spec` fills in."""
    name = next(k for k, v in WORLD_DATA.items() if v is antarctica)
    return alt.NamedData(name=name, format=alt.DataFormat(type="topojson", feature="countries"))


def _named_data(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and node["name"] in WORLD_DATA and "format" in node:
            found.add(node["name"])
        for v in node.values():
            if isinstance(v, dict | list) and v is not node.get("datasets"):
                _named_data(v, found)
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, dict):
                _named_data(v, found)


def world_shares(df: pd.DataFrame, *, title: str, subtitle: str = "", rival: str | None = None,
                 partner: str | None = None, what: str = "share", width: Width = 520,
                 height: Width = 280) -> Any:
    """World map of each country's share, the rival outlined in red and the partner in green.

    Parameters
    ----------
    df
        Columns ``iso3``, ``country`` (name shown) and ``share`` (0-1); one row per country
        (rows whose ``iso3`` is not a country, e.g. ``"other"``, are not drawn). The shares are
        joined to the vendored topology (:func:`world_topology`) on ISO3 by a Vega-Lite lookup;
        ``rival`` and ``partner`` are ISO3 codes. Antarctica is left out (Equal Earth projection).
    """
    values = df[["iso3", "country", "share"]].to_dict(orient="records")
    topo = countries_data(antarctica=False)
    land = alt.Chart(topo).mark_geoshape(fill=LAND_FILL, stroke="white", strokeWidth=0.4)
    shaded = alt.Chart(topo).mark_geoshape(stroke="white", strokeWidth=0.4).transform_lookup(
        lookup="properties.iso3", from_=alt.LookupData(alt.Data(values=values), key="iso3",
                                                       fields=["country", "share"]),
    ).transform_filter("isValid(datum.share)").encode(
        color=alt.Color("share:Q", title=what, scale=alt.Scale(scheme="blues", domainMin=0),
                        legend=alt.Legend(format="%", orient="bottom", direction="horizontal",
                                          titleOrient="left", gradientLength=160)),
        tooltip=[alt.Tooltip("country:N"), alt.Tooltip("share:Q", format=".1%", title=what)])
    layers = [land, shaded]
    for code, colour in ((rival, RIVAL_COLOUR), (partner, PARTNER_COLOUR)):
        if code:
            layers.append(alt.Chart(topo).mark_geoshape(filled=False, stroke=colour, strokeWidth=1.6)
                          .transform_filter(alt.FieldEqualPredicate(field="properties.iso3", equal=code)))
    chart = alt.layer(*layers).project(type="equalEarth").properties(
        width=width, height=height, title=_title(title, subtitle))
    return _config(chart)


def to_spec(chart: Any) -> dict[str, Any]:
    """The chart's Vega-Lite specification (JSON-ready dict) for the browser.

    A chart that draws the world (:func:`countries_data`) gets the topology inlined once under
    ``datasets``, so the spec stands alone (pages and packs, offline).
    """
    spec: dict[str, Any] = chart.to_dict()
    found: set[str] = set()
    _named_data(spec, found)
    for name in sorted(found):
        spec.setdefault("datasets", {})[name] = world_topology(antarctica=WORLD_DATA[name])
    return spec


def to_svg(chart: Any) -> str:
    """Render the chart to SVG text offline (``vl-convert``; no browser, no network)."""
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(to_spec(chart), vl_version=VEGA_LITE_VERSION)
    return svg


def to_png(chart: Any, *, scale: float = 2.0) -> bytes:
    """Render the chart to PNG bytes offline."""
    import vl_convert as vlc

    png: bytes = vlc.vegalite_to_png(to_spec(chart), vl_version=VEGA_LITE_VERSION, scale=scale)
    return png


def web_width(chart_fn: Any, df: pd.DataFrame, **kw: Any) -> dict[str, Any]:
    """A chart spec that fills its container's width in the dashboard."""
    return to_spec(chart_fn(df, width="container", **kw))


def severity_bars(df: pd.DataFrame, *, title: str, subtitle: str = "", width: Width = 520,
                  row_height: int = 20) -> Any:
    """Horizontal bars of the screen's severity for the top products.

    Parameters
    ----------
    df
        Columns ``label`` (product), ``severity`` (0-100), ``dependent`` (bool), ``rival_share``.
    """
    order = df.sort_values("severity", ascending=False)["label"].tolist()
    data = df.assign(status=df["dependent"].map({True: "dependent", False: "not dependent"}))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=320)),
        x=alt.X("severity:Q", title="severity (0-100)"),
        color=alt.Color("status:N", title=None, scale=alt.Scale(
            domain=["dependent", "not dependent"], range=[RIVAL_COLOUR, "#9aa5b1"])),
        tooltip=["label:N", alt.Tooltip("severity:Q", format=".1f"),
                 alt.Tooltip("rival_share:Q", format=".0%", title="rival share")],
    ).properties(width=width, height=max(60, row_height * len(order)), title=_title(title, subtitle))
    return _config(chart)


def compare_shares(df: pd.DataFrame, *, title: str, subtitle: str = "", order: list[str] | None = None,
                   width: Width = 520, row_height: int = 12) -> Any:
    """Bars of the rival's share of each importer's imports, per product, the importers side by side.

    Parameters
    ----------
    df
        Long frame with columns ``label`` (product), ``importer`` (name shown), ``rival_share``
        (0-1, the screen's share) and ``dependent`` (bool); products in the order to draw.
    order
        Importers in the order of the legend (default: as they first appear); never in the rival's red.
    """
    importers = order or list(dict.fromkeys(df["importer"]))
    colours = [c for c in PALETTE if c != RIVAL_COLOUR]
    products = list(dict.fromkeys(df["label"]))
    n = max(1, df["importer"].nunique())
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=products, axis=alt.Axis(labelLimit=220)),
        yOffset=alt.YOffset("importer:N", sort=importers),
        x=alt.X("rival_share:Q", title="rival's share of imports", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("importer:N", title=None, sort=importers,
                        scale=alt.Scale(domain=importers, range=colours[:len(importers)]),
                        legend=alt.Legend(orient="top")),
        tooltip=["label:N", "importer:N", alt.Tooltip("rival_share:Q", format=".0%", title="rival share"),
                 "dependent:N"],
    ).properties(width=width, height=max(60, row_height * n * len(products)), title=_title(title, subtitle))
    return _config(chart)


COVER_CAP = 3.0
"""Cover bars stop at this multiple of the rival's supply (the table gives the exact value)."""


def _group_colour(group: str) -> str:
    """Colour of a cover group by its kind, so that adding a coalition never recolours the others."""
    if group.startswith("partner"):
        return PARTNER_COLOUR
    if group.startswith("coalition"):
        return "#f2a541"
    return "#3a7ca5"


def cover_bars(df: pd.DataFrame, *, title: str, subtitle: str = "", width: Width = 520,
               row_height: int = 14) -> Any:
    """Grouped bars of spare exports as a multiple of the rival's supply, with a line at 1×.

    Parameters
    ----------
    df
        Columns ``label`` (product), ``group`` (partner, coalition, world) and ``cover``.
    """
    order = df.drop_duplicates("label")["label"].tolist()
    groups = df.drop_duplicates("group")["group"].tolist()
    data = df.assign(shown=df["cover"].clip(upper=COVER_CAP))
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("group:N", sort=groups),
        x=alt.X("shown:Q", title=f"spare exports ÷ rival supply (▶ = cut at {COVER_CAP:g}×)",
                scale=alt.Scale(domain=[0, COVER_CAP])),
        color=alt.Color("group:N", title=None, sort=groups,
                        scale=alt.Scale(domain=groups, range=[_group_colour(g) for g in groups])),
        tooltip=["label:N", "group:N", alt.Tooltip("cover:Q", format=".2f", title="cover (×)")],
    )
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=RIVAL_COLOUR, strokeDash=[4, 3]) \
        .encode(x="x:Q")
    layers = bars + one
    cut = data[data["cover"] > COVER_CAP]
    if len(cut):
        # bars cut at the cap carry a marker so that nobody reads them as exactly 3×
        mark = alt.Chart(cut).mark_text(text="▶", color="#1c2430", fontSize=9, dx=-5).encode(
            y=alt.Y("label:N", sort=order), yOffset=alt.YOffset("group:N", sort=groups), x="shown:Q",
            tooltip=["label:N", "group:N", alt.Tooltip("cover:Q", format=".2f", title="cover (×)")])
        layers = layers + mark
    height = max(60, row_height * len(order) * max(1, len(groups)))
    chart = layers.properties(width=width, height=height, title=_title(title, subtitle))
    return _config(chart)


def severity_ranking(df: pd.DataFrame, *, title: str, subtitle: str = "", width: int = 330,
                     row_height: int = 18) -> Any:
    """Ranked bars of severity (left) beside the world's cover of the rival's supply (right).

    Parameters
    ----------
    df
        Columns ``label`` (product), ``severity`` (0-100), ``dependent`` (bool) and
        ``world_cover`` (spare exports ÷ imports from the rival; bars stop at :data:`COVER_CAP`).
    """
    order = df["label"].tolist()
    data = df.assign(status=df["dependent"].map({True: "dependent", False: "not dependent"}),
                     shown=df["world_cover"].clip(upper=COVER_CAP).fillna(0.0),
                     clipped=df["world_cover"].fillna(0.0) > COVER_CAP)
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=300))
    sev = alt.Chart(data).mark_bar().encode(
        y=y, x=alt.X("severity:Q", title="severity (0-100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("status:N", title=None, legend=alt.Legend(orient="bottom"), scale=alt.Scale(
            domain=["dependent", "not dependent"], range=[RIVAL_COLOUR, "#9aa5b1"])),
        tooltip=["label:N", alt.Tooltip("severity:Q", format=".1f")],
    ).properties(width=width, height=max(60, row_height * len(order)))
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, axis=None))
    cov = base.mark_bar(color="#3a7ca5").encode(
        x=alt.X("shown:Q", title=f"world cover (×; bars stop at {COVER_CAP:g}×)",
                scale=alt.Scale(domain=[0, COVER_CAP])),
        tooltip=["label:N", alt.Tooltip("world_cover:Q", format=".2f", title="world cover (×)")])
    text = base.mark_text(align="left", dx=3, fontSize=10, color="#1c2430").encode(
        x="shown:Q", text=alt.Text("world_cover:Q", format=".1f"))
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=RIVAL_COLOUR, strokeDash=[4, 3]) \
        .encode(x="x:Q")
    right = (cov + text + one).properties(width=150, height=max(60, row_height * len(order)))
    chart = alt.hconcat(sev, right, spacing=8).properties(title=_title(title, subtitle))
    return _config(chart)


def supplier_panels(df: pd.DataFrame, *, title: str, subtitle: str = "", rival: str | None = None,
                    partner: str | None = None, width: int = 470, bar_height: int = 14) -> Any:
    """Stacked horizontal bars of supplier shares: one row per product, one bar per year.

    Parameters
    ----------
    df
        Columns ``label`` (product), ``year``, ``supplier``, ``share`` (0-1) and ``value_usd``.
    """
    order = (df.groupby("supplier")["value_usd"].sum().sort_values(ascending=False).index.tolist())
    if "other" in order:
        order = [s for s in order if s != "other"] + ["other"]
    highlight = {k: v for k, v in ((rival, RIVAL_COLOUR), (partner, PARTNER_COLOUR)) if k}
    rank = {s: i for i, s in enumerate(order)}
    data = df.assign(year=df["year"].astype(str), rank=df["supplier"].map(rank))
    years = sorted(data["year"].unique())
    products = list(dict.fromkeys(data["label"]))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("year:O", title=None, sort=years),
        x=alt.X("share:Q", title="share of imports", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("supplier:N", title="supplier", scale=_colour_domain(order, highlight), sort=order,
                        legend=alt.Legend(orient="bottom", columns=8)),
        order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("label:N"), alt.Tooltip("year:O"), alt.Tooltip("supplier:N"),
                 alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("value_usd:Q", format=",.0f")],
    ).properties(width=width, height=bar_height * len(years)).facet(
        row=alt.Row("label:N", title=None, sort=products,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start",
                                      labelOrient="top", labelFontSize=11, labelFontWeight="bold")),
        spacing=6,
    ).properties(title=_title(title, subtitle))
    return _config(chart)


def spaced_labels(df: pd.DataFrame, x: str, y: str, order: str, label: str, *, min_dx: float = 0.22,
                  min_dy: float = 0.08) -> list[str]:
    """Point labels that do not collide: ``label`` of each row, or ``""`` for a point closer than
    ``min_dx`` (share of the x range) across and ``min_dy`` (share of the y range) up or down to a
    point already labelled. Points are taken in ascending ``order`` for the first, then descending
    (the two ends of a frontier first).

    Examples
    --------
    >>> df = pd.DataFrame({"x": [0.0, 0.05, 1.0], "y": [0.0, 0.01, 1.0], "k": [0, 1, 2],
    ...                    "t": ["a", "b", "c"]})
    >>> spaced_labels(df, "x", "y", "k", "t")
    ['a', '', 'c']
    """
    if df.empty:
        return []
    xs, ys = df[x].astype(float), df[y].astype(float)
    xr = float(xs.max() - xs.min()) or 1.0
    yr = float(ys.max() - ys.min()) or 1.0
    ranked = list(df.sort_values(order, kind="stable").index)
    kept: list[Any] = []
    for i in ranked[:1] + ranked[:0:-1]:
        if all(abs(xs[i] - xs[j]) / xr >= min_dx or abs(ys[i] - ys[j]) / yr >= min_dy for j in kept):
            kept.append(i)
    return [str(df.at[i, label]) if i in kept else "" for i in df.index]


def cost_risk_frontier(df: pd.DataFrame, *, title: str, subtitle: str = "", width: int = 470,
                       height: int = 240) -> Any:
    """Risk (import HHI) against extra cost as a percentage of the import bill, one point per weight on
    cost (``lam``, λ in the method notes).

    Parameters
    ----------
    df
        Columns ``lam``, ``risk`` (HHI, 0-1) and ``extra_cost_pct`` (extra cost ÷ imports × 100);
        the points are joined in order of cost and labelled in words with their weight on cost
        (:func:`kakehashi.present.labels.cost_weight_label`; points too close to a labelled one are
        left unlabelled, :func:`spaced_labels`).
    """
    from kakehashi.present.labels import cost_weight_label

    data = df.assign(lam_label=df["lam"].map(cost_weight_label))
    data = data.assign(shown=spaced_labels(data, "extra_cost_pct", "risk", "lam", "lam_label"))
    x = alt.X("extra_cost_pct:Q", title="extra cost, % of the import bill (below 0: cheaper at today's "
              "unit prices)", axis=alt.Axis(format=".1f"))
    y = alt.Y("risk:Q", title="supply risk (import HHI, 0-1)", scale=alt.Scale(zero=False),
              axis=alt.Axis(format=".2f"))
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=50, filled=True), color="#13294b").encode(
        x=x, y=y, order=alt.Order("extra_cost_pct:Q"),
        tooltip=[alt.Tooltip("lam_label:N", title="point"), alt.Tooltip("risk:Q", format=".3f"),
                 alt.Tooltip("extra_cost_pct:Q", format=".2f", title="extra cost (%)")])
    labels = alt.Chart(data).mark_text(align="left", dx=6, dy=-6, fontSize=10, color="#5b6678").encode(
        x="extra_cost_pct:Q", y="risk:Q", text="shown:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#9aa5b1", strokeDash=[3, 3]).encode(x="x:Q")
    chart = (zero + line + labels).properties(width=width, height=height, title=_title(title, subtitle))
    return _config(chart)


def stage_shares(df: pd.DataFrame, *, title: str, subtitle: str = "", rival: str | None = None,
                 partner: str | None = None, stages: tuple[str, ...] = ("mine", "refinery"),
                 width: int = 215, row_height: int = 12) -> Any:
    """Production shares by country, one panel per stage (mine beside refinery), one row per commodity.

    Parameters
    ----------
    df
        Columns ``commodity``, ``stage``, ``year``, ``country``, ``share`` (0-1). A stage the data
        do not hold is drawn as a panel that says so.
    """
    rows = []
    for commodity in dict.fromkeys(df["commodity"]):
        part = df[df["commodity"] == commodity]
        panels = []
        for stage in (*stages, *sorted(set(part["stage"]) - set(stages))):
            d = part[part["stage"] == stage]
            ptitle = f"{commodity}: {stage}" + (f", {int(d['year'].iloc[0])}" if len(d) else "")
            if d.empty:
                if stage not in stages:
                    continue
                panels.append(alt.Chart(pd.DataFrame({"t": [f"no {stage} data in the warehouse"]}))
                              .mark_text(color="#5b6678", fontSize=11).encode(text="t:N")
                              .properties(width=width, height=60, title=ptitle))
                continue
            order = d.sort_values("share", ascending=False)["country"].tolist()
            data = d.assign(role=d["country"].map(lambda c: "rival" if c == rival else
                                                  "partner" if c == partner else "other"))
            panels.append(alt.Chart(data).mark_bar().encode(
                y=alt.Y("country:N", title=None, sort=order),
                x=alt.X("share:Q", title="share of world output", axis=alt.Axis(format="%"),
                        scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("role:N", legend=None, scale=alt.Scale(
                    domain=["rival", "partner", "other"], range=[RIVAL_COLOUR, PARTNER_COLOUR, "#3a7ca5"])),
                tooltip=["country:N", alt.Tooltip("share:Q", format=".1%")],
            ).properties(width=width, height=max(40, row_height * len(order)), title=ptitle))
        rows.append(alt.hconcat(*panels, spacing=24))
    chart = alt.vconcat(*rows, spacing=10).properties(title=_title(title, subtitle))
    return _config(chart)
