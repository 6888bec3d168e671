"""Reading one warehouse through every engine (the ``engine`` fixture of ``tests/conftest.py``)."""

from __future__ import annotations

from kakehashi.warehouse import Warehouse


def on_engine(wh: Warehouse, engine: str) -> Warehouse:
    """The warehouse ``wh`` (written through DuckDB) read through ``engine``."""
    if engine == "duckdb":
        return wh
    return Warehouse(wh.path, engine=engine, read_only=True)
