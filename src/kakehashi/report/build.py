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

Every number comes from the layer that answers questions
(:mod:`kakehashi.questions`); this module chooses what to show and in which
order, and writes the data behind every table beside the pack (a zip of CSV
files, or a folder with ``data=``).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from kakehashi import catalogue, provenance
from kakehashi.errors import InputError, KakehashiError, unknown_value_error
from kakehashi.metrics import screen as screen_mod
from kakehashi.present import fmt_share, fmt_usd, product_label
from kakehashi.present.labels import column_label
from kakehashi.present.labels import country_label as _n
from kakehashi.questions import briefing as briefing_q
from kakehashi.questions import defaults, exposure, replacement, whatif
from kakehashi.report import appendix, charts
from kakehashi.report.model import Appendix, Briefing, Figure, KeyFigure
from kakehashi.report.render import render_html, render_pdf
from kakehashi.scenarios import measures as scenario_measures
from kakehashi.scenarios.restriction import DEFAULT_THETA
from kakehashi.warehouse import Warehouse

Format = Literal["html", "pdf"]
FORMATS: tuple[str, ...] = ("html", "pdf")

TOP_PRODUCTS = 10
"""Dependencies listed on the summary page."""
SUPPLIER_CHARTS = 4
"""Products (the most severe dependencies) whose supplier shares are charted."""
MINERAL_CHARTS = 3
"""Mineral commodities of the workstream (highest rival share first) whose production is charted."""
RANKED_PRODUCTS = 15
"""Products in the ranked-dependencies chart."""


@dataclass(frozen=True)
class BriefingRequest:
    """Validated parameters of one pack (``importer`` is a country or a bloc label such as ``JPN+IND``)."""

    importer: str
    members: tuple[str, ...]
    rival: str
    partner: str | None
    coalition: tuple[str, ...]
    workstream: str
    year: int
    revision: str


def resolve(wh: Warehouse, importer: str, rival: str, partner: str | None, workstream: str,
            coalition: Sequence[str] = (), year: int | None = None) -> BriefingRequest:
    """Validate countries (the importer may be a bloc, ``JPN+IND``), workstream and year."""
    if workstream not in catalogue.workstreams():
        raise unknown_value_error("workstream", workstream, catalogue.workstreams())
    mem = tuple(screen_mod.validate_country(c, wh) for c in exposure.members(importer))
    riv = screen_mod.validate_country(rival, wh)
    par = screen_mod.validate_country(partner, wh) if partner else None
    coal = tuple(screen_mod.validate_country(c, wh) for c in coalition)
    if riv in mem or riv == par:
        raise InputError(f"the rival {riv} is also the importer or the partner", value=riv,
                         hint="choose a third country as rival, e.g. CHN")
    rev, yr = exposure.latest_year(wh, year)
    return BriefingRequest(exposure.label(mem), mem, riv, par, coal, workstream, yr, rev)


def briefing_scenario(req: BriefingRequest, draws: int = defaults.DRAWS) -> dict[str, Any]:
    """The pack's scenario (:func:`kakehashi.questions.whatif.licence_spec`)."""
    return whatif.licence_spec(req.members, req.rival, req.partner, req.workstream, base_year=req.year,
                               revision=req.revision, draws=draws)


