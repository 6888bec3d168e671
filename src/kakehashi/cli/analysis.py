"""Analysis commands: ``screen``, ``substitutes``, ``complementarity``, ``minerals``.

Presentation only: each command parses options with the request grammar
(:mod:`kakehashi.questions.request`), asks one question (:mod:`kakehashi.questions`
or the library) and writes its table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from kakehashi.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    OutOpt,
    TopOpt,
    WarehouseOpt,
    app,
    console,
    console_err,
    emit,
    is_synthetic,
    open_warehouse,
)
from kakehashi.questions import defaults
from kakehashi.questions.defaults import TOP_ROWS
from kakehashi.questions.request import (
    bloc_label,
    parse_bloc,
    parse_bloc_with,
    parse_country,
    parse_country_list,
    parse_precedence,
    parse_products,
    parse_years,
)

if TYPE_CHECKING:
    import pandas as pd

    from kakehashi.warehouse import Warehouse

ImporterOpt = Annotated[str, typer.Option("--importer", "-i", help="Importer ISO3 code, or a bloc "
                                          "such as JPN+IND (trade inside the bloc is excluded).")]
RivalOpt = Annotated[str, typer.Option("--rival", "-r", help="Rival supplier, ISO3 code.")]
YearsOpt = Annotated[str | None, typer.Option("--years", "-y", help="Years: 2023, 2021-2023 or 2021,2023 "
                                              "(default: all years of the data).", show_default=False)]
WorkstreamOpt = Annotated[str | None, typer.Option(
    "--workstream", help="Only this catalogue workstream: critical-minerals, semiconductors, ict, "
    "clean-energy, medicines, ai-data-centres.", show_default=False)]
HsOpt = Annotated[str | None, typer.Option("--hs", help="Only these HS 2022 six-digit codes, "
                                           "comma-separated.", show_default=False)]
RevisionOpt = Annotated[str | None, typer.Option("--revision", help="HS revision of the analysis (default "
                                                 "HS22; trade held in other revisions is converted through "
                                                 "the concordance).", show_default=False)]

PrecedenceOpt = Annotated[str | None, typer.Option(
    "--precedence", help="Sources in order of preference when a year has trade from several, "
    "comma-separated (default \"CEPII BACI,UN Comtrade\"), e.g. \"UN Comtrade,CEPII BACI\".",
    show_default=False)]


def _screen_view(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of the screen (files and JSON keep every column, in USD)."""
    import pandas as pd

    from kakehashi.present import fmt_yes

    view = pd.DataFrame({
        "hs6": df["hs6"],
        "product": df["product_name"],
        "year": df["year"],
        "imports USD m": df["imports_usd"],
        "imp HHI": df["import_hhi"],
        "top": df["top_supplier"],
        "rival share": df["rival_share"],
        "wld HHI": df["world_export_hhi"],
        "imp/ exp": df["import_export_ratio"],
        "dep": df["dependent"].map(fmt_yes),
        "pers": df["persistent"].map(fmt_yes),
        "sever- ity": df["severity"],
    })
    kinds = {"imports USD m": "usd_m", "imp HHI": "hhi", "rival share": "share", "wld HHI": "hhi",
             "imp/ exp": "num2", "sever- ity": "score", "year": "year"}
    return view, kinds


