"""Assemble and write a briefing pack: :func:`build_briefing`.

The pack for (importer, rival, partner, workstream) holds

* a one-page summary: key figures, top dependencies, how much the partner,
  the coalition and the world could replace, the scenario's bands and the
  proposed portfolio;
* charts with the tables behind them: supplier shares over the years,
  dependency map (severity against substitutability), scenario bands,
  risk–cost frontier, mineral production shares;
* a method and sources appendix: data vintages (the warehouse's ingest log),
  HS revision, thresholds, licences, and "SYNTHETIC SAMPLE" on every page when
  the data are the synthetic sample.

Every number comes from the library (:mod:`kakehashi.report.views`); this
module chooses what to show and in which order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from kakehashi import catalogue
from kakehashi.errors import InputError, KakehashiError, unknown_value_error
from kakehashi.metrics import screen as screen_mod
from kakehashi.present import fmt_share, fmt_usd, product_label
from kakehashi.report import appendix, charts, provenance, views
from kakehashi.report.model import Appendix, Briefing, Figure, KeyFigure
from kakehashi.report.render import render_html, render_pdf
from kakehashi.scenarios import measures as scenario_measures
from kakehashi.warehouse import Warehouse

Format = Literal["html", "pdf"]
FORMATS: tuple[str, ...] = ("html", "pdf")

TOP_PRODUCTS = 10
"""Dependencies listed on the summary page."""
SUPPLIER_CHARTS = 2
"""Products (the most severe dependencies) whose supplier shares are charted."""
MINERAL_CHARTS = 3
"""Mineral commodities of the workstream whose production shares are charted."""
SCENARIO_DRAWS = 500
"""Monte-Carlo draws of the briefing's scenario."""


@dataclass(frozen=True)
class BriefingRequest:
    """Validated parameters of one pack."""

    importer: str
    rival: str
    partner: str | None
    coalition: tuple[str, ...]
    workstream: str
    year: int
    revision: str


def resolve(wh: Warehouse, importer: str, rival: str, partner: str | None, workstream: str,
            coalition: Sequence[str] = (), year: int | None = None) -> BriefingRequest:
    """Validate countries, workstream and year against the warehouse and the catalogue."""
    if workstream not in catalogue.workstreams():
        raise unknown_value_error("workstream", workstream, catalogue.workstreams())
    imp = screen_mod.validate_country(importer, wh)
    riv = screen_mod.validate_country(rival, wh)
    par = screen_mod.validate_country(partner, wh) if partner else None
    coal = tuple(screen_mod.validate_country(c, wh) for c in coalition)
    if riv == imp or riv == par:
        raise InputError(f"the rival {riv} is also the importer or the partner", value=riv,
                         hint="choose a third country as rival, e.g. CHN")
    rev, years = views.trade_revision(wh, [year] if year is not None else None)
    return BriefingRequest(imp, riv, par, coal, workstream, max(years), rev)


def country_names(wh: Warehouse, codes: Sequence[str]) -> dict[str, str]:
    """English names of ``codes`` from the warehouse's ``countries`` table (the code itself if absent)."""
    names = {c: c for c in codes}
    if "countries" in wh.tables():
        t = wh.table("countries")
        df = wh.execute(t.filter(t.iso3.isin(list(codes))).select("iso3", "name"))
        names.update(dict(zip(df["iso3"], df["name"], strict=True)))
    return names


def briefing_scenario(req: BriefingRequest, draws: int = SCENARIO_DRAWS) -> dict[str, Any]:
    """The pack's scenario: the rival puts the workstream's goods under licence for the importer
    (and the partner), with the catalogue's uncertain licence severity.

    The severity distribution is :data:`kakehashi.scenarios.measures.LICENCE_SEVERITY`,
    the assumption the scenario library uses for catalogued licensing regimes.
    """
    targets = [req.importer] + ([req.partner] if req.partner else [])
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{req.rival}-licence-{req.workstream}")
    severity = scenario_measures.LICENCE_SEVERITY
    return {
        "name": name,
        "description": f"{req.rival} puts every {req.workstream} good under export licence for "
                       f"{', '.join(targets)} for 12 months; the share of trade stopped is uncertain "
                       f"(triangular {severity.low}-{severity.mode}-{severity.high}).",
        "base_year": req.year,
        "hs_revision": req.revision,
        "measures": [{"type": "export_restriction", "id": "licence", "exporter": req.rival,
                      "products": {"workstream": req.workstream}, "targets": targets,
                      "severity": severity.mode, "duration_months": 12}],
        "uncertain": {"severity.licence": severity.model_dump(exclude_none=True)},
        "draws": draws,
    }


