"""``kakehashi scenario ...`` and ``kakehashi measures ...`` (presentation only).

The analysis lives in :mod:`kakehashi.scenarios`; these commands read
options, call it and print or write what it returns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kakehashi.cli.common import (
    SYNTHETIC_LINE,
    EngineOpt,
    Format,
    MeasuresOpt,
    TopOpt,
    WarehouseOpt,
    app,
    console,
    console_err,
    emit,
    is_synthetic,
    note,
    open_warehouse,
)
from kakehashi.config import measures_paths
from kakehashi.errors import InputError
from kakehashi.questions.defaults import DRAWS, TOP_ROWS

if TYPE_CHECKING:
    import pandas as pd

scenario_app = typer.Typer(help="What-if scenarios: export restrictions and tariffs, with uncertainty bands.",
                           no_args_is_help=True, rich_markup_mode=None)
measures_app = typer.Typer(help="The catalogue of real, dated measures (export controls, tariffs).",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(scenario_app, name="scenario")
app.add_typer(measures_app, name="measures")

_EXT = {Format.csv: "csv", Format.json: "json", Format.parquet: "parquet", Format.table: "txt"}


def _date_option(text: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InputError(f"--as-of: cannot read the date {text!r}", value=text,
                         hint="write YYYY-MM-DD, e.g. 2026-11-21") from None


def _out_files(out: Path, name: str, fmt: Format) -> tuple[Path, Path]:
    """Where ``scenario run --out`` writes: ``NAME.<ext>`` and ``NAME-summary.<ext>`` in a folder (an
    existing one, or a new path without a suffix), or ``FILE`` and ``FILE-summary.<ext>`` beside it."""
    if out.is_dir() or (not out.exists() and not out.suffix):
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder --out {out}: {exc.strerror}",
                             hint="choose a writable place for --out") from None
        ext = _EXT[fmt]
        return out / f"{name}.{ext}", out / f"{name}-summary.{ext}"
    return out, out.with_name(f"{out.stem}-summary{out.suffix}")


def _shortfall_view(short: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Terminal view of the largest net shortfalls (USD with k/m/bn, p5/p50/p95, share of imports)."""
    import pandas as pd

    view = pd.DataFrame({"importer": short["importer"], "hs6": short["hs6"],
                         "product": short["product_name"], "p5": short["p5"], "p50": short["p50"],
                         "p95": short["p95"], "share of imports": short["share_p50"]})
    return view, {"p5": "usd", "p50": "usd", "p95": "usd", "share of imports": "share"}


