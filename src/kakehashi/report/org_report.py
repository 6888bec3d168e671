"""A self-contained CONFIDENTIAL briefing page of one organisation's exposure.

Renders a :class:`kakehashi.questions.firms.FirmExposure` (per item: direct and
look-through rival shares, suppliers' dependency flags, alternatives; the
spend-weighted firm total) into one HTML file with inline CSS, no script and no
network access (its Content-Security-Policy forbids any), labelled
CONFIDENTIAL with the organisation's name. Presentation only; the numbers are
those of :func:`kakehashi.questions.firms.firm_exposure`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kakehashi.present import fmt_share, fmt_usd
from kakehashi.present.labels import country_label
from kakehashi.report.render import _environment

if TYPE_CHECKING:
    from kakehashi.questions.firms import FirmExposure


def render_org_report(organisation: str, fe: FirmExposure, *, snapshot: str = "") -> str:
    """The organisation's exposure briefing as one HTML document (see the module docstring)."""
    items: list[dict[str, Any]] = []
    for r in fe.items.to_dict("records"):
        items.append({
            "item": r["item"], "hs6": r["hs6"],
            "product": r["product"] if isinstance(r["product"], str) else "",
            "spend": fmt_usd(r["spend_usd"]), "suppliers": r["suppliers"],
            "direct": fmt_share(r["direct_rival_share"]), "indirect": fmt_share(r["indirect_rival_share"]),
            "total": fmt_share(r["total_rival_share"]), "dependent": r["dependent_suppliers"] or "-",
            "alternatives": r["alternatives"] or "-", "seeking": bool(r["seeking_alternatives"]),
            "no_data": bool(r["no_import_data"]),
        })
    t = fe.total
    total = {"spend": fmt_usd(t.get("spend_usd")), "direct": fmt_share(t.get("direct_rival_share")),
             "indirect": fmt_share(t.get("indirect_rival_share")),
             "total": fmt_share(t.get("total_rival_share"))}
    return _environment().get_template("org_report.html").render(
        organisation=organisation, fe=fe, items=items, total=total, snapshot=snapshot,
        rival_name=country_label(fe.rival), importer_name=country_label(fe.importer))


__all__ = ["render_org_report"]
