"""Message helpers of the error module."""

from __future__ import annotations


def test_year_span_shows_gaps() -> None:
    from kakehashi.errors import year_span

    assert year_span([2023, 2021, 2022]) == "2021-2023"
    assert year_span([2019, 2021]) == "2019, 2021"  # a gap is never hidden behind a range
    assert year_span([2019, 2020, 2022]) == "2019, 2020, 2022"
    assert year_span([2022]) == "2022"
    assert year_span([], empty="") == "" and year_span([]) == "no years"
