"""``kakehashi scenario ...`` and ``kakehashi measures ...`` (presentation only).

The analysis lives in :mod:`kakehashi.scenarios`; these commands read
options, call it and print or write what it returns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from kakehashi.cli.common import (
    EngineOpt,
    Format,
    MeasuresOpt,
    WarehouseOpt,
    app,
    console,
    console_err,
    emit,
    open_warehouse,
)
from kakehashi.config import measures_paths
from kakehashi.errors import InputError
from kakehashi.questions.defaults import DRAWS

scenario_app = typer.Typer(help="What-if scenarios: export restrictions and tariffs, with uncertainty bands.",
                           no_args_is_help=True)
measures_app = typer.Typer(help="The catalogue of real, dated measures (export controls, tariffs).",
                           no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
app.add_typer(measures_app, name="measures")

_EXT = {Format.csv: "csv", Format.json: "json", Format.parquet: "parquet", Format.table: "txt"}


def _date_option(text: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InputError(f"--as-of: cannot read the date {text!r}", value=text,
                         hint="write YYYY-MM-DD, e.g. 2026-11-21") from None


@scenario_app.command("run")
def scenario_run(
    spec_file: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="Scenario file (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Directory for the full table and the "
                                             "summary (NAME.<ext>, NAME-summary.<ext>).")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    top: Annotated[int, typer.Option(help="Rows of the summary printed as a table.", min=1)] = 20,
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
    for note in result.notes:
        console_err.print(f"note: {note}", highlight=False, soft_wrap=True)
    if out is not None:
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file", hint="give a directory; it is created if missing")
        out.mkdir(parents=True, exist_ok=True)
        ext = _EXT[fmt]
        emit(result.table, fmt, out / f"{spec.name}.{ext}")
        emit(result.summary.head(top), fmt, out / f"{spec.name}-summary.{ext}", title=f"{spec.name}: summary")
        if fmt is Format.table:
            console_err.print(f"wrote {out / f'{spec.name}.{ext}'} and the summary")
        return
    if fmt is Format.table:
        console.print(f"[bold]{spec.name}[/] — base year {spec.base_year} ({spec.hs_revision}), "
                      f"{result.draws} draw{'s' if result.draws != 1 else ''}, "
                      f"{len(result.table)} result rows", highlight=False)
        summary = result.summary
        if summary.empty:
            console.print("no trade is affected by this scenario in the base year")
            return
        short = summary[summary["metric"] == "net_shortfall_usd"].head(top)
        if len(short):
            emit(short[["importer", "hs6", "product_name", "p5", "p50", "p95", "share_p50"]]
                 .rename(columns={"share_p50": "share"}), fmt, None,
                 title="largest net shortfalls, USD over the period "
                 f"(restricting: {short['exporter'].iloc[0]})")
        cuts = summary[summary["metric"] == "trade_total_usd"].head(top)
        if len(cuts):
            emit(cuts[["importer", "exporter", "hs6", "product_name", "p5", "p50", "p95"]], fmt, None,
                 title="largest import cuts from taxed suppliers, USD per year (SMART trade effect)")
    else:
        emit(result.table, fmt, None)


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
) -> None:
    """List catalogued measures (and your own, --measures) with their status as of a date."""
    from kakehashi.scenarios.measures import catalogue, measures_as_of

    date = _date_option(as_of) if as_of else dt.date.today().isoformat()
    extra = measures_paths(measures)
    df = measures_as_of(date, country, extra=extra)
    if active:
        df = df[df["active"]]
    if fmt is Format.table:
        cols = ["id", "status", "since", "until", "rate", "flag", "sources"] + (["origin"] if extra else [])
        view = df[cols]
        cat = catalogue(extra)
        cutoff = cat.information_cutoff
        emit(view, fmt, out, title=f"measures as of {date}" + (f" ({country.upper()})" if country else ""),
             empty_message="no catalogued measure matches")
        if dt.date.fromisoformat(date) > cutoff:
            console_err.print(f"note: the catalogue has no information after {cutoff}; statuses after it "
                              "follow the dates announced before it", highlight=False)
        for path, user_cutoff in cat.files:
            if dt.date.fromisoformat(date) > user_cutoff:
                console_err.print(f"note: {path} has no information after {user_cutoff}", highlight=False,
                                  soft_wrap=True)
    else:
        emit(df, fmt, out)
