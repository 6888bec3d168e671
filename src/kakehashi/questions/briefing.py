"""What should a senior official take away? Key messages and recommended actions in sentences.

Each function reads the tables the other questions return (the screen,
:func:`kakehashi.questions.replacement.substitution`, a scenario's summary,
:class:`kakehashi.questions.replacement.Portfolio`) and says what they show in
one sentence; :func:`key_messages` and :func:`actions` put them together for the
first page of a briefing pack, and the dashboard can show the same sentences.
Nothing here computes a new result beyond sums and import-weighted means of the
columns given, each stated in the sentence it feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from kakehashi.present import fmt_share, fmt_usd, product_label
from kakehashi.questions import defaults

NAMED = 3
"""Products named in one sentence."""


@dataclass(frozen=True)
class Context:
    """Who the sentences speak about: names as printed (``importer`` may be a bloc)."""

    importer: str
    rival: str
    workstream: str
    year: int
    partner: str | None = None


def _names(df: pd.DataFrame, n: int = NAMED, width: int = 30) -> str:
    """``name (HS6)`` of the first ``n`` rows, joined in words."""
    items = [f"{product_label('', r.get('product_name'), width) or r['hs6']} ({r['hs6']})"
             for _, r in df.head(n).iterrows()]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def screen_message(ctx: Context, screen_df: pd.DataFrame) -> str:
    """How many products are dependent, the value bought from the rival, the most severe three.

    ``screen_df``: :func:`kakehashi.questions.exposure.screen` for one year, most severe first.
    """
    if screen_df.empty:
        return f"{ctx.importer} imported no {ctx.workstream} goods in {ctx.year}."
    dep = screen_df[screen_df["dependent"]]
    if dep.empty:
        return (f"None of the {len(screen_df)} {ctx.workstream} products {ctx.importer} imported in "
                f"{ctx.year} meets the dependency criteria on {ctx.rival}; it bought "
                f"{fmt_usd(screen_df['rival_usd'].sum())} USD of them from {ctx.rival}.")
    at_stake = float(dep["rival_usd"].sum())
    return (f"{ctx.importer} depends on {ctx.rival} for {len(dep)} of the {len(screen_df)} "
            f"{ctx.workstream} products it imported in {ctx.year}, buying {fmt_usd(at_stake)} USD of them "
            f"from {ctx.rival}; the most severe are {_names(dep)}, with {ctx.rival} supplying "
            f"{fmt_share(dep['rival_share'].iloc[0], 0)} of the first.")


def replacement_message(ctx: Context, sub_df: pd.DataFrame) -> str:
    """How many dependent products the world, and the partner, could replace in full, and which not.

    ``sub_df``: :func:`kakehashi.questions.replacement.substitution` (``*_could_replace`` columns;
    cover = spare exports ÷ imports from the rival, *could replace* at
    :data:`~kakehashi.questions.defaults.COULD_REPLACE_COVER`).
    """
    dep = sub_df[sub_df["dependent"]] if len(sub_df) else sub_df
    if dep.empty:
        return "No dependent product needs a replacement supplier."
    dep = dep.sort_values("rival_usd", ascending=False)
    n = len(dep)
    world = dep[dep["world_could_replace"]]
    text = (f"Other exporters' spare exports would replace {ctx.rival}'s supply in full for "
            f"{len(world)} of the {n} dependent products")
    if ctx.partner and "partner_could_replace" in dep:
        part = dep[dep["partner_could_replace"]]
        text += f", {ctx.partner} alone for {len(part)}"
        if len(part):
            text += f" ({_names(part, 2)})"
    nobody = dep[~dep["world_could_replace"]]
    if len(nobody):
        text += (f"; nobody could for {_plural(len(nobody), 'product')} worth "
                 f"{fmt_usd(nobody['rival_usd'].sum())} USD from {ctx.rival}, the largest "
                 f"{_names(nobody, 2)}")
    return text + "."


def net_shortfall(summary: pd.DataFrame, members: Sequence[str]) -> pd.DataFrame:
    """Net-shortfall rows (USD) of the importer's members with a positive median, largest first."""
    if summary.empty or not {"importer", "metric", "p50"} <= set(summary.columns):
        return summary.iloc[0:0]
    rows = summary[summary["importer"].isin(members) & (summary["metric"] == "net_shortfall_usd")]
    if "hs6" in rows:
        rows = rows[rows["hs6"] != "ALL"]
    return rows[rows["p50"] > 0].sort_values("p50", ascending=False)


def scenario_message(ctx: Context, summary: pd.DataFrame, members: Sequence[str],
                     months: int = defaults.SCENARIO_MONTHS) -> str | None:
    """The licence scenario: the sum of the products' median net shortfalls, the largest with its band.

    ``summary``: the scenario's summary table (``importer, hs6, metric, p5, p50, p95``); the sum
    of medians is the sum over products of each product's median, as printed in the scenario table.
    """
    rows = net_shortfall(summary, members)
    if rows.empty:
        return None
    top = rows.iloc[0]
    label = product_label("", top.get("product_name"), 36) or str(top["hs6"])
    return (f"If {ctx.rival} put these goods under export licence for {months} months, {ctx.importer} "
            f"would be short of {fmt_usd(rows['p50'].sum())} USD of supply after other exporters "
            f"redirect what they can (the sum of the {_plural(len(rows), 'product')}' median net "
            f"shortfalls); the largest is {label} ({top['hs6']}): a median {fmt_usd(top['p50'])} USD, "
            f"5th–95th percentile {fmt_usd(top['p5'])}–{fmt_usd(top['p95'])} USD.")


