"""Optimisation commands: ``diversify``, ``frontier``, ``stockpile``.

Presentation only: each command parses options with the request grammar
(:mod:`kakehashi.questions.request`), asks :mod:`kakehashi.questions.replacement`
(portfolios with the shared defaults of :mod:`kakehashi.questions.defaults`) or
:mod:`kakehashi.optimize` (stockpiles), and writes its table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from kakehashi.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    OutOpt,
    TopOpt,
    WarehouseOpt,
    app,
    console_err,
    emit,
    is_synthetic,
    open_warehouse,
)
from kakehashi.errors import InputError
from kakehashi.questions import defaults
from kakehashi.questions.defaults import TOP_ROWS
from kakehashi.questions.request import bloc_label, parse_bloc, parse_products

if TYPE_CHECKING:
    import pandas as pd

ImporterOpt = Annotated[str, typer.Option("--importer", "-i", help="Importer ISO3 code (JPN), or a "
                                          "coalition optimised jointly (JPN+IND).")]
RivalOpt = Annotated[str, typer.Option("--rival", "-r", help="Rival supplier whose share is capped (ISO3).")]
PartnerOpt = Annotated[str | None, typer.Option(
    "--partner", "-p", help="Partner(s) for the partner minimum, comma-separated (e.g. IND).",
    show_default=False)]
JointOpt = Annotated[bool, typer.Option("--joint", help="Optimise the importer and the partner(s) "
                                        "together, sharing spare capacity (coalition mode).")]
WorkstreamOpt = Annotated[str | None, typer.Option(
    "--workstream", help="Catalogue workstream: critical-minerals, semiconductors, ict, clean-energy, "
    "medicines, ai-data-centres (default: every catalogue product).", show_default=False)]
HsOpt = Annotated[str | None, typer.Option("--hs", help="HS 2022 six-digit codes, comma-separated.",
                                           show_default=False)]
ObjectiveOpt = Annotated[str, typer.Option("--objective", help="hhi (import HHI), governance "
                                           "(WGI-weighted HHI) or shortfall (expected net shortfall "
                                           "under a rival restriction).")]
RivalCapOpt = Annotated[str, typer.Option("--max-rival-share", help="Cap on the rival's share: 'current' "
                                          "(never above today's share of each product), a fraction 0-1, "
                                          "or 'none'.")]
PartnerMinOpt = Annotated[float | None, typer.Option("--min-partner-share", help="Least combined share "
                                                     "of the partners, 0-1.", show_default=False)]
MaxChangeOpt = Annotated[str, typer.Option("--max-change", help="Largest change of any share in one "
                                           "period, 0-1, or 'none'.")]
YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Trade year (default: the latest).",
                                             show_default=False)]
RevisionOpt = Annotated[str | None, typer.Option("--revision", help="HS revision of the trade data "
                                                 "(default: chosen from the year).", show_default=False)]


def _who(importer: str, partner: str | None, joint: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    members = parse_bloc(importer)
    partners = parse_bloc(partner, field="partner") if partner else ()
    if joint and not partners:
        raise InputError("--joint needs --partner", hint="e.g. --importer JPN --partner IND --joint")
    return members, partners


def _share_option(text: str, option: str, *, current: bool = False) -> float | str | None:
    """``current`` (rival cap only), ``none`` or a fraction 0-1."""
    t = text.strip().lower()
    if t == "none":
        return None
    if current and t == "current":
        return "current"
    try:
        v = float(t)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a fraction", value=text,
                         hint=("write current, none or " if current else "write none or ")
                         + "a number between 0 and 1, e.g. 0.25") from None
    if not 0 <= v <= 1:
        raise InputError(f"{option} {v:g} is outside 0-1", value=v, hint="shares are fractions, e.g. 0.25")
    return v


def _lams(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"cannot read the weights on cost (--lams) {text!r}",
                         hint="write comma-separated numbers, e.g. 0,0.1,1") from None


def _diversify_view(prod: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of the per-product results of :func:`diversify`."""
    import pandas as pd

    view = pd.DataFrame({
        "importer": prod["importer"], "hs6": prod["hs6"], "product": prod["product_name"],
        "imports USD m": prod["imports_usd"], "rival before": prod["rival_share_before"],
        "rival after": prod["rival_share_after"], "risk before": prod["risk_before"],
        "risk after": prod["risk_after"], "extra cost USD m": prod["extra_cost_usd"],
        "status": prod["status"],
    })
    if view["importer"].nunique() == 1:
        view = view.drop(columns="importer")
    kinds = {"imports USD m": "usd_m", "rival before": "share", "rival after": "share",
             "risk before": "num3", "risk after": "num3", "extra cost USD m": "usd_m"}
    return view, kinds