def _label(hs6: str, name: object, width: int = 40) -> str:
    return product_label(hs6, name, width)


def collect_briefing(wh: Warehouse, importer: str, rival: str, partner: str | None, workstream: str, *,
                     coalition: Sequence[str] = (), year: int | None = None,
                     draws: int = SCENARIO_DRAWS) -> Briefing:
    """Gather every table and chart of one pack (no rendering)."""
    req = resolve(wh, importer, rival, partner, workstream, coalition, year)
    names = country_names(wh, [c for c in (req.importer, req.rival, req.partner, *req.coalition) if c])
    labels = {c: appendix.country_label(c, names.get(c)) for c in names}
    labels_list = ", ".join(labels[c] for c in (req.importer, req.partner) if c)
    synthetic = provenance.is_synthetic(wh)
    sub_by = f"partner {req.partner}" if req.partner else "no partner"

    screen_df = views.screen(wh, req.importer, req.rival, req.year, req.workstream)
    sub_df = views.substitution(wh, req.importer, req.rival, req.workstream, partner=req.partner,
                                coalition=req.coalition, year=req.year, only_dependent=False)
    dependent = screen_df[screen_df["dependent"]] if len(screen_df) else screen_df

    figures: list[Figure] = []
    # dependency map: severity against the world's spare exports as a share of the rival's supply
    dmap = pd.DataFrame()
    if len(screen_df) and len(sub_df):
        dmap = screen_df.merge(sub_df[["hs6", "world_cover"]], on="hs6", how="inner")
        dmap = dmap.assign(product=dmap["product_name"].fillna(""),
                           substitutability=dmap["world_cover"].clip(upper=1.0))
        dmap = dmap[["hs6", "product", "severity", "substitutability", "world_cover", "dependent",
                     "rival_share", "rival_usd"]]
    figures.append(Figure(
        "dependency-map", "Dependency map",
        f"Each {req.workstream} product {req.importer} buys from {req.rival}: severity of the dependency "
        "against the rest of the world's spare exports as a share of the rival's supply (capped at 100%).",
        dmap, charts.dependency_map(dmap, title=f"{req.importer} on {req.rival}: {req.workstream}, "
                                    f"{req.year}", subtitle="red: dependent by the EU/CEPII criteria")
        if len(dmap) else None,
        empty=f"{req.importer} buys no {req.workstream} goods from {req.rival} in {req.year}.",
        columns={"hs6": "HS6", "product": "product", "severity": "severity", "rival_share": "rival share",
                 "rival_usd": "from rival (USD)", "world_cover": "world cover (×)",
                 "substitutability": "substitutability", "dependent": "dependent"}))

    # supplier shares of the most severe dependencies
    for _, row in screen_df.head(SUPPLIER_CHARTS).iterrows():
        shares = views.supplier_shares(wh, req.importer, str(row["hs6"]), keep=(req.rival, req.partner))
        label = _label(str(row["hs6"]), row.get("product_name"))
        figures.append(Figure(
            f"suppliers-{row['hs6']}", f"Suppliers of {label}",
            f"Share of {req.importer}'s imports by supplier and year; {req.rival} in red"
            + (f", {req.partner} in green." if req.partner else "."),
            shares, charts.supplier_shares(shares, title=f"{req.importer} imports of {label}",
                                           subtitle="share of imports by supplier", rival=req.rival,
                                           partner=req.partner) if len(shares) else None,
            columns={"year": "year", "supplier": "supplier", "value_usd": "value (USD)", "share": "share"}))

    # scenario
    if len(screen_df) and float(screen_df["rival_usd"].sum()) > 0:
        scenario_table, scenario_summary, scenario_note, scenario_spec = _scenario(wh, req, draws)
    else:  # nothing bought from the rival: nothing to restrict
        scenario_spec = briefing_scenario(req, draws)
        scenario_table, scenario_summary = pd.DataFrame(), pd.DataFrame()
        scenario_note = (f"No scenario: {req.importer} bought no {req.workstream} goods from {req.rival} "
                         f"in {req.year}.")
    bands = pd.DataFrame()
    if len(scenario_table):
        bands = views.bands_table(scenario_table[scenario_table["importer"] == req.importer],
                                  "net_shortfall_usd", with_importer=False)
    figures.append(Figure(
        "scenario", "Scenario: export licensing by the rival",
        scenario_note, bands,
        charts.scenario_bands(bands, title="Net shortfall after reallocation",
                              subtitle=f"{req.importer}, median and 5th–95th percentile, {draws} draws")
        if len(bands) else None,
        empty=scenario_note,
        columns={"label": "product", "tier": "tier", "p5": "p5 (USD)", "p50": "median (USD)",
                 "p95": "p95 (USD)"}, kinds={"p5": "usd", "p50": "usd", "p95": "usd"}))

    # portfolio and frontier
    portfolio, frontier_df, portfolio_note = _portfolio(wh, req)
    figures.append(Figure(
        "frontier", "Risk–cost frontier of diversified sourcing", portfolio_note, frontier_df,
        charts.frontier(frontier_df, title="Risk against cost of sourcing portfolios",
                        x=_frontier_x(frontier_df), y=_frontier_y(frontier_df))
        if len(frontier_df) else None, empty=portfolio_note))
    if len(portfolio):
        figures.append(Figure("portfolio", "Proposed sourcing portfolio", portfolio_note, portfolio, None,
                              empty=""))

    # minerals
    for commodity in _workstream_commodities(wh, req.workstream)[:MINERAL_CHARTS]:
        prod = views.production_shares(wh, commodity)
        if prod.empty:
            continue
        stage = str(prod["stage"].iloc[0])
        part = prod[prod["stage"] == stage]
        figures.append(Figure(
            f"minerals-{commodity}", f"World {stage} production: {commodity}",
            f"Share of world {stage} production by country, {int(part['year'].iloc[0])} "
            f"(unit {part['unit'].iloc[0]}); {req.rival} in red.",
            part, charts.production_shares(part, title=f"{commodity}: {stage} production shares",
                                           rival=req.rival, partner=req.partner),
            columns={"country": "country", "quantity": "quantity", "unit": "unit", "share": "share"}))

    key_figures, summary = _summary(req, screen_df, dependent, sub_df, scenario_summary, portfolio,
                                    portfolio_note, labels)
    top_table, top_columns = _top_table(req, screen_df, sub_df)
    return Briefing(
        title=f"{labels_list} and {req.rival}: {req.workstream}",
        subtitle=f"Importer {req.importer}, rival {req.rival}, {sub_by}; trade year {req.year} "
                 f"({req.revision}); generated from warehouse snapshot {wh.snapshot_id}",
        importer=req.importer, rival=req.rival, partner=req.partner, workstream=req.workstream,
        year=req.year, synthetic=synthetic, snapshot=wh.snapshot_id or "",
        key_figures=key_figures, summary=summary, figures=figures,
        appendix=_appendix(wh, req, scenario_spec), names=labels,
        top_table=top_table, top_columns=top_columns,
    )


