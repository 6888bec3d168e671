"""Shared CLI pieces: the Typer app, common options, output formats.

Importing this module loads no pandas, Ibis or DuckDB (``kakehashi --help``
stays fast); :func:`emit` and :func:`open_warehouse` import them when a command
runs. Machine formats (csv, json, parquet) write nothing but data to stdout;
notes, the SYNTHETIC label and progress go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from kakehashi import __version__
from kakehashi.errors import InputError
from kakehashi.questions.defaults import TOP_ROWS

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from kakehashi.warehouse import Warehouse


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kakehashi {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="kakehashi",
    help="Economic-security supply-chain analysis: where a country depends on a rival, "
    "who could replace it, what a ban or tariff would do, and what to do about it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help and usage errors: --help loads no rich.markdown or pygments
)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          callback=_version, is_eager=True)] = False,
) -> None:
    """Economic-security supply-chain analysis: where a country depends on a rival, who could
    replace it, what a ban or tariff would do, and what to do about it."""


def _width(stream: object) -> int | None:
    """Terminals use their own width; pipes and CI logs get $COLUMNS or a wide 160 columns."""
    isatty = getattr(stream, "isatty", None)
    if (isatty is not None and isatty()) or os.environ.get("COLUMNS", "").isdigit():
        return None
    return 160


class _LazyConsole:
    """A :class:`rich.console.Console` built on first use (``--help`` never loads rich.console)."""

    def __init__(self, stderr: bool) -> None:
        object.__setattr__(self, "_stderr", stderr)
        object.__setattr__(self, "_console", None)

    def _get(self) -> Console:
        if self._console is None:
            from rich.console import Console

            stream = sys.stderr if self._stderr else sys.stdout
            object.__setattr__(self, "_console", Console(stderr=self._stderr, width=_width(stream)))
        return cast("Console", self._console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)


console = cast("Console", _LazyConsole(stderr=False))
"""The console of stdout (tables, plain lines)."""
console_err = cast("Console", _LazyConsole(stderr=True))
"""The console of stderr (errors, notes, the SYNTHETIC note of machine formats)."""

SYNTHETIC_LINE = "SYNTHETIC sample data, not real statistics"
"""Said above every table and on stderr for every file built from the bundled sample world."""


class Format(StrEnum):
    """Output formats of tabular commands."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", "-w", help="Warehouse directory, or s3://BUCKET/PREFIX to read a copy "
                 "on object storage (default: $KAKEHASHI_WAREHOUSE or ./kakehashi-warehouse).",
                 show_default=False),
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
TopOpt = Annotated[int, typer.Option("--top", help="Rows shown in a table (files and --format csv|json "
                                     "keep every row).", min=1)]


def open_warehouse(path: Path | None, engine: str | None, *, read_only: bool = True) -> Warehouse:
    """Open the warehouse for a command, refusing a missing one with a hint."""
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(path, engine=engine, read_only=read_only)
    if read_only and wh.snapshot_id is None:
        raise InputError(
            f"no warehouse at {wh.path}",
            hint="create one with 'kakehashi sample --size tiny --out sample' and "
            "'kakehashi ingest sample sample', or pass --warehouse",
        )
    return wh


def is_synthetic(wh: Warehouse) -> bool:
    """True when the warehouse holds data of the bundled SYNTHETIC sample world."""
    from kakehashi.provenance import is_synthetic as synthetic

    return synthetic(wh)


def parse_years(text: str | None) -> list[int] | None:
    """Parse ``2021``, ``2021-2023`` or ``2019,2021`` into a list of years (bounded)."""
    from kakehashi.questions.request import parse_years as parse

    return parse(text)


def parse_codes(text: str | None) -> list[str]:
    """Split a comma-separated option (``AUS,USA,KOR``) into upper-case codes."""
    if not text:
        return []
    return [p.strip().upper() for p in text.split(",") if p.strip()]


def say(text: str) -> None:
    """Print one unwrapped line of plain text (paths stay copyable)."""
    console.print(text, highlight=False, soft_wrap=True, markup=False)


