"""The secretariat's pooled view: exposure by workstream and HS6 over the organisations that opted in,
with the statistical-disclosure control statistics offices use for business tables.

Table
    For each workstream ``W`` (an HS6 code of several workstreams appears in each), a table
    with one row per HS6 code and two columns, the spend bought directly from the rival
    (``direct_usd``) and the spend passing through suppliers that import the product from the
    rival (``look_through_usd``, :mod:`kakehashi.orgs.exposure`), plus its margins: each row's
    total (``total_usd``), each column's total over the workstream, and the workstream's grand
    total. Every value is a sum over organisations.

Primary suppression
    A cell (interior or margin) is suppressed when fewer than :data:`MIN_CONTRIBUTORS`
    organisations contribute to it (*threshold rule*) or when the largest contribution
    exceeds :data:`DOMINANCE` of its value (the *(1, 80 %) dominance rule*; Hundepool et al.,
    *Statistical Disclosure Control*, Wiley 2012, ch. 4; Eurostat's SDC handbook).
    A contributor is an organisation whose bill of materials holds the row's HS6 code.

Complementary (secondary) suppression
    Each row, column and grand total is an equation ``margin = sum of its cells``. An
    equation with exactly one suppressed member would give that member away by
    subtraction, so the smallest published member of such an equation (an interior cell
    before a margin) is suppressed too, and the rule is applied again until no equation has
    exactly one suppressed member. An HS6 cell shared by several workstreams is suppressed
    in all of them.

What remains possible
    The rule protects each equation on its own; it is the "hypercube"-style heuristic, not an
    optimal linear-programming protection (tau-Argus), so an attacker solving several
    equations at once may narrow a suppressed value to an interval. Between two releases,
    differencing is possible when one organisation joins or leaves: the change of a
    published cell is that organisation's contribution. Releases limit this by being
    dated and infrequent (not live), by publishing a cell only when it passes the rules in
    that release, and by the operator's rule of thumb to publish a new release only when
    several organisations have joined or left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MIN_CONTRIBUTORS = 3
"""Threshold rule: a cell needs at least this many contributing organisations."""
DOMINANCE = 0.8
"""Dominance rule: no single organisation may contribute more than this share of a cell."""
CHANNELS: tuple[str, ...] = ("direct_usd", "look_through_usd")
"""The two columns of each workstream table."""


@dataclass(frozen=True)
class Contribution:
    """One organisation's exposed spend in one HS6 code (both channels)."""

    org_id: str
    hs6: str
    direct_usd: float
    look_through_usd: float


Key = tuple[str, ...]
"""A published entry: ``("cell", hs6, channel)``, ``("row", hs6)``, ``("col", W, channel)`` or
``("all", W)``."""


def sensitive(contribs: Mapping[str, float], *, min_contributors: int = MIN_CONTRIBUTORS,
              dominance: float = DOMINANCE) -> bool:
    """Primary rule: fewer than ``min_contributors`` organisations, or one above ``dominance`` of the total.

    Examples
    --------
    >>> sensitive({"a": 1.0, "b": 1.0})
    True
    >>> sensitive({"a": 90.0, "b": 5.0, "c": 5.0})
    True
    >>> sensitive({"a": 40.0, "b": 30.0, "c": 30.0})
    False
    """
    if len(contribs) < min_contributors:
        return True
    total = sum(contribs.values())
    return total > 0 and max(contribs.values()) > dominance * total


