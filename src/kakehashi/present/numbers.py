"""Number formats shared by the command line, the dashboard and the briefing packs.

Formatting only: every function turns one value into text and computes nothing
else. A missing value (``None``, NaN, a string) prints as :data:`MISSING`.
"""

from __future__ import annotations

import math

MISSING = "-"
"""What a missing value prints as."""

_SCALES: tuple[tuple[float, str], ...] = ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k"))


def as_number(value: object) -> float | None:
    """``value`` as a finite-or-infinite float, or ``None`` when it is missing or not a number.

    Examples
    --------
    >>> as_number(3), as_number("3"), as_number(float("nan")), as_number(True)
    (3.0, None, None, None)
    """
    if value is None or isinstance(value, bool | str | bytes):
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def fmt_usd(value: object) -> str:
    """A dollar amount, compact with its scale: ``1.2 bn``, ``340.0 m``, ``12.0 k``, ``950``.

    Examples
    --------
    >>> fmt_usd(1.234e9), fmt_usd(3.4e8), fmt_usd(950), fmt_usd(None)
    ('1.2 bn', '340.0 m', '950', '-')
    """
    v = as_number(value)
    if v is None:
        return MISSING
    a = abs(v)
    for size, unit in _SCALES:
        if a >= size:
            return f"{v / size:,.1f} {unit}"
    return f"{v:,.0f}"


def fmt_usd_m(value: object) -> str:
    """A dollar amount in millions with one decimal (``24,396.1``), for a column headed ``USD m``.

    Examples
    --------
    >>> fmt_usd_m(24_396_080_000), fmt_usd_m(12_000)
    ('24,396.1', '0.0')
    """
    v = as_number(value)
    return MISSING if v is None else f"{v / 1e6:,.1f}"


def fmt_share(value: object, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.456`` → ``45.6%``.

    Examples
    --------
    >>> fmt_share(0.456), fmt_share(1), fmt_share(None)
    ('45.6%', '100.0%', '-')
    """
    v = as_number(value)
    return MISSING if v is None else f"{100 * v:.{digits}f}%"


def fmt_hhi(value: object) -> str:
    """A Herfindahl-Hirschman index on the 0-1 scale with two decimals (``0.45``).

    Examples
    --------
    >>> fmt_hhi(0.4512), fmt_hhi(1.0)
    ('0.45', '1.00')
    """
    v = as_number(value)
    return MISSING if v is None else f"{v:.2f}"


def fmt_count(value: object) -> str:
    """A whole count with thousands separators (``12,345``).

    Examples
    --------
    >>> fmt_count(12345), fmt_count(3.0)
    ('12,345', '3')
    """
    v = as_number(value)
    return MISSING if v is None else f"{v:,.0f}"


def fmt_year(value: object) -> str:
    """A year without separators (``2023``).

    Examples
    --------
    >>> fmt_year(2023.0), fmt_year(None)
    ('2023', '-')
    """
    v = as_number(value)
    return MISSING if v is None or math.isinf(v) else str(int(v))


def fmt_num(value: object, digits: int = 2) -> str:
    """A plain number: thousands separators, no decimals from 1,000 up, else ``digits`` decimals.

    Examples
    --------
    >>> fmt_num(24396.08), fmt_num(0.4567), fmt_num(0.4567, 3)
    ('24,396', '0.46', '0.457')
    """
    v = as_number(value)
    if v is None:
        return MISSING
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def fmt_sig(value: object) -> str:
    """A number of unknown scale: thousands separators from 1,000 up, else four significant digits.

    Examples
    --------
    >>> fmt_sig(1234567.8), fmt_sig(0.5), fmt_sig(2.0)
    ('1,234,568', '0.5', '2')
    """
    v = as_number(value)
    if v is None:
        return MISSING
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def fmt_yes(value: object) -> str:
    """A flag as ``yes`` / ``no`` (missing: ``-``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return "yes" if bool(value) else "no"


def fmt_cell(value: object) -> str:
    """A table cell of unknown type: flags as yes/no, whole floats without decimals, else 3 decimals.

    Examples
    --------
    >>> fmt_cell(True), fmt_cell(2023.0), fmt_cell(0.12345), fmt_cell("JPN"), fmt_cell(None)
    ('yes', '2,023', '0.123', 'JPN', '-')
    """
    if isinstance(value, bool):
        return fmt_yes(value)
    if value is None:
        return MISSING
    if isinstance(value, int):
        return f"{value}"
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING
        if value.is_integer():
            return f"{value:,.0f}"
        return fmt_num(value, 3)
    try:
        import pandas as pd

        if pd.isna(value):  # type: ignore[call-overload]
            return MISSING
    except (TypeError, ValueError, ImportError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        try:
            return fmt_cell(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)
