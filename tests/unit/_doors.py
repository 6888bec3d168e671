"""The three doors to one question, for the questions-layer tests: the CLI in process, the web app in
process (httpx's ASGI transport) and a briefing pack's data files. Data: the SYNTHETIC tiny sample."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pytest
from _asgi import SyncClient

from kakehashi.cli import main


@contextmanager
def web_client(warehouse: Any, *, max_draws: int = 2000) -> Iterator[SyncClient]:
    """The dashboard and API over ``warehouse`` (a path), in process."""
    from kakehashi.web import create_app

    c = SyncClient(create_app(warehouse, max_draws=max_draws, max_body=64 * 1024))
    try:
        yield c
    finally:
        c.close()


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    """Run ``kakehashi ARGS --format json`` in process and parse its stdout."""
    code = main([*args, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out: list[dict[str, Any]] = json.loads(captured.out)
    return out


def keyed(rows: list[dict[str, Any]] | pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    """Rows indexed by ``keys`` with ``cols``, sorted (to compare the doors' answers)."""
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
    for k in keys:
        df[k] = df[k].astype(str).str.zfill(6) if k == "hs6" else df[k].astype(str)
    return df.set_index(keys).sort_index()[cols]


def assert_same(a: pd.DataFrame, b: pd.DataFrame, rel: float = 1e-9) -> None:
    """Same index and the same numbers (JSON carries 10 significant digits; CSV all of them)."""
    assert list(a.index) == list(b.index)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_bool_dtype(x) or pd.api.types.is_bool_dtype(y):
            assert list(x.astype(bool)) == list(y.astype(bool)), col
        else:
            assert x.astype(float).to_numpy() == pytest.approx(y.astype(float).to_numpy(), rel=rel, abs=1e-6,
                                                               nan_ok=True), col