def note(text: str) -> None:
    """Print one ``note:`` line on stderr (never mixed with data on stdout)."""
    console_err.print(f"note: {text}", highlight=False, soft_wrap=True, markup=False)


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
    kinds: dict[str, str] | None = None,
    empty_message: str = "no rows match",
    top: int | None = TOP_ROWS,
    top_option: str = "--top",
    synthetic: bool = False,
) -> None:
    """Write ``df`` in ``fmt`` to ``out`` (or stdout); say so in words when empty.

    A table shows the first ``top`` rows (``None``: all) and says how many more
    there are (and that option ``top_option`` shows them); ``synthetic`` puts
    :data:`SYNTHETIC_LINE` in the table's title, or on stderr for the machine
    formats, whose stdout stays pure data.
    """
    if out is not None:
        prepare_out(out)
    if synthetic and (fmt is not Format.table or out is not None):
        note(SYNTHETIC_LINE)
    if df.empty and fmt is Format.table:
        console.print(f"{empty_message} ({SYNTHETIC_LINE})" if synthetic else empty_message,
                      highlight=False)
        return
    if fmt is Format.parquet:
        if out is None:
            raise InputError("--format parquet needs --out FILE", hint="add --out result.parquet")
        df.to_parquet(out, index=False)
    elif fmt is Format.csv:
        _write_text(df.to_csv(index=False), out)
    elif fmt is Format.json:
        records = json.loads(df.to_json(orient="records", date_format="iso"))
        _write_text(records_json(records, flat=flat_frame(df)) + "\n", out)
    else:
        shown = df if top is None or out is not None else df.head(top)
        if synthetic:
            title = f"{SYNTHETIC_LINE}\n{title}" if title else SYNTHETIC_LINE
        from rich.console import Console

        if out is not None:
            with open(out, "w", encoding="utf-8") as fh:
                Console(file=fh, width=200).print(rich_table(shown, title=title, units=units, kinds=kinds,
                                                             width=200))
        else:
            table = rich_table(shown, title=title, units=units, kinds=kinds)
            need = sum(c.width or 0 for c in table.columns) + len(table.columns) - 1
            if need <= console.width:
                console.print(table)
            else:  # never crop a number: a table that cannot fit is printed wider than the terminal
                Console(file=console.file, width=need).print(table)
            if len(df) > len(shown):
                console.print(f"{len(df) - len(shown):,} more rows: {top_option} {len(df)} shows them, "
                              "--format csv --out FILE writes them all", highlight=False)
    if out is not None:
        console_err.print(f"wrote {len(df)} rows to {out}", highlight=False, soft_wrap=True)


_RECORD = json.JSONEncoder(ensure_ascii=False, separators=(",\n  ", ": ")).encode


def flat_frame(df: pd.DataFrame) -> bool:
    """True when no cell of ``df`` can hold a list or a dict (its records are flat), by column types."""
    from pandas.api.types import infer_dtype

    return len(df.columns) > 0 and all(
        df[c].dtype != object or infer_dtype(df[c], skipna=True) in _SCALAR_KINDS for c in df.columns)


_SCALAR_KINDS = frozenset({"string", "empty", "boolean", "integer", "floating", "mixed-integer-float",
                           "decimal", "datetime", "date", "bytes"})


def records_json(records: list[dict[str, Any]], *, flat: bool = False) -> str:
    """``json.dumps(records, indent=1, ensure_ascii=False)`` for flat records, by the C encoder.

    Character for character the same text (one record per block, one field per line), about
    three times faster: with ``indent`` set, :func:`json.dumps` uses the pure-Python encoder.
    ``flat``: the caller knows that no value is a list or a dict (:func:`flat_frame`), so they are
    not looked for (a tenth of a second on 15,000 records).
    """
    if not records or (not flat and any(not r or any(isinstance(v, dict | list) for v in r.values())
                                        for r in records)):
        return json.dumps(records, indent=1, ensure_ascii=False)
    return "[\n" + ",\n".join(" {\n  " + _RECORD(r)[1:-1] + "\n }" for r in records) + "\n]"


