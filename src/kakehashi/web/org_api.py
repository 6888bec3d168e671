"""Organisation workspace routes (``/api/org/...``) and partner matching (``/api/match``).

Every ``/api/org`` route needs ``Authorization: Bearer <token>`` (the token
printed by ``kakehashi org add``); a missing, malformed, wrong or revoked
token is answered 401 with ``WWW-Authenticate: Bearer``. An organisation sees
only its own uploads: another organisation's data never reach its answers, the
public routes or error messages, and no answer built from an upload is cached.
Without a workspace key (``$KAKEHASHI_SECRET_KEY`` or
``$KAKEHASHI_SECRET_KEY_FILE``) these routes answer 503 and say why; the public
dashboard is unaffected. Presentation only: answers come from
:mod:`kakehashi.questions.firms`, :mod:`kakehashi.questions.matching` and
:mod:`kakehashi.questions.pooled`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from kakehashi.errors import InputError
from kakehashi.orgs.store import Org, OrgStore
from kakehashi.questions import defaults
from kakehashi.web import validate
from kakehashi.web.api import ServiceDep, records
from kakehashi.web.service import Service

router = APIRouter(prefix="/api")

_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "properties": {"rows": {"type": "array",
                                                                              "items": {"type": "object"}}}}},
}}}
"""The documented body of the uploads (read raw, parsed by kakehashi.orgs.bom)."""

_BEARER = {"WWW-Authenticate": 'Bearer realm="kakehashi-org"'}


def _store(request: Request) -> OrgStore:
    store: OrgStore | None = getattr(request.app.state, "orgs", None)
    if store is None:
        try:
            store = OrgStore.open()
            store.organisations()  # a wrong key fails here, once, not on every request
        except InputError as exc:
            raise HTTPException(503, detail=f"{exc.message} (hint: {exc.hint})") from None
        request.app.state.orgs = store
    return store


StoreDep = Annotated[OrgStore, Depends(_store)]


async def current_org(request: Request, store: StoreDep) -> Org:
    """The organisation of the request's bearer token, else 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, detail="this route needs an organisation token", headers=_BEARER)
    org = await run_in_threadpool(store.authenticate, token.strip())
    if org is None:
        raise HTTPException(401, detail="the token is not valid (wrong, revoked or rotated)", headers=_BEARER)
    return org


OrgDep = Annotated[Org, Depends(current_org)]


class StoredOut(BaseModel):
    """What an upload stored."""

    organisation: str
    kind: str
    rows: int


class ExposureOut(BaseModel):
    """A firm's exposure to the rival (kakehashi.questions.firms.firm_exposure)."""

    organisation: str
    rival: str
    importer: str
    partner: str | None
    year: int
    revision: str
    synthetic: bool
    measure: str | None = None
    notes: list[str] = []
    total: dict[str, float] = Field(description="Spend-weighted firm totals of the item shares (and the "
                                    "summed shortfall bands with a measure).")
    rows: list[dict[str, Any]] = Field(description="One row per item (kakehashi.orgs.exposure.ITEM_COLUMNS).")


async def _vocabulary(service: Service) -> tuple[frozenset[str], frozenset[str]]:
    from kakehashi.questions.firms import vocabulary

    return await run_in_threadpool(service.call, ("org-vocabulary",), lambda: vocabulary(service.wh))


async def _upload(request: Request, service: Service, store: OrgStore, org: Org, kind: str) -> StoredOut:
    from kakehashi.orgs.bom import parse_bom, parse_capabilities

    body = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = "json" if ctype.endswith("json") else "csv"
    countries, products = await _vocabulary(service)
    parse = parse_bom if kind == "bom" else parse_capabilities
    rows = parse(body, fmt=fmt, countries=countries, products=products)
    await run_in_threadpool(store.put, org, kind, rows)
    return StoredOut(organisation=org.name, kind=kind, rows=len(rows))


@router.post("/org/bom", tags=["organisations"], response_model=StoredOut, openapi_extra=_UPLOAD_BODY)
async def post_bom(request: Request, service: ServiceDep, store: StoreDep, org: OrgDep) -> StoredOut:
    """Upload the caller's bill of materials (CSV, or JSON with `Content-Type: application/json`):
    `item,hs6,supplier_country,annual_spend_usd[,seeking_alternatives]`. Replaces the previous one;
    stored encrypted; a bad line is answered 422 naming the line and field, and nothing is stored."""
    return await _upload(request, service, store, org, "bom")


@router.post("/org/capabilities", tags=["organisations"], response_model=StoredOut,
             openapi_extra=_UPLOAD_BODY)
async def post_capabilities(request: Request, service: ServiceDep, store: StoreDep, org: OrgDep) -> StoredOut:
    """Upload what the caller can supply: `hs6,country,annual_capacity_usd` (CSV or JSON)."""
    return await _upload(request, service, store, org, "capabilities")


def _bom_or_404(store: OrgStore, org: Org) -> list[dict[str, Any]]:
    rows = store.get_upload(org, "bom")
    if rows is None:
        raise HTTPException(404, detail="this organisation has no bill of materials; "
                            "POST one to /api/org/bom")
    return rows


