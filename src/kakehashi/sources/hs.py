"""HS nomenclature and conversion of trade flows between HS revisions.

Three pieces:

:func:`parse_hs_nomenclature`
    The HS 2022 nomenclature in the layout of the ``datasets/harmonized-system``
    data package (``section, hscode, description, parent, level``) → the
    ``products`` table at six digits, with the heading (``hs4``) and section.
:func:`parse_concordance`
    The UN Statistics Division's HS revision correspondences, consolidated by
    the Harvard Growth Lab (``HS_consolidated_comtrade_concordances.csv``:
    ``code.after, code.before, Relationship, adjustment``) → ``hs_concordance``
    in both directions between adjacent revisions (HS92↔HS96↔HS02↔HS07↔
    HS12↔HS17↔HS22). ``adjustment`` "1996 to 1992" means ``code.after`` is an
    HS 1996 code and ``code.before`` an HS 1992 code. The file also holds SITC
    correspondences ("1992 to 1988", "1988 to 1976", "1976 to 1962"); they are
    skipped and counted. Leading zeros were stripped by the publisher, so codes
    are zero-padded to six digits.
:func:`convert_trade_flows`
    An Ibis expression that re-expresses ``trade_flows`` in another revision,
    step by step along the chain of adjacent revisions. Every analysis reads
    its trade through it (:mod:`kakehashi.metrics.flows`);
    :func:`compose_concordance` gives the same chained weights as a table
    (for deciding which codes are in scope of a workstream).

Weights
-------
For a source code :math:`s` that maps to the target codes :math:`t_1..t_k`, the
weight :math:`w_{s,t}` is the share of the value (and quantity) of :math:`s`
sent to :math:`t`; :math:`\\sum_t w_{s,t} = 1`, so conversion preserves totals.

* **1:1** and **n:1** (several source codes merged into one target): ``w = 1``.
* **1:n** and **n:n** (a source code split): by default an equal split,
  ``w = 1/k`` (the "equal weights" choice of Pierce and Schott, "Concording U.S.
  Harmonized System Codes over Time", Journal of Official Statistics 28(1),
  2012, as the fallback when no trade is observed).
* **pooled targets**: a target code that gathers parts of more than
  :data:`POOLED_TARGET_SOURCES` source codes is a residual pool, such as
  HS 2022's heading 85.49 (electrical and electronic waste), which the UN
  concordance links to 1,019 HS 2017 codes, from permanent magnets to
  printed circuits. A source code that also has other targets sends it
  nothing (``w = 0``) and splits equally among its other targets: an equal
  split would send six sevenths of every HS 2017 electrical code to waste.
  A source whose only targets are pools splits equally among them.
* :func:`weights_from_trade` replaces the split weights with trade shares:
  ``w_{s,t} = v_t / \\sum_{t' \\in T(s)} v_{t'}``, where ``v_t`` is the trade
  value observed under target code ``t`` (e.g. in the first year reported in
  the target revision), with the equal split where no trade is observed.

The ``relationship`` column is derived from the pairs themselves, read from
the source revision towards the target: ``1:n`` means one source code split
into several target codes, each of which receives nothing else. (The file's
own ``Relationship`` label reads the other way round — after:before — and
disagrees with the pairs for about one row in ten; weights never depend on it.)
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from kakehashi.errors import InputError, unknown_value_error
from kakehashi.schemas import HS_REVISIONS, conform
from kakehashi.sources.textcsv import read_csv_frame

__all__ = [
    "REVISION_YEARS",
    "compose_concordance",
    "concordance_from_pairs",
    "conversion_steps",
    "convert_trade_flows",
    "load_concordance",
    "load_hs_nomenclature",
    "parse_concordance",
    "parse_hs_nomenclature",
    "weights_from_trade",
]

REVISION_YEARS: dict[str, int] = {
    "HS92": 1992, "HS96": 1996, "HS02": 2002, "HS07": 2007, "HS12": 2012, "HS17": 2017, "HS22": 2022,
}
"""HS revision name → the year of its entry into force (as the concordance file names them)."""

POOLED_TARGET_SOURCES = 20
"""A target code linked to more source codes than this is a residual pool (module docstring)."""

_YEAR_REVISIONS = {y: r for r, y in REVISION_YEARS.items()}
_CONCORDANCE_COLUMNS = ["from_revision", "from_hs6", "to_revision", "to_hs6", "relationship", "weight"]


def _revision(name: str) -> str:
    text = str(name).strip().upper()
    if text.isdigit() and int(text) in _YEAR_REVISIONS:
        return _YEAR_REVISIONS[int(text)]
    if text not in HS_REVISIONS:
        raise unknown_value_error("HS revision", name, HS_REVISIONS)
    return text


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", file=path) from None


def parse_hs_nomenclature(path: str | Path, *, revision: str | None = None) -> pd.DataFrame:
    """Read an HS nomenclature file into the ``products`` table (six-digit codes only).

    Parameters
    ----------
    path
        CSV with columns ``section, hscode, description, parent, level``
        (the ``datasets/harmonized-system`` data package layout).
    revision
        HS revision of the codes (``HS22``, or a year such as ``2022``).
        Default: the year in the file name (``harmonized-system-2022.csv``).

    Returns
    -------
    pandas.DataFrame
        hs6, hs_revision, description, hs4, section.

    Raises
    ------
    InputError
        Missing columns, unknown revision, or a level-6 code that is not six
        digits (file and line named).
    """
    path = Path(path)
    if revision is None:
        m = re.search(r"(19|20)\d\d", path.name)
        if m is None or int(m.group(0)) not in _YEAR_REVISIONS:
            raise InputError("cannot tell the HS revision from the file name", file=path,
                             hint="pass revision='HS22' (CLI: --revision HS22)")
        revision = _YEAR_REVISIONS[int(m.group(0))]
    rev = _revision(revision)
    raw = read_csv_frame(_read_bytes(path, "HS nomenclature"), path)
    needed = ["section", "hscode", "description", "parent", "level"]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, line=1,
                         hint="expected the harmonized-system layout: " + ", ".join(needed))
    six = raw[raw["level"].str.strip() == "6"].copy()
    if not len(six):
        raise InputError("no six-digit codes (rows of level 6)", file=path,
                         hint="the file is truncated or not an HS nomenclature: download it again")
    code = six["hscode"].str.strip()
    code = code.where(~code.str.fullmatch(r"\d{5}"), code.str.zfill(6))
    bad = ~code.str.fullmatch(r"\d{6}")
    if bad.any():
        i = bad[bad].index[0]
        raise InputError(f"level-6 code {six.at[i, 'hscode']!r} is not six digits", file=path,
                         line=int(str(six.at[i, "_line"])), value=six.at[i, "hscode"])
    out = pd.DataFrame({
        "hs6": code,
        "hs_revision": rev,
        "description": six["description"].str.strip(),
        "hs4": code.str[:4],
        "section": six["section"].str.strip().replace("", None),
        "_line": six["_line"],
    })
    conform(out, "products", origin=path)
    return out.drop(columns="_line").reset_index(drop=True)


def concordance_from_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Add ``relationship`` and equal-split ``weight`` to correspondence pairs.

    Parameters
    ----------
    pairs
        Columns from_revision, from_hs6, to_revision, to_hs6 (one row per pair).

    Returns
    -------
    pandas.DataFrame
        The ``hs_concordance`` columns; ``weight = 1 / (number of target codes
        of the source code)``, except for links to pooled targets (module
        docstring), which get 0 when the source has other targets.

    Examples
    --------
    >>> pairs = pd.DataFrame({"from_revision": "HS92", "to_revision": "HS96",
    ...                       "from_hs6": ["111111", "222222", "222222"],
    ...                       "to_hs6": ["999999", "333333", "444444"]})
    >>> concordance_from_pairs(pairs)[["from_hs6", "to_hs6", "relationship", "weight"]].values.tolist()
    [['111111', '999999', '1:1', 1.0], ['222222', '333333', '1:n', 0.5], ['222222', '444444', '1:n', 0.5]]
    """
    df = pairs[["from_revision", "from_hs6", "to_revision", "to_hs6"]].drop_duplicates().copy()
    step = [df["from_revision"], df["to_revision"]]
    n_to = df.groupby([*step, df["from_hs6"]])["to_hs6"].transform("size")
    n_from = df.groupby([*step, df["to_hs6"]])["from_hs6"].transform("size")
    # a target code is "shared" if any of its sources also splits: n:n needs the whole group
    splits = n_to > 1
    merges = n_from > 1
    src_merges = merges.groupby([*step, df["from_hs6"]]).transform("any")
    tgt_splits = splits.groupby([*step, df["to_hs6"]]).transform("any")
    rel = np.select(
        [~splits & ~src_merges & ~tgt_splits, splits & ~src_merges, ~splits & ~tgt_splits],
        ["1:1", "1:n", "n:1"],
        default="n:n",
    )
    df["relationship"] = rel
    pooled = n_from > POOLED_TARGET_SOURCES
    src = [*step, df["from_hs6"]]
    has_other = (~pooled).groupby(src).transform("any")
    keep = ~pooled | ~has_other
    n_keep = keep.groupby(src).transform("sum")
    df["weight"] = np.where(keep, 1.0 / n_keep.where(n_keep > 0, 1), 0.0)
    return df[_CONCORDANCE_COLUMNS].reset_index(drop=True)


