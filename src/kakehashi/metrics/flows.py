"""The trade flows an analysis reads: one HS revision, one source per year.

A warehouse may hold trade in several HS revisions (BACI HS92 for 2021, BACI
HS17 for 2024, Comtrade reports in HS12, HS17 and HS22) and, for one year,
from several sources. Every analysis reads them through :func:`plan_trade`
and :func:`analysis_flows`, so that

* **one revision**: every row is expressed in the analysis revision
  (default :data:`DEFAULT_REVISION`, HS 2022, the catalogue's revision).
  Rows held in another revision are converted in the same query through the
  warehouse's ``hs_concordance``
  (:func:`kakehashi.sources.hs.convert_trade_flows`: values conserved, 1:n
  and n:n links split by the concordance's weights, equal split by
  default). Each row says whether it was converted (column ``converted``).
  Without ``revision=``, when the warehouse cannot convert to HS22 (no
  concordance) and the requested years sit in one revision, that revision is
  used unconverted. Only the requested years, the years between them and up
  to two earlier years for persistence are read (earlier years that cannot
  be converted are left out); any other unreachable year is an
  :class:`~kakehashi.errors.InputError` whose hint names the concordance
  file to ingest.
* **one source per year**: when a year holds trade of several datasets, one
  is used and the others are set aside, never added up. Datasets are ranked
  by :data:`SOURCE_PRECEDENCE` (prefixes of ``trade_flows.source``; CEPII
  BACI's reconciled mirror flows first, then UN Comtrade reports, then any
  other source), then by newest HS revision, then by label (the newest
  release last in alphabetical order wins). A BACI release is one dataset
  (``"CEPII BACI HS17 V202601"``); every UN Comtrade report of a year is one
  dataset together (``"UN Comtrade"``: each reporter's rows carry their own
  label). Pass ``precedence=`` to rank differently.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from threading import Lock

import ibis
import pandas as pd

from kakehashi.errors import InputError, unknown_value_error, year_span
from kakehashi.metrics.concordance import composed_weights
from kakehashi.schemas import HS_REVISIONS
from kakehashi.warehouse import Warehouse

DEFAULT_REVISION = "HS22"
"""Analysis revision by default: the newest revision the catalogue uses (HS 2022)."""

SOURCE_PRECEDENCE: tuple[str, ...] = ("CEPII BACI", "UN Comtrade")
"""Source prefixes in order of preference when a year has trade from several sources."""

COMTRADE_DATASET = "UN Comtrade"
"""Every UN Comtrade report of a year forms this one dataset."""

CONCORDANCE_FILE = "HS_consolidated_comtrade_concordances.csv"
"""The concordance file that connects every HS revision (``kakehashi download concordance``)."""

_INGEST_HINT = (f"ingest the HS concordance: 'kakehashi ingest concordance {CONCORDANCE_FILE}' "
                "('kakehashi download concordance' fetches it)")


def dataset_of(source: str) -> str:
    """The dataset a ``trade_flows.source`` label belongs to (every Comtrade report: ``"UN Comtrade"``)."""
    return COMTRADE_DATASET if source.startswith(COMTRADE_DATASET) else source


def dataset_rank(dataset: str, revisions: Sequence[str], precedence: Sequence[str]) -> tuple[int, int]:
    """Sort key of a dataset (smallest first): position of its precedence prefix, then newest revision.

    Ties are broken by label, the last in alphabetical order first (the newest release).
    """
    pos = next((i for i, p in enumerate(precedence) if dataset.startswith(p)), len(precedence))
    newest = max((HS_REVISIONS.index(r) for r in revisions if r in HS_REVISIONS), default=-1)
    return pos, -newest


def trade_inventory(wh: Warehouse) -> pd.DataFrame:
    """``year, hs_revision, source, rows`` of ``trade_flows`` (recorded at ingest)."""
    from kakehashi.metrics.derived import trade_summary

    return trade_summary(wh)[["year", "hs_revision", "source", "rows"]]


def concordance_pairs(wh: Warehouse) -> set[tuple[str, str]]:
    """The (from_revision, to_revision) pairs the warehouse's ``hs_concordance`` holds."""
    if "hs_concordance" not in wh.tables():
        return set()
    c = wh.table("hs_concordance")
    df = wh.execute(c.select("from_revision", "to_revision").distinct())
    return set(zip(df["from_revision"], df["to_revision"], strict=True))


