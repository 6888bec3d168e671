"""Who could replace the rival, and what sourcing should we aim for?

* :func:`substitution`: the partner's, a coalition's and the world's spare
  exports as a multiple of the rival's supply
  (:func:`kakehashi.metrics.substitution.substitution_capacity`, the one
  implementation of spare exports), with the *could replace* judgement: a group
  could replace the rival when its cover is at least
  :data:`~kakehashi.questions.defaults.COULD_REPLACE_COVER`.
* :func:`portfolio` and :func:`frontier`: the optimiser
  (:mod:`kakehashi.optimize.portfolio`) with the defaults a senior official can
  act on (:mod:`kakehashi.questions.defaults`): the rival's share of a product
  may not rise above today's (:data:`~kakehashi.questions.defaults.RIVAL_CAP`),
  no share moves by more than :data:`~kakehashi.questions.defaults.MAX_CHANGE`
  in one period, and extra cost weighs
  :data:`~kakehashi.questions.defaults.COST_WEIGHT` against risk. Each can be
  overridden. Every product where the partner's share would fall is flagged
  (``partner_share_falls``) and said in the notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kakehashi.errors import InputError
from kakehashi.metrics import substitution as subst
from kakehashi.questions import defaults
from kakehashi.questions.request import Importer, bloc_label, members
from kakehashi.warehouse import Warehouse

RivalCap = float | Literal["current"] | None
"""A cap on the rival's share: a fraction, ``"current"`` (today's share, per product) or ``None``."""

GROUPS: tuple[str, ...] = ("partner", "coalition", "world")
"""The supplier groups whose cover the substitution table reports."""



# ----------------------------------------------------------------- substitution
def could_replace(cover: pd.Series, threshold: float = defaults.COULD_REPLACE_COVER) -> pd.Series:
    """``cover >= threshold`` (missing cover: ``False``): the group's spare exports would replace
    the rival's supply in full."""
    return cover.fillna(-np.inf) >= threshold


def substitution(wh: Warehouse, importer: Importer, rival: str,
                 products: str | Sequence[str] | None = None, *, partner: str | None = None,
                 coalition: Sequence[str] = (), years: Sequence[int] | None = None,
                 only_dependent: bool = False, top: int = defaults.CANDIDATES,
                 revision: str | None = None, precedence: Sequence[str] | None = None) -> pd.DataFrame:
    """Capacity of partner, coalition and world to replace the rival, with the *could replace* flags.

    :func:`kakehashi.metrics.substitution.substitution_capacity` (cover = spare
    exports to third countries ÷ imports from the rival) plus one boolean
    column ``<group>_could_replace`` per group in :data:`GROUPS`
    (:func:`could_replace`). ``revision`` and ``precedence``: as for the
    screen (:mod:`kakehashi.metrics.flows`); coverage warnings:
    :func:`kakehashi.questions.exposure.coverage`.
    """
    codes = members(importer)
    df = subst.substitution_capacity(
        wh, list(codes) if len(codes) > 1 else codes[0], rival, partner=partner, coalition=tuple(coalition),
        years=years, products=products, only_dependent=only_dependent, top=top, revision=revision,
        precedence=precedence)
    for g in GROUPS:
        col = f"{g}_cover"
        if col in df:
            df[f"{g}_could_replace"] = could_replace(df[col])
    return df


@dataclass(frozen=True)
class ReplaceCount:
    """How many of ``n`` products a group could replace (cover ≥ the threshold)."""

    group: str
    k: int
    n: int


def replace_counts(sub_df: pd.DataFrame, *, dependent_only: bool = True) -> dict[str, ReplaceCount]:
    """Per group, how many (dependent) products its spare exports would replace in full."""
    rows = sub_df[sub_df["dependent"]] if dependent_only and len(sub_df) else sub_df
    out: dict[str, ReplaceCount] = {}
    for g in GROUPS:
        col = f"{g}_could_replace"
        if col in rows:
            out[g] = ReplaceCount(g, int(rows[col].sum()), len(rows))
    return out