def parse_concordance(path: str | Path) -> pd.DataFrame:
    """Read the consolidated UN Comtrade HS concordance into ``hs_concordance``.

    Parameters
    ----------
    path
        ``HS_consolidated_comtrade_concordances.csv`` (columns ``code.after,
        code.before, Relationship, adjustment``).

    Returns
    -------
    pandas.DataFrame
        Both directions of every adjacent HS revision pair, weights as in the
        module documentation (equal split). ``attrs["skipped_rows"]``: rows of
        non-HS correspondences (SITC) left out.

    Raises
    ------
    InputError
        Missing columns, or a code that is not 1-6 digits (file and line named).
    """
    path = Path(path)
    raw = read_csv_frame(_read_bytes(path, "concordance"), path)
    needed = ["code.after", "code.before", "adjustment"]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, line=1,
                         hint="expected the consolidated Comtrade concordance: code.after, code.before, "
                         "Relationship, adjustment")
    years = raw["adjustment"].str.extract(r"^\s*(\d{4})\s+to\s+(\d{4})\s*$")
    if years.isna().any(axis=1).any():
        i = years.isna().any(axis=1).idxmax()
        raise InputError(f"cannot read adjustment {raw.at[i, 'adjustment']!r} (expected 'YYYY to YYYY')",
                         file=path, line=int(str(raw.at[i, "_line"])))
    after = years[0].astype(int).map(_YEAR_REVISIONS)
    before = years[1].astype(int).map(_YEAR_REVISIONS)
    is_hs = after.notna() & before.notna()
    if not is_hs.any():
        raise InputError("no HS correspondence rows (adjustment 'YYYY to YYYY' between HS revisions)",
                         file=path, hint="the file is truncated or not the consolidated concordance")
    hs = raw[is_hs]
    for col in ("code.after", "code.before"):
        bad = ~hs[col].str.strip().str.fullmatch(r"\d{1,6}")
        if bad.any():
            i = bad[bad].index[0]
            raise InputError(f"{col} {hs.at[i, col]!r} is not an HS code", file=path,
                             line=int(str(hs.at[i, "_line"])), value=hs.at[i, col])
    code_after = hs["code.after"].str.strip().str.zfill(6)
    code_before = hs["code.before"].str.strip().str.zfill(6)
    forward = pd.DataFrame({"from_revision": before[is_hs], "from_hs6": code_before,
                            "to_revision": after[is_hs], "to_hs6": code_after})
    backward = pd.DataFrame({"from_revision": after[is_hs], "from_hs6": code_after,
                             "to_revision": before[is_hs], "to_hs6": code_before})
    out = concordance_from_pairs(pd.concat([forward, backward], ignore_index=True))
    conform(out, "hs_concordance", origin=path)
    out.attrs["skipped_rows"] = int((~is_hs).sum())
    return out