@dataclass(frozen=True)
class PortfolioTotals:
    """A proposed portfolio over all its products: import-weighted rival shares, summed extra cost."""

    products: int
    imports_usd: float
    rival_share_before: float
    rival_share_after: float
    extra_cost_usd: float
    partner_falls: list[str]

    @property
    def extra_cost_share(self) -> float:
        """Extra cost ÷ imports of the products (the import bill)."""
        return self.extra_cost_usd / self.imports_usd if self.imports_usd else 0.0


def portfolio_totals(products: pd.DataFrame) -> PortfolioTotals | None:
    """Σ imports, Σ imports·share / Σ imports before and after, Σ extra cost over the solved products.

    ``products``: :attr:`kakehashi.questions.replacement.Portfolio.products` (rows with
    ``status == "optimal"``).
    """
    if products.empty:
        return None
    ok = products[products["status"] == "optimal"]
    if ok.empty:
        return None
    w = ok["imports_usd"].astype(float)
    total = float(w.sum())

    def mean(col: str) -> float:
        return float((ok[col].astype(float) * w).sum() / total) if total else 0.0

    falls = sorted(set(ok.loc[ok["partner_share_falls"].astype(bool), "hs6"].astype(str)))
    return PortfolioTotals(len(ok), total, mean("rival_share_before"), mean("rival_share_after"),
                           float(ok["extra_cost_usd"].sum()), falls)


def portfolio_message(ctx: Context, products: pd.DataFrame) -> str | None:
    """How far the rival's import-weighted share falls, at what extra cost, where the partner's falls."""
    t = portfolio_totals(products)
    if t is None:
        return None
    cost = (f"an extra cost of {fmt_usd(t.extra_cost_usd)} USD ({fmt_share(t.extra_cost_share)} of the "
            "import bill)" if t.extra_cost_usd >= 0 else
            f"a saving of {fmt_usd(-t.extra_cost_usd)} USD ({fmt_share(-t.extra_cost_share)} of the import "
            "bill, at today's unit prices)")
    text = (f"The proposed sourcing portfolio cuts {ctx.rival}'s share of {ctx.importer}'s imports of the "
            f"{_plural(t.products, 'product')} it covers from {fmt_share(t.rival_share_before)} to "
            f"{fmt_share(t.rival_share_after)} (import-weighted) at {cost}")
    if ctx.partner:
        text += (f"; {ctx.partner}'s share falls for {_plural(len(t.partner_falls), 'product')}"
                 + (f" ({', '.join(t.partner_falls[:NAMED])})" if t.partner_falls else ""))
    return text + "."


def key_messages(ctx: Context, screen_df: pd.DataFrame, sub_df: pd.DataFrame, summary: pd.DataFrame,
                 products: pd.DataFrame, members: Sequence[str]) -> list[str]:
    """Three to four messages: the screen, the replacement capacity, the scenario, the portfolio."""
    out = [screen_message(ctx, screen_df), replacement_message(ctx, sub_df),
           scenario_message(ctx, summary, members), portfolio_message(ctx, products)]
    return [m for m in out if m]


def actions(ctx: Context, sub_df: pd.DataFrame, summary: pd.DataFrame, products: pd.DataFrame,
            members: Sequence[str]) -> list[str]:
    """Recommended actions that follow from the numbers, most urgent first.

    * dependent products nobody could replace: stocks and long-term contracts;
    * dependent products the partner could replace: agree supply with the partner;
    * the largest scenario shortfall: prepare for a licensing regime there;
    * the portfolio: shift sourcing where it cuts the rival's share most; check with the partner
      the products where its share would fall.
    """
    out: list[str] = []
    dep = sub_df[sub_df["dependent"]].sort_values("rival_usd", ascending=False) if len(sub_df) else sub_df
    if len(dep):
        nobody = dep[~dep["world_could_replace"]]
        if len(nobody):
            out.append(f"Build stocks or long-term contracts for {_names(nobody, 2)}: no group of exporters "
                       f"has the spare supply to replace {ctx.rival}.")
        if ctx.partner and "partner_could_replace" in dep:
            part = dep[dep["partner_could_replace"]]
            if len(part):
                out.append(f"Agree supply with {ctx.partner} for {_names(part, 2)}, where its spare exports "
                           f"cover {ctx.rival}'s supply.")
    rows = net_shortfall(summary, members)
    if len(rows):
        out.append(f"Prepare for a licensing regime on {_names(rows, 2)}, the largest shortfalls of the "
                   "scenario: identify users and substitutes now.")
    if len(products) and "status" in products:
        ok = products[products["status"] == "optimal"]
        cut = (ok["rival_share_before"] - ok["rival_share_after"]) * ok["imports_usd"]
        moved = ok.assign(_cut=cut).sort_values("_cut", ascending=False)
        moved = moved[moved["_cut"] > 0]
        if len(moved):
            out.append(f"Shift sourcing as the portfolio proposes, starting with {_names(moved, 2)}, "
                       f"where it moves the most imports away from {ctx.rival}.")
        t = portfolio_totals(products)
        if ctx.partner and t is not None and t.partner_falls:
            out.append(f"Check with {ctx.partner} the {_plural(len(t.partner_falls), 'product')} where its "
                       f"share would fall ({', '.join(t.partner_falls[:NAMED])}) before acting on them.")
    return out[:5]


__all__ = ["Context", "PortfolioTotals", "actions", "key_messages", "net_shortfall", "portfolio_message",
           "portfolio_totals", "replacement_message", "scenario_message", "screen_message"]