def _top_table(req: BriefingRequest, screen_df: pd.DataFrame, sub_df: pd.DataFrame
               ) -> tuple[pd.DataFrame, dict[str, str]]:
    """The most severe dependencies with the partner's, coalition's and world's cover."""
    top = screen_df.head(TOP_PRODUCTS)
    if top.empty:
        return top, {}
    cover_cols = [c for c in ("partner_cover", "coalition_cover", "world_cover") if c in sub_df]
    if len(sub_df):
        top = top.merge(sub_df[["hs6", *cover_cols]], on="hs6", how="left")
    flags = [", ".join(f for f, on in (("dependent", d), ("persistent", p)) if on)
             for d, p in zip(top["dependent"], top["persistent"], strict=True)]
    top = top.assign(product=[_label("", n, 44) for n in top["product_name"]], flag=flags)
    columns = {"hs6": "HS6", "product": "product", "rival_usd": f"from {req.rival} (USD)",
               "rival_share": f"{req.rival} share", "severity": "severity", "flag": "flag"}
    if req.partner and "partner_cover" in top:
        columns["partner_cover"] = f"{req.partner} cover (×)"
    if req.coalition and "coalition_cover" in top:
        columns["coalition_cover"] = "coalition cover (×)"
    if "world_cover" in top:
        columns["world_cover"] = "world cover (×)"
    return top, columns


def _scenario(wh: Warehouse, req: BriefingRequest, draws: int
              ) -> tuple[pd.DataFrame, pd.DataFrame, str, dict[str, Any]]:
    spec_data = briefing_scenario(req, draws)
    try:
        spec = views.scenario_spec(scenario=spec_data)
        result = views.run_scenario(wh, spec)
    except KakehashiError as exc:
        return pd.DataFrame(), pd.DataFrame(), f"The scenario could not be run: {exc}", spec_data
    note = spec_data["description"] + " " + " ".join(getattr(result, "notes", []) or [])
    return views.scenario_table(result), views.scenario_summary(result), note.strip(), spec_data


def _portfolio(wh: Warehouse, req: BriefingRequest) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    return views.portfolio(wh, req.importer, req.rival, req.partner, req.workstream)