def weights_from_trade(concordance: pd.DataFrame, trade: pd.DataFrame) -> pd.DataFrame:
    """Replace split weights with trade-value shares of the target codes.

    ``w_{s,t} = v_t / Σ_{t' ∈ T(s)} v_{t'}`` where ``v_t`` is the total trade
    value observed under target code ``t`` in the target revision; where no
    trade is observed for any target of ``s`` the equal split is kept.

    Parameters
    ----------
    concordance
        An ``hs_concordance`` frame.
    trade
        Columns hs6, hs_revision, value_usd (e.g. ``trade_flows`` of the first
        year reported in the target revision); rows are summed per code.

    Returns
    -------
    pandas.DataFrame
        ``concordance`` with new weights (still summing to 1 per source code).

    Examples
    --------
    >>> conc = concordance_from_pairs(pd.DataFrame({"from_revision": "HS92", "to_revision": "HS96",
    ...     "from_hs6": ["222222", "222222"], "to_hs6": ["333333", "444444"]}))
    >>> trade = pd.DataFrame({"hs6": ["333333", "444444"], "hs_revision": "HS96", "value_usd": [30.0, 10.0]})
    >>> weights_from_trade(conc, trade)["weight"].tolist()
    [0.75, 0.25]
    """
    values = trade.groupby(["hs_revision", "hs6"])["value_usd"].sum().reset_index()
    values.columns = pd.Index(["to_revision", "to_hs6", "_v"])
    out = concordance.merge(values, on=["to_revision", "to_hs6"], how="left")
    out["_v"] = out["_v"].fillna(0.0)
    key = ["from_revision", "from_hs6", "to_revision"]
    total = out.groupby(key)["_v"].transform("sum")
    out["weight"] = np.where(total > 0, out["_v"] / total.where(total > 0, 1.0), out["weight"])
    return out[_CONCORDANCE_COLUMNS]


