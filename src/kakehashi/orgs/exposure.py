"""A firm's exposure to a rival: direct and look-through shares of its spend.

For a firm's item ``i`` of HS6 code ``k``, bought from supplier countries
``s`` with yearly spend :math:`e_{is}` (:math:`e_i = \\sum_s e_{is}`), rival ``r``
and base year ``t``:

.. math::

    direct_i = e_{ir} / e_i

    indirect_i = \\sum_{s \\ne r} (e_{is} / e_i) \\cdot m_{s \\leftarrow r,k,t} / M_{s,k,t}

where :math:`m_{s \\leftarrow r,k,t}` is country ``s``'s imports of ``k`` from
the rival and :math:`M_{s,k,t}` its imports of ``k`` from everyone (trade
flows of the warehouse). The look-through share is the part of the firm's
spend that passes through suppliers whose own sourcing of the *same* product
comes from the rival: a first-round, same-product approximation in the spirit
of input-output "look-through" exposure (it ignores the supplier's domestic
production of ``k``, which the trade data do not show, and the upstream
inputs of other codes; a supplier that imports none of ``k`` contributes 0 and
is listed in ``no_import_data``). ``direct + indirect`` is at most 1.

The firm total weights each item by its spend:
:math:`\\sum_i e_i \\cdot x_i / \\sum_i e_i` for ``x`` = direct, indirect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

ITEM_COLUMNS: tuple[str, ...] = (
    "item", "hs6", "product", "spend_usd", "suppliers", "direct_rival_share", "indirect_rival_share",
    "total_rival_share", "no_import_data", "dependent_suppliers", "alternatives", "seeking_alternatives",
)
"""Columns of a firm's exposure, one row per item."""


def supplier_import_shares(flows: ibis.Table, suppliers: Sequence[str], products: Sequence[str],
                           rival: str, year: int) -> ibis.Table:
    """Each supplier country's imports of each product: total and from the rival (Ibis).

    Returns ``importer, hs6, total_usd, from_rival_usd`` for ``year``.
    """
    f = flows.filter([flows.year == year, flows.importer.isin(list(suppliers)),
                      flows.hs6.isin(list(products))])
    return f.group_by(["importer", "hs6"]).aggregate(
        total_usd=f.value_usd.sum(),
        from_rival_usd=ibis.ifelse(f.exporter == rival, f.value_usd, 0.0).sum(),
    )


def item_shares(bom: pd.DataFrame, imports: pd.DataFrame, rival: str) -> pd.DataFrame:
    """Direct and look-through rival shares per item (module docstring).

    Parameters
    ----------
    bom
        ``item, hs6, supplier_country, annual_spend_usd`` (validated rows).
    imports
        :func:`supplier_import_shares` executed: ``importer, hs6, total_usd, from_rival_usd``.
    rival
        ISO3 code of the rival.

    Returns
    -------
    pandas.DataFrame
        ``item, hs6, spend_usd, direct_rival_share, indirect_rival_share, no_import_data``.

    Examples
    --------
    >>> bom = pd.DataFrame({"item": ["magnet"] * 2, "hs6": ["850511"] * 2,
    ...                     "supplier_country": ["CHN", "VNM"], "annual_spend_usd": [30.0, 70.0]})
    >>> imp = pd.DataFrame({"importer": ["VNM"], "hs6": ["850511"], "total_usd": [10.0],
    ...                     "from_rival_usd": [8.0]})
    >>> r = item_shares(bom, imp, "CHN").iloc[0]
    >>> float(r.direct_rival_share), round(float(r.indirect_rival_share), 2)
    (0.3, 0.56)
    """
    b = bom.merge(imports.rename(columns={"importer": "supplier_country"}),
                  on=["supplier_country", "hs6"], how="left")
    is_rival = b["supplier_country"] == rival
    has = b["total_usd"].fillna(0.0) > 0
    look = (b["from_rival_usd"] / b["total_usd"]).where(has & ~is_rival, 0.0)
    b["direct_part"] = b["annual_spend_usd"].where(is_rival, 0.0)
    b["indirect_part"] = b["annual_spend_usd"] * look
    b["missing"] = (~has & ~is_rival).map(bool)
    rows: list[dict[str, Any]] = []
    for (item, hs6), g in b.groupby(["item", "hs6"], sort=False):
        spend = float(g["annual_spend_usd"].sum())
        rows.append({
            "item": item, "hs6": hs6, "spend_usd": spend,
            "direct_rival_share": float(g["direct_part"].sum()) / spend,
            "indirect_rival_share": float(g["indirect_part"].sum()) / spend,
            "no_import_data": ", ".join(sorted(g.loc[g["missing"], "supplier_country"])),
        })
    return pd.DataFrame(rows, columns=["item", "hs6", "spend_usd", "direct_rival_share",
                                       "indirect_rival_share", "no_import_data"])


def firm_total(items: pd.DataFrame) -> dict[str, float]:
    """Spend-weighted firm totals of the item shares (module docstring)."""
    spend = float(items["spend_usd"].sum()) if len(items) else 0.0
    out = {"spend_usd": spend}
    for col in ("direct_rival_share", "indirect_rival_share", "total_rival_share"):
        if col in items:
            out[col] = float((items["spend_usd"] * items[col]).sum()) / spend if spend else 0.0
    return out