def _named(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """``df`` with the ISO3 codes of ``column`` replaced by country names (for a chart's labels)."""
    return df.assign(**{column: df[column].map(_n)}) if column in df else df


def _label(hs6: str, name: object, width: int = 40) -> str:
    return product_label(hs6, name, width)


def collect_briefing(wh: Warehouse, importer: str, rival: str, partner: str | None, workstream: str, *,
                     coalition: Sequence[str] = (), year: int | None = None,
                     draws: int = defaults.DRAWS,
                     measures: scenario_measures.MeasuresFiles = None) -> Briefing:
    """Gather every table and chart of one pack (no rendering); ``data`` holds the table behind each;
    ``measures``: user measures files."""
    req = resolve(wh, importer, rival, partner, workstream, coalition, year)
    codes = [c for c in (*req.members, req.rival, req.partner, *req.coalition) if c]
    names = exposure.country_names(wh, codes)
    labels = {c: appendix.country_label(c, names.get(c)) for c in names}
    labels[req.importer] = labels.get(req.importer, " + ".join(labels[c] for c in req.members))
    labels_list = ", ".join(labels[c] for c in (*req.members, req.partner) if c)
    rival_name = names.get(req.rival, req.rival)
    rival_label = f"{rival_name} ({req.rival})" if rival_name != req.rival else req.rival
    synthetic = provenance.is_synthetic(wh)
    sub_by = f"partner {req.partner}" if req.partner else "no partner"
    imp, riv, par = _n(req.importer), _n(req.rival), _n(req.partner)  # names for captions and headers

    screen_df = exposure.screen(wh, req.members, req.rival, years=[req.year], products=req.workstream)
    sub_df = replacement.substitution(wh, req.members, req.rival, req.workstream, partner=req.partner,
                                      coalition=req.coalition, years=[req.year], only_dependent=False)
    data: dict[str, pd.DataFrame] = {"screen": screen_df, "substitution": sub_df}
    coverage = exposure.coverage(wh, screen_df, [req.year])
    revision = exposure.revision_statement(screen_df)

    figures: list[Figure] = []
    # ranked dependencies: severity beside the world's cover of the rival's supply
    ranked = pd.DataFrame()
    if len(screen_df):
        bought = screen_df[screen_df["rival_usd"] > 0].head(RANKED_PRODUCTS)
        ranked = bought[["hs6", "product_name", "severity", "rival_share", "rival_usd", "dependent"]]
        if len(sub_df):
            ranked = ranked.merge(sub_df[["hs6", "world_cover"]], on="hs6", how="left")
        else:
            ranked = ranked.assign(world_cover=float("nan"))
        ranked = ranked.assign(label=[_label(str(h), n, 34) for h, n in
                                      zip(ranked["hs6"], ranked["product_name"], strict=True)])
    n_bought = int((screen_df["rival_usd"] > 0).sum()) if len(screen_df) else 0
    bought_usd = float(screen_df["rival_usd"].sum()) if len(screen_df) else 0.0
    figures.append(Figure(
        "dependencies", "Most severe dependencies and who could replace the rival",
        f"The {len(ranked)} {req.workstream} products {imp} buys from {riv} with the highest "
        f"severity in {req.year} (red: dependent by the EU/CEPII criteria), and beside each the rest of the "
        f"world's spare exports as a multiple of {riv}'s supply (dashed line: 1×, enough to replace "
        f"it in full). All {n_bought} products bought from {riv} add to {fmt_usd(bought_usd)} USD "
        "(page 1; every product in screen.csv).",
        ranked, charts.severity_ranking(ranked, title=f"{imp} on {riv}: {req.workstream}, "
                                        f"{req.year}") if len(ranked) else None,
        empty=f"{imp} buys no {req.workstream} goods from {riv} in {req.year}.",
        columns={"hs6": "HS6", "product_name": "product", "severity": "severity",
                 "rival_share": f"{riv} share", "rival_usd": f"from {riv} (USD)",
                 "world_cover": "world cover (×)", "dependent": "dependent"}))

    # supplier shares of the most severe dependencies, one panel per product
    panels = []
    for _, row in screen_df[screen_df["rival_usd"] > 0].head(SUPPLIER_CHARTS).iterrows():
        shares = exposure.supplier_shares(wh, req.members, str(row["hs6"]), keep=(req.rival, req.partner))
        label = _label(str(row["hs6"]), row.get("product_name"), 60)
        panels.append(shares.assign(hs6=str(row["hs6"]), label=label))
    suppliers = pd.concat(panels, ignore_index=True) if panels else pd.DataFrame()
    latest = suppliers[suppliers["year"] == suppliers["year"].max()] if len(suppliers) else suppliers
    figures.append(Figure(
        "suppliers", "Who supplies the most severe dependencies",
        f"Share of {imp}'s imports by supplier and year for the {len(panels)} most severe "
        f"dependencies; {riv} in red" + (f", {par} in green" if req.partner else "")
        + f". The table gives the latest year ({req.year}); every year is in figure-suppliers.csv.",
        latest, charts.supplier_panels(_named(suppliers, "supplier"), title=f"{imp}: suppliers by year",
                                       rival=riv, partner=par if req.partner else None)
        if len(suppliers) else None,
        empty=f"{imp} buys no {req.workstream} goods from {riv} in {req.year}.",
        columns={"hs6": "HS6", "supplier": "supplier", "value_usd": "value (USD)", "share": "share"}))
    data["figure-suppliers"] = suppliers

    # scenario
    scenario_spec = briefing_scenario(req, draws)
    if len(screen_df) and float(screen_df["rival_usd"].sum()) > 0:
        scenario_table, scenario_summary, scenario_note = _scenario(wh, scenario_spec)
    else:  # nothing bought from the rival: nothing to restrict
        scenario_table, scenario_summary = pd.DataFrame(), pd.DataFrame()
        scenario_note = (f"No scenario: {imp} bought no {req.workstream} goods from {riv} "
                         f"in {req.year}.")
    data["scenario"], data["scenario-summary"] = scenario_table, scenario_summary
    bands = pd.DataFrame()
    if len(scenario_table):
        positive = briefing_q.net_shortfall(scenario_table, req.members)
        bands = whatif.bands_table(scenario_table[scenario_table["importer"].isin(req.members)],
                                   "net_shortfall_usd", with_importer=len(req.members) > 1,
                                   top=max(15, len(positive)))
        if len(positive):  # the total on page 1, reconciled with this table
            scenario_note += (f" The medians of the {len(positive)} products with a shortfall add to "
                              f"{fmt_usd(positive['p50'].sum())} USD (page 1).")
    figures.append(Figure(
        "scenario", "Scenario: export licensing by the rival",
        scenario_note, bands,
        charts.scenario_bands(bands, title="Net shortfall after reallocation",
                              subtitle=f"{imp}, median and 5th–95th percentile, {draws} draws")
        if len(bands) else None,
        empty=scenario_note,
        columns={"label": "product", **({"tier": "tier"} if "tier" in bands and (bands["tier"] > 0).any()
                                        else {}),
                 "p5": "low, 5th percentile (USD)", "p50": "median (USD)",
                 "p95": "high, 95th percentile (USD)"},
        kinds={"p5": "usd", "p50": "usd", "p95": "usd"}))

    # portfolio and frontier (the shared defaults: rival cap at today's share, max change, λ)
    div = replacement.diversification(wh, req.members, req.rival, partner=req.partner,
                                      products=req.workstream, year=req.year)
    frontier_df = div.frontier
    portfolio = div.portfolio.table if div.portfolio is not None else pd.DataFrame()
    port_products = div.portfolio.products if div.portfolio is not None else pd.DataFrame()
    data.update({"portfolio": portfolio, "portfolio-products": port_products, "frontier": frontier_df})
    front = replacement.frontier_view(frontier_df)
    figures.append(Figure(
        "frontier", "Risk–cost frontier of diversified sourcing",
        "Each point is the portfolio the optimiser proposes for one weight on cost against risk (0: cost "
        "ignored; further left, more weight on cost: less extra cost, less risk reduction): supply "
        f"risk (import-weighted HHI of the {req.workstream} products) against the extra cost as a share of "
        f"the import bill. {div.note}", front,
        charts.cost_risk_frontier(front, title="Risk against cost of sourcing portfolios",
                                  subtitle=f"{imp}, {req.workstream}, from {req.year}")
        if len(front) else None, empty=div.note,
        columns={"lam": column_label("lam"), "risk": "risk (HHI)", "extra_cost_usd": "extra cost (USD)",
                 "extra_cost_pct": "extra cost (% of bill)", "rival_share": f"{riv} share"},
        kinds={"lam": "num", "risk": "num", "extra_cost_pct": "num"}))
    if len(port_products):
        totals = briefing_q.portfolio_totals(port_products)
        total_note = "" if totals is None else (
            f" Over the {totals.products} solved products, import-weighted, {riv}'s share goes from "
            f"{fmt_share(totals.rival_share_before)} to {fmt_share(totals.rival_share_after)}; the extra "
            f"costs add to {fmt_usd(totals.extra_cost_usd)} USD (page 1).")
        figures.append(Figure("portfolio", "Proposed sourcing portfolio", div.note + total_note,
                              port_products, None, empty="", columns=_portfolio_columns(req, port_products),
                              max_rows=10))

    # minerals: every stage in the data, mine beside refinery
    commodities = exposure.workstream_commodities(wh, req.workstream)
    stages = exposure.stage_summary(wh, commodities, req.rival, req.partner)
    if len(stages):
        # commodities with several stages in the data first (mine beside refinery), then the rival's hold
        per = stages.groupby("commodity").agg(n=("stage", "nunique"), hold=("rival_share", "max"))
        ranked_c = per.sort_values(["n", "hold"], ascending=False).index.tolist()[:MINERAL_CHARTS]
        shares = exposure.stage_shares(wh, ranked_c, top=5)
        data["figure-minerals-shares"] = shares
        cols = {"commodity": "commodity", "stage": "stage", "year": "year",
                "rival_share": f"{riv} share", "top_country": "top producer", "top_share": "its share"}
        if req.partner:
            cols["partner_share"] = f"{par} share"
        figures.append(Figure(
            "minerals", "World production: mining and refining",
            f"Share of world production by country and stage (USGS Mineral Commodity Summaries format), "
            f"{riv} in red" + (f", {par} in green" if req.partner else "")
            + f". Charts: {len(ranked_c)} commodities, those with more than one stage in the data first, "
            f"then those where {riv}'s share is highest; "
            "the table: every commodity of the workstream with production data.",
            stages, charts.stage_shares(_named(shares, "country"),
                                        title="Mine and refinery production shares",
                                        rival=riv, partner=par if req.partner else None),
            columns=cols, kinds={"year": "year"}))

    figures.extend(_cables_figures(wh, req))
    figures.append(_measures_figure(req, measures))
    key_figures = _key_figures(req, screen_df, sub_df, scenario_table, div)
    ctx = briefing_q.Context(importer=labels[req.importer], rival=rival_label, workstream=req.workstream,
                             year=req.year, partner=labels.get(req.partner) if req.partner else None)
    # the scenario's figures come from its table (the one printed), so that page 1 and the table agree
    summary = briefing_q.key_messages(ctx, screen_df, sub_df, scenario_table, port_products, req.members)
    actions = briefing_q.actions(ctx, sub_df, scenario_table, port_products, req.members)
    top_table, top_columns = _top_table(req, screen_df, sub_df)
    data["top-dependencies"] = top_table
    for f in figures:
        data.setdefault(f"figure-{f.key}", f.table)
    app = _appendix(wh, req, scenario_spec, coverage, revision)
    data["thresholds"] = app.thresholds
    return Briefing(
        title=(f"{labels_list}: dependence on {rival_name} ({req.rival}), "
               f"{catalogue.workstream_name(req.workstream)}"),
        subtitle=f"Importer {req.importer}, rival {req.rival}, {sub_by}; trade year {req.year} "
                 f"({revision.text() or req.revision}); generated from warehouse snapshot {wh.snapshot_id}",
        importer=req.importer, rival=req.rival, partner=req.partner, workstream=req.workstream,
        year=req.year, synthetic=synthetic, snapshot=wh.snapshot_id or "",
        key_figures=key_figures, summary=summary, actions=actions, figures=figures,
        appendix=app, names=labels,
        top_table=top_table, top_columns=top_columns, data=data, scenario=scenario_spec,
        warnings=coverage,
    )


def _cables_figures(wh: Warehouse, req: BriefingRequest) -> list[Figure]:
    """The submarine-cable section of the ICT pack (issue 15): only for the ``ict`` workstream and
    a warehouse holding the cable tables; see :func:`kakehashi.report.cables.pack_figures`."""
    from kakehashi.questions.cables import TABLES
    from kakehashi.report.cables import pack_figures

    if req.workstream != "ict" or not set(TABLES) <= set(wh.tables()):
        return []
    return pack_figures(wh, req.members, req.rival, req.partner, req.year)


def _measures_figure(req: BriefingRequest, measures: scenario_measures.MeasuresFiles) -> Figure:
    """Catalogued measures (and the user's, ``measures``) on the workstream's goods, as of today."""
    today = dt.date.today().isoformat()
    countries = [c for c in (req.importer, req.partner) if c]
    df = whatif.measures_on_products(catalogue.select_products(req.workstream), countries, today, measures)
    files = scenario_measures.catalogue(measures).files
    mine = f"; origin: the bundled catalogue or {', '.join(p for p, _ in files)}" if files else ""
    return Figure(
        "measures", f"Measures on {req.workstream} goods",
        f"Export controls, tariffs and other measures as of {today} that name {' or '.join(countries)} "
        f"(or apply to every country) and cover {req.workstream} goods. Flag V: stated in a source; "
        f"V?: sources disagree or only partly cover it; U: unverified{mine}.",
        df, None, empty=f"No catalogued measure names {' or '.join(countries)} and covers "
                        f"{req.workstream} goods on {today}.",
        columns={"id": "measure", "status": "status", "since": "since", "until": "until", "rate": "rate",
                 "flag": "flag", "sources": "sources", "origin": "origin"}, kinds={"rate": "share"})
def _portfolio_columns(req: BriefingRequest, products: pd.DataFrame) -> dict[str, str]:
    cols = {"hs6": "HS6", "product_name": "product", "rival_share_before": f"{_n(req.rival)} share now",
            "rival_share_after": f"{_n(req.rival)} share proposed"}
    if req.partner or len(req.members) > 1:
        cols.update({"partner_share_before": "partner share now",
                     "partner_share_after": "partner share proposed",
                     "partner_share_falls": "partner share falls"})
    cols.update({"extra_cost_usd": "extra cost (USD)", "status": "status"})
    if len(req.members) > 1:
        cols = {"importer": "importer", **cols}
    return {k: v for k, v in cols.items() if k in products}


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
    columns = {"hs6": "HS6", "product": "product", "rival_usd": f"from {_n(req.rival)} (USD)",
               "rival_share": f"{_n(req.rival)} share", "severity": "severity", "flag": "flag"}
    if req.partner and "partner_cover" in top:
        columns["partner_cover"] = f"{_n(req.partner)} cover (×)"
    if req.coalition and "coalition_cover" in top:
        columns["coalition_cover"] = "coalition cover (×)"
    if "world_cover" in top:
        columns["world_cover"] = "world cover (×)"
    return top, columns


def _scenario(wh: Warehouse, spec_data: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    try:
        spec = whatif.scenario_spec(scenario=spec_data)
        result = whatif.run(wh, spec)
    except KakehashiError as exc:
        return pd.DataFrame(), pd.DataFrame(), f"The scenario could not be run: {exc}"
    note = spec_data["description"] + " " + " ".join(getattr(result, "notes", []) or [])
    return result.table, whatif.summary(result), note.strip()


def _key_figures(req: BriefingRequest, screen_df: pd.DataFrame, sub_df: pd.DataFrame,
                 scenario_table: pd.DataFrame, div: replacement.Diversification) -> list[KeyFigure]:
    """The headline numbers of page 1; each is also in a table or chart of the pack."""
    totals = screen_mod.screen_totals(screen_df)
    share = totals.rival_import_share
    kf = [
        KeyFigure("Products screened", str(totals.products),
                  f"{req.workstream} goods imported in {req.year}"),
        KeyFigure("Dependent", str(totals.dependent),
                  f"{totals.persistent} persistent (dependent in {defaults.PERSISTENCE_MIN} of the last "
                  f"{defaults.PERSISTENCE_WINDOW} years)",
                  alert=totals.dependent > 0),
        KeyFigure(f"Imports from {_n(req.rival)}", fmt_usd(totals.rival_usd),
                  f"{fmt_share(share) if share is not None else '-'} of {fmt_usd(totals.imports_usd)} USD"),
    ]
    counts = replacement.replace_counts(sub_df) if len(sub_df) else {}
    cover = f"{defaults.COULD_REPLACE_COVER:g}×"
    if counts and counts["world"].n:
        n = counts["world"].n
        if req.partner and "partner" in counts:
            kf.append(KeyFigure(f"{_n(req.partner)} could replace", f"{counts['partner'].k} of {n}",
                                f"dependent products where its spare exports ≥ {cover} the rival's supply"))
        if req.coalition and "coalition" in counts:
            kf.append(KeyFigure("Coalition could replace", f"{counts['coalition'].k} of {n}",
                                "dependent products, the partner and the coalition together"))
        kf.append(KeyFigure("World could replace", f"{counts['world'].k} of {n}",
                            "dependent products, all other exporters"))
    rows = briefing_q.net_shortfall(scenario_table, req.members)
    if len(rows):
        kf.append(KeyFigure("Scenario shortfall", fmt_usd(rows["p50"].sum()),
                            f"sum of the median net shortfalls of {len(rows)} products, "
                            f"{defaults.SCENARIO_MONTHS}-month licence (USD)", alert=True))
    t = briefing_q.portfolio_totals(div.portfolio.products) if div.portfolio is not None else None
    if t is not None:
        kf.append(KeyFigure(f"{_n(req.rival)} share, proposed",
                            f"{fmt_share(t.rival_share_before, 0)} → {fmt_share(t.rival_share_after, 0)}",
                            f"import-weighted over the {t.products} products of the portfolio; extra cost "
                            f"{fmt_usd(t.extra_cost_usd)} USD"))
    return kf


def thresholds_table(th: defaults.Thresholds = defaults.THRESHOLDS) -> pd.DataFrame:
    """The thresholds of the screen as printed in a method table (values as text: 0.4, not 0)."""
    src = "EU SWD(2021) 352; CEPII GeoDep"
    return pd.DataFrame([
        {"threshold": "import HHI above", "value": f"{th.import_hhi:g}", "source": src},
        {"threshold": "world-export HHI above", "value": f"{th.world_export_hhi:g}", "source": src},
        {"threshold": "imports / exports above", "value": f"{th.import_export_ratio:g}", "source": src},
        {"threshold": "persistent: dependent in at least",
         "value": f"{defaults.PERSISTENCE_MIN} of {defaults.PERSISTENCE_WINDOW} years",
         "source": "CEPII GeoDep"},
    ])


def _appendix(wh: Warehouse, req: BriefingRequest, scenario_spec: dict[str, Any],
              coverage: Sequence[str] = (), revision: exposure.RevisionStatement | None = None) -> Appendix:
    thresholds = thresholds_table()
    labels = provenance.source_labels(wh)
    log = provenance.ingest_log(wh)
    vintages = log[["table", "source", "rows", "years", "ingested_at"]] if len(log) else log
    sources = list(labels["source"].astype(str)) + list(log["source"].astype(str) if len(log) else [])
    method = [
        ("Dependency screen", "For each HS6 product: import HHI = the sum of the squared supplier shares, "
         "the rival's share, the world-export HHI and imports against the importer's own exports. "
         "Dependent when all three exceed "
         f"the thresholds below ({defaults.THRESHOLDS.describe()}; EU 2021 strategic-dependencies screen as "
         "generalised by CEPII GeoDep); "
         "severity = 100 × rival share × import HHI × world-export HHI × max(0, 1 − exports/imports)."),
        ("Substitution capacity", "Spare exports: what each other supplier already ships to third "
         "countries; cover = spare exports ÷ imports from the rival; a group could replace the rival when "
         f"its cover is at least {defaults.COULD_REPLACE_COVER:g}×."),
        ("Scenario", "Export restriction: direct loss = the share of the rival's shipments stopped (the "
         "measure's severity, 1 for a ban) × imports from the rival; other suppliers redirect a share "
         f"of their spare exports (by default {fmt_share(DEFAULT_THETA, 0)}), shared among the affected "
         "importers; shortfalls propagate down the catalogue's chain links; uncertain parameters drawn by "
         "Monte-Carlo (p5, p50, p95). "
         f"Scenario run: {scenario_spec.get('description', '')}"),
        ("Portfolio", "Next-period supplier shares minimising supply risk plus the weight on cost × extra "
         "cost within each supplier's spare exports; defaults: the rival's share may not rise above "
         f"today's, no share moves by more than {defaults.MAX_CHANGE:g} in one period, weight on cost "
         f"{defaults.COST_WEIGHT:g}; products where the partner's share falls are flagged."),
        ("Mineral production", "Country shares of world mine or refinery production, USGS Mineral "
         "Commodity Summaries format; world totals are kept apart."),
        ("Products", f"The {req.workstream} workstream of the kakehashi strategic-goods catalogue "
         f"(HS 2022 codes, each with its source); trade data in {req.revision}"
         + (f" ({revision.text()}; conversion through the UN HS concordance, values conserved)"
            if revision is not None and revision.converted_rows else "") + "."),
        ("Coverage", " ".join(coverage) if coverage else
         f"The trade of {req.year} covers enough exporters and importers for world-export concentration "
         "to be read from it."),
    ]
    return Appendix(method=method, thresholds=thresholds, vintages=vintages,
                    sources=labels, licences=provenance.licences_for(sources), hs_revision=req.revision)


def default_name(importer: str, rival: str, partner: str | None, workstream: str, fmt: str) -> str:
    """File name of a pack: ``briefing-JPN-CHN-IND-critical-minerals.html`` (a bloc as ``JPN+IND``)."""
    parts = ["briefing", importer, rival, *([partner] if partner else []), workstream]
    return "-".join(parts) + f".{fmt}"


def data_name(pack_name: str) -> str:
    """File name of a pack's data: ``briefing-...-critical-minerals-data.zip``."""
    return Path(pack_name).stem + "-data.zip"


def data_files(b: Briefing) -> dict[str, bytes]:
    """The data behind every table of a pack: one CSV per table, and the scenario that was run (YAML)."""
    import yaml

    files = {f"{key}.csv": df.to_csv(index=False).encode("utf-8") for key, df in b.data.items()}
    if b.scenario:
        text = yaml.safe_dump(b.scenario, sort_keys=False, allow_unicode=True)
        files["scenario.yaml"] = text.encode("utf-8")
    return files


def write_data(b: Briefing, target: Path) -> Path:
    """Write :func:`data_files` to a zip file (``target`` ends in ``.zip``) or into a folder."""
    files = data_files(b)
    if target.suffix == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, blob in files.items():
                z.writestr(name, blob)
        target.write_bytes(buf.getvalue())
        return target
    if target.exists() and not target.is_dir():
        raise InputError(f"--data {target} is a file",
                         hint="give a folder (created if missing) or a .zip name")
    target.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (target / name).write_bytes(blob)
    return target


def build_briefing(wh: Warehouse, importer: str, rival: str, partner: str | None, workstream: str,
                   fmt: str = "html", out: str | Path | None = None, *, coalition: Sequence[str] = (),
                   year: int | None = None, draws: int = defaults.DRAWS,
                   data: str | Path | None = None,
                   measures: scenario_measures.MeasuresFiles = None) -> Path:
    """Write one briefing pack and the data behind its tables; return the pack's path.

    Parameters
    ----------
    wh
        The warehouse (read-only is enough).
    importer, rival, partner
        ISO3 codes (the importer may be a bloc, ``JPN+IND``); ``partner`` may be ``None``.
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
        Monte-Carlo draws of the scenario (default :data:`kakehashi.questions.defaults.DRAWS`).
    data
        Where to write the data behind every table: a folder, or a ``.zip`` file;
        default: a zip next to the pack (:func:`data_name`). The pack names it.
    measures
        User measures files whose measures join the bundled ones in the pack's measures table.

    Returns
    -------
    pathlib.Path
        The written pack.

    Examples
    --------
    >>> build_briefing(wh, "JPN", "CHN", "IND", "critical-minerals", "pdf", "packs/")  # doctest: +SKIP
    PosixPath('packs/briefing-JPN-CHN-IND-critical-minerals.pdf')
    """
    if fmt not in FORMATS:
        raise unknown_value_error("format", fmt, FORMATS)
    briefing = collect_briefing(wh, importer, rival, partner, workstream, coalition=coalition, year=year,
                                draws=draws, measures=measures)
    name = default_name(briefing.importer, briefing.rival, briefing.partner, briefing.workstream, fmt)
    path = Path(out) if out is not None else Path(name)
    if path.is_dir() or (out is not None and str(out).endswith(("/", "\\"))):
        path = path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    target = Path(data) if data is not None else path.with_name(data_name(path.name))
    written = write_data(briefing, target)
    briefing.data_file = written.name + ("" if written.suffix == ".zip" else "/")
    html = render_html(briefing)
    if fmt == "html":
        path.write_text(html, encoding="utf-8")
    else:
        path.write_bytes(render_pdf(html))
    return path
