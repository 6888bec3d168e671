"""The warehouse's HS concordance composed along a chain of revisions, cached per snapshot.

Used by the analysis flows (:mod:`kakehashi.metrics.flows`) and by the
in-scope rule that selects a workstream's codes in another revision
(:func:`select_products`, :func:`convert_codes`). The weights are those of
:func:`kakehashi.sources.hs.compose_concordance`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import pandas as pd

from kakehashi.catalogue import CATALOGUE_REVISION, WORKSTREAMS
from kakehashi.catalogue import select_products as catalogue_products
from kakehashi.errors import InputError
from kakehashi.warehouse import Warehouse

_CACHE: dict[tuple[str, str | None, str, str], pd.DataFrame] = {}


def _concordance_frame(wh: Warehouse) -> pd.DataFrame:
    key = (str(wh.path), wh.snapshot_id, "*", "*")
    if key not in _CACHE:
        if "hs_concordance" in wh.tables():
            _CACHE[key] = wh.execute(wh.table("hs_concordance"))
        else:
            _CACHE[key] = pd.DataFrame(columns=["from_revision", "from_hs6", "to_revision", "to_hs6",
                                                "relationship", "weight"])
    return _CACHE[key]


def composed_weights(wh: Warehouse, path: Sequence[str]) -> pd.DataFrame:
    """Weights ``from_hs6, to_hs6, weight`` from ``path[0]`` to ``path[-1]`` (the warehouse's concordance).

    See :func:`kakehashi.sources.hs.compose_concordance`; cached per snapshot.
    """
    from kakehashi.sources.hs import compose_concordance

    key = (str(wh.path), wh.snapshot_id, ">".join(path), "path")
    if key not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = compose_concordance(_concordance_frame(wh), list(path))
    return _CACHE[key]


def select_products(selector: str | list[str] | None, *, revision: str = CATALOGUE_REVISION,
                    wh: Warehouse | None = None, selector_revision: str = CATALOGUE_REVISION) -> list[str]:
    """A product selector's six-digit codes in HS ``revision``, converting through ``wh``'s concordance.

    The selector (a workstream key, a list of codes, ``None`` for every
    catalogue code) is read by :func:`kakehashi.catalogue.select_products` in
    its own revision (HS 2022 for workstreams, ``selector_revision`` for
    codes); when ``revision`` differs, a code of ``revision`` is selected when
    most of its value maps to the selected codes (:func:`convert_codes`), not
    every code an n:n link touches.

    Examples
    --------
    >>> select_products("clean-energy")[:3]
    ['280461', '284290', '285390']
    """
    is_catalogue = selector is None or (isinstance(selector, str) and selector.strip() in WORKSTREAMS)
    from_rev = CATALOGUE_REVISION if is_catalogue else selector_revision
    codes = catalogue_products(selector, revision=from_rev, selector_revision=from_rev)
    if revision == from_rev:
        return codes
    if wh is None:
        raise InputError(f"cannot convert {from_rev} codes to {revision} without a warehouse",
                         hint="pass wh= a warehouse with the hs_concordance table loaded")
    return convert_codes(codes, from_rev, revision, wh)


IN_SCOPE_SHARE = 0.5
"""A code of another revision is in scope when more than this share of its value maps to selected codes."""


def convert_codes(codes: list[str], from_revision: str, to_revision: str, wh: Warehouse, *,
                  min_share: float = IN_SCOPE_SHARE) -> list[str]:
    """Codes of ``to_revision`` in scope of ``codes`` (``from_revision``), by the concordance's weights.

    A code ``c`` of ``to_revision`` is in scope when most of its value maps
    to the selected codes ``S`` when converted to ``from_revision``:

    .. math:: \\sum_{s \\in S} W_{c,s} > \\text{min\\_share}

    where :math:`W` are the weights of the warehouse's ``hs_concordance``
    composed along the shortest chain of revision pairs from ``to_revision``
    to ``from_revision`` (:func:`kakehashi.sources.hs.compose_concordance`;
    equal split of 1:n and n:n links unless trade weights were loaded). A
    code that keeps its number (1:1) is in scope; a basket code of which a
    selected good is a minor part (steel scrap, plastics that once shared a
    code with a semiconductor input) is not, where following every n:n link
    would take it in. A code the concordance does not list did not exist in
    that revision and is not selected.

    Parameters
    ----------
    codes
        Selected codes in ``from_revision``.
    from_revision, to_revision
        HS revisions.
    wh
        Warehouse holding ``hs_concordance``.
    min_share
        Share above which a code is in scope (:data:`IN_SCOPE_SHARE`).
    """
    if from_revision == to_revision:
        return sorted(set(codes))
    if "hs_concordance" not in wh.tables():
        raise InputError(
            f"cannot convert {from_revision} codes to {to_revision}: the warehouse has no "
            "hs_concordance table",
            hint="ingest the HS concordance: 'kakehashi ingest concordance "
                 "HS_consolidated_comtrade_concordances.csv'",
        )
    from kakehashi.metrics.concordance import composed_weights

    conc = wh.table("hs_concordance")
    pairs_df = wh.execute(conc.select("from_revision", "to_revision").distinct())
    pairs = list(zip(pairs_df["from_revision"], pairs_df["to_revision"], strict=True))
    path = _revision_path(pairs, to_revision, from_revision)
    if path is None:
        raise InputError(
            f"the warehouse's hs_concordance has no chain from {from_revision} to {to_revision}",
            hint=f"load a concordance covering {from_revision} and {to_revision}",
        )
    w = composed_weights(wh, path)
    sel = set(codes)
    share = w[w["to_hs6"].isin(sel)].groupby("from_hs6")["weight"].sum()
    return sorted(str(c) for c in share.index[share > min_share])


def _revision_path(pairs: list[tuple[str, str]], start: str, goal: str) -> list[str] | None:
    """Shortest chain of revisions linked by ``pairs`` (undirected), or ``None``."""
    graph: dict[str, set[str]] = {}
    for a, b in pairs:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set()).add(a)
    prev: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            out = [node]
            while prev[out[-1]] is not None:
                out.append(prev[out[-1]])  # type: ignore[arg-type]
            return out[::-1]
        for nxt in sorted(graph.get(node, ())):
            if nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    return None
