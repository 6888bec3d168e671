"""Where are we exposed? The screen, the overview of an importer, one product, one mineral.

Every front end (command line, dashboard and API, briefing packs) asks these
questions here and only formats the answers. Each function composes library
results (:mod:`kakehashi.metrics`) into plain DataFrames or dataclasses; no
formula lives here and nothing is rendered.

An importer is a country (``JPN``) or a bloc (``JPN+IND``, ``JPN,IND`` or a
list of codes), parsed by :func:`kakehashi.questions.request.parse_bloc`;
trade inside a bloc is left out (:mod:`kakehashi.metrics.screen`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from kakehashi import catalogue
from kakehashi.metrics import concentration, minerals
from kakehashi.metrics import screen as screen_mod
from kakehashi.questions import defaults
from kakehashi.questions.request import Importer, bloc_label, members
from kakehashi.warehouse import Warehouse


def label(importer: Importer) -> str:
    """The name of a country or bloc as shown (``JPN+IND``)."""
    return bloc_label(members(importer))


def _one_or_bloc(codes: tuple[str, ...]) -> str | list[str]:
    return codes[0] if len(codes) == 1 else list(codes)


# ---------------------------------------------------------------- display helpers
def group_small(df: pd.DataFrame, *, by: str, value: str, period: str = "year",
                top: int = defaults.TOP_SUPPLIERS, keep: Sequence[str | None] = ()) -> pd.DataFrame:
    """Keep the ``top`` largest ``by`` members (over all periods) plus ``keep``; sum the rest as ``other``.

    ``df`` has columns ``period, by, value, share``; the result has the same
    columns with at most ``top + len(keep) + 1`` members per period.
    """
    if df.empty:
        return df
    totals = df.groupby(by)[value].sum().sort_values(ascending=False)
    named = set(totals.index[:top]) | {k for k in keep if k}
    out = df.assign(**{by: df[by].where(df[by].isin(named), "other")})
    out = out.groupby([period, by], as_index=False)[[value, "share"]].sum(min_count=1)
    return out.sort_values([period, value], ascending=[True, False], ignore_index=True)


def explode_workstreams(screen: pd.DataFrame) -> pd.DataFrame:
    """One row per (screen row, workstream) from the screen's comma-separated ``workstream`` column."""
    ws = screen.assign(workstream=screen["workstream"].fillna("").str.split(", "))
    ws = ws.explode("workstream")
    return ws[ws["workstream"] != ""]


# ----------------------------------------------------------------------- screen
def screen(wh: Warehouse, importer: Importer, rival: str, *, years: Sequence[int] | None = None,
           products: str | Sequence[str] | None = None,
           thresholds: defaults.Thresholds = defaults.THRESHOLDS, revision: str | None = None,
           dependent_only: bool = False, precedence: Sequence[str] | None = None) -> pd.DataFrame:
    """The dependency screen with product names and workstreams, most severe first.

    :func:`kakehashi.metrics.screen.screen_frame` for a country or a bloc
    (default: every year of the data, every product, the EU/CEPII thresholds
    :data:`~kakehashi.questions.defaults.THRESHOLDS`, the analysis revision and
    source precedence of :mod:`kakehashi.metrics.flows`). Its coverage
    warnings: :func:`coverage`.
    """
    codes = members(importer)
    df = screen_mod.screen_frame(wh, _one_or_bloc(codes), rival, years=years, products=products,
                                 thresholds=thresholds, revision=revision, precedence=precedence)
    if dependent_only:
        df = df[df["dependent"]].reset_index(drop=True)
    return df


def coverage(wh: Warehouse, answer: pd.DataFrame | None = None, years: Sequence[int] | None = None, *,
             revision: str | None = None, precedence: Sequence[str] | None = None) -> list[str]:
    """The coverage warnings every front end shows beside an answer (the same sentences everywhere).

    :func:`kakehashi.metrics.coverage.coverage_warnings` for the years the
    answer shows (its ``year`` column when it has rows, else ``years``, else
    every year of the data), under the same ``revision`` and ``precedence``
    as the answer. Empty when the data behind those years look complete.
    """
    from kakehashi.metrics.coverage import coverage_warnings

    shown: list[int] | None = list(years) if years is not None else None
    if answer is not None and len(answer) and "year" in answer.columns:
        shown = sorted({int(y) for y in answer["year"]})
    return coverage_warnings(wh, shown, revision=revision, precedence=precedence)