def _substitutes_view(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of substitution capacity."""
    import pandas as pd

    view = pd.DataFrame({
        "hs6": df["hs6"],
        "product": df["product_name"],
        "year": df["year"],
        "from rival USD m": df["rival_usd"],
        "partner cover": df["partner_cover"],
        "coali- tion cover": df["coalition_cover"],
        "world cover": df["world_cover"],
        "top candidates (spare USD, RCA)": df["top_candidates"],
    })
    kinds = {"from rival USD m": "usd_m", "partner cover": "num2", "coali- tion cover": "num2",
             "world cover": "num2", "year": "year"}
    return view, kinds


def _complementarity_view(df: pd.DataFrame, exporter: str, importer: str
                          ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of the complementarity index."""
    import pandas as pd

    exp_col, imp_col = f"{exporter} exports USD m", f"{importer} imports USD m"
    view = pd.DataFrame({
        "scope": df["scope"], "year": df["year"], "TCI 0-100": df["tci"],
        exp_col: df["exporter_exports_usd"], imp_col: df["importer_imports_usd"],
        "products": df["n_products"],
    })
    return view, {"year": "year", "TCI 0-100": "score", exp_col: "usd_m", imp_col: "usd_m",
                  "products": "count"}


def _minerals_view(df: pd.DataFrame, with_importer: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of mineral supply risk (the sum-vs-USGS ratio is said below it).

    With an importer, its import share from the rival and its import reliance take the place of
    the reserves columns (files keep every column).
    """
    import pandas as pd

    from kakehashi.present import fmt_share

    top = [f"{c} {fmt_share(s, 0)}" if isinstance(c, str) else "-"
           for c, s in zip(df["top_producer"], df["top_share"], strict=True)]
    view = pd.DataFrame({
        "commodity": df["commodity"], "stage": df["stage"], "year": df["year"], "unit": df["unit"],
        "country sum": df["country_sum"], "prod HHI": df["hhi"], "WGI HHI": df["hhi_wgi"],
        "top producer": top, "rival share": df["rival_share"],
    })
    kinds = {"year": "year", "country sum": "count", "prod HHI": "hhi", "WGI HHI": "score",
             "rival share": "share0"}
    if with_importer:
        view["imp rival"] = df["importer_rival_import_share"]
        view["reli- ance"] = df["import_reliance"]
        kinds.update({"imp rival": "share0", "reli- ance": "share0"})
    else:
        view["res HHI"] = df["reserves_hhi"]
        view["rival res"] = df["rival_reserves_share"]
        kinds.update({"res HHI": "hhi", "rival res": "share0"})
    return view, kinds


def _warn_coverage(wh: Warehouse, df: pd.DataFrame, years: list[int] | None, revision: str | None,
                   precedence: tuple[str, ...] | None) -> None:
    """Print the coverage warnings of the years shown (stderr), as the web and the packs show them."""
    from kakehashi.questions.exposure import coverage

    for line in coverage(wh, df, years, revision=revision, precedence=precedence):
        console_err.print(f"warning: {line}", highlight=False, soft_wrap=True, markup=False)


def _revision_note(df: pd.DataFrame) -> str:
    """Header words for the analysis revision and the converted rows."""
    from kakehashi.questions.exposure import revision_statement

    text = revision_statement(df).text()
    return f" [{text}]" if text else ""


def _say_empty(df: pd.DataFrame, fmt: Format, message: str) -> None:
    if df.empty and fmt is not Format.table:
        console_err.print(message)


@app.command()
def screen(
    importer: ImporterOpt,
    rival: RivalOpt,
    partner: Annotated[str | None, typer.Option(
        "--partner", "-p", help="Screen the importer and this partner as one bloc (e.g. IND).",
        show_default=False)] = None,
    workstream: WorkstreamOpt = None,
    hs: HsOpt = None,
    years: YearsOpt = None,
    dependent_only: Annotated[bool, typer.Option("--dependent-only",
                                                 help="Show dependent products only.")] = False,
    import_hhi: Annotated[float, typer.Option("--import-hhi",
                                              help="Threshold: import HHI above this.")
                  ] = defaults.THRESHOLDS.import_hhi,
    export_hhi: Annotated[float, typer.Option("--export-hhi", help="Threshold: world-export HHI above "
                                              "this.")] = defaults.THRESHOLDS.world_export_hhi,
    ratio: Annotated[float, typer.Option("--ratio", help="Threshold: imports above this multiple of "
                                         "exports.")] = defaults.THRESHOLDS.import_export_ratio,
    revision: RevisionOpt = None,
    precedence: PrecedenceOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    top: TopOpt = TOP_ROWS,
) -> None:
    """Dependency screen: per product and year, import concentration, the rival's share,
    world-export concentration, net-import ratio, the EU/CEPII dependency flag, persistence
    and a severity score (100 x rival share x import HHI x world-export HHI
    x max(0, 1 - exports/imports))."""
    from kakehashi.metrics.screen import SCREEN_UNITS
    from kakehashi.questions import exposure

    bloc = parse_bloc_with(importer, partner)
    products = parse_products(workstream, hs, field="--hs")
    thresholds = defaults.Thresholds(import_hhi, export_hhi, ratio)
    prec = parse_precedence(precedence, field="--precedence")
    wh = open_warehouse(warehouse, engine)
    df = exposure.screen(wh, bloc, rival, years=parse_years(years), products=products, thresholds=thresholds,
                         revision=revision, dependent_only=dependent_only, precedence=prec)
    _warn_coverage(wh, df, parse_years(years), revision, prec)
    note = _revision_note(df)
    who = bloc_label(bloc)
    scope = f" ({workstream})" if workstream else ""
    empty = (f"No {'dependent ' if dependent_only else ''}products{scope} found for {who} "
             f"against {rival.upper()} in the selected years.")
    _say_empty(df, fmt, empty)
    units, kinds = dict(SCREEN_UNITS), None
    if fmt is Format.table:
        df, kinds = _screen_view(df)
        units = {}
    title = f"Dependency screen: {who} vs {rival.upper()}{scope}{note}, sorted by severity"
    if fmt is Format.table:
        title += ("\nHHI 0-1 (imp: imports, wld: world exports); imp/exp: imports/exports (- = no "
                  "exports); dep: dependent; pers: persistent; severity 0-100")
    emit(df, fmt, out, title=title, units=units, kinds=kinds, empty_message=empty, top=top,
         synthetic=is_synthetic(wh))


@app.command()
def substitutes(
    importer: ImporterOpt,
    rival: RivalOpt,
    partner: Annotated[str | None, typer.Option("--partner", "-p", help="Partner whose spare exports "
                                                "are reported first (ISO3).", show_default=False)] = None,
    coalition: Annotated[str | None, typer.Option("--coalition", help="Further coalition members, "
                                                  "comma-separated (e.g. AUS,USA,KOR).",
                                                  show_default=False)] = None,
    workstream: WorkstreamOpt = None,
    hs: HsOpt = None,
    years: Annotated[str | None, typer.Option("--years", "-y", help="Years (default: the latest year).",
                                              show_default=False)] = None,
    all_products: Annotated[bool, typer.Option("--all-products", help="Every product bought from the "
                                               "rival, not only dependent ones.")] = False,
    top: Annotated[int, typer.Option("--top", help="Candidate suppliers listed per product.")
                   ] = defaults.CANDIDATES,
    revision: RevisionOpt = None,
    precedence: PrecedenceOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    rows: Annotated[int, typer.Option("--rows", help="Products shown in a table (files and "
                                      "--format csv|json keep every row).", min=1)] = TOP_ROWS,
) -> None:
    """Substitution capacity: how much of the rival's supply the partner, the coalition and the
    rest of the world could replace from their current exports to third countries."""
    from kakehashi.metrics.substitution import SUBSTITUTION_UNITS
    from kakehashi.questions import replacement

    bloc = parse_bloc(importer)
    coal = parse_country_list(coalition)
    products = parse_products(workstream, hs, field="--hs")
    prec = parse_precedence(precedence, field="--precedence")
    wh = open_warehouse(warehouse, engine)
    df = replacement.substitution(
        wh, bloc, rival, products, partner=parse_country(partner, field="partner") if partner else None,
        coalition=coal,
        years=parse_years(years), only_dependent=not all_products, top=top, revision=revision,
        precedence=prec,
    )
    _warn_coverage(wh, df, parse_years(years), revision, prec)
    note = _revision_note(df)
    what = "products bought from" if all_products else "dependent products supplied by"
    empty = f"No {what} {rival.upper()} for {bloc_label(bloc)} in the selected years; nothing to substitute."
    _say_empty(df, fmt, empty)
    units, kinds = dict(SUBSTITUTION_UNITS), None
    if fmt is Format.table:
        df, kinds = _substitutes_view(df)
        units = {}
    who = f"partner {partner.upper()}" if partner else "no partner"
    if coalition:
        who += f", coalition {bloc_label(coal)}"
    title = f"Substitution capacity for {bloc_label(bloc)} replacing {rival.upper()} ({who}){note}"
    if fmt is Format.table:
        title += "\ncover = spare exports to third countries / imports from the rival"
    emit(df, fmt, out, title=title, units=units, kinds=kinds, empty_message=empty, top=rows,
         top_option="--rows", synthetic=is_synthetic(wh))


@app.command()
def complementarity(
    exporter: Annotated[str, typer.Option("--exporter", "-e", help="Exporter ISO3 code.")],
    importer: Annotated[str, typer.Option("--importer", "-i", help="Importer ISO3 code.")],
    workstream: WorkstreamOpt = None,
    years: YearsOpt = None,
    revision: RevisionOpt = None,
    precedence: PrecedenceOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    top: TopOpt = TOP_ROWS,
) -> None:
    """Trade complementarity index (WITS, 0-100) of the exporter's exports with the importer's
    imports, overall and per workstream."""
    from kakehashi.questions import exposure

    prec = parse_precedence(precedence, field="--precedence")
    wh = open_warehouse(warehouse, engine)
    df = exposure.complementarity(wh, exporter, importer, years=parse_years(years), workstream=workstream,
                                  revision=revision, precedence=prec)
    _warn_coverage(wh, df, parse_years(years), revision, prec)
    empty = f"No trade of {exporter.upper()} or {importer.upper()} in the selected years."
    _say_empty(df, fmt, empty)
    title = (f"Trade complementarity (WITS TCI): {exporter.upper()} exports vs {importer.upper()} imports"
             f"{_revision_note(df)}")
    units, kinds = {"tci": "0-100", "exporter_exports_usd": "USD", "importer_imports_usd": "USD"}, None
    if fmt is Format.table:
        df, kinds = _complementarity_view(df, exporter.upper(), importer.upper())
        units = {}
        title += "\n0 = nothing the exporter sells is bought by the importer; 100 = identical baskets"
    emit(df, fmt, out, title=title, units=units, kinds=kinds, empty_message=empty, top=top,
         synthetic=is_synthetic(wh))


@app.command()
def minerals(
    commodity: Annotated[str | None, typer.Option("--commodity", "-c", help="USGS commodity key, e.g. "
                                                  "rare-earths (default: all).", show_default=False)] = None,
    rival: Annotated[str, typer.Option("--rival", "-r", help="Country whose shares are reported.")] = "CHN",
    importer: Annotated[str | None, typer.Option("--importer", "-i", help="Importer for import reliance "
                                                 "(needs trade data).", show_default=False)] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only this stage, e.g. mine.",
                                              show_default=False)] = None,
    years: YearsOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    top: TopOpt = TOP_ROWS,
) -> None:
    """Mineral supply risk: production concentration (HHI and governance-weighted HHI), top producer,
    the rival's share of production and reserves, and import reliance."""
    from kakehashi.metrics.minerals import SUPPLY_RISK_UNITS, supply_risk

    wh = open_warehouse(warehouse, engine)
    df = supply_risk(wh, commodity=commodity, rival=rival, importer=importer, years=parse_years(years),
                     stage=stage)
    empty = "No production data match the selection."
    _say_empty(df, fmt, empty)
    view, units, kinds = df, dict(SUPPLY_RISK_UNITS), None
    title = f"Mineral supply risk (rival {rival.upper()})"
    if fmt is Format.table:
        view, kinds = _minerals_view(df, bool(importer))
        units = {}
        title += ("\nHHI 0-1 (prod: production, res: reserves); WGI HHI: governance-weighted HHI "
                  "(0-10); shares of the country sum" + ("; --format csv for reserves" if importer else ""))
        if importer:
            title += (f"\nimp rival: share of {importer.upper()}'s imports from {rival.upper()}; "
                      "reliance: net import reliance (tonnes, indicative)")
    emit(view, fmt, out, title=title, units=units, kinds=kinds, empty_message=empty, top=top,
         synthetic=is_synthetic(wh))
    if fmt is Format.table and not df.empty:
        ratio = df["sum_vs_world_total"].dropna()
        if len(ratio):
            console.print(
                f"Shares use the sum of country rows; that sum is {ratio.min():.1%}-{ratio.max():.1%} of "
                "USGS's rounded world total across these rows (column sum_vs_world_total)."
            )
