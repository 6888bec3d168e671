"""Analysis commands: ``screen``, ``substitutes``, ``complementarity``, ``minerals``.

Presentation only: each command parses options with the request grammar
(:mod:`kakehashi.questions.request`), asks one question (:mod:`kakehashi.questions`
or the library) and writes its table.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from kakehashi.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    OutOpt,
    WarehouseOpt,
    app,
    console,
    console_err,
    emit,
    open_warehouse,
)
from kakehashi.questions import defaults
from kakehashi.questions.request import (
    bloc_label,
    parse_bloc,
    parse_bloc_with,
    parse_country,
    parse_country_list,
    parse_products,
    parse_years,
)
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


def _short(df: pd.DataFrame, col: str = "product_name", width: int = 32) -> pd.DataFrame:
    """Shorten long names for the terminal table (files keep them whole)."""
    out = df.copy()
    out[col] = out[col].map(
        lambda v: v if not isinstance(v, str) or len(v) <= width else v[: width - 1] + "…"
    )
    return out


def _yes(v: object) -> str:
    return "yes" if bool(v) else "no"


def _screen_view(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of the screen (files and JSON keep every column, in USD)."""
    view = pd.DataFrame({
        "hs6": df["hs6"],
        "product": _short(df, width=20)["product_name"],
        "year": df["year"],
        "imports": df["imports_usd"] / 1e6,
        "imp_hhi": df["import_hhi"],
        "top": df["top_supplier"],
        "rival_sh": df["rival_share"],
        "wld_hhi": df["world_export_hhi"],
        "imp/exp": df["import_export_ratio"],
        "dep": df["dependent"].map(_yes),
        "pers": df["persistent"].map(_yes),
        "severity": df["severity"],
    })
    return view, {"imports": "USD m"}