@dataclass(frozen=True)
class RevisionStatement:
    """The HS revision an answer is in and how many of its rows were converted from another."""

    revision: str | None
    converted_rows: int
    rows: int

    def text(self) -> str:
        """``HS22`` or ``HS22; 32 of 32 rows converted from other HS revisions`` (empty without rows)."""
        if self.revision is None:
            return ""
        if not self.converted_rows:
            return f"{self.revision}, no rows converted"
        return f"{self.revision}; {self.converted_rows} of {self.rows} rows converted from other HS revisions"


def revision_statement(answer: pd.DataFrame, default: str | None = None) -> RevisionStatement:
    """Read the analysis revision (``hs_revision``) and the converted rows (``converted``) of an answer.

    Every screen, substitution and complementarity row carries both
    (:mod:`kakehashi.metrics.flows`); an answer without rows states ``default``
    (the revision the question ran in, :func:`trade_revision`).
    """
    if answer.empty or "hs_revision" not in answer.columns:
        return RevisionStatement(default, 0, len(answer))
    rev = ", ".join(sorted({str(r) for r in answer["hs_revision"].dropna().unique()})) or None
    conv = int(answer["converted"].fillna(False).astype(bool).sum()) if "converted" in answer.columns else 0
    return RevisionStatement(rev, conv, len(answer))


def latest_year(wh: Warehouse, year: int | None = None) -> tuple[str, int]:
    """HS revision and year of a one-year question: ``year`` if the data have it, else the latest."""
    rev, years = trade_revision(wh, [year] if year is not None else None)
    return rev, max(years)


def trade_revision(wh: Warehouse, years: Sequence[int] | None = None) -> tuple[str, list[int]]:
    """HS revision and years of the trade data questions read (:func:`metrics.flows.plan_trade`)."""
    from kakehashi.metrics.flows import plan_trade

    plan = plan_trade(wh, None, list(years) if years is not None else None)
    return plan.revision, list(plan.years)


def country_names(wh: Warehouse, codes: Sequence[str]) -> dict[str, str]:
    """English names of ``codes`` from the warehouse's ``countries`` table (the code itself if absent)."""
    names = {c: c for c in codes}
    if "countries" in wh.tables():
        t = wh.table("countries")
        df = wh.execute(t.filter(t.iso3.isin(list(codes))).select("iso3", "name"))
        names.update(dict(zip(df["iso3"], df["name"], strict=True)))
    return names


def workstream_summary(screen_df: pd.DataFrame) -> pd.DataFrame:
    """Per workstream: products imported, how many are dependent and persistent, imports and rival imports.

    Columns ``workstream, products, dependent, persistent, imports_usd, rival_usd``,
    in the catalogue's workstream order.
    """
    cols = ["workstream", "products", "dependent", "persistent", "imports_usd", "rival_usd"]
    if screen_df.empty:
        return pd.DataFrame(columns=cols)
    ws = explode_workstreams(screen_df)
    out = ws.groupby("workstream", as_index=False).agg(
        products=("hs6", "nunique"), dependent=("dependent", "sum"), persistent=("persistent", "sum"),
        imports_usd=("imports_usd", "sum"), rival_usd=("rival_usd", "sum"))
    order = {w: i for i, w in enumerate(catalogue.workstreams())}
    out = out.assign(_o=out["workstream"].map(order)).sort_values("_o").drop(columns="_o")
    out[["dependent", "persistent"]] = out[["dependent", "persistent"]].astype(int)
    return out[cols].reset_index(drop=True)


@dataclass(frozen=True)
class Overview:
    """An importer at a glance in one year: totals, workstreams, top dependencies."""

    importer: str
    rival: str
    year: int
    totals: screen_mod.ScreenTotals
    workstreams: pd.DataFrame
    top: pd.DataFrame
    screen: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    """Coverage warnings of the year (:func:`coverage`)."""