def candidates(wh: Warehouse, importer: Importer, rival: str, hs6: str, *, top: int = 10,
               year: int | None = None) -> pd.DataFrame:
    """Possible replacement suppliers of one product, by spare exports
    (:func:`kakehashi.metrics.substitution.candidates`)."""
    codes = members(importer)
    df = subst.candidates(wh, list(codes) if len(codes) > 1 else codes[0], rival, hs6, year=year)
    return df.head(top).reset_index(drop=True)


# -------------------------------------------------------------------- portfolio
@dataclass(frozen=True)
class Portfolio:
    """A proposed sourcing portfolio with its settings and flags.

    Attributes
    ----------
    table
        Supplier shares (:data:`kakehashi.optimize.portfolio.TABLE_COLUMNS`).
    products
        One row per importer and product
        (:data:`kakehashi.optimize.portfolio.PRODUCT_COLUMNS`) plus
        ``rival_share_rises`` and ``partner_share_falls``.
    settings
        The rival cap, maximum change and λ used (``rival_cap`` is ``"current"`` or a number).
    """

    importer: str
    rival: str
    partner: tuple[str, ...]
    year: int
    revision: str
    objective: str
    table: pd.DataFrame
    products: pd.DataFrame
    notes: list[str]
    settings: dict[str, Any]

    @property
    def partner_falls(self) -> list[str]:
        """Products where the partner's share would fall."""
        p = self.products
        return sorted(set(p.loc[p["partner_share_falls"], "hs6"])) if len(p) else []


def _partners(partner: str | Sequence[str] | None) -> tuple[str, ...]:
    if partner is None or partner == "" or partner == ():
        return ()
    return members(partner, field="partner")


def _check_settings(max_rival_share: RivalCap, max_change: float | None, lam: float) -> float | None:
    """The numeric part of the rival cap (``None`` for ``"current"`` alone); checks each value."""
    cap: float | None = None
    if isinstance(max_rival_share, str):
        if max_rival_share != "current":
            raise InputError(f"rival cap {max_rival_share!r} is neither a share nor 'current'",
                             value=max_rival_share, hint="write a fraction such as 0.3, or current")
    else:
        cap = max_rival_share
    for name, v in (("max_rival_share", cap), ("max_change", max_change)):
        if v is not None and not 0 <= v <= 1:
            raise InputError(f"{name} must be between 0 and 1, got {v!r}", value=v,
                             hint="shares are fractions, e.g. 0.25")
    if not lam >= 0 or not np.isfinite(lam):
        raise InputError(f"the weight on cost (lam) must be zero or positive, got {lam}", value=lam,
                         hint="the weight on cost weighs the extra cost against the risk; 0 ignores cost")
    return cap


def _buyers(importer: Importer, partner: str | Sequence[str] | None, joint: bool, what: str
            ) -> tuple[tuple[str, ...], tuple[str, ...], str | list[str]]:
    """The buying countries (with the partners when ``joint``), the partners, and the optimiser's importer."""
    codes = members(importer)
    partners = _partners(partner)
    if joint:
        if not partners:
            raise InputError(f"a joint {what} needs a partner",
                             hint="e.g. --importer JPN --partner IND --joint")
        codes = codes + tuple(p for p in partners if p not in codes)
    return codes, partners, (list(codes) if len(codes) > 1 else codes[0])


