"""The ``kakehashi`` command line (presentation only: no analysis here).

Every command module registers its commands on :data:`app`. User errors
(:class:`~kakehashi.errors.KakehashiError`) print one line with a hint to
stderr and exit with status 2, without a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module

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
    "demo",
)


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            import_module(f"kakehashi.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kakehashi.cli.{name}":
                raise


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 user error)."""
    _load_commands()
    try:
        app(args=argv, standalone_mode=False)
    except KakehashiError as exc:
        console_err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        if exc.hint:
            console_err.print(f"[yellow]hint:[/] {exc.hint}", highlight=False, soft_wrap=True)
        return 2
    except SystemExit as exc:  # typer raises this for --help and on exit()
        return int(exc.code or 0) if isinstance(exc.code, int | None) else 1
    except KeyboardInterrupt:
        console_err.print("interrupted; the warehouse is unchanged")
        return 130
    except Exception as exc:  # click usage errors come here with standalone_mode=False
        import click

        if isinstance(exc, click.exceptions.Abort):
            return 1
        if isinstance(exc, click.ClickException):
            exc.show()
            return 2
        raise
    return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
