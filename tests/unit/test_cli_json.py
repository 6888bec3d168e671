"""``--format json`` text: the fast record encoder writes exactly what ``json.dumps(indent=1)`` writes."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from kakehashi.cli.common import flat_frame, records_json
from kakehashi.warehouse import Warehouse


def _records(df: pd.DataFrame) -> list[dict[str, object]]:
    out: list[dict[str, object]] = json.loads(df.to_json(orient="records", date_format="iso"))
    return out


def _slow(records: list[dict[str, object]]) -> str:
    return json.dumps(records, indent=1, ensure_ascii=False)


def test_awkward_values() -> None:
    df = pd.DataFrame({
        "name": ['a "quoted", name', "line\nbreak", "東京 ü", "", None],
        "value": [1.5, math.nan, 1e-12, 123456789012.25, -0.0],
        "count": [1, 2, 3, 4, 5],
        "flag": [True, False, True, False, True],
        "sep": [",\n  x", "}", "{", "[", "]"],
    })
    records = _records(df)
    assert records_json(records) == _slow(records)
    assert json.loads(records_json(records)) == records
    assert flat_frame(df)
    assert records_json(records, flat=True) == _slow(records)


def test_a_frame_holding_lists_or_dicts_is_not_flat() -> None:
    plain = pd.DataFrame({"a": ["x", None], "b": [1.0, 2.0]})
    assert flat_frame(plain)
    assert not flat_frame(plain.assign(c=[[1, 2], None]))
    assert not flat_frame(plain.assign(c=[{"k": 1}, {"k": 2}]))
    assert not flat_frame(pd.DataFrame())


@pytest.mark.parametrize("records", [[], [{}], [{"a": [1, 2]}], [{"a": {"b": 1}}], [{"a": 1}, {}]])
def test_empty_and_nested_records_fall_back(records: list[dict[str, object]]) -> None:
    assert records_json(records) == _slow(records)


def test_screen_frame_as_the_cli_writes_it(tiny_warehouse: Warehouse) -> None:
    from kakehashi.questions import exposure

    records = _records(exposure.screen(tiny_warehouse, ["JPN", "IND"], "CHN"))
    assert len(records) > 10
    assert records_json(records) == _slow(records)
