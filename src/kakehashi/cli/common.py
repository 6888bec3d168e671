"""Shared CLI pieces: the Typer app, common options, output formats."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from kakehashi.errors import InputError
from kakehashi.warehouse import Warehouse

app = typer.Typer(
    name="kakehashi",
    help="Economic-security supply-chain analysis: where a country depends on a rival, "
    "who could replace it, what a ban or tariff would do, and what to do about it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Pipes and CI logs get a wide console so tables are not folded into unreadable columns.
console = Console(width=None if sys.stdout.isatty() else 160)
console_err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


class Format(StrEnum):
    """Output formats of tabular commands."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", "-w", help="Warehouse directory (default: $KAKEHASHI_WAREHOUSE "
                 "or ./kakehashi-warehouse).", show_default=False),
]
EngineOpt = Annotated[
    str | None,
    typer.Option("--engine", help="Query engine: duckdb (default) or spark.", show_default=False),
]
MeasuresOpt = Annotated[
    list[Path] | None,
    typer.Option("--measures", help="Your measures file (YAML in the schema of the bundled catalogue), "
                 "added to the bundled measures; repeatable (default: $KAKEHASHI_MEASURES).",
                 show_default=False),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")]


def open_warehouse(path: Path | None, engine: str | None, *, read_only: bool = True) -> Warehouse:
    """Open the warehouse for a command, refusing a missing one with a hint."""
    wh = Warehouse(path, engine=engine, read_only=read_only)
    if read_only and wh.snapshot_id is None:
        raise InputError(
            f"no warehouse at {wh.path}",
            hint="create one with 'kakehashi sample --size tiny --out sample' and "
            "'kakehashi ingest sample sample', or pass --warehouse",
        )
    return wh


MAX_YEAR_SPAN = 200
"""Longest range ``--years A-B`` accepted (B - A + 1 years); a longer one is refused before it is expanded."""


def parse_years(text: str | None) -> list[int] | None:
    """Parse ``2021``, ``2021-2023`` or ``2019,2021`` into a list of years (a range spans at most
    :data:`MAX_YEAR_SPAN` years)."""
    if text is None or text == "":
        return None
    years: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a or b - a >= MAX_YEAR_SPAN:
                    raise ValueError
                years.extend(range(a, b + 1))
            else:
                years.append(int(part))
    except ValueError:
        raise InputError(f"cannot read years {text!r}",
                         hint="write one year (2021), a range (2021-2023) of at most "
                         f"{MAX_YEAR_SPAN} years or a list (2019,2021)") from None
    return years


def parse_codes(text: str | None) -> list[str]:
    """Split a comma-separated option (``AUS,USA,KOR``) into upper-case codes."""
    if not text:
        return []
    return [p.strip().upper() for p in text.split(",") if p.strip()]


def parse_products(workstream: str | None, hs: str | None) -> str | list[str] | None:
    """The product set of ``--workstream`` or ``--hs`` (comma-separated codes); not both."""
    if workstream and hs:
        raise InputError("give --workstream or --hs, not both",
                         hint="--workstream selects a catalogue group; --hs lists codes")
    return parse_codes(hs) if hs else workstream


def say(text: str) -> None:
    """Print one unwrapped line of plain text (paths stay copyable)."""
    console.print(text, highlight=False, soft_wrap=True, markup=False)


def prepare_out(out: Path) -> None:
    """Make ``--out FILE`` writable: create its folder; refuse a folder or an unwritable place."""
    if out.is_dir():
        raise InputError(f"--out {out} is a folder", hint="give a file name, e.g. --out result.csv")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the folder of --out {out}: {exc.strerror}",
                         hint="choose a writable place for --out") from None


def emit(
    df: pd.DataFrame,
    fmt: Format,
    out: Path | None,
    *,
    title: str | None = None,
    units: dict[str, str] | None = None,
    empty_message: str = "no rows match",
    max_rows: int = 40,
) -> None:
    """Write ``df`` in ``fmt`` to ``out`` (or stdout); say so in words when empty."""
    if out is not None:
        prepare_out(out)
    if df.empty and fmt is Format.table:
        console.print(empty_message)
        return
    if fmt is Format.parquet:
        if out is None:
            raise InputError("--format parquet needs --out FILE", hint="add --out result.parquet")
        df.to_parquet(out, index=False)
    elif fmt is Format.csv:
        text = df.to_csv(index=False)
        _write_text(text, out)
    elif fmt is Format.json:
        records = json.loads(df.to_json(orient="records", date_format="iso"))
        _write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", out)
    else:
        table = Table(title=title, show_lines=False)
        units = units or {}
        for col in df.columns:
            label = f"{col} ({units[col]})" if col in units else str(col)
            table.add_column(label, justify="right" if pd.api.types.is_numeric_dtype(df[col]) else "left")
        for row in df.head(max_rows).itertuples(index=False):
            table.add_row(*(_fmt_cell(v) for v in row))
        if out is not None:
            with open(out, "w", encoding="utf-8") as fh:
                Console(file=fh, width=200).print(table)
        else:
            console.print(table)
            if len(df) > max_rows:
                console.print(f"... {len(df) - max_rows} more rows (use --format csv --out FILE for all)")
    if out is not None and fmt is not Format.table:
        console_err.print(f"wrote {len(df)} rows to {out}")


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def _fmt_cell(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "-"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3f}"
    return str(v)


ingest_app = typer.Typer(help="Parse publishers' files and load them into the warehouse (atomically).",
                         no_args_is_help=True)
download_app = typer.Typer(help="Download publishers' files (resumable, checksummed, cached).",
                           no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(download_app, name="download")