def reachable(pairs: set[tuple[str, str]], from_revision: str, to_revision: str) -> bool:
    """Whether conversion can carry ``from_revision`` rows to ``to_revision`` (adjacent steps present)."""
    from kakehashi.sources.hs import conversion_steps

    return all(step in pairs for step in conversion_steps(from_revision, to_revision))


@dataclass(frozen=True)
class TradePlan:
    """What an analysis reads: its revision, and per year the dataset used.

    Attributes
    ----------
    revision
        The analysis revision: every output row is in it.
    years
        Years requested (or every year of the data).
    available_years
        The years the plan reads: from the earliest year persistence needs
        (up to two available years before the first requested one) to the
        last requested year.
    datasets
        Year → dataset used (a BACI source label, ``"UN Comtrade"``, ...).
    revisions
        Year → HS revisions the used dataset holds that year.
    set_aside
        Year → other datasets of that year, not used.
    precedence
        Source prefixes in order of preference.
    """

    revision: str
    years: list[int]
    available_years: list[int]
    datasets: dict[int, str]
    revisions: dict[int, list[str]]
    set_aside: dict[int, list[str]] = field(default_factory=dict)
    precedence: tuple[str, ...] = SOURCE_PRECEDENCE

    @property
    def converted_years(self) -> list[int]:
        """Years holding rows of another revision than :attr:`revision`."""
        return sorted(y for y, revs in self.revisions.items() if any(r != self.revision for r in revs))

    @property
    def key(self) -> str:
        """Short stable digest of the plan (names cached summaries)."""
        text = self.revision + "|" + ";".join(f"{y}={self.datasets[y]}" for y in sorted(self.datasets))
        return hashlib.sha1(text.encode()).hexdigest()[:12]


def choose_datasets(inventory: pd.DataFrame, precedence: Sequence[str] = SOURCE_PRECEDENCE
                    ) -> dict[int, tuple[str, list[str], list[str]]]:
    """Per year: (dataset used, its revisions, datasets set aside), by the precedence rule."""
    out: dict[int, tuple[str, list[str], list[str]]] = {}
    if inventory.empty:
        return out
    inv = inventory.assign(dataset=inventory["source"].astype(str).map(dataset_of))
    for year, grp in inv.groupby("year"):
        revs = {str(d): sorted(set(g["hs_revision"].astype(str)), key=HS_REVISIONS.index)
                for d, g in grp.groupby("dataset")}
        ranked = sorted(sorted(revs, reverse=True), key=lambda d: dataset_rank(d, revs[d], precedence))
        out[int(str(year))] = (ranked[0], revs[ranked[0]], ranked[1:])
    return out


