"""Shares and Herfindahl-Hirschman concentration, as Ibis expressions.

Both functions first sum ``value`` by group and supplier, so several rows of
one supplier (e.g. the members of a bloc, or several source rows) count as one.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir


def stable_sum(x: ir.NumericColumn) -> ir.FloatingScalar:
    """Sum of ``x`` in a fixed order (the values sorted), so the same bits on every run.

    A parallel engine (DuckDB, Spark) adds doubles in an order that changes from
    run to run, so a plain ``sum`` may differ in the last bits; collecting each
    group's values, sorting them and adding them in that order gives the same
    result whatever the order the rows arrive in: the same inputs give
    byte-identical outputs. Nulls are skipped; an all-null group sums to null.
    """
    total: ir.FloatingScalar = x.cast("float64").collect().sort().sums()
    return total


def _cols(group: str | Sequence[str]) -> list[str]:
    return [group] if isinstance(group, str) else list(group)


def shares(expr: ibis.Table, group: str | Sequence[str], by: str, value: str) -> ibis.Table:
    """Share of each ``by`` member in the total of its group.

    .. math:: s_{g,i} = v_{g,i} / \\sum_j v_{g,j}

    Parameters
    ----------
    expr
        Table with the ``group`` columns, the ``by`` column and ``value``.
    group
        Column(s) that define a market, e.g. ``["importer", "hs6", "year"]``.
    by
        Column naming the supplier, e.g. ``"exporter"``.
    value
        Column to sum, e.g. ``"value_usd"``.

    Returns
    -------
    ibis.Table
        ``group..., by, value, share``; ``share`` is null where the group total is 0.

    Examples
    --------
    >>> import pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"m": ["A", "A"], "s": ["X", "Y"], "v": [3.0, 1.0]}))
    >>> shares(t, "m", "s", "v").order_by("s").execute()["share"].tolist()
    [0.75, 0.25]
    """
    g = _cols(group)
    agg = expr.group_by([*g, by]).aggregate(**{value: stable_sum(expr[value])})
    tot = agg.group_by(g).aggregate(_group_total=stable_sum(agg[value]))
    j = agg.join(tot, g)
    share = ibis.ifelse(j._group_total > 0, j[value] / j._group_total, ibis.null("float64"))
    return j.mutate(share=share).drop("_group_total")


def hhi(expr: ibis.Table, group: str | Sequence[str], by: str, value: str) -> ibis.Table:
    """Herfindahl-Hirschman index of each group.

    .. math:: HHI_g = \\sum_i s_{g,i}^2 = \\frac{\\sum_i v_{g,i}^2}{(\\sum_i v_{g,i})^2}

    computed in one pass from the sum and the sum of squares of supplier
    totals. It lies in :math:`[1/n, 1]` for :math:`n` suppliers with positive
    values, equals 1 for a single supplier and does not depend on the unit of
    ``value``. This is the index of the EU "strategic dependencies" screen
    (European Commission, SWD(2021) 352) and CEPII's GeoDep (Bonneau & Nakaa,
    2024), on a 0–1 scale (the US DoJ scale multiplies by 10,000).

    Parameters
    ----------
    expr, group, by, value
        As in :func:`shares`.

    Returns
    -------
    ibis.Table
        ``group..., total, hhi, n`` (``n`` = suppliers with a row; ``hhi``
        null where the total is 0).

    Examples
    --------
    >>> import pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"m": ["A", "A"], "s": ["X", "Y"], "v": [3.0, 1.0]}))
    >>> hhi(t, "m", "s", "v").execute()["hhi"].tolist()  # 0.75² + 0.25²
    [0.625]
    """
    g = _cols(group)
    agg = expr.group_by([*g, by]).aggregate(_v=stable_sum(expr[value]))
    out = agg.group_by(g).aggregate(total=stable_sum(agg._v), _sq=stable_sum(agg._v * agg._v),
                                    n=agg._v.count())
    h = ibis.ifelse(out.total > 0, out._sq / (out.total * out.total), ibis.null("float64"))
    return out.mutate(hhi=h).drop("_sq")