def portfolio(wh: Warehouse, importer: Importer, rival: str, *, partner: str | Sequence[str] | None = None,
              products: str | Sequence[str] | None = None, joint: bool = False, objective: str = "hhi",
              max_rival_share: RivalCap = defaults.RIVAL_CAP, min_partner_share: float | None = None,
              max_change: float | None = defaults.MAX_CHANGE, lam: float = defaults.COST_WEIGHT,
              year: int | None = None, revision: str | None = None,
              on_infeasible: Literal["raise", "skip"] = "skip") -> Portfolio:
    """Next-period supplier shares that cut risk at a known extra cost, with the defaults and flags.

    :func:`kakehashi.optimize.portfolio.diversify`'s model and solver; by default
    the rival's share of each product is capped at today's, no share moves by
    more than :data:`~kakehashi.questions.defaults.MAX_CHANGE` and λ is
    :data:`~kakehashi.questions.defaults.COST_WEIGHT`. ``joint`` optimises the
    importer and the partner(s) together. Products where the partner's share
    would fall are flagged and listed in the notes.
    """
    from kakehashi.optimize import portfolio as opt

    codes, partners, who = _buyers(importer, partner, joint, "portfolio")
    cap = _check_settings(max_rival_share, max_change, lam)
    res = opt.diversify(wh, who, rival, partner=list(partners) or None, products=products,
                        objective=objective, max_rival_share=cap,  # type: ignore[arg-type]
                        min_partner_share=min_partner_share, max_change=max_change, lam=lam, year=year,
                        revision=revision, on_infeasible=on_infeasible,
                        cap_rival_at_current=max_rival_share == "current")
    table, prod, notes = res.table, res.products, list(res.notes)
    yr, rev, riv = res.year, res.revision, rival.upper()
    if not (partners or len(codes) > 1):  # no partner: no partner share can fall
        prod = prod.assign(partner_share_falls=False)
    notes = [n for n in notes if "share falls" not in n and "share rises" not in n]
    falls = sorted(set(prod.loc[prod["partner_share_falls"], "hs6"]))
    if falls:
        from kakehashi.present.labels import country_label

        who_p = country_label(bloc_label(partners)) if partners else "the partners"
        notes.append(f"the share of {who_p} falls for {len(falls)} product{'s' if len(falls) != 1 else ''}: "
                     + ", ".join(falls[:10]) + (" ..." if len(falls) > 10 else ""))
    rises = sorted(set(prod.loc[prod["rival_share_rises"], "hs6"]))
    if rises:
        notes.append(f"the rival's share rises for {len(rises)} products: {', '.join(rises[:10])}")
    settings = {"rival_cap": max_rival_share, "max_change": max_change, "lam": lam,
                "min_partner_share": min_partner_share, "objective": objective}
    return Portfolio(importer=bloc_label(codes), rival=riv, partner=partners, year=yr, revision=rev,
                     objective=objective, table=table, products=prod, notes=notes,
                     settings=settings)


def frontier(wh: Warehouse, importer: Importer, rival: str, *, partner: str | Sequence[str] | None = None,
             products: str | Sequence[str] | None = None, joint: bool = False, objective: str = "hhi",
             lams: Sequence[float] = defaults.FRONTIER_LAMS, max_rival_share: RivalCap = defaults.RIVAL_CAP,
             min_partner_share: float | None = None, max_change: float | None = defaults.MAX_CHANGE,
             year: int | None = None, revision: str | None = None) -> pd.DataFrame:
    """Risk–cost frontier under the same defaults as :func:`portfolio`, per product and for the whole set.

    As :func:`kakehashi.optimize.portfolio.frontier`: columns
    :data:`~kakehashi.optimize.portfolio.FRONTIER_COLUMNS`, ``hs6 == "ALL"`` rows
    for the whole set (import-weighted risk, summed cost), infeasible products
    left out with their reasons in ``.attrs["infeasible"]``.
    """
    from kakehashi.optimize import portfolio as opt

    _, partners, who = _buyers(importer, partner, joint, "frontier")
    cap = _check_settings(max_rival_share, max_change, 0.0)
    return opt.frontier(wh, who, rival, lams=[float(x) for x in lams], partner=list(partners) or None,
                        products=products,
                        objective=objective, max_rival_share=cap,  # type: ignore[arg-type]
                        min_partner_share=min_partner_share, max_change=max_change, year=year,
                        revision=revision, cap_rival_at_current=max_rival_share == "current")


def whole_set(front: pd.DataFrame) -> pd.DataFrame:
    """The frontier rows of the whole product set (``hs6 == "ALL"``), one point per λ."""
    from kakehashi.optimize.portfolio import WHOLE_SET

    if "hs6" in front and (front["hs6"] == WHOLE_SET).any():
        return front[front["hs6"] == WHOLE_SET].reset_index(drop=True)
    return front