def in_workstream(screen_df: pd.DataFrame, workstream: str | None) -> pd.DataFrame:
    """The rows of a screen frame whose ``workstream`` column lists ``workstream`` (all when ``None``)."""
    if workstream is None or screen_df.empty:
        return screen_df
    keep = screen_df["workstream"].fillna("").map(lambda w: workstream in [x.strip() for x in w.split(",")])
    return screen_df[keep.astype(bool)].reset_index(drop=True)


def overview(wh: Warehouse, importer: Importer, rival: str, year: int | None = None, *,
             top: int = defaults.TOP_DEPENDENCIES, screen_df: pd.DataFrame | None = None,
             workstream: str | None = None) -> Overview:
    """The screen of one year summed per workstream (:func:`workstream_summary`) and in total
    (:func:`kakehashi.metrics.screen.screen_totals`), with the ``top`` most severe products;
    with ``workstream``, only that workstream's products (:func:`in_workstream`)."""
    _, yr = latest_year(wh, year)
    df = screen_df if screen_df is not None else screen(wh, importer, rival, years=[yr])
    df = in_workstream(df, workstream)
    return Overview(importer=label(importer), rival=rival, year=yr, totals=screen_mod.screen_totals(df),
                    workstreams=workstream_summary(df), top=df.head(top), screen=df,
                    warnings=coverage(wh, df, [yr]))


def complementarity(wh: Warehouse, exporter: str, importer: str, *, years: Sequence[int] | None = None,
                    workstream: str | None = None, revision: str | None = None,
                    precedence: Sequence[str] | None = None) -> pd.DataFrame:
    """How well the exporter's exports match the importer's imports, overall and per workstream
    (:func:`kakehashi.metrics.complementarity.complementarity_frame`, the WITS index, 0-100)."""
    from kakehashi.metrics.complementarity import complementarity_frame

    return complementarity_frame(wh, exporter, importer, years=years, workstream=workstream,
                                 revision=revision, precedence=precedence)


# ---------------------------------------------------------------------- product
def _shares(wh: Warehouse, flows_filter: object, keep: Sequence[str | None], top: int) -> pd.DataFrame:
    df = wh.execute(concentration.shares(flows_filter, ["year"], "exporter", "value_usd"))
    df = df.rename(columns={"exporter": "supplier"})
    return group_small(df[["year", "supplier", "value_usd", "share"]], by="supplier", value="value_usd",
                       top=top, keep=keep)


def supplier_shares(wh: Warehouse, importer: Importer, hs6: str, *, keep: Sequence[str | None] = (),
                    top: int = defaults.TOP_SUPPLIERS) -> pd.DataFrame:
    """Each supplier's share of the importer's (bloc's) imports of ``hs6``, per year.

    Columns ``year, supplier, value_usd, share`` (:func:`kakehashi.metrics.concentration.shares`),
    small suppliers grouped as ``other``; trade inside a bloc is left out.
    """
    from kakehashi.metrics.flows import analysis_flows, plan_trade

    codes = list(members(importer))
    t = analysis_flows(wh, plan_trade(wh), products=[hs6])
    f = t.filter(t.importer.isin(codes) & ~t.exporter.isin(codes))
    return _shares(wh, f, keep, top)


def world_supply(wh: Warehouse, hs6: str, *, keep: Sequence[str | None] = (),
                 top: int = defaults.TOP_SUPPLIERS) -> pd.DataFrame:
    """Each exporter's share of world exports of ``hs6``, per year (columns as :func:`supplier_shares`)."""
    from kakehashi.metrics.flows import analysis_flows, plan_trade

    f = analysis_flows(wh, plan_trade(wh), products=[hs6])
    return _shares(wh, f, keep, top)


@dataclass(frozen=True)
class ProductInfo:
    """Catalogue facts about one HS6 code (``name`` is ``None`` outside the catalogue)."""

    hs6: str
    name: str | None
    workstreams: list[str]
    stage: str | None
    flag: str | None
    source: str | None
    commodities: list[str]


