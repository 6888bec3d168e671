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
from kakehashi.questions import defaults, exposure, replacement, whatif
from kakehashi.report import appendix, charts
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


def country_names(wh: Warehouse, codes: Sequence[str]) -> dict[str, str]:
    """English names of ``codes`` from the warehouse's ``countries`` table (the code itself if absent)."""
    names = {c: c for c in codes}
    if "countries" in wh.tables():
        t = wh.table("countries")
        df = wh.execute(t.filter(t.iso3.isin(list(codes))).select("iso3", "name"))
        names.update(dict(zip(df["iso3"], df["name"], strict=True)))
    return names


def briefing_scenario(req: BriefingRequest, draws: int = defaults.DRAWS) -> dict[str, Any]:
    """The pack's scenario (:func:`kakehashi.questions.whatif.licence_spec`)."""
    return whatif.licence_spec(req.members, req.rival, req.partner, req.workstream, base_year=req.year,
                               revision=req.revision, draws=draws)


def _label(hs6: str, name: object, width: int = 40) -> str:
    return product_label(hs6, name, width)


def collect_briefing(wh: Warehouse, importer: str, rival: str, partner: str | None, workstream: str, *,
                     coalition: Sequence[str] = (), year: int | None = None,
                     draws: int = defaults.DRAWS,
                     measures: scenario_measures.MeasuresFiles = None) -> Briefing:
    """Gather every table and chart of one pack (no rendering); ``data`` holds the table behind each;
    ``measures``: user measures files."""
    req = resolve(wh, importer, rival, partner, workstream, coalition, year)
    names = country_names(wh, [c for c in (*req.members, req.rival, req.partner, *req.coalition) if c])
    labels = {c: appendix.country_label(c, names.get(c)) for c in names}
    labels[req.importer] = labels.get(req.importer, " + ".join(labels[c] for c in req.members))
    labels_list = ", ".join(labels[c] for c in (*req.members, req.partner) if c)
    synthetic = provenance.is_synthetic(wh)
    sub_by = f"partner {req.partner}" if req.partner else "no partner"

    screen_df = exposure.screen(wh, req.members, req.rival, years=[req.year], products=req.workstream)
    sub_df = replacement.substitution(wh, req.members, req.rival, req.workstream, partner=req.partner,
                                      coalition=req.coalition, years=[req.year], only_dependent=False)
    dependent = screen_df[screen_df["dependent"]] if len(screen_df) else screen_df
    data: dict[str, pd.DataFrame] = {"screen": screen_df, "substitution": sub_df}
    coverage = exposure.coverage(wh, screen_df, [req.year])
    revision = exposure.revision_statement(screen_df)

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
        shares = exposure.supplier_shares(wh, req.members, str(row["hs6"]), keep=(req.rival, req.partner))
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
    scenario_spec = briefing_scenario(req, draws)
    if len(screen_df) and float(screen_df["rival_usd"].sum()) > 0:
        scenario_table, scenario_summary, scenario_note = _scenario(wh, scenario_spec)
    else:  # nothing bought from the rival: nothing to restrict
        scenario_table, scenario_summary = pd.DataFrame(), pd.DataFrame()
        scenario_note = (f"No scenario: {req.importer} bought no {req.workstream} goods from {req.rival} "
                         f"in {req.year}.")
    data["scenario"], data["scenario-summary"] = scenario_table, scenario_summary
    bands = pd.DataFrame()
    if len(scenario_table):
        bands = whatif.bands_table(scenario_table[scenario_table["importer"].isin(req.members)],
                                   "net_shortfall_usd", with_importer=len(req.members) > 1)
    figures.append(Figure(
        "scenario", "Scenario: export licensing by the rival",
        scenario_note, bands,
        charts.scenario_bands(bands, title="Net shortfall after reallocation",
                              subtitle=f"{req.importer}, median and 5th–95th percentile, {draws} draws")
        if len(bands) else None,
        empty=scenario_note,
        columns={"label": "product", "tier": "tier", "p5": "p5 (USD)", "p50": "median (USD)",
                 "p95": "p95 (USD)"}, kinds={"p5": "usd", "p50": "usd", "p95": "usd"}))

    # portfolio and frontier (the shared defaults: rival cap at today's share, max change, λ)
    div = replacement.diversification(wh, req.members, req.rival, partner=req.partner,
                                      products=req.workstream, year=req.year)
    frontier_df = div.frontier
    portfolio = div.portfolio.table if div.portfolio is not None else pd.DataFrame()
    port_products = div.portfolio.products if div.portfolio is not None else pd.DataFrame()
    data.update({"portfolio": portfolio, "portfolio-products": port_products, "frontier": frontier_df})
    figures.append(Figure(
        "frontier", "Risk–cost frontier of diversified sourcing", div.note, frontier_df,
        charts.frontier(frontier_df, title="Risk against cost of sourcing portfolios",
                        x=_frontier_x(frontier_df), y=_frontier_y(frontier_df))
        if len(frontier_df) else None, empty=div.note))
    if len(port_products):
        figures.append(Figure("portfolio", "Proposed sourcing portfolio", div.note, port_products, None,
                              empty="", columns=_portfolio_columns(req, port_products)))

    # minerals
    for commodity in exposure.workstream_commodities(wh, req.workstream)[:MINERAL_CHARTS]:
        prod = exposure.production_shares(wh, commodity)
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

    figures.extend(_cables_figures(wh, req))
    figures.append(_measures_figure(req, measures))
    key_figures, summary = _summary(req, screen_df, dependent, sub_df, scenario_summary, div, labels)
    top_table, top_columns = _top_table(req, screen_df, sub_df)
    data["top-dependencies"] = top_table
    for f in figures:
        data.setdefault(f"figure-{f.key}", f.table)
    app = _appendix(wh, req, scenario_spec, coverage, revision)
    data["thresholds"] = app.thresholds
    rival_name = names.get(req.rival, req.rival)
    return Briefing(
        title=f"{labels_list}: dependence on {rival_name} ({req.rival}), {req.workstream}",
        subtitle=f"Importer {req.importer}, rival {req.rival}, {sub_by}; trade year {req.year} "
                 f"({revision.text() or req.revision}); generated from warehouse snapshot {wh.snapshot_id}",
        importer=req.importer, rival=req.rival, partner=req.partner, workstream=req.workstream,
        year=req.year, synthetic=synthetic, snapshot=wh.snapshot_id or "",
        key_figures=key_figures, summary=summary, figures=figures,
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
    cols = {"hs6": "HS6", "product_name": "product", "rival_share_before": f"{req.rival} share now",
            "rival_share_after": f"{req.rival} share proposed"}
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
    columns = {"hs6": "HS6", "product": "product", "rival_usd": f"from {req.rival} (USD)",
               "rival_share": f"{req.rival} share", "severity": "severity", "flag": "flag"}
    if req.partner and "partner_cover" in top:
        columns["partner_cover"] = f"{req.partner} cover (×)"
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


def _frontier_x(df: pd.DataFrame) -> str:
    return next((c for c in ("risk", "hhi", "rival_share") if c in df), str(df.columns[0]))


def _frontier_y(df: pd.DataFrame) -> str:
    return next((c for c in ("cost", "cost_usd", "extra_cost_usd") if c in df), str(df.columns[-1]))


def _summary(req: BriefingRequest, screen_df: pd.DataFrame, dependent: pd.DataFrame, sub_df: pd.DataFrame,
             scenario_summary: pd.DataFrame, div: replacement.Diversification,
             labels: dict[str, str]) -> tuple[list[KeyFigure], list[str]]:
    totals = screen_mod.screen_totals(screen_df)
    share = totals.rival_import_share
    kf = [
        KeyFigure("Products screened", str(totals.products),
                  f"{req.workstream} goods imported in {req.year}"),
        KeyFigure("Dependent", str(totals.dependent),
                  f"{totals.persistent} persistent (dependent in {defaults.PERSISTENCE_MIN} of the last "
                  f"{defaults.PERSISTENCE_WINDOW} years)",
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
    counts = replacement.replace_counts(sub_df) if len(sub_df) else {}
    cover = f"{defaults.COULD_REPLACE_COVER:g}×"
    if counts and counts["world"].n:
        n = counts["world"].n
        if req.partner and "partner" in counts:
            k = counts["partner"].k
            kf.append(KeyFigure(f"{req.partner} could replace", f"{k} of {n}",
                                f"dependent products where its spare exports ≥ {cover} the rival's supply"))
            lines.append(f"{labels.get(req.partner, req.partner)}'s spare exports would cover the rival's "
                         f"supply in full for {k} of the {n} dependent products.")
        if req.coalition and "coalition" in counts:
            dep_sub = sub_df[sub_df["dependent"]]
            lines.append(f"The coalition {dep_sub['coalition'].iloc[0]} would cover it for "
                         f"{counts['coalition'].k} of {n}.")
        k = counts["world"].k
        kf.append(KeyFigure("World could replace", f"{k} of {n}", "dependent products, all other exporters"))
        lines.append(f"All other exporters together would cover it for {k} of {n} (spare exports to third "
                     "countries; an upper bound that ignores contracts, quality and capacity).")
    mine = scenario_summary
    if len(mine) and {"importer", "metric"} <= set(mine.columns):
        mine = mine[mine["importer"].isin(req.members) & (mine["metric"] == "net_shortfall_usd")]
        mine = mine[mine["p50"] > 0]
    if len(mine):
        r = mine.iloc[0]
        label = _label(str(r["hs6"]), r.get("product_name"), 44)
        kf.append(KeyFigure("Largest scenario shortfall", fmt_usd(r["p50"]),
                            f"{label}; median, 90% band {fmt_usd(r['p5'])}–{fmt_usd(r['p95'])} USD",
                            alert=True))
        lines.append(f"If {req.rival} put these goods under licence for {defaults.SCENARIO_MONTHS} months, "
                     f"{req.importer}'s largest net shortfall after reallocation would be in {label}: "
                     "a median "
                     f"{fmt_usd(r['p50'])} USD (5th–95th percentile {fmt_usd(r['p5'])}–{fmt_usd(r['p95'])}); "
                     "see the scenario chart for every product.")
    port = div.portfolio
    if port is None or port.products.empty:
        lines.append(div.note)
    else:
        n = int((port.products["status"] == "optimal").sum())
        falls = port.partner_falls
        fall_text = f"; the partner's share falls for {len(falls)} ({', '.join(falls[:5])})" if falls else ""
        lines.append(f"The optimiser proposes a portfolio for {n} product{'s' if n != 1 else ''}; "
                     f"{replacement.cap_text(port.settings['rival_cap'])}" + fall_text
                     + " (see the portfolio table).")
    return kf, lines


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
        ("Dependency screen", "For each HS6 product: import HHI = Σ supplier share², the rival's share, the "
         "world-export HHI and imports against the importer's own exports. Dependent when all three exceed "
         f"the thresholds below ({defaults.THRESHOLDS.describe()}; EU 2021 strategic-dependencies screen as "
         "generalised by CEPII GeoDep); "
         "severity = 100 × rival share × import HHI × world-export HHI × max(0, 1 − exports/imports)."),
        ("Substitution capacity", "Spare exports: what each other supplier already ships to third "
         "countries; cover = spare exports ÷ imports from the rival; a group could replace the rival when "
         f"its cover is at least {defaults.COULD_REPLACE_COVER:g}×."),
        ("Scenario", "Export restriction: direct loss φ × imports from the rival; other suppliers redirect "
         "a share θ of their spare exports, shared among the affected importers; shortfalls propagate down "
         "the catalogue's chain links; uncertain parameters drawn by Monte-Carlo (p5, p50, p95). "
         f"Scenario run: {scenario_spec.get('description', '')}"),
        ("Portfolio", "Next-period supplier shares minimising supply risk plus λ × extra cost within each "
         "supplier's spare exports; defaults: the rival's share may not rise above today's, no share "
         f"moves by more than {defaults.MAX_CHANGE:g} in one period, λ = {defaults.COST_WEIGHT:g}; products "
         "where the partner's share falls are flagged."),
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
