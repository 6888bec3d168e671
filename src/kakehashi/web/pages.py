"""HTML pages of the dashboard (each has a JSON twin in :mod:`kakehashi.web.api`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

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