def conversion_steps(from_revision: str, to_revision: str) -> list[tuple[str, str]]:
    """Adjacent revision pairs from one revision to another.

    Examples
    --------
    >>> conversion_steps("HS12", "HS22")
    [('HS12', 'HS17'), ('HS17', 'HS22')]
    >>> conversion_steps("HS22", "HS17")
    [('HS22', 'HS17')]
    """
    a, b = HS_REVISIONS.index(_revision(from_revision)), HS_REVISIONS.index(_revision(to_revision))
    step = 1 if b > a else -1
    return [(HS_REVISIONS[i], HS_REVISIONS[i + step]) for i in range(a, b, step)]


def _step(flows: ir.Table, concordance: ir.Table, a: str, b: str) -> ir.Table:
    """Move the rows of revision ``a`` to revision ``b``; other rows pass through."""
    conc = concordance.filter(
        (concordance.from_revision == a) & (concordance.to_revision == b) & (concordance.weight > 0)
    ).select("from_hs6", "to_hs6", "weight")
    moving = flows.filter(flows.hs_revision == a)
    joined = moving.left_join(conc, moving.hs6 == conc.from_hs6)
    weight = joined.weight.fill_null(1.0)
    extra = {"converted": joined.converted} if "converted" in flows.columns else {}
    moved = joined.select(
        year=joined.year,
        exporter=joined.exporter,
        importer=joined.importer,
        hs6=joined.to_hs6.fill_null(joined.hs6),
        value_usd=joined.value_usd * weight,
        quantity_t=joined.quantity_t * weight,
        hs_revision=ibis.literal(b),
        source=joined.source,
        **extra,
    )
    staying = flows.filter(flows.hs_revision != a).select(moved.columns)
    return staying.union(moved, distinct=False)