def plan_trade(
    wh: Warehouse,
    revision: str | None = None,
    years: Sequence[int] | None = None,
    *,
    precedence: Sequence[str] | None = None,
) -> TradePlan:
    """Decide the analysis revision and the dataset of each year (module docstring).

    Parameters
    ----------
    wh
        Warehouse with ``trade_flows`` (and ``hs_concordance`` to convert).
    revision
        Analysis revision (default :data:`DEFAULT_REVISION` when the
        warehouse can reach it; without a concordance, the data's one revision).
    years
        Years to report (default: every year of the data).
    precedence
        Source prefixes in order of preference (default :data:`SOURCE_PRECEDENCE`).

    Raises
    ------
    InputError
        No trade flows, an unknown revision, a year outside the data, or a
        revision the concordance cannot reach (the hint names the file to ingest).
    """
    prec = tuple(precedence) if precedence is not None else SOURCE_PRECEDENCE
    chosen, pairs = _datasets_and_pairs(wh, prec)
    if not chosen:
        raise InputError("the warehouse holds no trade flows",
                         hint="ingest BACI or the sample first ('kakehashi ingest ...')")
    available = sorted(chosen)
    if years is not None:
        want = sorted({int(y) for y in years})
        bad = [y for y in want if y not in chosen]
        if bad:
            raise InputError(f"year {bad[0]} is outside the data", value=bad[0],
                             hint=f"trade flows cover {year_span(available)}")
    else:
        want = available
    if revision is not None:
        text = str(revision).strip().upper()
        if text not in HS_REVISIONS:
            raise unknown_value_error("HS revision", revision, HS_REVISIONS)
        target = text
    else:
        target = DEFAULT_REVISION
    # the years read: the requested ones, every year between them and the (up to two) years persistence
    # reads before them; every one must reach the target (earlier years that cannot are left out), and
    # no other year is read
    from kakehashi.metrics.thresholds import persistence_years

    def span(rev: str) -> list[int]:
        earlier = [y for y in persistence_years(want, available) if y < min(want)]
        ok: list[int] = []
        for y in reversed(earlier):
            if not all(r == rev or reachable(pairs, r, rev) for r in chosen[y][1]):
                break
            ok.insert(0, y)
        return [y for y in available if (ok[0] if ok else min(want)) <= y <= max(want)]

    read = span(target)
    held = sorted({r for y in read for r in chosen[y][1]}, key=HS_REVISIONS.index)
    if revision is None and not all(reachable(pairs, r, target) for r in held):
        core = sorted({r for y in available if min(want) <= y <= max(want) for r in chosen[y][1]})
        if len(core) == 1:  # no concordance: the requested years' one revision, unconverted
            target = core[0]
            read = span(target)
            held = sorted({r for y in read for r in chosen[y][1]}, key=HS_REVISIONS.index)
    for r in held:
        if r != target and not reachable(pairs, r, target):
            yrs = [y for y in read if r in chosen[y][1]]
            what = "no HS concordance" if not pairs else "an HS concordance without that link"
            raise InputError(
                f"trade of {year_span(yrs)} is held in {r} and cannot be converted to {target}: "
                f"the warehouse has {what}",
                value=target, hint=_INGEST_HINT + (", or pass --revision " + r if len(held) == 1 else ""))
    return TradePlan(
        revision=target, years=want, available_years=read,
        datasets={y: chosen[y][0] for y in read}, revisions={y: chosen[y][1] for y in read},
        set_aside={y: chosen[y][2] for y in read if chosen[y][2]}, precedence=prec)


PLAN_ENTRIES = 32
"""(warehouse snapshot, precedence) pairs whose datasets and concordance links :func:`plan_trade` keeps."""
_PLANS: OrderedDict[tuple[str, str | None, tuple[str, ...]],
                    tuple[dict[int, tuple[str, list[str], list[str]]], set[tuple[str, str]]]] = OrderedDict()
_PLANS_LOCK = Lock()


def _datasets_and_pairs(wh: Warehouse, precedence: tuple[str, ...]
                        ) -> tuple[dict[int, tuple[str, list[str], list[str]]], set[tuple[str, str]]]:
    """:func:`choose_datasets` of the snapshot's inventory and its :func:`concordance_pairs`.

    Both depend only on the committed snapshot (recorded at ingest), so they are
    worked out once per snapshot and precedence in a process (several milliseconds
    of pandas work a query otherwise); copies are returned, so callers cannot
    change the kept ones.
    """
    key = (str(wh.path), wh.snapshot_id, precedence)
    with _PLANS_LOCK:
        hit = _PLANS.get(key)
        if hit is not None:
            _PLANS.move_to_end(key)
    if hit is None:
        hit = (choose_datasets(trade_inventory(wh), precedence), concordance_pairs(wh))
        with _PLANS_LOCK:
            _PLANS[key] = hit
            while len(_PLANS) > PLAN_ENTRIES:
                _PLANS.popitem(last=False)
    chosen, pairs = hit
    return {y: (d, list(r), list(a)) for y, (d, r, a) in chosen.items()}, set(pairs)


