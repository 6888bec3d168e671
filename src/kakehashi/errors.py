"""The one exception tree of kakehashi.

Every error a user can cause is a :class:`KakehashiError`. The CLI prints its
one-line message (with the hint) and exits with status 2; the web API answers
422. Anything else is a bug and keeps its traceback.

``KakehashiError``
    ``InputError``      bad file, code, option or value given by the user
    ``EngineError``     the query engine (DuckDB, Spark) or the warehouse failed
    ``ScenarioError``   a scenario or optimisation cannot be specified or solved
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class KakehashiError(Exception):
    """Base of every error that kakehashi raises on purpose.

    Parameters
    ----------
    message
        What went wrong, naming the file, line, field or value.
    hint
        What the user can do about it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (hint: {self.hint})"
        return self.message


class InputError(KakehashiError):
    """A user-supplied file, code, option or value is wrong.

    Parameters
    ----------
    message
        The reason, e.g. ``"negative value -3.2 in column v"``.
    file, line, value
        Where the problem is; included in the message when given.
    hint
        What to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.value = value
        where = ""
        if self.file is not None:
            where = self.file if line is None else f"{self.file}:{line}"
            where += ": "
        super().__init__(where + message, hint=hint)


class EngineError(KakehashiError):
    """The query engine or the warehouse storage failed."""


class ScenarioError(KakehashiError):
    """A scenario, optimisation or its parameters cannot be run."""


def close_matches(value: str, choices: Iterable[str], n: int = 5) -> list[str]:
    """Return up to ``n`` entries of ``choices`` that look like ``value``."""
    pool = [str(c) for c in choices]
    found = difflib.get_close_matches(str(value), pool, n=n, cutoff=0.5)
    if not found:
        upper = str(value).upper()
        found = [c for c in pool if c.upper().startswith(upper[:2])][:n] if upper else []
    return found


def unknown_value_error(kind: str, value: object, choices: Iterable[str]) -> InputError:
    """Build the standard "unknown X" error listing close matches.

    Examples
    --------
    >>> str(unknown_value_error("country", "JPX", ["JPN", "IND"]))
    "unknown country 'JPX' (hint: did you mean: JPN?)"
    """
    matches = close_matches(str(value), choices)
    hint = f"did you mean: {', '.join(matches)}?" if matches else f"see the list of valid {kind} codes"
    return InputError(f"unknown {kind} {value!r}", value=value, hint=hint)


def year_span(years: Iterable[int], *, empty: str = "no years") -> str:
    """Years for a message: ``2019-2023`` when three or more are consecutive, else listed (gaps show).

    Examples
    --------
    >>> year_span([2023, 2021, 2022]), year_span([2019, 2021]), year_span([])
    ('2021-2023', '2019, 2021', 'no years')
    """
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return empty
    if len(ys) > 2 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}-{ys[-1]}"
    return ", ".join(str(y) for y in ys)