@router.get("/org/bom", tags=["organisations"])
async def get_bom(store: StoreDep, org: OrgDep) -> dict[str, Any]:
    """The caller's own bill of materials as stored (404 when none)."""
    rows = await run_in_threadpool(_bom_or_404, store, org)
    return {"organisation": org.name, "rows": rows}


@router.get("/org/exposure", tags=["organisations"], response_model=ExposureOut)
async def get_exposure(
    service: ServiceDep, store: StoreDep, org: OrgDep,
    rival: validate.CountryCode = defaults.RIVAL,
    partner: validate.CountryCode = defaults.PARTNER,
    year: Annotated[int | None, Query(ge=1988, le=2100)] = None,
    measure: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,80}$")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    """The caller's exposure to the rival per item: direct and look-through shares, suppliers'
    dependency flags, alternatives (partner first) and the spend-weighted total (404 without a BOM)."""
    from kakehashi.questions.firms import firm_exposure

    rows = await run_in_threadpool(_bom_or_404, store, org)
    fe = await run_in_threadpool(service.call, None, lambda: firm_exposure(
        service.wh, rows, rival=rival, importer=org.country or defaults.IMPORTER, partner=partner, year=year,
        measure=measure))
    if format == "csv":
        return Response(fe.items.to_csv(index=False), media_type="text/csv")
    out = ExposureOut(organisation=org.name, rival=fe.rival, importer=fe.importer, partner=fe.partner,
                      year=fe.year, revision=fe.revision, synthetic=fe.synthetic, total=fe.total,
                      measure=fe.measure, notes=list(fe.notes),
                      rows=records(fe.items))
    return Response(out.model_dump_json(), media_type="application/json")


@router.get("/org/report", tags=["organisations"], response_class=Response,
            responses={200: {"content": {"text/html": {}}, "description": "The page, self-contained HTML."}})
async def get_report(
    service: ServiceDep, store: StoreDep, org: OrgDep,
    rival: validate.CountryCode = defaults.RIVAL,
    partner: validate.CountryCode = defaults.PARTNER,
    year: Annotated[int | None, Query(ge=1988, le=2100)] = None,
) -> Response:
    """The caller's CONFIDENTIAL exposure briefing: one self-contained HTML page (per item and the
    spend-weighted total; 404 without a BOM). Never cached."""
    from kakehashi.questions.firms import firm_exposure
    from kakehashi.report.org_report import render_org_report

    rows = await run_in_threadpool(_bom_or_404, store, org)
    fe = await run_in_threadpool(service.call, None, lambda: firm_exposure(
        service.wh, rows, rival=rival, importer=org.country or defaults.IMPORTER, partner=partner, year=year))
    html = render_org_report(org.name, fe, snapshot=service.meta.snapshot)
    return HTMLResponse(html, headers={"Cache-Control": "no-store, private"})


@router.get("/org/matches", tags=["organisations"])
async def get_matches(store: StoreDep, org: OrgDep) -> dict[str, Any]:
    """Other organisations' capabilities for the caller's items flagged `seeking_alternatives`
    (names only when both opted in to disclosure)."""
    from kakehashi.questions.matching import organisation_matches

    rows = await run_in_threadpool(organisation_matches, store, org)
    return {"organisation": org.name, "rows": rows}


@router.get("/org/pooled", tags=["organisations"])
async def get_pooled(
    store: StoreDep, org: OrgDep, date: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
) -> dict[str, Any]:
    """A dated pooled release (the latest by default), for a secretariat token only (403 otherwise);
    small and dominated cells are suppressed (kakehashi.orgs.pooled)."""
    if not org.secretariat:
        raise HTTPException(403, detail="the pooled view is for the dialogue's secretariat token")
    dates = await run_in_threadpool(store.releases)
    if not dates:
        raise HTTPException(404, detail="no pooled release has been published yet")
    when = date or dates[-1]
    if when not in dates:
        raise HTTPException(404, detail=f"no release dated {when}; releases: {', '.join(dates)}")
    return {"releases": dates, "release": await run_in_threadpool(store.get_release, when)}


@router.get("/match", tags=["analysis"])
async def get_match(
    service: ServiceDep,
    importer: validate.CountryCode = defaults.IMPORTER,
    partner: validate.CountryCode = defaults.PARTNER,
    rival: validate.CountryCode = defaults.RIVAL,
    workstream: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,40}$")] = None,
    both: bool = False,
) -> dict[str, Any]:
    """Partner matching: for each product where the importer depends on the rival, the partner's spare
    exports (as in substitution), RCA, current exports to the importer and export potential
    (Decreux & Spies 2016 structure; kakehashi.orgs.matching)."""
    from kakehashi.questions.matching import partner_match

    df = await run_in_threadpool(service.call, ("match", importer, partner, rival, workstream, both),
                                 lambda: partner_match(service.wh, importer, partner, rival, workstream,
                                                       both=both))
    return {"importer": importer, "partner": partner, "rival": rival, "workstream": workstream,
            "both": both, "synthetic": service.meta.synthetic, "rows": records(df)}
