"""The partner-matching page (``/match``): the HTML twin of ``/api/match``.

Presentation only: the rows are :func:`kakehashi.questions.matching.partner_match`
(the same call, cache key and arguments as ``/api/match``), shown with readable
product names and dollar amounts (:mod:`kakehashi.present`); ``?format=csv``
gives the same rows with the library's column names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from kakehashi import catalogue
from kakehashi.present import fmt_num, fmt_usd
from kakehashi.present.labels import country_label
from kakehashi.questions import defaults
from kakehashi.web import validate
from kakehashi.web.api import ServiceDep
from kakehashi.web.pages import context
from kakehashi.web.render import templates

router = APIRouter(include_in_schema=False)

USD_COLUMNS: tuple[str, ...] = ("rival_usd", "partner_spare_usd", "partner_exports_to_importer_usd",
                                "export_potential_usd", "unrealised_potential_usd")
"""Dollar columns of the match table, shown compact (``1.2 bn``)."""


@router.get("/match", response_class=HTMLResponse)
async def match_page(
    request: Request,
    service: ServiceDep,
    importer: validate.CountryCode = defaults.IMPORTER,
    partner: validate.CountryCode = defaults.PARTNER,
    rival: validate.CountryCode = defaults.RIVAL,
    workstream: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{0,40}$")] = None,
    both: bool = False,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
) -> Response:
    """What the partner could supply where the importer depends on the rival, as a table or CSV."""
    from kakehashi.questions.matching import partner_match

    workstream = workstream or None  # the form's "(all products)"
    df = await run_in_threadpool(service.call, ("match", importer, partner, rival, workstream, both),
                                 lambda: partner_match(service.wh, importer, partner, rival, workstream,
                                                       both=both))
    if format == "csv":
        name = f"match-{importer}-{partner}-{rival}.csv"
        return Response(df.to_csv(index=False), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    rows: list[dict[str, Any]] = []
    for r in df.to_dict("records"):
        cells = {c: fmt_usd(r[c]) for c in USD_COLUMNS}
        rows.append({"importer": country_label(r["importer"]), "partner": country_label(r["partner"]),
                     "hs6": r["hs6"], "rca": fmt_num(r["partner_rca"]),
                     "product": r["product"] if isinstance(r["product"], str) else "",
                     "year": r["year"], **cells})
    query = f"importer={importer}&partner={partner}&rival={rival}"
    query += (f"&workstream={workstream}" if workstream else "") + ("&both=1" if both else "")
    m = {"importer": importer, "partner": partner, "rival": rival, "workstream": workstream, "both": both,
         "importer_name": country_label(importer), "partner_name": country_label(partner),
         "rival_name": country_label(rival), "rows": rows, "query": query}
    return templates.TemplateResponse(
        request, "match.html",
        context(service, nav="match", m=m, workstreams=catalogue.workstreams(), importer=importer,
                rival=rival, api=f"/api/match?{query}"))
