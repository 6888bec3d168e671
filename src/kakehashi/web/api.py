"""JSON API under ``/api`` (the twins of the dashboard's pages).

Each endpoint validates its inputs (:mod:`kakehashi.web.validate`), calls
the library through :mod:`kakehashi.report.views` under the service's lock
and cache, and returns plain JSON. No SQL is built from request strings:
request values reach the warehouse only as Ibis literals inside library
functions.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kakehashi import __version__
from kakehashi.web.service import Service

router = APIRouter(prefix="/api")


def get_service(request: Request) -> Service:
    """The application's :class:`~kakehashi.web.service.Service`."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready records (NaN → null, numpy scalars → Python)."""
    if df.empty:
        return []
    out: list[dict[str, Any]] = json.loads(df.to_json(orient="records", date_format="iso"))
    return out


class Health(BaseModel):
    """Liveness and what the server serves."""

    status: str = Field(examples=["ok"])
    version: str
    snapshot: str = Field(description="Id of the warehouse snapshot being served.")
    tables: list[str]
    synthetic: bool = Field(description="True when the data are the bundled synthetic sample.")


class MetaOut(BaseModel):
    """What the warehouse holds: the valid values of the API's parameters."""

    snapshot: str
    synthetic: bool
    importers: list[str]
    countries: list[str]
    years: list[int]
    products: int = Field(description="Number of distinct HS6 codes with trade.")
    commodities: list[str]
    sources: list[str]
    max_draws: int


@router.get("/health", response_model=Health, tags=["meta"], summary="Liveness and data snapshot")
def health(service: ServiceDep) -> Health:
    """Answer ``ok`` with the warehouse snapshot served and whether it is synthetic."""
    meta = service.meta
    return Health(status="ok", version=__version__, snapshot=meta.snapshot, tables=list(meta.tables),
                  synthetic=meta.synthetic)


@router.get("/meta", response_model=MetaOut, tags=["meta"], summary="Valid parameter values")
def meta(service: ServiceDep) -> MetaOut:
    """List the importers, countries, years and commodities this warehouse has data for."""
    m = service.meta
    return MetaOut(snapshot=m.snapshot, synthetic=m.synthetic, importers=list(m.importers),
                   countries=sorted(m.countries), years=list(m.years), products=len(m.products),
                   commodities=list(m.commodities), sources=list(m.sources), max_draws=service.max_draws)