def _frontier_x(df: pd.DataFrame) -> str:
    return next((c for c in ("risk", "hhi", "rival_share") if c in df), str(df.columns[0]))


def _frontier_y(df: pd.DataFrame) -> str:
    return next((c for c in ("cost", "cost_usd", "extra_cost_usd") if c in df), str(df.columns[-1]))


def _workstream_commodities(wh: Warehouse, workstream: str) -> list[str]:
    codes = set(catalogue.select_products(workstream))
    usgs = catalogue.usgs_hs()
    wanted = sorted(set(usgs.loc[usgs["hs6"].isin(codes), "commodity"]))
    have: set[str] = set()
    if "production" in wh.tables():
        p = wh.table("production")
        have = set(wh.execute(p.select("commodity").distinct())["commodity"])
    return [c for c in wanted if c in have]


def _summary(req: BriefingRequest, screen_df: pd.DataFrame, dependent: pd.DataFrame, sub_df: pd.DataFrame,
             scenario_summary: pd.DataFrame, portfolio: pd.DataFrame, portfolio_note: str,
             labels: dict[str, str]) -> tuple[list[KeyFigure], list[str]]:
    totals = screen_mod.screen_totals(screen_df)
    share = totals.rival_import_share
    kf = [
        KeyFigure("Products screened", str(totals.products),
                  f"{req.workstream} goods imported in {req.year}"),
        KeyFigure("Dependent", str(totals.dependent),
                  f"{totals.persistent} persistent (dependent in 2 of the last 3 years)",
                  alert=totals.dependent > 0),
        KeyFigure(f"Imports from {req.rival}", fmt_usd(totals.rival_usd),
                  f"{fmt_share(share) if share is not None else '-'} of {fmt_usd(totals.imports_usd)} USD"),
    ]
    lines: list[str] = []
    if len(dependent):
        top = "; ".join(_label(str(h), n, 44) for h, n in
                        zip(dependent["hs6"].head(3), dependent["product_name"].head(3), strict=True))
        lines.append(f"{labels[req.importer]} is dependent on {req.rival} for {len(dependent)} of "
                     f"{len(screen_df)} {req.workstream} products imported in {req.year}; the most severe: "
                     f"{top}.")
    else:
        lines.append(f"No {req.workstream} product meets the dependency criteria for {req.importer} on "
                     f"{req.rival} in {req.year} ({len(screen_df)} products screened).")
    dep_sub = sub_df[sub_df["dependent"]] if len(sub_df) else sub_df
    if len(dep_sub):
        n = len(dep_sub)
        if req.partner:
            k = int((dep_sub["partner_cover"] >= 1).sum())
            kf.append(KeyFigure(f"{req.partner} could replace", f"{k} of {n}",
                                "dependent products where its spare exports ≥ the rival's supply"))
            lines.append(f"{labels.get(req.partner, req.partner)}'s spare exports would cover the rival's "
                         f"supply in full for {k} of the {n} dependent products.")
        if req.coalition:
            k = int((dep_sub["coalition_cover"] >= 1).sum())
            lines.append(f"The coalition {dep_sub['coalition'].iloc[0]} would cover it for {k} of {n}.")
        k = int((dep_sub["world_cover"] >= 1).sum())
        kf.append(KeyFigure("World could replace", f"{k} of {n}", "dependent products, all other exporters"))
        lines.append(f"All other exporters together would cover it for {k} of {n} (spare exports to third "
                     "countries; an upper bound that ignores contracts, quality and capacity).")
    mine = scenario_summary
    if len(mine) and {"importer", "metric"} <= set(mine.columns):
        mine = mine[(mine["importer"] == req.importer) & (mine["metric"] == "net_shortfall_usd")]
    if len(mine):
        r = mine.iloc[0]
        label = _label(str(r["hs6"]), r.get("product_name"), 44)
        kf.append(KeyFigure("Largest scenario shortfall", fmt_usd(r["p50"]),
                            f"{label}; median, 90% band {fmt_usd(r['p5'])}–{fmt_usd(r['p95'])} USD",
                            alert=True))
        lines.append(f"If {req.rival} put these goods under licence for 12 months, {req.importer}'s largest "
                     f"net shortfall after reallocation would be in {label}: a median {fmt_usd(r['p50'])} "
                     f"USD (5th–95th percentile {fmt_usd(r['p5'])}–{fmt_usd(r['p95'])}); see the scenario "
                     "chart for every product.")
    lines.append(portfolio_note if portfolio.empty else
                 f"The optimiser proposes a portfolio for {len(portfolio)} rows (see the portfolio table).")
    return kf, lines


