"""Run this checkout's kakehashi in a subprocess, whatever kakehashi is installed elsewhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
"""The checkout's source folder."""


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment with :data:`SRC` first on ``PYTHONPATH`` (plus ``extra`` variables)."""
    rest = os.environ.get("PYTHONPATH", "")
    path = os.pathsep.join([str(SRC), rest]) if rest else str(SRC)
    return {**os.environ, "PYTHONPATH": path, **extra}


def kakehashi_cmd(*args: str) -> list[str]:
    """``python -m kakehashi ARGS`` with this interpreter (run it with :func:`checkout_env`)."""
    return [sys.executable, "-m", "kakehashi", *args]