def _dataset_filter(t: ibis.Table, plan: TradePlan, years: Sequence[int]) -> ibis.ir.BooleanValue:
    by_dataset: dict[str, list[int]] = {}
    for y in years:
        by_dataset.setdefault(plan.datasets[y], []).append(y)
    cond: ibis.ir.BooleanValue | None = None
    for ds, yrs in by_dataset.items():
        src = t.source.startswith(ds) if ds == COMTRADE_DATASET else t.source == ds
        c = t.year.isin(yrs) & src
        cond = c if cond is None else cond | c
    assert cond is not None
    return cond


def analysis_flows(
    wh: Warehouse,
    plan: TradePlan,
    *,
    years: Sequence[int] | None = None,
    products: Sequence[str] | None = None,
) -> ibis.Table:
    """``trade_flows`` rows of the plan's datasets, all in the plan's revision, as an Ibis expression.

    Parameters
    ----------
    wh
        The warehouse.
    plan
        From :func:`plan_trade`.
    years
        Years to read (default: every year of the data).
    products
        HS6 codes of the plan's revision to keep (default: all).

    Returns
    -------
    ibis.Table
        ``year, exporter, importer, hs6, value_usd, quantity_t, hs_revision,
        source, converted``: at most one row per (year, exporter, importer,
        hs6). Converted rows sum every source code's share sent to the
        target code; ``converted`` is true when some of the row's value was
        held in another revision.
    """
    from kakehashi.sources.hs import conversion_steps, convert_trade_flows

    yrs = sorted({int(y) for y in years} & set(plan.datasets)) if years is not None else plan.available_years
    t = wh.table("trade_flows")
    t = t.filter(_dataset_filter(t, plan, yrs)) if yrs else t.filter(ibis.literal(False))
    held = sorted({r for y in yrs for r in plan.revisions[y]}, key=HS_REVISIONS.index)
    if all(r == plan.revision for r in held):
        out = t.mutate(converted=ibis.literal(False))
        return out if products is None else out.filter(out.hs6.isin(list(products)))
    conc = wh.table("hs_concordance")
    if products is not None:
        # read only the source codes that can send value to the products (or that are kept as they are)
        keep = set(products)
        for r in held:
            if r != plan.revision:
                w = composed_weights(wh, [r] + [b for _, b in conversion_steps(r, plan.revision)])
                keep |= set(w.loc[w["to_hs6"].isin(list(products)), "from_hs6"])
        t = t.filter(t.hs6.isin(sorted(keep)))
    conv = convert_trade_flows(t, conc, plan.revision, from_revisions=held, flag_converted=True)
    g = conv.group_by(["year", "exporter", "importer", "hs6"]).aggregate(
        value_usd=conv.value_usd.sum(), quantity_t=conv.quantity_t.sum(),
        source=conv.source.min(), converted=conv.converted.any())
    g = g.mutate(hs_revision=ibis.literal(plan.revision))
    if products is not None:
        g = g.filter(g.hs6.isin(list(products)))
    return g.select("year", "exporter", "importer", "hs6", "value_usd", "quantity_t", "hs_revision",
                    "source", "converted")


def export_totals(wh: Warehouse, plan: TradePlan) -> ibis.Table:
    """Every exporter's total exports of every product and year in the plan's flows:
    ``exporter, hs6, year, exports_usd``.

    .. math:: X_{ekt} = \\sum_d x_{e \\to d,k,t}

    over the analysis flows of ``plan`` (one source per year, every row in the
    plan's revision). The totals stored at ingest
    (:func:`kakehashi.metrics.derived.export_totals`) are used when they are the
    same thing (every year read from one dataset held in the plan's revision);
    otherwise they are computed in the query (a read-only warehouse writes no cache).
    """
    from kakehashi.metrics import derived

    if _plan_is_stored(plan):
        return derived.export_totals(wh, plan.revision)
    from kakehashi.metrics.concentration import stable_sum

    f = analysis_flows(wh, plan)
    return f.group_by(["exporter", "hs6", "year"]).aggregate(exports_usd=stable_sum(f.value_usd))


def _plan_is_stored(plan: TradePlan) -> bool:
    """True when every year of ``plan`` reads one dataset held in the plan's revision only."""
    return all(not plan.set_aside.get(y) and list(plan.revisions.get(y, [])) == [plan.revision]
               for y in plan.available_years)