def product_info(hs6: str) -> ProductInfo:
    """Catalogue facts about ``hs6``: name, workstreams, stage, flag, source, mineral commodities."""
    goods = catalogue.strategic_goods()
    rows = goods[goods["hs6"] == hs6]
    usgs = catalogue.usgs_hs()
    commodities = sorted(set(usgs.loc[usgs["hs6"] == hs6, "commodity"]))
    if rows.empty:
        return ProductInfo(hs6, None, [], None, None, None, commodities)
    first = rows.iloc[0]
    return ProductInfo(hs6, str(first["name"]), sorted(set(rows["workstream"])), str(first["stage"]),
                       str(first["flag"]), str(first["source"]), commodities)


@dataclass(frozen=True)
class ProductView:
    """One product for one importer: every table the product page and its JSON twin show."""

    hs6: str
    importer: str
    rival: str
    partner: str | None
    info: ProductInfo
    name: str | None
    screen: pd.DataFrame
    supplier_shares: pd.DataFrame
    world_supply: pd.DataFrame
    substitution: pd.DataFrame
    candidates: pd.DataFrame
    minerals: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Coverage warnings of the years shown in any of its tables (:func:`coverage`)."""


def product_view(wh: Warehouse, importer: Importer, rival: str, hs6: str, *, partner: str | None = None,
                 candidates_top: int = 10) -> ProductView:
    """Suppliers over the years, world supply, the screen of every year, the capacity of partner and
    world to replace the rival (:func:`kakehashi.questions.replacement.substitution`), candidate
    suppliers, and the world production of the mineral commodities traded under the code."""
    from kakehashi.questions import replacement

    codes = members(importer)
    info = product_info(hs6)
    scr = screen(wh, codes, rival, products=[hs6]).sort_values("year", ignore_index=True)
    keep = (rival, partner)
    name = info.name
    if name is None and "product_name" in scr and scr["product_name"].notna().any():
        name = str(scr["product_name"].dropna().iloc[-1])  # warehouse nomenclature, outside the catalogue
    shares = supplier_shares(wh, codes, hs6, keep=keep)
    world = world_supply(wh, hs6, keep=keep)
    shown = sorted({int(y) for df in (scr, shares, world) if len(df) for y in df["year"]})
    return ProductView(
        hs6=hs6, importer=bloc_label(codes), rival=rival, partner=partner, info=info, name=name, screen=scr,
        supplier_shares=shares, world_supply=world,
        substitution=replacement.substitution(wh, codes, rival, [hs6], partner=partner),
        candidates=replacement.candidates(wh, codes, rival, hs6, top=candidates_top),
        minerals={c: production_shares(wh, c) for c in info.commodities},
        warnings=coverage(wh, None, shown),
    )


# ---------------------------------------------------------------------- minerals
def production_shares(wh: Warehouse, commodity: str, *, year: int | None = None,
                      stage: str | None = None) -> pd.DataFrame:
    """Each country's share of world production of ``commodity`` (latest year unless given).

    Columns ``year, stage, country, quantity, unit, share``
    (:func:`kakehashi.metrics.concentration.shares` over the ``production`` table;
    country rows only, the publisher's world totals are kept apart).
    """
    cols = ["year", "stage", "country", "quantity", "unit", "share"]
    if "production" not in wh.tables():
        return pd.DataFrame(columns=cols)
    p = wh.table("production")
    p = p.filter((p.commodity == commodity) & p.quantity.notnull())
    if stage is not None:
        p = p.filter(p.stage == stage)
    if year is None:
        latest = wh.execute(p.aggregate(y=p.year.max()))["y"].iloc[0]
        if pd.isna(latest):
            return pd.DataFrame(columns=cols)
        year = int(latest)
    p = p.filter(p.year == year)
    df = wh.execute(concentration.shares(p, ["year", "stage", "unit"], "country", "quantity"))
    return df[cols].sort_values(["stage", "share"], ascending=[True, False], ignore_index=True)


def stage_shares(wh: Warehouse, commodities: Sequence[str], *, top: int = 6) -> pd.DataFrame:
    """Production shares of every stage (mine, refinery, ...) of each commodity, latest year per stage.

    Columns ``commodity, year, stage, country, quantity, unit, share``; per commodity and stage the
    ``top`` largest producers (shares of the world total from :func:`production_shares`, so they need
    not add to 1).
    """
    frames = []
    for c in commodities:
        prod = production_shares(wh, c)
        for stage in dict.fromkeys(prod["stage"]):
            latest = production_shares(wh, c, stage=str(stage))  # each stage's own latest year
            frames.append(latest.head(top).assign(commodity=c))
    cols = ["commodity", "year", "stage", "country", "quantity", "unit", "share"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def stage_summary(wh: Warehouse, commodities: Sequence[str], rival: str, partner: str | None = None
                  ) -> pd.DataFrame:
    """Per commodity and stage: the rival's and partner's share of world output and the top producer.

    Columns ``commodity, stage, year, rival_share, partner_share, top_country, top_share``
    (:func:`production_shares`, each stage's latest year); the rival's share is 0 when it
    produces none. Mine and refinery side by side show where the rival's hold lies (cobalt:
    little mined in China, most refined there).
    """
    rows = []
    for c in commodities:
        prod = production_shares(wh, c)
        for stage in dict.fromkeys(prod["stage"]):
            d = production_shares(wh, c, stage=str(stage))
            if d.empty:
                continue
            share = d.set_index("country")["share"]
            rows.append({"commodity": c, "stage": stage, "year": int(d["year"].iloc[0]),
                         "rival_share": float(share.get(rival, 0.0)),
                         "partner_share": float(share.get(partner, 0.0)) if partner else None,
                         "top_country": str(d["country"].iloc[0]), "top_share": float(d["share"].iloc[0])})
    cols = ["commodity", "stage", "year", "rival_share", "partner_share", "top_country", "top_share"]
    return pd.DataFrame(rows, columns=cols)


def commodity_codes(commodity: str) -> list[str]:
    """HS 2022 codes a mineral commodity is traded under (catalogue ``usgs_hs``)."""
    table = catalogue.usgs_hs()
    return sorted(set(table.loc[table["commodity"] == commodity, "hs6"]))


def workstream_commodities(wh: Warehouse, workstream: str) -> list[str]:
    """Mineral commodities traded under a workstream's codes that have production data."""
    codes = set(catalogue.select_products(workstream))
    usgs = catalogue.usgs_hs()
    wanted = sorted(set(usgs.loc[usgs["hs6"].isin(codes), "commodity"]))
    have: set[str] = set()
    if "production" in wh.tables():
        p = wh.table("production")
        have = set(wh.execute(p.select("commodity").distinct())["commodity"])
    return [c for c in wanted if c in have]


def supply_risk(wh: Warehouse, commodity: str | None, rival: str, importer: str | None = None, *,
                years: Sequence[int] | None = None, stage: str | None = None) -> pd.DataFrame:
    """Supply-risk indicators of a commodity (:func:`kakehashi.metrics.minerals.supply_risk`)."""
    return minerals.supply_risk(wh, commodity=commodity, rival=rival, importer=importer, years=years,
                                stage=stage)


@dataclass(frozen=True)
class MineralView:
    """One mineral commodity: HS codes, production shares and supply risk."""

    commodity: str
    rival: str
    importer: str | None
    hs6: list[str]
    production: pd.DataFrame
    supply_risk: pd.DataFrame
    stages: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The rival's share per stage, mine beside refinery (:func:`stage_summary`)."""


def mineral_view(wh: Warehouse, commodity: str, rival: str, importer: str | None = None) -> MineralView:
    """Production shares (:func:`production_shares`), supply risk (:func:`supply_risk`) and HS codes."""
    return MineralView(commodity=commodity, rival=rival, importer=importer, hs6=commodity_codes(commodity),
                       production=production_shares(wh, commodity),
                       supply_risk=supply_risk(wh, commodity, rival, importer),
                       stages=stage_summary(wh, [commodity], rival))


__all__ = [
    "MineralView", "Overview", "ProductInfo", "ProductView", "RevisionStatement", "commodity_codes",
    "complementarity", "country_names", "coverage", "explode_workstreams", "group_small", "label",
    "latest_year", "members",
    "mineral_view", "overview", "product_info", "product_view", "production_shares", "revision_statement",
    "screen", "stage_shares", "stage_summary", "supplier_shares", "supply_risk", "trade_revision",
    "workstream_commodities", "workstream_summary", "world_supply",
]


# ------------------------------------------------------------- plain language
FEW_EXPORTERS_HHI = 0.4
"""World-export HHI above which the world is said to have few other exporters (the screen's threshold)."""


def headline(importer: str, rival: str, row: dict[str, object] | pd.Series | None) -> str:
    """One sentence on the most severe dependency of a screen, computed from its row.

    ``"<importer> buys <rival share> of its <product> from <rival>; the world has few other exporters"``,
    the second clause chosen by the world-export HHI against :data:`FEW_EXPORTERS_HHI` (the screen's
    threshold, EU 2021 / CEPII GeoDep). Country names come from :func:`kakehashi.present.country_label`.

    Examples
    --------
    >>> headline("JPN", "CHN", {"product_name": "Unwrought magnesium", "rival_share": 0.98,
    ...                         "world_export_hhi": 0.7, "hs6": "810411"})
    'Japan buys 98.0% of its unwrought magnesium (HS 810411) from China; the world has few other exporters.'
    """
    from kakehashi.present import fmt_share
    from kakehashi.present.labels import country_label

    if row is None:
        return f"{country_label(importer)} buys nothing from {country_label(rival)} in the products screened."
    get = row.get
    share = get("rival_share")
    name = get("product_name")
    hs6 = get("hs6")
    product = (f"{str(name)[:1].lower()}{str(name)[1:]} (HS {hs6})" if isinstance(name, str) and name
               else f"HS {hs6}")
    if isinstance(name, str) and isinstance(hs6, str) and f"HS {hs6[:4]}.{hs6[4:]}" in name:
        product = f"{name[:1].lower()}{name[1:]}"  # a chapter description names the code already
    hhi = get("world_export_hhi")
    if isinstance(hhi, int | float) and not pd.isna(hhi):
        tail = ("the world has few other exporters" if hhi > FEW_EXPORTERS_HHI
                else "other countries export it too")
    else:
        tail = "world exports are not known"
    who, whom = country_label(importer), country_label(rival)
    return f"{who} buys {fmt_share(share)} of its {product} from {whom}; {tail}."


def search_products(wh: Warehouse | None, query: str, *, limit: int = 50) -> pd.DataFrame:
    """Products whose HS code starts with ``query`` (digits, dots ignored) or whose name holds every word.

    Names come from the catalogue (HS 2022) and the warehouse's ``products`` table (its descriptions);
    columns ``hs6, name, workstream, in_catalogue``, catalogue codes first, then by code.
    """
    q = query.strip().lower()
    cols = ["hs6", "name", "workstream", "in_catalogue"]
    if not q:
        return pd.DataFrame(columns=cols)
    names: dict[str, str] = dict(catalogue.product_names())
    in_cat = set(names)
    if wh is not None and "products" in wh.tables():
        p = wh.execute(wh.table("products").select("hs6", "description"))
        for code, desc in zip(p["hs6"], p["description"], strict=True):
            if isinstance(desc, str) and not desc.startswith("HS "):
                names.setdefault(str(code), desc)
    digits = q.replace(".", "").replace(" ", "")
    words = q.split()
    if digits.isdigit():
        hits = [c for c in names if c.startswith(digits)]
    else:
        hits = [c for c, n in names.items() if all(w in n.lower() for w in words)]
    ws = catalogue.workstreams_of()
    rows = [{"hs6": c, "name": names[c], "workstream": ws.get(c, ""), "in_catalogue": c in in_cat}
            for c in hits]
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out
    out = out.sort_values(["in_catalogue", "hs6"], ascending=[False, True])
    return out.head(limit).reset_index(drop=True)


def workstream_chain(workstream: str) -> pd.DataFrame:
    """The catalogue's chain links (ore → refined → component → end product) touching one workstream.

    Columns ``input_hs6, input_name, output_hs6, output_name, note``, ordered from the rawest input.
    """
    goods = catalogue.strategic_goods()
    codes = set(goods.loc[goods["workstream"] == workstream, "hs6"])
    links = catalogue.chain_links()
    links = links[links["input_hs6"].isin(codes) | links["output_hs6"].isin(codes)]
    names = catalogue.product_names()
    stage_order = {"raw": 0, "processed": 1, "component": 2, "end-product": 3}
    stage = dict(zip(goods["hs6"], goods["stage"], strict=True))
    out = links.assign(input_name=links["input_hs6"].map(names), output_name=links["output_hs6"].map(names),
                       _o=links["input_hs6"].map(lambda c: stage_order.get(stage.get(c, ""), 9)))
    out = out.sort_values(["_o", "input_hs6", "output_hs6"], kind="stable")
    return out[["input_hs6", "input_name", "output_hs6", "output_name", "note"]].reset_index(drop=True)


# ---------------------------------------------------------------------- compare
COMPARE_FIELDS = ("imports_usd", "rival_share", "dependent", "persistent", "severity")
"""Screen columns shown per importer in :func:`compare` (as ``{field}_{ISO3}``)."""


@dataclass(frozen=True)
class Comparison:
    """Several importers' screens against one rival, side by side (:func:`compare`)."""

    importers: list[str]
    rival: str
    year: int
    table: pd.DataFrame
    """One row per product: ``hs6, product_name``, then ``imports_usd_JPN, rival_share_JPN, dependent_JPN,
    persistent_JPN, severity_JPN`` and so on per importer, then ``max_severity``; most severe first."""
    totals: pd.DataFrame
    """One row per importer: ``importer, products, dependent, persistent, imports_usd, rival_usd``."""


def compare(wh: Warehouse, importers: Sequence[str], rival: str, *, year: int | None = None,
            workstream: str | None = None) -> Comparison:
    """Two to four importers screened against one rival in one year, joined on the HS code.

    Each importer's screen is :func:`screen` (one year, the latest by default;
    with ``workstream``, only that workstream's products, :func:`in_workstream`),
    exactly as the overview of that importer alone. The frames are joined on
    ``hs6`` (outer: a product one importer does not buy has empty cells for it)
    and sorted by the largest severity over the importers. Totals per importer
    are :func:`kakehashi.metrics.screen.screen_totals` of its own screen.

    Raises
    ------
    InputError
        Fewer than two or more than four importers, a repeated importer, or the rival among them.
    """
    from kakehashi.errors import InputError

    codes = list(importers)
    if not 2 <= len(codes) <= 4:
        raise InputError(f"compare takes two to four importers, not {len(codes)}", value=",".join(codes),
                         hint="name two to four countries, e.g. importers=JPN,IND")
    if len(set(codes)) != len(codes):
        raise InputError(f"importers {','.join(codes)} repeat a country", value=",".join(codes),
                         hint="name each importer once")
    if rival in codes:
        raise InputError(f"the rival {rival} is also an importer", value=rival,
                         hint="compare importers against another country, e.g. rival=CHN")
    _, yr = latest_year(wh, year)
    merged: pd.DataFrame | None = None
    names: dict[str, str] = {}
    totals = []
    for code in codes:
        df = in_workstream(screen(wh, code, rival, years=[yr]), workstream)
        t = screen_mod.screen_totals(df)
        totals.append({"importer": code, "products": t.products, "dependent": t.dependent,
                       "persistent": t.persistent, "imports_usd": t.imports_usd, "rival_usd": t.rival_usd})
        if len(df):
            pairs = zip(df["hs6"], df["product_name"], strict=True)
            names.update({h: n for h, n in pairs if isinstance(n, str)})
        part = df[["hs6", *COMPARE_FIELDS]].rename(columns={f: f"{f}_{code}" for f in COMPARE_FIELDS})
        merged = part if merged is None else merged.merge(part, on="hs6", how="outer")
    assert merged is not None
    merged.insert(1, "product_name", merged["hs6"].map(names))
    sev = merged[[f"severity_{c}" for c in codes]]
    merged["max_severity"] = sev.max(axis=1, skipna=True)
    table = merged.sort_values(["max_severity", "hs6"], ascending=[False, True], na_position="last",
                               ignore_index=True)
    return Comparison(importers=codes, rival=rival, year=yr, table=table, totals=pd.DataFrame(totals))
