"""A command loads only its own command module; the table saying which module that is stays true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer.main

from kakehashi import cli
from kakehashi.cli.common import app

SRC = Path(__file__).resolve().parents[2] / "src"


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with this checkout's ``src`` first; it must succeed."""
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run


def _module_of(callback: object) -> str:
    return str(getattr(callback, "__module__", "")).rsplit(".", 1)[-1]


def test_command_homes_name_the_modules_that_register_each_command() -> None:
    cli._load_commands(["--help"])  # every module
    names = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert set(cli.COMMAND_HOMES) | {"ingest", "download"} == names
    for command in app.registered_commands:
        name = command.name or str(command.callback.__name__).replace("_", "-")  # type: ignore[union-attr]
        assert _module_of(command.callback) in cli.COMMAND_HOMES[name], name
    for group in app.registered_groups:
        if group.name in ("ingest", "download"):
            continue
        sub = group.typer_instance.registered_commands  # type: ignore[union-attr]
        assert sub, group.name
        assert {_module_of(c.callback) for c in sub} <= set(cli.COMMAND_HOMES[str(group.name)]), group.name


def test_screen_help_loads_only_the_analysis_commands() -> None:
    code = ("import sys\nfrom kakehashi.cli import main\nstatus = main(['screen', '--help'])\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('kakehashi.cli.'))\n"
            "print('LOADED', ' '.join(loaded), 'parquet' if 'pyarrow.parquet' in sys.modules else '')\n"
            "sys.exit(status)\n")
    run = _fresh(code)
    assert "--importer" in run.stdout
    loaded = run.stdout.split("LOADED", 1)[1].split()
    assert loaded == ["kakehashi.cli.analysis", "kakehashi.cli.common"]


def test_unknown_command_still_lists_the_others(capsys: object) -> None:
    status = cli.main(["screeen"])
    assert status == 2
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "No such command 'screeen'. Did you mean 'screen'?" in err


def test_a_screen_table_does_not_load_scipy(tiny_warehouse: object) -> None:
    """Printing a screen as a table reads every unit table; none of them may load SciPy (0.4 s)."""
    code = ("import sys\nfrom kakehashi.cli import main\n"
            f"status = main(['screen', '-i', 'JPN', '-r', 'CHN', '-w', {str(tiny_warehouse.path)!r}])\n"  # type: ignore[attr-defined]
            "print('SCIPY', 'scipy' in sys.modules, 'units' if 'kakehashi.optimize.portfolio' in sys.modules "
            "else '')\nsys.exit(status)\n")
    run = _fresh(code)
    assert "Dependency screen" in run.stdout
    assert run.stdout.split("SCIPY", 1)[1].split() == ["False", "units"]  # the unit tables were read