def _appendix(wh: Warehouse, req: BriefingRequest, scenario_spec: dict[str, Any]) -> Appendix:
    th = screen_mod.DEFAULT_THRESHOLDS
    thresholds = pd.DataFrame([
        {"threshold": "import HHI above", "value": th.import_hhi, "source": "EU SWD(2021) 352; CEPII GeoDep"},
        {"threshold": "world-export HHI above", "value": th.world_export_hhi,
         "source": "EU SWD(2021) 352; CEPII GeoDep"},
        {"threshold": "imports / exports above", "value": th.import_export_ratio,
         "source": "EU SWD(2021) 352; CEPII GeoDep"},
        {"threshold": "persistent: dependent in at least", "value": f"{screen_mod.PERSISTENCE_MIN} of "
         f"{screen_mod.PERSISTENCE_WINDOW} years", "source": "CEPII GeoDep"},
    ])
    labels = provenance.source_labels(wh)
    log = provenance.ingest_log(wh)
    vintages = log[["table", "source", "rows", "years", "ingested_at"]] if len(log) else log
    sources = list(labels["source"].astype(str)) + list(log["source"].astype(str) if len(log) else [])
    method = [
        ("Dependency screen", "For each HS6 product: import HHI = Σ supplier share², the rival's share, the "
         "world-export HHI and imports against the importer's own exports. Dependent when all three exceed "
         "the thresholds below (EU 2021 strategic-dependencies screen as generalised by CEPII GeoDep); "
         "severity = 100 × rival share × import HHI × world-export HHI × max(0, 1 − exports/imports)."),
        ("Substitution capacity", "Spare exports: what each other supplier already ships to third "
         "countries; cover = spare exports ÷ imports from the rival (1× would replace it in full)."),
        ("Scenario", "Export restriction: direct loss φ × imports from the rival; other suppliers redirect "
         "a share θ of their spare exports, shared among the affected importers; shortfalls propagate down "
         "the catalogue's chain links; uncertain parameters drawn by Monte-Carlo (p5, p50, p95). "
         f"Scenario run: {scenario_spec.get('description', '')}"),
        ("Mineral production", "Country shares of world mine or refinery production, USGS Mineral "
         "Commodity Summaries format; world totals are kept apart."),
        ("Products", f"The {req.workstream} workstream of the kakehashi strategic-goods catalogue "
         f"(HS 2022 codes, each with its source); trade data in {req.revision}."),
    ]
    return Appendix(method=method, thresholds=thresholds, vintages=vintages,
                    sources=labels, licences=appendix.licences_for(sources), hs_revision=req.revision)


def default_name(importer: str, rival: str, partner: str | None, workstream: str, fmt: str) -> str:
    """File name of a pack: ``briefing-JPN-CHN-IND-critical-minerals.html``."""
    parts = ["briefing", importer, rival, *([partner] if partner else []), workstream]
    return "-".join(parts) + f".{fmt}"


def build_briefing(wh: Warehouse, importer: str, rival: str, partner: str | None, workstream: str,
                   fmt: str = "html", out: str | Path | None = None, *, coalition: Sequence[str] = (),
                   year: int | None = None, draws: int = SCENARIO_DRAWS) -> Path:
    """Write one briefing pack and return its path.

    Parameters
    ----------
    wh
        The warehouse (read-only is enough).
    importer, rival, partner
        ISO3 codes; ``partner`` may be ``None``.
    workstream
        Catalogue workstream, e.g. ``critical-minerals``.
    fmt
        ``html`` (one self-contained file) or ``pdf``.
    out
        File to write, or a directory (the file gets :func:`default_name`); default: the
        current directory.
    coalition
        Further partner countries for the substitution figures.
    year
        Trade year (default: the latest).
    draws
        Monte-Carlo draws of the scenario.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> build_briefing(wh, "JPN", "CHN", "IND", "critical-minerals", "pdf", "packs/")  # doctest: +SKIP
    PosixPath('packs/briefing-JPN-CHN-IND-critical-minerals.pdf')
    """
    if fmt not in FORMATS:
        raise unknown_value_error("format", fmt, FORMATS)
    briefing = collect_briefing(wh, importer, rival, partner, workstream, coalition=coalition, year=year,
                                draws=draws)
    name = default_name(briefing.importer, briefing.rival, briefing.partner, briefing.workstream, fmt)
    path = Path(out) if out is not None else Path(name)
    if path.is_dir() or (out is not None and str(out).endswith(("/", "\\"))):
        path = path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    html = render_html(briefing)
    if fmt == "html":
        path.write_text(html, encoding="utf-8")
    else:
        path.write_bytes(render_pdf(html))
    return path
