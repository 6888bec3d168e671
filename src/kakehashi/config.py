"""Settings read from the environment, each documented where it is declared."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

WAREHOUSE_ENV = "KAKEHASHI_WAREHOUSE"
"""Environment variable naming the warehouse directory (``--warehouse`` wins)."""

DEFAULT_WAREHOUSE = Path("kakehashi-warehouse")
"""Warehouse directory used when neither ``--warehouse`` nor the variable is set."""

ENGINE_ENV = "KAKEHASHI_ENGINE"
"""Environment variable choosing the engine: ``duckdb`` (default) or ``spark``."""

SPARK_MASTER_ENV = "KAKEHASHI_SPARK_MASTER"
"""Spark master URL for ``engine="spark"``; default ``local[2]``."""

CACHE_ENV = "KAKEHASHI_CACHE"
"""Directory for downloaded raw files; default ``~/.cache/kakehashi``."""

QUERY_CACHE_ENV = "KAKEHASHI_QUERY_CACHE"
"""Directory for compiled query templates (:mod:`kakehashi.prepared`); default ``queries`` in the
download cache; ``off`` keeps them in memory only."""

COMTRADE_KEY_ENV = "COMTRADE_API_KEY"
"""Subscription key for the UN Comtrade+ API."""

MEASURES_ENV = "KAKEHASHI_MEASURES"
"""User measures files (YAML, the schema of the bundled ``measures.yaml``) added to the bundled
catalogue; several are separated by the path separator (``:`` on POSIX). ``--measures`` wins."""

CABLES_URL_ENV = "KAKEHASHI_CABLES_URL"
"""Base URL of the open submarine-cable repository's raw files for ``kakehashi download cables``
(``--base-url`` wins); default :data:`DEFAULT_CABLES_URL`."""

DEFAULT_CABLES_URL = "https://raw.githubusercontent.com/stevesong/open_undersea_cable_map/main"
"""Raw files of ``stevesong/open_undersea_cable_map`` (TeleGeography's map as last released under
CC BY-NC-SA 3.0)."""


def cables_url(option: str | None = None) -> str:
    """Resolve the cable repository's base URL: option, then ``KAKEHASHI_CABLES_URL``, then default."""
    return (option or os.environ.get(CABLES_URL_ENV) or DEFAULT_CABLES_URL).rstrip("/")


def warehouse_path(option: str | Path | None = None) -> Path:
    """Resolve the warehouse directory: option, then environment, then default."""
    if option:
        return Path(option)
    env = os.environ.get(WAREHOUSE_ENV)
    if env:
        return Path(env)
    return DEFAULT_WAREHOUSE


def default_engine() -> str:
    """Engine named by ``KAKEHASHI_ENGINE``, or ``duckdb``."""
    return os.environ.get(ENGINE_ENV, "duckdb")


def cache_dir() -> Path:
    """Directory for downloads (created on demand by the downloader)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return Path.home() / ".cache" / "kakehashi"


def query_cache_dir() -> Path | None:
    """Directory for compiled query templates (``KAKEHASHI_QUERY_CACHE``), or ``None`` when ``off``."""
    env = os.environ.get(QUERY_CACHE_ENV, "").strip()
    if env.lower() in ("off", "0", "no", "false"):
        return None
    return Path(env) if env else cache_dir() / "queries"


def measures_paths(option: Sequence[str | Path] | str | Path | None = None) -> tuple[Path, ...]:
    """Resolve the user measures files: ``--measures`` (one or several), else ``KAKEHASHI_MEASURES``."""
    if isinstance(option, str | Path):
        option = [option]
    if option:
        return tuple(Path(p) for p in option)
    env = os.environ.get(MEASURES_ENV, "")
    return tuple(Path(p) for p in env.split(os.pathsep) if p.strip())
