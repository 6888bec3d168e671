"""HTML pages of the dashboard (each has a JSON twin in :mod:`kakehashi.web.api`)."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kakehashi.report import charts
from kakehashi.web import api, validate
from kakehashi.web.api import ServiceDep
from kakehashi.web.render import templates
from kakehashi.web.service import Service

router = APIRouter(include_in_schema=False)


def context(service: Service, **extra: Any) -> dict[str, Any]:
    """Template context shared by every page: data snapshot, synthetic flag, pickers."""
    meta = service.meta
    return {"meta": meta, "synthetic": meta.synthetic, **extra}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, service: ServiceDep) -> HTMLResponse:
    """Start page: choose an importer."""
    return templates.TemplateResponse(request, "home.html", context(service, api="/api/meta"))


@router.get("/api-docs", response_class=HTMLResponse)
def api_docs(request: Request, service: ServiceDep) -> HTMLResponse:
    """The OpenAPI schema rendered as a page (served locally; no Swagger UI from a CDN)."""
    schema = request.app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                 "description": p.get("description", ""),
                 "pattern": p.get("schema", {}).get("pattern", ""),
                 "type": p.get("schema", {}).get("type", "")}
                for p in op.get("parameters", [])
            ]
            operations.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                               "description": op.get("description", ""), "params": params,
                               "tags": op.get("tags", []), "body": "requestBody" in op})
    return templates.TemplateResponse(
        request, "api_docs.html",
        context(service, nav="api", operations=operations, info=schema.get("info", {}), api="/openapi.json"),
    )


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico; the icon is an SVG in the static files."""
    return RedirectResponse("/static/favicon.svg", status_code=308)


def chart(fn: Any, df: pd.DataFrame, **kw: Any) -> dict[str, Any] | None:
    """A dashboard chart spec (container width), or ``None`` when there is nothing to draw."""
    if df.empty:
        return None
    return charts.to_spec(fn(df, width="container", **kw))


@router.get("/go")
def go(service: ServiceDep, importer: api.Importer, rival: api.Rival = "CHN") -> RedirectResponse:
    """The start page's form: validate and go to the importer's overview."""
    meta = service.meta
    imp = validate.iso3(importer, meta.countries, field="importer")
    riv = validate.iso3(rival, meta.countries, field="rival")
    return RedirectResponse(f"/importers/{imp}?rival={riv}", status_code=303)


@router.get("/importers/{importer}", response_class=HTMLResponse)
def overview_page(request: Request, service: ServiceDep,
                  importer: Annotated[str, Path(pattern=validate.ISO3_PATTERN)],
                  rival: api.Rival = "CHN", year: api.Year = None) -> HTMLResponse:
    """Overview of an importer: key figures, workstreams, top dependencies."""
    data = api.overview_data(service, importer, rival, year)
    top = pd.DataFrame([r.model_dump() for r in data.top_dependencies])
    spec = None
    if not top.empty:
        top = top.assign(label=top["hs6"] + " " + top["product_name"].fillna("").str.slice(0, 40))
        spec = chart(charts.severity_bars, top,
                     title=f"Top dependencies of {data.importer} on {data.rival}, {data.year}",
                     subtitle="severity = 100 × rival share × import HHI × world-export HHI")
    return templates.TemplateResponse(request, "overview.html", context(
        service, nav="overview", d=data, importer=data.importer, severity_spec=spec,
        api=f"/api/importers/{data.importer}?rival={data.rival}&year={data.year}"))


@router.get("/products/{hs6}", response_class=HTMLResponse)
def product_page(request: Request, service: ServiceDep,
                 hs6: Annotated[str, Path(pattern=validate.HS6_PATTERN)],
                 importer: api.Importer, rival: api.Rival = "CHN",
                 partner: api.Partner = None) -> HTMLResponse:
    """One product: supplier shares over years, world supply, screen, substitutes, minerals."""
    d = api.product_data(service, hs6, importer, rival, partner)
    label = f"{d.hs6} {d.name}" if d.name else d.hs6
    suppliers = pd.DataFrame([r.model_dump() for r in d.supplier_shares])
    world = pd.DataFrame([r.model_dump() for r in d.world_supply])
    mineral_specs = []
    for m in d.minerals:
        prod = pd.DataFrame([r.model_dump() for r in m.production])
        if prod.empty:
            continue
        latest = prod[prod["stage"] == prod["stage"].iloc[0]]
        stage, year = latest["stage"].iloc[0], int(latest["year"].iloc[0])
        mineral_specs.append((m.commodity, chart(
            charts.production_shares, latest, rival=d.rival, partner=d.partner,
            title=f"World {stage} production of {m.commodity}, {year}",
            subtitle=f"unit: {latest['unit'].iloc[0]}")))
    return templates.TemplateResponse(request, "product.html", context(
        service, nav="overview", d=d, label=label, importer=d.importer,
        suppliers_spec=chart(charts.supplier_shares, suppliers, rival=d.rival, partner=d.partner,
                             title=f"Suppliers of {d.importer}", subtitle=f"share of imports of {label}"),
        world_spec=chart(charts.supplier_shares, world, rival=d.rival, partner=d.partner,
                         title="World supply", subtitle="share of world exports"),
        mineral_specs=mineral_specs, suppliers_table=suppliers,
        api=f"/api/products/{d.hs6}?importer={d.importer}&rival={d.rival}"
            + (f"&partner={d.partner}" if d.partner else "")))


@router.get("/minerals", response_class=HTMLResponse)
def minerals_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """Mineral commodities with production data."""
    return templates.TemplateResponse(request, "minerals.html", context(
        service, nav="minerals", commodities=service.meta.commodities, api="/api/minerals"))


@router.get("/minerals/{commodity}", response_class=HTMLResponse)
def mineral_page(request: Request, service: ServiceDep,
                 commodity: Annotated[str, Path(pattern=validate.COMMODITY_PATTERN)],
                 rival: api.Rival = "CHN", importer: api.Partner = None) -> HTMLResponse:
    """One commodity: world production shares by stage, supply risk, HS codes."""
    d = api.mineral_data(service, commodity, rival, importer)
    prod = pd.DataFrame([r.model_dump() for r in d.production])
    specs = []
    if not prod.empty:
        for stage, part in prod.groupby("stage", sort=True):
            specs.append((str(stage), chart(
                charts.production_shares, part, rival=d.rival,
                title=f"World {stage} production of {d.commodity}, {int(part['year'].iloc[0])}",
                subtitle=f"unit: {part['unit'].iloc[0]}")))
    return templates.TemplateResponse(request, "mineral.html", context(
        service, nav="minerals", d=d, production_specs=specs, production=prod,
        risk=pd.DataFrame(d.supply_risk),
        api=f"/api/minerals/{d.commodity}?rival={d.rival}"
            + (f"&importer={d.importer}" if d.importer else "")))