def convert_trade_flows(
    flows: ir.Table,
    concordance: ir.Table,
    to_revision: str,
    *,
    from_revisions: list[str] | None = None,
    flag_converted: bool = False,
) -> ir.Table:
    """Re-express trade flows in another HS revision (an Ibis expression).

    Each row of revision ``r`` is carried along the chain of adjacent revisions
    to ``to_revision`` (e.g. HS92 → HS96 → HS02 → HS07 → HS12 → HS17 → HS22):
    at each step it is joined to the concordance, its value and quantity are
    multiplied by the weight, and at the end the rows are summed per (year,
    exporter, importer, hs6, hs_revision, source). Because the weights of each
    source code sum to one, totals are preserved:
    :math:`\\sum v' = \\sum_s v_s \\sum_t w_{s,t} = \\sum_s v_s`.
    A code missing from the concordance is carried over unchanged.

    Parameters
    ----------
    flows
        A ``trade_flows`` table expression (any mix of revisions).
    concordance
        An ``hs_concordance`` table expression (adjacent revisions, both directions).
    to_revision
        Target revision, e.g. ``"HS22"``.
    from_revisions
        Revisions present in ``flows`` (default: all; giving them skips the
        steps that have nothing to move).
    flag_converted
        Add a boolean column ``converted``: true when some of the row's value
        was held in another revision and converted.

    Returns
    -------
    ibis.Table
        ``trade_flows`` columns, all rows in ``to_revision`` (plus ``converted``).

    Examples
    --------
    >>> flows, conc = wh.table("trade_flows"), wh.table("hs_concordance")  # doctest: +SKIP
    >>> hs22 = convert_trade_flows(flows, conc, "HS22")                    # doctest: +SKIP
    """
    target = _revision(to_revision)
    sources = [_revision(r) for r in (from_revisions or HS_REVISIONS)]
    t = HS_REVISIONS.index(target)
    oldest = min((HS_REVISIONS.index(r) for r in sources), default=t)
    newest = max((HS_REVISIONS.index(r) for r in sources), default=t)
    out = flows.select("year", "exporter", "importer", "hs6", "value_usd", "quantity_t",
                       "hs_revision", "source")
    if flag_converted:
        out = out.mutate(converted=out.hs_revision != target)
    for i in range(oldest, t):  # older revisions move forward
        out = _step(out, concordance, HS_REVISIONS[i], HS_REVISIONS[i + 1])
    for i in range(newest, t, -1):  # newer revisions move back
        out = _step(out, concordance, HS_REVISIONS[i], HS_REVISIONS[i - 1])
    extra = {"converted": out.converted.any()} if flag_converted else {}
    grouped = out.group_by(["year", "exporter", "importer", "hs6", "hs_revision", "source"]).aggregate(
        value_usd=out.value_usd.sum(), quantity_t=out.quantity_t.sum(), **extra
    )
    return grouped.select("year", "exporter", "importer", "hs6", "value_usd", "quantity_t",
                          "hs_revision", "source", *extra)