def _shares_view(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of the proposed supplier shares."""
    import pandas as pd

    view = pd.DataFrame({
        "importer": table["importer"], "hs6": table["hs6"], "supplier": table["supplier"],
        "current share": table["current_share"], "proposed share": table["proposed_share"],
        "capacity share": table["capacity_share"],
    })
    if view["importer"].nunique() == 1:
        view = view.drop(columns="importer")
    return view, {"current share": "share", "proposed share": "share", "capacity share": "share"}


def _frontier_view(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compact terminal view of the risk-cost frontier."""
    import pandas as pd

    from kakehashi.present.labels import column_label

    weight = column_label("lam")
    view = pd.DataFrame({weight: df["lam"], "importer": df["importer"], "hs6": df["hs6"],
                         "imports USD m": df["imports_usd"], "risk": df["risk"],
                         "extra cost USD m": df["extra_cost_usd"]})
    return view, {weight: "sig", "imports USD m": "usd_m", "risk": "num3", "extra cost USD m": "usd_m"}


def _stockpile_view(df: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
    """The one-row stockpile result as a quantity / value / unit table."""
    import pandas as pd

    from kakehashi.present import fmt_sig

    row = df.iloc[0]
    return pd.DataFrame({"quantity": list(df.columns), "value": [fmt_sig(row[c]) if c in units
                                                                 else str(row[c]) for c in df.columns],
                         "unit": [units.get(c, "") for c in df.columns]})


def _notes(notes: list[str]) -> None:
    for n in notes:
        console_err.print(f"note: {n}", highlight=False, soft_wrap=True)


@app.command()
def diversify(
    importer: ImporterOpt,
    rival: RivalOpt,
    partner: PartnerOpt = None,
    joint: JointOpt = False,
    workstream: WorkstreamOpt = None,
    hs: HsOpt = None,
    objective: ObjectiveOpt = "hhi",
    max_rival_share: RivalCapOpt = str(defaults.RIVAL_CAP),
    min_partner_share: PartnerMinOpt = None,
    max_change: MaxChangeOpt = f"{defaults.MAX_CHANGE:g}",
    lam: Annotated[float, typer.Option("--lam", help="Weight on cost: weight of the extra cost (fraction "
                                       "of the import bill) against the risk; 0 ignores cost.")
                   ] = defaults.COST_WEIGHT,
    year: YearOpt = None,
    revision: RevisionOpt = None,
    skip_infeasible: Annotated[bool, typer.Option("--skip-infeasible", help="Report products whose "
                                                  "constraints cannot hold instead of stopping.")] = False,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    top: TopOpt = TOP_ROWS,
) -> None:
    """Diversified sourcing: next-period supplier shares that minimise the risk objective plus
    the weight on cost x extra cost, within each supplier's spare exports, a rival cap, a partner
    minimum and a maximum change per period."""
    from kakehashi.optimize.portfolio import UNITS
    from kakehashi.optimize.solve import InfeasibleError
    from kakehashi.questions.replacement import portfolio

    members, partners = _who(importer, partner, joint)
    products = parse_products(workstream, hs, field="--hs")
    cap = _share_option(max_rival_share, "--max-rival-share", current=True)
    change = _share_option(max_change, "--max-change")
    wh = open_warehouse(warehouse, engine)
    try:
        res = portfolio(wh, members, rival, partner=partners or None, products=products, joint=joint,
                        objective=objective, max_rival_share=cap,  # type: ignore[arg-type]
                        min_partner_share=min_partner_share, max_change=change,  # type: ignore[arg-type]
                        lam=lam, year=year, revision=revision,
                        on_infeasible="skip" if skip_infeasible else "raise")
    except InfeasibleError as exc:
        exc.hint = ("relax --max-rival-share, --min-partner-share or --max-change"
                    + (", or pass --skip-infeasible to report them" if len(exc.failures) > 0 else ""))
        raise
    label = res.importer
    empty = f"{label} imports none of the selected products in {res.year}; nothing to diversify."
    _notes(res.notes)
    synthetic = is_synthetic(wh)
    if fmt is Format.table:
        prod = res.products
        view, kinds = _diversify_view(prod)
        emit(view, fmt, None, title=f"Diversification, {label} vs {rival.upper()}, {res.year} "
             f"(objective {res.objective}, weight on cost {lam:g})", kinds=kinds, empty_message=empty,
             top=top, synthetic=synthetic)
        for note in prod.loc[prod["status"] == "infeasible", "note"]:
            console_err.print(f"infeasible: {note}", highlight=False, soft_wrap=True)
        if not res.table.empty:
            shares, kinds = _shares_view(res.table)
            emit(shares, fmt, out, title="Proposed shares (capacity = current share + spare exports "
                 "/ imports)", kinds=kinds, empty_message=empty, top=top)
        return
    if res.table.empty:
        console_err.print(empty)
    emit(res.table, fmt, out, units=UNITS, empty_message=empty, synthetic=synthetic)


@app.command()
def frontier(
    importer: ImporterOpt,
    rival: RivalOpt,
    partner: PartnerOpt = None,
    joint: JointOpt = False,
    workstream: WorkstreamOpt = None,
    hs: HsOpt = None,
    objective: ObjectiveOpt = "hhi",
    max_rival_share: RivalCapOpt = str(defaults.RIVAL_CAP),
    min_partner_share: PartnerMinOpt = None,
    max_change: MaxChangeOpt = f"{defaults.MAX_CHANGE:g}",
    lams: Annotated[str, typer.Option("--lams", help="Weights on cost (0 ignores cost), comma-separated.")] =
        ",".join(f"{x:g}" for x in defaults.FRONTIER_LAMS),
    year: YearOpt = None,
    revision: RevisionOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Risk-cost frontier: the optimal risk and extra cost for each weight on cost, per product and for the
    whole set (hs6 = ALL: import-weighted risk, summed cost)."""
    from kakehashi.optimize.portfolio import WHOLE_SET
    from kakehashi.questions.replacement import frontier as run

    members, partners = _who(importer, partner, joint)
    products = parse_products(workstream, hs, field="--hs")
    cap = _share_option(max_rival_share, "--max-rival-share", current=True)
    change = _share_option(max_change, "--max-change")
    lam_values = _lams(lams)
    wh = open_warehouse(warehouse, engine)
    df = run(wh, members, rival, lams=lam_values, partner=partners or None, products=products, joint=joint,
             objective=objective, max_rival_share=cap,  # type: ignore[arg-type]
             min_partner_share=min_partner_share, max_change=change,  # type: ignore[arg-type]
             year=year, revision=revision)
    left_out = df.attrs.get("infeasible", {})
    if left_out:
        console_err.print(f"note: {len(left_out)} products cannot meet the constraints and are left out: "
                          f"{', '.join(sorted(left_out))}", highlight=False, soft_wrap=True)
    kinds = None
    if fmt is Format.table:
        whole = df["hs6"] == WHOLE_SET
        df, kinds = _frontier_view(df[whole].reset_index(drop=True) if whole.any() else df)
    label = bloc_label(members + (tuple(p for p in partners if p not in members) if joint else ()))
    emit(df, fmt, out, title=f"Risk-cost frontier, {label} vs {rival.upper()} (whole set; "
         "--format csv for every product)", units={"imports_usd": "USD", "extra_cost_usd": "USD"}
         if kinds is None else None, kinds=kinds, empty_message="no feasible product: nothing to trace",
         top=None, synthetic=is_synthetic(wh))


@app.command()
def stockpile(
    importer: Annotated[str, typer.Option("--importer", "-i", help="Importer ISO3 code.")],
    hs6: Annotated[str, typer.Option("--hs6", help="HS 2022 six-digit product code.")],
    months: Annotated[float, typer.Option("--months", help="Length of the disruption, months.")],
    ramp: Annotated[float, typer.Option("--ramp", help="Months over which alternative supply ramps up "
                                        "linearly.")],
    rival: Annotated[str, typer.Option("--rival", "-r", help="Restricting exporter.")] = "CHN",
    severity: Annotated[float, typer.Option("--severity", help="Share of the rival's exports withheld "
                                            "(1 = ban).")] = 1.0,
    theta: Annotated[float | None, typer.Option("--theta", help="Share of other suppliers' spare "
                                                "exports redirected at full ramp (default: the "
                                                "scenarios' 0.2).", show_default=False)] = None,
    targets: Annotated[str, typer.Option("--targets", help="all: the rival restricts every importer; "
                                         "importer: only this one.")] = "all",
    holding_rate: Annotated[float, typer.Option("--holding-rate", help="Yearly holding cost as a "
                                                "fraction of the stock's value.")] = 0.05,
    year: YearOpt = None,
    revision: RevisionOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Stockpile sizing: the stock (USD and months of imports) that covers the net shortfall of a
    disruption while alternative supply ramps up, and its yearly holding cost."""
    from kakehashi.optimize.stockpile import STOCKPILE_UNITS
    from kakehashi.optimize.stockpile import stockpile as run
    from kakehashi.scenarios.restriction import DEFAULT_THETA

    wh = open_warehouse(warehouse, engine)
    res = run(wh, importer, hs6, months=months, ramp=ramp, rival=rival, severity=severity,
              theta=DEFAULT_THETA if theta is None else theta,
              targets=targets,  # type: ignore[arg-type]  # validated by the library
              holding_rate=holding_rate, year=year, revision=revision)
    df = res.frame()
    synthetic = is_synthetic(wh)
    if fmt is Format.table:
        emit(_stockpile_view(df, STOCKPILE_UNITS), fmt, out, title=f"Stockpile for {res.importer} "
             f"{res.hs6}: {res.months:g}-month restriction by {res.rival}, {res.ramp_months:g}-month "
             "ramp-up", kinds={"value": "other"}, top=None, synthetic=synthetic)
        return
    emit(df, fmt, out, units=STOCKPILE_UNITS, synthetic=synthetic)
