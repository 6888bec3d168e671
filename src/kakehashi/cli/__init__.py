"""The ``kakehashi`` command line (presentation only: no analysis here).

Every command module registers its commands on :data:`app`. User errors
(:class:`~kakehashi.errors.KakehashiError`) print one line with a hint to
stderr and exit with status 2, without a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from importlib import import_module
from typing import NoReturn

from kakehashi.cli.common import app, console_err
from kakehashi.errors import KakehashiError

COMMAND_MODULES = (
    "data",
    "ingest_trade",
    "ingest_ref",
    "analysis",
    "scenario",
    "optimize",
    "present",
    "status",
    "demo",
    "cables",
    "org",
    "warehouse",
)


COMMAND_HOMES: dict[str, tuple[str, ...]] = {
    "sample": ("data",),
    "screen": ("analysis",), "substitutes": ("analysis",), "complementarity": ("analysis",),
    "minerals": ("analysis",),
    "diversify": ("optimize",), "frontier": ("optimize",), "stockpile": ("optimize",),
    "serve": ("present",), "report": ("present",),
    "status": ("status",), "demo": ("demo",),
    "scenario": ("scenario",), "measures": ("scenario",),
    "cables": ("cables",), "org": ("org",), "match": ("org",), "warehouse": ("warehouse",),
}
"""The command modules that register each top-level command (``ingest`` and ``download`` gather
commands from several modules and are not listed): running a listed command loads only its
modules, so its start-up does not pay for the others' imports."""


def _load_commands(argv: list[str] | None = None) -> None:
    """Import the command modules: only the named command's (:data:`COMMAND_HOMES`), else all of them
    (``--help``, ``--version``, ``ingest``, ``download``, an unknown name)."""
    args = sys.argv[1:] if argv is None else argv
    homes = COMMAND_HOMES.get(args[0]) if args else None
    for name in homes if homes is not None else COMMAND_MODULES:
        try:
            import_module(f"kakehashi.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kakehashi.cli.{name}":
                raise


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 user or usage error).

    Click's standalone mode reports its own usage errors (unknown command or
    option, bad choice) as a usage line plus one error line with status 2;
    kakehashi's own errors are caught here and printed the same way.
    """
    _load_commands(argv)
    try:
        app(args=argv, prog_name="kakehashi", standalone_mode=True)
    except KakehashiError as exc:
        console_err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        if exc.hint:
            console_err.print(f"[yellow]hint:[/] {exc.hint}", highlight=False, soft_wrap=True)
        return 2
    except SystemExit as exc:  # click exits on --help, usage errors and normal completion
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        console_err.print("interrupted; the warehouse is unchanged")
        return 130
    return 0


def entry() -> None:
    """Console-script entry point: :func:`main`, then :func:`leave` with its status."""
    leave(main())


def leave(status: int) -> NoReturn:
    """End the process with ``status`` once the command is done, without tearing the interpreter down.

    The output is flushed and the exit handlers run (``atexit``: logging, thread
    pools, temporary folders, a Spark session), as at a normal exit; then the
    process ends at once (:func:`os._exit`). A normal exit would also destroy
    every object and module one by one: after a screen on a ``baci``-size
    warehouse that took 0.3-0.4 s (DuckDB's database, Arrow's memory pools,
    pandas and Ibis), longer than the screen's query. Nothing is left unwritten:
    every file kakehashi writes is closed (and a warehouse commit fsynced)
    before the command returns. ``KAKEHASHI_FULL_EXIT=1`` keeps the normal exit
    (for tools that measure the interpreter's shutdown).
    """
    import atexit

    if os.environ.get("KAKEHASHI_FULL_EXIT"):
        sys.exit(status)
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # a reader that stopped early (| head): as Python reports it
        status = status or 120
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)