def _cuts_view(cuts: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Terminal view of the largest import cuts of a tariff scenario (USD with k/m/bn per year)."""
    import pandas as pd

    view = pd.DataFrame({"importer": cuts["importer"], "exporter": cuts["exporter"], "hs6": cuts["hs6"],
                         "product": cuts["product_name"], "p5": cuts["p5"], "p50": cuts["p50"],
                         "p95": cuts["p95"]})
    return view, {"p5": "usd", "p50": "usd", "p95": "usd"}


@scenario_app.command("run")
def scenario_run(
    spec_file: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="Scenario file (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder (NAME.<ext> and "
                                             "NAME-summary.<ext> in it) or file (FILE and "
                                             "FILE-summary beside it) for the full table and the "
                                             "summary.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    top: Annotated[int, typer.Option(help="Rows of the summary printed as a table.", min=1)] = TOP_ROWS,
    measures: MeasuresOpt = None,
) -> None:
    """Run a scenario file on the warehouse's base-year trade flows.

    Prints the largest net shortfalls (and tariff effects) with p5/p50/p95
    bands; --out DIR writes the whole tidy table and the summary.
    """
    from kakehashi.scenarios.run import run_scenario
    from kakehashi.scenarios.spec import load_spec

    spec = load_spec(spec_file)
    wh = open_warehouse(warehouse, engine)
    result = run_scenario(spec, wh, measures=measures_paths(measures))
    for text in result.notes:
        note(text)
    synthetic = is_synthetic(wh)
    if out is not None:
        table_file, summary_file = _out_files(out, spec.name, fmt)
        emit(result.table, fmt, table_file, synthetic=synthetic)
        emit(result.summary, fmt, summary_file, title=f"{spec.name}: summary", top=None)
        return
    if fmt is Format.table:
        console.print(f"[bold]{spec.name}[/] — base year {spec.base_year} ({spec.hs_revision}), "
                      f"{result.draws} draw{'s' if result.draws != 1 else ''}, "
                      f"{len(result.table)} result rows", highlight=False)
        summary = result.summary
        if summary.empty:
            console.print("no trade is affected by this scenario in the base year")
            return
        if synthetic:
            console.print(SYNTHETIC_LINE, highlight=False)
        short = summary[summary["metric"] == "net_shortfall_usd"]
        nil = short["p95"].fillna(0) <= 0
        if len(short):
            view, kinds = _shortfall_view(short[~nil])
            emit(view, fmt, None, title="largest net shortfalls, USD over the period "
                 f"(restricting: {short['exporter'].iloc[0]})", kinds=kinds, top=top,
                 empty_message="no importer loses supply in any draw")
            if nil.any():
                console.print(f"{int(nil.sum()):,} importer-product pairs without a shortfall in any "
                              "draw are not listed", highlight=False)
        cuts = summary[summary["metric"] == "trade_total_usd"]
        if len(cuts):
            view, kinds = _cuts_view(cuts)
            emit(view, fmt, None, title="largest import cuts from taxed suppliers, USD per year (SMART "
                 "trade effect)", kinds=kinds, top=top)
    else:
        emit(result.table, fmt, None, synthetic=synthetic)


@scenario_app.command("from-measure")
def scenario_from_measure(
    measure_id: Annotated[str, typer.Argument(metavar="MEASURE_ID", help="Catalogue id, see "
                                              "'kakehashi measures list'.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the scenario file here.")] = None,
    base_year: Annotated[int | None, typer.Option(help="Baseline year (default: the latest year of data "
                                                  "not after the year before the measure).",
                                                  show_default=False)] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date whose rate a tariff uses "
                                              "(YYYY-MM-DD; default: its latest rate).")] = None,
    draws: Annotated[int, typer.Option(help="Monte-Carlo draws.", min=1)] = DRAWS,
    measures: MeasuresOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Write a scenario file that simulates one catalogued measure (the same scenario the API runs)."""
    from kakehashi.questions import whatif

    day = _date_option(as_of) if as_of else None
    years: list[int] = []
    if base_year is None:
        try:
            years = whatif.data_years(open_warehouse(warehouse, engine))
        except InputError:  # no warehouse: the catalogue's rule alone (the year before the measure)
            console_err.print("note: no warehouse, so the base year is the year before the measure; "
                              "pass --warehouse or --base-year", highlight=False, soft_wrap=True)
    spec = whatif.scenario_spec(measure_id=measure_id, data_years=years, base_year=base_year, draws=draws,
                                as_of=day, extra=measures_paths(measures))
    text = f"# written by 'kakehashi scenario from-measure {measure_id}'\n" + spec.to_yaml()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console_err.print(f"wrote {out}")


@scenario_app.command("example")
def scenario_example(
    name: Annotated[str | None, typer.Argument(help="Example name; omit to list them.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the file here.")] = None,
) -> None:
    """List the shipped example scenarios, or print / write one."""
    from kakehashi.scenarios.spec import example_names, example_text

    if name is None:
        for n in example_names():
            typer.echo(n)
        return
    text = example_text(name)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console_err.print(f"wrote {out}")


@measures_app.command("list")
def measures_list(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reading date, YYYY-MM-DD (default today).")
                     ] = None,
    country: Annotated[str | None, typer.Option("--country", "-c", help="ISO3: measures naming or "
                                                "covering this country.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only measures in force on the date.")] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
    measures: MeasuresOpt = None,
    top: TopOpt = TOP_ROWS,
    warehouse: Annotated[Path | None, typer.Option(
        "--warehouse", "-w", help="Also say whether each measure can be simulated on this warehouse "
        "(columns runnable, reason).", show_default=False)] = None,
    engine: EngineOpt = None,
) -> None:
    """List catalogued measures (and your own, --measures) with their status as of a date."""
    from kakehashi.questions.request import parse_country
    from kakehashi.scenarios.measures import catalogue, measures_as_of

    date = _date_option(as_of) if as_of else dt.date.today().isoformat()
    if country is not None:
        country = parse_country(country, field="--country")
    extra = measures_paths(measures)
    if warehouse is not None:
        from kakehashi.questions import whatif

        df = whatif.runnable_measures(open_warehouse(warehouse, engine), country, date, extra=extra)
    else:
        df = measures_as_of(date, country, extra=extra)
    if active:
        df = df[df["active"]]
    if fmt is Format.table:
        cols = ["id", "status", "since", "until", "rate", "flag", "sources"] + (["origin"] if extra else [])
        if warehouse is not None:
            df = df.assign(runnable=df["reason"].where(~df["runnable"], "yes"))
            cols += ["runnable"]
        view = df[cols]
        cat = catalogue(extra)
        cutoff = cat.information_cutoff
        emit(view, fmt, out, title=f"measures as of {date}" + (f" ({country.upper()})" if country else ""),
             kinds={"rate": "share"}, empty_message="no catalogued measure matches", top=top)
        if dt.date.fromisoformat(date) > cutoff:
            console_err.print(f"note: the catalogue has no information after {cutoff}; statuses after it "
                              "follow the dates announced before it", highlight=False)
        for path, user_cutoff in cat.files:
            if dt.date.fromisoformat(date) > user_cutoff:
                console_err.print(f"note: {path} has no information after {user_cutoff}", highlight=False,
                                  soft_wrap=True)
    else:
        emit(df, fmt, out)