def _substitutes_view(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of substitution capacity."""
    view = pd.DataFrame({
        "hs6": df["hs6"],
        "product": _short(df, width=20)["product_name"],
        "year": df["year"],
        "from_rival": df["rival_usd"] / 1e6,
        "partner": df["partner_cover"],
        "coalition": df["coalition_cover"],
        "world": df["world_cover"],
        "top candidates (spare USD, RCA)": df["top_candidates"],
    })
    units = {"from_rival": "USD m", "partner": "cover", "coalition": "cover", "world": "cover"}
    return view, units


def _warn_coverage(wh: Warehouse, df: pd.DataFrame, years: list[int] | None, revision: str | None) -> None:
    """Print the library's coverage warnings for the years shown (stderr)."""
    from kakehashi.metrics.coverage import coverage_warnings

    shown = sorted({int(y) for y in df["year"]}) if len(df) else years
    for line in coverage_warnings(wh, shown, revision=revision):
        console_err.print(f"warning: {line}", highlight=False, soft_wrap=True, markup=False)


def _revision_note(df: pd.DataFrame) -> str:
    """Header words for the analysis revision and the converted rows."""
    if df.empty or "hs_revision" not in df.columns:
        return ""
    rev = ", ".join(sorted({str(r) for r in df["hs_revision"]}))
    conv = int(df["converted"].sum()) if "converted" in df.columns else 0
    return f" [{rev}" + (f"; {conv} rows converted from other HS revisions]" if conv else "]")


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
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Dependency screen: per product and year, import concentration, the rival's share,
    world-export concentration, net-import ratio, the EU/CEPII dependency flag, persistence
    and a severity score (100 x rival share x import HHI x world-export HHI
    x max(0, 1 - exports/imports))."""
    from kakehashi.metrics.screen import SCREEN_UNITS
    from kakehashi.questions import exposure

    bloc = parse_bloc_with(importer, partner)
    products = parse_products(workstream, hs)
    thresholds = defaults.Thresholds(import_hhi, export_hhi, ratio)
    wh = open_warehouse(warehouse, engine)
    df = exposure.screen(wh, bloc, rival, years=parse_years(years), products=products, thresholds=thresholds,
                         revision=revision, dependent_only=dependent_only)
    _warn_coverage(wh, df, parse_years(years), revision)
    note = _revision_note(df)
    who = bloc_label(bloc)
    scope = f" ({workstream})" if workstream else ""
    empty = (f"No {'dependent ' if dependent_only else ''}products{scope} found for {who} "
             f"against {rival.upper()} in the selected years.")
    _say_empty(df, fmt, empty)
    units = dict(SCREEN_UNITS)
    if fmt is Format.table:
        df, units = _screen_view(df)
    title = f"Dependency screen: {who} vs {rival.upper()}{scope}{note}, sorted by severity"
    if fmt is Format.table:
        title += ("\nimp_hhi, wld_hhi: import and world-export HHI (0-1); rival_sh: rival's share (0-1); "
                  "imp/exp: imports/exports (- = no exports); severity 0-100")
    emit(df, fmt, out, title=title, units=units, empty_message=empty)


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
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Substitution capacity: how much of the rival's supply the partner, the coalition and the
    rest of the world could replace from their current exports to third countries."""
    from kakehashi.metrics.substitution import SUBSTITUTION_UNITS
    from kakehashi.questions import replacement

    bloc = parse_bloc(importer)
    coal = parse_country_list(coalition)
    products = parse_products(workstream, hs)
    wh = open_warehouse(warehouse, engine)
    df = replacement.substitution(
        wh, bloc, rival, products, partner=parse_country(partner, field="partner") if partner else None,
        coalition=coal,
        years=parse_years(years), only_dependent=not all_products, top=top, revision=revision,
    )
    _warn_coverage(wh, df, parse_years(years), revision)
    note = _revision_note(df)
    what = "products bought from" if all_products else "dependent products supplied by"
    empty = f"No {what} {rival.upper()} for {bloc_label(bloc)} in the selected years; nothing to substitute."
    _say_empty(df, fmt, empty)
    units = dict(SUBSTITUTION_UNITS)
    if fmt is Format.table:
        df, units = _substitutes_view(df)
    who = f"partner {partner.upper()}" if partner else "no partner"
    if coalition:
        who += f", coalition {bloc_label(coal)}"
    title = f"Substitution capacity for {bloc_label(bloc)} replacing {rival.upper()} ({who}){note}"
    if fmt is Format.table:
        title += "\ncover = spare exports to third countries / imports from the rival"
    emit(df, fmt, out, title=title, units=units, empty_message=empty)


@app.command()
def complementarity(
    exporter: Annotated[str, typer.Option("--exporter", "-e", help="Exporter ISO3 code.")],
    importer: Annotated[str, typer.Option("--importer", "-i", help="Importer ISO3 code.")],
    workstream: WorkstreamOpt = None,
    years: YearsOpt = None,
    revision: RevisionOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Trade complementarity index (WITS, 0-100) of the exporter's exports with the importer's
    imports, overall and per workstream."""
    from kakehashi.metrics.complementarity import complementarity_frame

    wh = open_warehouse(warehouse, engine)
    df = complementarity_frame(wh, exporter, importer, years=parse_years(years), workstream=workstream,
                               revision=revision)
    _warn_coverage(wh, df, parse_years(years), revision)
    empty = f"No trade of {exporter.upper()} or {importer.upper()} in the selected years."
    _say_empty(df, fmt, empty)
    title = (f"Trade complementarity (WITS TCI): {exporter.upper()} exports vs {importer.upper()} imports"
             f"{_revision_note(df)}")
    units = {"tci": "0-100", "exporter_exports_usd": "USD", "importer_imports_usd": "USD"}
    if fmt is Format.table:
        df = pd.DataFrame({
            "scope": df["scope"], "year": df["year"], "tci": df["tci"],
            "exports": df["exporter_exports_usd"] / 1e6, "imports": df["importer_imports_usd"] / 1e6,
            "products": df["n_products"],
        })
        units = {"tci": "0-100", "exports": f"{exporter.upper()}, USD m",
                 "imports": f"{importer.upper()}, USD m"}
        title += "\n0 = nothing the exporter sells is bought by the importer; 100 = identical baskets"
    emit(df, fmt, out, title=title, units=units, empty_message=empty)


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
) -> None:
    """Mineral supply risk: production concentration (HHI and governance-weighted HHI), top producer,
    the rival's share of production and reserves, and import reliance."""
    from kakehashi.metrics.minerals import SUPPLY_RISK_UNITS, supply_risk

    wh = open_warehouse(warehouse, engine)
    df = supply_risk(wh, commodity=commodity, rival=rival, importer=importer, years=parse_years(years),
                     stage=stage)
    empty = "No production data match the selection."
    _say_empty(df, fmt, empty)
    view, units, title = df, dict(SUPPLY_RISK_UNITS), f"Mineral supply risk (rival {rival.upper()})"
    if fmt is Format.table:
        view = pd.DataFrame({
            "commodity": df["commodity"], "stage": df["stage"], "year": df["year"], "unit": df["unit"],
            "country_sum": df["country_sum"], "vs_usgs": df["sum_vs_world_total"], "hhi": df["hhi"],
            "hhi_wgi": df["hhi_wgi"], "top": df["top_producer"], "top_sh": df["top_share"],
            "rival_sh": df["rival_share"], "res_hhi": df["reserves_hhi"],
            "rival_res": df["rival_reserves_share"],
        })
        units = {}
        title += ("\nvs_usgs: country sum / USGS world total; hhi, res_hhi: production and reserves HHI "
                  "(0-1); hhi_wgi: governance-weighted HHI (0-10); shares 0-1")
        if importer:
            view["imp_rival"] = df["importer_rival_import_share"]
            view["reliance"] = df["import_reliance"]
            title += (f"\nimp_rival: share of {importer.upper()}'s imports from {rival.upper()}; "
                      "reliance: net import reliance (tonnes, indicative)")
    emit(view, fmt, out, title=title, units=units, empty_message=empty)
    if fmt is Format.table and not df.empty:
        ratio = df["sum_vs_world_total"].dropna()
        if len(ratio):
            console.print(
                f"Shares use the sum of country rows; that sum is {ratio.min():.1%}-{ratio.max():.1%} of "
                "USGS's rounded world total across these rows (column sum_vs_world_total)."
            )