def _entries(contribs: Sequence[Contribution], workstreams: Mapping[str, Sequence[str]]
             ) -> tuple[dict[Key, dict[str, float]], list[tuple[Key, list[Key]]]]:
    """Every published entry with its per-organisation contributions, and the margin equations."""
    by: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    hs_in: dict[str, set[str]] = defaultdict(set)
    for c in contribs:
        for ch in CHANNELS:
            by[("cell", c.hs6, ch)][c.org_id] += float(getattr(c, ch))
            by[("row", c.hs6)][c.org_id] += float(getattr(c, ch))
        for w in workstreams.get(c.hs6, ()) or ("other",):
            hs_in[w].add(c.hs6)
    equations: list[tuple[Key, list[Key]]] = []
    for hs6 in {c.hs6 for c in contribs}:
        equations.append((("row", hs6), [("cell", hs6, ch) for ch in CHANNELS]))
    for w, codes in hs_in.items():
        for ch in CHANNELS:
            col: Key = ("col", w, ch)
            for hs6 in codes:
                for org, v in by[("cell", hs6, ch)].items():
                    by[col][org] += v
            equations.append((col, [("cell", hs6, ch) for hs6 in sorted(codes)]))
        grand: Key = ("all", w)
        for ch in CHANNELS:
            for org, v in by[("col", w, ch)].items():
                by[grand][org] += v
        equations.append((grand, [("col", w, ch) for ch in CHANNELS]))
        equations.append((grand, [("row", hs6) for hs6 in sorted(codes)]))
    return {k: dict(v) for k, v in by.items()}, equations


def suppress(contribs: Sequence[Contribution], workstreams: Mapping[str, Sequence[str]], *,
             min_contributors: int = MIN_CONTRIBUTORS, dominance: float = DOMINANCE
             ) -> tuple[dict[Key, float], dict[Key, str], list[tuple[Key, list[Key]]]]:
    """Values of every entry, the suppressed ones with their reason (``primary``/``complementary``),
    and the margin equations (module docstring)."""
    by, equations = _entries(contribs, workstreams)
    values = {k: sum(v.values()) for k, v in by.items()}
    reason: dict[Key, str] = {}
    for k, v in by.items():
        if sensitive(v, min_contributors=min_contributors, dominance=dominance):
            reason[k] = "primary"
    changed = True
    while changed:
        changed = False
        for margin, members in equations:
            line = [margin, *members]
            hidden = [k for k in line if k in reason]
            if len(hidden) != 1:
                continue
            candidates = sorted((k for k in members if k not in reason), key=lambda k: (values[k], k))
            pick = candidates[0] if candidates else margin
            if pick in reason:  # only the margin is hidden and it has no other member: nothing to add
                continue
            reason[pick] = "complementary"
            changed = True
    return values, reason, equations


def release_tables(contribs: Sequence[Contribution], workstreams: Mapping[str, Sequence[str]],
                   names: Mapping[str, str] | None = None, *, min_contributors: int = MIN_CONTRIBUTORS,
                   dominance: float = DOMINANCE) -> dict[str, Any]:
    """The publishable tables of a release: per workstream, rows by HS6 with margins; suppressed
    values are ``None`` with a ``suppressed`` note. ``names`` (HS6 → product name) labels the rows."""
    values, reason, _ = suppress(contribs, workstreams, min_contributors=min_contributors,
                                 dominance=dominance)
    by, _ = _entries(contribs, workstreams)

    def pub(k: Key) -> float | None:
        return None if k in reason else values.get(k, 0.0)

    out: dict[str, Any] = {}
    ws_codes: dict[str, set[str]] = defaultdict(set)
    for c in contribs:
        for w in workstreams.get(c.hs6, ()) or ("other",):
            ws_codes[w].add(c.hs6)
    for w in sorted(ws_codes):
        rows = []
        for hs6 in sorted(ws_codes[w]):
            row: dict[str, Any] = {"hs6": hs6, "product": (names or {}).get(hs6)}
            for ch in CHANNELS:
                row[ch] = pub(("cell", hs6, ch))
            row["total_usd"] = pub(("row", hs6))
            n = len(by[("row", hs6)])
            row["organisations"] = n if ("row", hs6) not in reason else None
            keys: list[Key] = [("row", hs6), *(("cell", hs6, ch) for ch in CHANNELS)]
            row["suppressed"] = sorted({reason[k] for k in keys if k in reason})
            rows.append(row)
        total = {ch: pub(("col", w, ch)) for ch in CHANNELS}
        total["total_usd"] = pub(("all", w))
        out[w] = {"rows": rows, "total": total}
    return out