def step_pairs(concordance: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Links and weights from revision ``a`` to ``b``: ``from_hs6, to_hs6, weight``.

    The rows ``a → b`` of the concordance; when it holds only the other
    direction (a hand-made table), the reversed pairs with the equal split of
    :func:`concordance_from_pairs`.
    """
    fwd = concordance[(concordance["from_revision"] == a) & (concordance["to_revision"] == b)]
    if len(fwd):
        return fwd.loc[fwd["weight"] > 0, ["from_hs6", "to_hs6", "weight"]].reset_index(drop=True)
    bwd = concordance[(concordance["from_revision"] == b) & (concordance["to_revision"] == a)]
    pairs = pd.DataFrame({"from_revision": a, "from_hs6": bwd["to_hs6"], "to_revision": b,
                          "to_hs6": bwd["from_hs6"]})
    out = concordance_from_pairs(pairs)
    return out.loc[out["weight"] > 0, ["from_hs6", "to_hs6", "weight"]].reset_index(drop=True)


def compose_concordance(concordance: pd.DataFrame, path: list[str]) -> pd.DataFrame:
    """Weights from the first revision of ``path`` to its last, through every revision between.

    .. math:: W_{r_0 \\to r_n} = W_{r_0 \\to r_1} W_{r_1 \\to r_2} \\cdots W_{r_{n-1} \\to r_n}

    the product of the step matrices (:func:`step_pairs`), so each code's
    weights still sum to one: :math:`W_{s,t}` is the share of the value of
    code ``s`` (revision :math:`r_0`) that conversion sends to code ``t``
    (revision :math:`r_n`). The codes are those the first step links; as in
    :func:`convert_trade_flows`, a code with no link in a later step is
    carried over unchanged.

    Parameters
    ----------
    concordance
        An ``hs_concordance`` frame.
    path
        Revisions in order, e.g. ``["HS92", "HS96", ..., "HS22"]``.

    Returns
    -------
    pandas.DataFrame
        ``from_hs6, to_hs6, weight``, one row per linked pair.

    Examples
    --------
    >>> conc = concordance_from_pairs(pd.DataFrame({"from_revision": ["HS17", "HS17", "HS12"],
    ...     "to_revision": ["HS22", "HS22", "HS17"], "from_hs6": ["111111", "111111", "999999"],
    ...     "to_hs6": ["222222", "333333", "111111"]}))
    >>> w = compose_concordance(conc, ["HS12", "HS17", "HS22"])
    >>> w[w.from_hs6 == "999999"].values.tolist()
    [['999999', '222222', 0.5], ['999999', '333333', 0.5]]
    """
    steps = [step_pairs(concordance, a, b) for a, b in itertools.pairwise(path)]
    codes = sorted(set(steps[0]["from_hs6"])) if steps else []
    cur = pd.DataFrame({"from_hs6": codes, "to_hs6": codes, "weight": 1.0})
    for st in steps:
        m = cur.merge(st.rename(columns={"from_hs6": "_mid", "to_hs6": "_to", "weight": "_w"}),
                      left_on="to_hs6", right_on="_mid", how="left")
        linked = m["_to"].notna()
        m["to_hs6"] = m["_to"].where(linked, m["to_hs6"])
        m["weight"] = m["weight"] * m["_w"].where(linked, 1.0)
        cur = m.groupby(["from_hs6", "to_hs6"])["weight"].sum().reset_index()
    return cur[["from_hs6", "to_hs6", "weight"]].reset_index(drop=True)


def load_hs_nomenclature(wh: Any, path: str | Path, *, revision: str | None = None) -> pd.DataFrame:
    """Parse an HS nomenclature and write it to ``products`` (replacing that revision only)."""
    from kakehashi.sources.groups import replace_groups

    products = parse_hs_nomenclature(path, revision=revision)
    rev = str(products["hs_revision"].iloc[0]) if len(products) else "HS"
    with wh.transaction() as tx:
        replace_groups(tx, "products", products, ["hs_revision"],
                       source=f"HS nomenclature {rev} (WCO, via datasets/harmonized-system)",
                       origin=str(path))
    return products


def load_concordance(wh: Any, path: str | Path) -> pd.DataFrame:
    """Parse the Comtrade HS concordance and write it to ``hs_concordance`` (replacing the revision
    pairs it covers)."""
    from kakehashi.sources.groups import replace_groups

    conc = parse_concordance(path)
    with wh.transaction() as tx:
        replace_groups(tx, "hs_concordance", conc, ["from_revision", "to_revision"],
                       source="UN Comtrade HS concordance (consolidated by the Harvard Growth Lab)",
                       origin=str(path))
    return conc
