"""The dialogue secretariat's pooled view: dated releases with disclosure control.

:func:`build_release` computes each opted-in organisation's exposure
(:func:`kakehashi.questions.firms.firm_exposure`), sums the exposed spend by
HS6 and channel over organisations, and publishes the tables of
:func:`kakehashi.orgs.pooled.release_tables` (threshold, dominance and
complementary suppression). A release is stored sealed under its date and
never rewritten; the secretariat reads releases, never live data.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kakehashi.questions import defaults

if TYPE_CHECKING:
    from kakehashi.orgs.store import OrgStore
    from kakehashi.warehouse import Warehouse


def build_release(store: OrgStore, wh: Warehouse, *, date: str | None = None, rival: str = defaults.RIVAL,
                  year: int | None = None) -> dict[str, Any]:
    """Compute the pooled tables over the organisations that opted in, and store them as a release.

    Returns the release (``date, rival, year, organisations, rules, tables``).
    """
    from kakehashi.errors import InputError
    from kakehashi.metrics.screen import annotate_products
    from kakehashi.orgs import pooled
    from kakehashi.questions.firms import firm_exposure

    when = date or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(when)
    except ValueError:
        raise InputError(f"release date {when!r} is not YYYY-MM-DD", hint="write e.g. 2026-12-01") from None
    contribs: list[pooled.Contribution] = []
    base_year: int | None = year
    revision = "HS22"
    n = 0
    for org in store.organisations():
        if not org.pooled or org.secretariat:
            continue
        rows = store.get_upload(org, "bom")
        if not rows:
            continue
        fe = firm_exposure(wh, rows, rival=rival, importer=org.country or defaults.IMPORTER, partner=None,
                           year=base_year)
        base_year, revision = fe.year, fe.revision
        n += 1
        items = fe.items.assign(direct=fe.items["spend_usd"] * fe.items["direct_rival_share"],
                                look=fe.items["spend_usd"] * fe.items["indirect_rival_share"])
        for hs6, g in items.groupby("hs6"):
            contribs.append(pooled.Contribution(org.org_id, str(hs6), float(g["direct"].sum()),
                                                float(g["look"].sum())))
    if not contribs:
        raise InputError("no organisation has opted in to the pooled view with a bill of materials",
                         hint="'kakehashi org set NAME --pooled' and 'kakehashi org bom NAME FILE'")
    import pandas as pd

    codes = sorted({c.hs6 for c in contribs})
    ann = annotate_products(pd.DataFrame({"hs6": codes}), wh, revision)
    pairs = zip(ann["hs6"], ann["workstream"], ann["product_name"], strict=True)
    ws: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for h, w, p in pairs:
        ws[str(h)] = [x for x in str(w).split(", ") if x]
        if pd.notna(p):
            names[str(h)] = str(p)
    tables = pooled.release_tables(contribs, ws, names)
    release = {
        "date": when, "rival": rival, "year": base_year, "revision": revision, "organisations": n,
        "rules": {"min_contributors": pooled.MIN_CONTRIBUTORS, "dominance": pooled.DOMINANCE,
                  "complementary": "every row, column and total equation has 0 or at least 2 suppressed "
                  "members"},
        "tables": tables,
    }
    store.put_release(when, release)
    return release