def rich_table(df: pd.DataFrame, *, title: str | None = None, units: dict[str, str] | None = None,
               kinds: dict[str, str] | None = None, width: int | None = None) -> Table:
    """``df`` as a compact terminal table: numbers formatted by unit and never cut, text wrapped.

    A column's format comes from ``kinds`` (see :func:`kakehashi.present.column_kind`),
    else from its unit in ``units``, else from the library's unit tables. Column
    widths are set here, for a terminal of ``width`` columns (default: the
    console's): a numeric column is as wide as its widest number, names and
    headers wrap into what is left.
    """
    import pandas as pd
    from rich import box
    from rich.table import Table

    from kakehashi.present import column_kind, fmt_by_kind

    units = units or {}
    kinds = kinds or {}
    cols = list(df.columns)
    numeric = [(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
               or c in kinds for c in cols]
    col_kinds = [kinds.get(c) or column_kind(str(c), units.get(c)) for c in cols]
    cells = [[fmt_by_kind(v, k) for v, k in zip(rec, col_kinds, strict=True)]
             for rec in df.itertuples(index=False, name=None)]
    # a unit at the end of a header gets its own line, kept whole ("imports" / "USD m")
    labels = [(f"{c} ({units[c]})" if c in units else str(c)).replace(" USD m", "\nUSD m") for c in cols]
    widths = column_widths(labels, [[row[i] for row in cells] for i in range(len(cols))], numeric,
                           console.width if width is None else width)
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0),
                  title_justify="left", show_edge=False)
    for label, w, num in zip(labels, widths, numeric, strict=True):
        table.add_column(label, justify="right" if num else "left", width=w, overflow="fold")
    for row in cells:
        table.add_row(*row)
    return table


TEXT_MIN = 8
"""Narrowest a text column gets in a crowded table (it wraps)."""


def column_widths(headers: list[str], columns: list[list[str]], numeric: list[bool], total: int) -> list[int]:
    """Widths of table columns that fit ``total`` characters (one space between columns) if they can.

    Each column wants its widest cell and header line (its natural width). When they do
    not fit, a column gets at least its longest header word and, if numeric, its
    widest cell (a number is never cut); a text column may shrink to
    :data:`TEXT_MIN` characters, or its longest word holding a digit if that is longer
    (a code, an id or a date is never cut), and wraps. What is left goes to the text columns that want more,
    in proportion, then to the headers of numeric columns.
    """
    natural, least = [], []
    for head, cells, num in zip(headers, columns, numeric, strict=True):
        widest = max((len(c) for c in cells), default=0)
        lines = head.split("\n")
        tokens = [w for line in lines for w in ([line] if line == "USD m" else line.split())]
        head_word = max((len(w) for w in tokens), default=1)
        longest_word = max((len(w) for c in cells for w in c.split() if any(ch.isdigit() for ch in w)),
                           default=0)  # codes, ids and dates hold digits: never cut one
        natural.append(max(widest, max(len(line) for line in lines), 1))
        least.append(max(head_word, widest if num else max(min(widest, TEXT_MIN), longest_word), 1))
    room = total - (len(headers) - 1)
    if sum(natural) <= room:
        return natural
    widths = list(least)
    spare = room - sum(widths)
    if spare <= 0:
        return widths
    for group in ([i for i, num in enumerate(numeric) if not num], list(range(len(widths)))):
        # text columns first (their cells wrap), then headers of numeric columns
        wants = {i: natural[i] - widths[i] for i in group if natural[i] > widths[i]}
        total_want = sum(wants.values())
        if spare <= 0 or total_want == 0:
            continue
        give = {i: want * spare // total_want if total_want > spare else want for i, want in wants.items()}
        for i, g in give.items():
            widths[i] += g
        spare -= sum(give.values())
        while spare > 0 and any(natural[i] > widths[i] for i in group):
            i = max(group, key=lambda j: natural[j] - widths[j])
            widths[i] += 1
            spare -= 1
    return widths


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        out.write_text(text, encoding="utf-8")


ingest_app = typer.Typer(help="Parse publishers' files and load them into the warehouse (atomically).",
                         no_args_is_help=True, rich_markup_mode=None)
download_app = typer.Typer(help="Download publishers' files (resumable, checksummed, cached).",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(ingest_app, name="ingest")
app.add_typer(download_app, name="download")
