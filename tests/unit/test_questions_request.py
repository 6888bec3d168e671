"""The request grammar shared by the CLI, the web and the packs (kakehashi.questions.request)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from _checkout import checkout_env

from kakehashi.errors import InputError
from kakehashi.questions import request


@pytest.mark.parametrize(("text", "expected"), [
    ("JPN", ("JPN",)), ("JPN+IND", ("JPN", "IND")), ("jpn,ind", ("JPN", "IND")),
    (" JPN + IND ", ("JPN", "IND")), (["JPN", "IND"], ("JPN", "IND")),
])
def test_bloc_grammar(text: str | list[str], expected: tuple[str, ...]) -> None:
    assert request.parse_bloc(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("JPN+", "has an empty member"), ("JPN++IND", "has an empty member"), ("+IND", "has an empty member"),
    ("", "is empty"), ("JPN+JPN", "names JPN twice"), ("JPX", "unknown ISO3 country code 'JPX'"),
    ("JAPAN", "is not an ISO3 code"),
])
def test_bloc_errors_name_the_value(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        request.parse_bloc(text)


def test_hs_list() -> None:
    assert request.parse_hs_list("850511, 280530,850511") == ["850511", "280530"]
    assert request.parse_hs_list(None) is None
    for bad, message in ((",", "names no HS code"), ("", "names no HS code"), ("85051", "not a six-digit")):
        with pytest.raises(InputError, match=message):
            request.parse_hs_list(bad)
    with pytest.raises(InputError, match="more than"):
        request.parse_hs_list(",".join(f"{i:06d}" for i in range(request.MAX_HS_CODES + 1)))


def test_years() -> None:
    assert request.parse_years("2023") == [2023]
    assert request.parse_years("2021-2023") == [2021, 2022, 2023]
    assert request.parse_years("2023,2019,2021-2022") == [2019, 2021, 2022, 2023]
    assert request.parse_years(None) is None
    for bad in ("2023-2021", "twenty", "2021-"):
        with pytest.raises(InputError, match="cannot read years"):
            request.parse_years(bad)
    # refused before the range is expanded (a huge span would otherwise exhaust memory)
    with pytest.raises(InputError, match="year 100000000 is outside 1988-2100"):
        request.parse_years("1990-100000000")


def test_grammar_and_defaults_load_no_query_engine() -> None:
    """The front ends import these modules to build help texts and forms: no Ibis, DuckDB or pandas."""
    code = ("import sys; import kakehashi.questions.request, kakehashi.questions.defaults; "
            "print(sorted(m for m in ('ibis', 'duckdb', 'pandas', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=checkout_env())
    assert out.stdout.strip() == "[]"


def test_products_and_bloc_with_partner() -> None:
    assert request.parse_products("critical-minerals", None) == "critical-minerals"
    assert request.parse_products(None, "850511,280530") == ["850511", "280530"]
    assert request.parse_products(None, None) is None
    with pytest.raises(InputError, match="not both"):
        request.parse_products("critical-minerals", "850511")
    with pytest.raises(InputError, match="names no HS code"):
        request.parse_products(None, ",")
    assert request.parse_bloc_with("JPN", "IND") == ("JPN", "IND")
    assert request.parse_bloc_with("JPN+IND", "IND") == ("JPN", "IND")
    with pytest.raises(InputError, match="partner 'IND\\+' has an empty member"):
        request.parse_bloc_with("JPN", "IND+")
