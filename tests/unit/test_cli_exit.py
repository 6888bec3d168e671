"""The console script ends without tearing the interpreter down, and loses nothing doing so.

``kakehashi.cli.entry`` flushes the output, runs the exit handlers and ends the
process (``leave``); these tests run it in fresh processes and check the
status, that every byte written reached the pipe, that ``atexit`` handlers ran,
and that ``KAKEHASHI_FULL_EXIT`` keeps Python's own exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=120)


def test_status_output_and_exit_handlers() -> None:
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
            "sys.stdout.write('x' * 200_000)\n"  # buffered, not yet flushed when leave() is called
            "from kakehashi.cli import leave\n"
            "leave(3)\n")
    run = _run(code)
    assert run.returncode == 3
    assert run.stdout == "x" * 200_000
    assert "handler ran" in run.stderr


def test_entry_reports_a_user_error_with_status_2(tiny_warehouse: object) -> None:
    code = ("from kakehashi.cli import entry\n"
            f"import sys; sys.argv = ['kakehashi', 'screen', '-i', 'XXX', '-r', 'CHN', '-w', "
            f"{str(tiny_warehouse.path)!r}]\n"  # type: ignore[attr-defined]
            "entry()\n")
    run = _run(code)
    assert run.returncode == 2
    assert "unknown ISO3 country code 'XXX'" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_full_exit_when_asked() -> None:
    code = ("class Noisy:\n"
            "    def __del__(self):\n"
            "        print('finalised')\n"
            "keep = Noisy()\n"
            "from kakehashi.cli import leave\n"
            "leave(0)\n")
    assert "finalised" not in _run(code).stdout  # the fast exit destroys no object
    assert "finalised" in _run(code, KAKEHASHI_FULL_EXIT="1").stdout