def frontier_view(front: pd.DataFrame) -> pd.DataFrame:
    """The whole-set frontier as read on a chart: one row per λ, cheapest first.

    Columns ``lam, risk, extra_cost_usd, extra_cost_pct, rival_share`` with
    ``extra_cost_pct = 100 × extra_cost_usd ÷ imports_usd`` (the extra cost as a percentage of
    the import bill of the products; negative when the portfolio is cheaper at today's unit
    values) and ``risk`` the import-weighted HHI (:func:`kakehashi.optimize.portfolio.frontier`).
    """
    cols = ["lam", "risk", "extra_cost_usd", "extra_cost_pct", "rival_share"]
    rows = whole_set(front)
    if rows.empty or not {"lam", "risk", "extra_cost_usd", "imports_usd"} <= set(rows.columns):
        return pd.DataFrame(columns=cols)
    imports = rows["imports_usd"].astype(float)
    pct = 100.0 * rows["extra_cost_usd"].astype(float) / imports.where(imports > 0)
    out = rows.assign(extra_cost_pct=pct)
    if "rival_share" not in out:
        out = out.assign(rival_share=np.nan)
    return out[cols].sort_values("extra_cost_pct", ignore_index=True)


@dataclass(frozen=True)
class Diversification:
    """The dashboard's and the pack's answer: portfolio, whole-set frontier and a note in words."""

    portfolio: Portfolio | None
    frontier: pd.DataFrame
    note: str


def diversification(wh: Warehouse, importer: Importer, rival: str, *, partner: str | None = None,
                    products: str | Sequence[str] | None = None, year: int | None = None,
                    max_rival_share: RivalCap = defaults.RIVAL_CAP,
                    max_change: float | None = defaults.MAX_CHANGE,
                    lam: float = defaults.COST_WEIGHT) -> Diversification:
    """:func:`portfolio` and the whole-set :func:`frontier` with one set of defaults, and a note
    saying what was solved (or why nothing could be)."""
    from kakehashi.errors import ScenarioError

    try:
        port = portfolio(wh, importer, rival, partner=partner, products=products, year=year,
                         max_rival_share=max_rival_share, max_change=max_change, lam=lam)
        front = whole_set(frontier(wh, importer, rival, partner=partner, products=products, year=year,
                                   max_rival_share=max_rival_share, max_change=max_change))
    except ScenarioError as exc:  # no feasible portfolio: the optimiser says why, in words
        return Diversification(None, pd.DataFrame(), f"No portfolio: {exc}")
    return Diversification(port, front, portfolio_note(port))


def cap_text(cap: RivalCap) -> str:
    """The rival cap in words."""
    if cap == "current":
        return "the rival's share may not rise above today's"
    return "no cap on the rival's share" if cap is None else f"the rival's share at most {cap:g}"


_OBJECTIVE_WORDS = {
    "hhi": "import-weighted concentration of suppliers, HHI",
    "governance": "concentration of suppliers weighted by their governance, WGI",
    "shortfall": "expected shortfall under the scenario's draws",
}
"""The optimiser's objectives (:data:`kakehashi.optimize.problem.OBJECTIVES`) in words."""


def portfolio_note(port: Portfolio) -> str:
    """What the optimiser was asked, in one sentence, with the flags."""
    s = port.settings
    cap = cap_text(s["rival_cap"])
    change = "no limit on change" if s["max_change"] is None else \
        f"no supplier's share moves by more than {s['max_change']:g} in one period"
    risk = _OBJECTIVE_WORDS.get(port.objective, port.objective)
    text = (f"The optimiser minimised supply risk ({risk}) plus {s['lam']:g} × the extra cost "
            f"(the weight on cost); {cap}; {change}.")
    if port.notes:
        text += " " + "; ".join(n[0].upper() + n[1:] for n in port.notes) + "."
    return text
