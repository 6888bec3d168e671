"""``kakehashi status``: what the warehouse holds (presentation of :mod:`kakehashi.questions.inventory`)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from kakehashi.cli.common import EngineOpt, Format, WarehouseOpt, app, emit, open_warehouse, say
from kakehashi.errors import year_span


class StatusFormat(StrEnum):
    """Output formats of ``status``."""

    table = "table"
    json = "json"


@app.command("status")
def status_command(
    warehouse: WarehouseOpt = None,
    fmt: Annotated[StatusFormat, typer.Option("--format", "-f", help="Output format.")] = StatusFormat.table,
    verify: Annotated[bool, typer.Option("--verify", help="Check every file's sha256 against the manifest "
                                         "(reads all data; without it only presence and sizes).")] = False,
    engine: EngineOpt = None,
    precedence: Annotated[str | None, typer.Option(
        "--precedence", help="Sources in order of preference when a year has trade from several, "
        "comma-separated (default \"CEPII BACI,UN Comtrade\").", show_default=False)] = None,
) -> None:
    """Tables, trade years by HS revision and source, the source each year uses, sources and
    licences, snapshots, integrity."""
    import pandas as pd

    from kakehashi.questions.inventory import inventory
    from kakehashi.questions.request import parse_precedence

    prec = parse_precedence(precedence, field="--precedence")
    wh = open_warehouse(warehouse, engine)
    inv = inventory(wh, verify=verify, precedence=prec)
    if fmt is StatusFormat.json:
        typer.echo(json.dumps(inv.to_dict(), indent=1, ensure_ascii=False))
        return
    label = "SYNTHETIC sample data, not real statistics" if inv.synthetic else "real data"
    say(f"warehouse {inv.warehouse}, snapshot {inv.snapshot} ({label})")
    checks = inv.integrity
    if not checks["checksummed"]:
        say("integrity: written without checksums (an older kakehashi); files checked for presence only")
    elif checks["checked"] == "sha256":
        say(f"integrity: {checks['files']} files match their sha256 checksums")
    else:
        say(f"integrity: {checks['files']} files present with their sizes (--verify checks checksums)")
    def span(years: list[int]) -> str:
        return year_span(years, empty="")

    emit(inv.tables.assign(years=inv.tables["years"].map(span)), Format.table, None, title="Tables")
    trade = inv.trade_years.assign(years=inv.trade_years["years"].map(span))
    emit(trade, Format.table, None, title="Trade flows by HS revision and source",
         units={"value_usd": "USD"}, empty_message="no trade flows")
    by_year = inv.sources_by_year.assign(set_aside=inv.sources_by_year["set_aside"].replace("", "-"))
    emit(by_year, Format.table, None, empty_message="no trade flows",
         title=f"Source used each year (precedence {', '.join(inv.precedence)})")
    sources = inv.sources.drop(columns=["terms", "publisher"]).assign(  # --format json keeps them
        years=inv.sources["years"].map(span), last_ingested=inv.sources["last_ingested"].str[:10])
    emit(sources, Format.table, None, title="Sources")
    snaps = inv.snapshots.assign(current=inv.snapshots["current"].map({True: "*", False: ""}))
    emit(pd.DataFrame(snaps), Format.table, None, title="Snapshots (* current)")
