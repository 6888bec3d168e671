"""JSON API under ``/api`` (the twins of the dashboard's pages).

Each endpoint validates its inputs (:mod:`kakehashi.web.validate`), calls
the library through :mod:`kakehashi.report.views` under the service's lock
and cache, and returns plain JSON. No SQL is built from request strings:
request values reach the warehouse only as Ibis literals inside library
functions.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from kakehashi import __version__
from kakehashi.report import views
from kakehashi.web import validate
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


# ------------------------------------------------------------------ parameters
Importer = Annotated[str, Query(pattern=validate.ISO3_PATTERN, description="Importer, ISO3 (e.g. JPN).",
                                examples=["JPN"])]
Rival = Annotated[str, Query(pattern=validate.ISO3_PATTERN, description="Rival supplier, ISO3 (e.g. CHN).",
                             examples=["CHN"])]
Partner = Annotated[str | None, Query(pattern=validate.ISO3_PATTERN,
                                      description="Partner country, ISO3 (e.g. IND).", examples=["IND"])]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="Year (default: the latest in the data).")]
Workstream = Annotated[str | None, Query(pattern=validate.SLUG_PATTERN,
                                         description="Workstream key, e.g. critical-minerals.")]


def checked_country(service: Service, code: str | None, field: str) -> str | None:
    """Validate an optional ISO3 parameter against the warehouse."""
    if code is None:
        return None
    return validate.iso3(code, service.meta.countries, field=field)


def checked_workstream(workstream: str | None) -> str | None:
    """Validate an optional workstream key against the catalogue."""
    if workstream is None:
        return None
    return validate.choice(workstream, views.lib("catalogue", "workstreams")(), field="workstream")


# ----------------------------------------------------------------------- screen
class ScreenRow(BaseModel):
    """One product of the dependency screen (see kakehashi.metrics.screen for the formulas)."""

    importer: str
    hs6: str
    year: int
    product_name: str | None = None
    workstream: str | None = Field(None, description="Catalogue workstreams of the code, comma-separated.")
    imports_usd: float = Field(description="Imports from outside the importer (bloc), USD.")
    import_hhi: float | None = Field(None, description="Herfindahl index of import suppliers, 0-1.")
    top_supplier: str | None = None
    top_share: float | None = None
    rival_usd: float | None = None
    rival_share: float | None = None
    world_export_hhi: float | None = None
    exports_usd: float | None = None
    import_export_ratio: float | None = None
    dependent: bool
    persistent: bool
    severity: float | None = Field(None, description="0-100: 100 × rival share × import HHI × "
                                   "world-export HHI.")


class ScreenOut(BaseModel):
    """The dependency screen of one importer against a rival in one year."""

    importer: str
    rival: str
    year: int
    workstream: str | None
    synthetic: bool
    total_rows: int = Field(description="Products screened before `limit` and `dependent_only`.")
    dependent: int = Field(description="Products flagged dependent.")
    rows: list[ScreenRow]


def screen_frame(service: Service, importer: str, rival: str, year: int,
                 workstream: str | None) -> pd.DataFrame:
    """The screen for one (importer, rival, year, workstream), cached per warehouse snapshot."""
    return service.call(("screen", importer, rival, year, workstream),
                        lambda: views.screen(service.wh, importer, rival, year, workstream))


@router.get("/screen", response_model=ScreenOut, tags=["analysis"], summary="Dependency screen")
def screen(service: ServiceDep, importer: Importer, rival: Rival, year: Year = None,
           workstream: Workstream = None,
           dependent_only: Annotated[bool, Query(description="Only products flagged dependent.")] = False,
           limit: Annotated[int, Query(ge=1, le=10000, description="Rows returned, by severity.")] = 200,
           ) -> ScreenOut:
    """Screen every product the importer buys (or one workstream's) for dependence on the rival.

    A product is *dependent* when import HHI > 0.4, world-export HHI > 0.4 and
    imports exceed the importer's exports (EU 2021 / CEPII GeoDep); rows are sorted by severity.
    """
    meta = service.meta
    imp = validate.iso3(importer, meta.countries, field="importer")
    riv = validate.iso3(rival, meta.countries, field="rival")
    yr = validate.year(year, meta.years)
    ws = checked_workstream(workstream)
    df = screen_frame(service, imp, riv, yr, ws)
    shown = df[df["dependent"]] if dependent_only else df
    return ScreenOut(importer=imp, rival=riv, year=yr, workstream=ws, synthetic=meta.synthetic,
                     total_rows=len(df), dependent=int(df["dependent"].sum()) if len(df) else 0,
                     rows=[ScreenRow(**r) for r in records(shown.head(limit))])


# --------------------------------------------------------------------- overview
class WorkstreamRow(BaseModel):
    """Screen results summed over one catalogue workstream."""

    workstream: str
    products: int = Field(description="Catalogue products the importer imports.")
    dependent: int
    persistent: int
    imports_usd: float
    rival_usd: float


class OverviewOut(BaseModel):
    """An importer at a glance: workstreams and top dependencies on the rival."""

    importer: str
    rival: str
    year: int
    synthetic: bool
    products_screened: int
    dependent: int
    persistent: int
    imports_usd: float
    rival_usd: float
    workstreams: list[WorkstreamRow]
    top_dependencies: list[ScreenRow]


TOP_DEPENDENCIES = 15
"""Products listed on the overview, by severity."""


def overview_data(service: Service, importer: str, rival: str, year: int | None) -> OverviewOut:
    """Validate and build the overview (shared by the page and its JSON twin)."""
    meta = service.meta
    imp = validate.iso3(importer, meta.countries, field="importer")
    riv = validate.iso3(rival, meta.countries, field="rival")
    yr = validate.year(year, meta.years)
    df = screen_frame(service, imp, riv, yr, None)
    ws = views.workstream_summary(df)
    top = df.head(TOP_DEPENDENCIES)
    return OverviewOut(
        importer=imp, rival=riv, year=yr, synthetic=meta.synthetic, products_screened=len(df),
        dependent=int(df["dependent"].sum()) if len(df) else 0,
        persistent=int(df["persistent"].sum()) if len(df) else 0,
        imports_usd=float(df["imports_usd"].sum()) if len(df) else 0.0,
        rival_usd=float(df["rival_usd"].sum()) if len(df) else 0.0,
        workstreams=[WorkstreamRow(**r) for r in records(ws)],
        top_dependencies=[ScreenRow(**r) for r in records(top)],
    )


@router.get("/importers/{importer}", response_model=OverviewOut, tags=["analysis"],
            summary="Overview of one importer")
def overview(service: ServiceDep,
             importer: Annotated[str, Path(pattern=validate.ISO3_PATTERN, description="Importer, ISO3.")],
             rival: Rival = "CHN", year: Year = None) -> OverviewOut:
    """Workstreams and top dependencies of an importer on a rival (JSON twin of `/importers/{importer}`)."""
    return overview_data(service, importer, rival, year)


# ---------------------------------------------------------------------- product
class ShareRow(BaseModel):
    """A supplier's share of a market in one year (small suppliers grouped as 'other')."""

    year: int
    supplier: str
    value_usd: float
    share: float | None


class ProductionRow(BaseModel):
    """A country's share of world production of a mineral commodity."""

    year: int
    stage: str
    country: str
    quantity: float
    unit: str
    share: float | None


class MineralProduction(BaseModel):
    """Production of one mineral commodity traded under the product's code."""

    commodity: str
    production: list[ProductionRow]


class ProductOut(BaseModel):
    """One product for one importer: suppliers over the years, world supply, screen, substitutes, minerals."""

    hs6: str
    importer: str
    rival: str
    partner: str | None
    synthetic: bool
    name: str | None
    workstreams: list[str]
    stage: str | None
    screen: list[ScreenRow] = Field(description="The screen row of every year.")
    supplier_shares: list[ShareRow]
    world_supply: list[ShareRow]
    substitution: list[dict[str, Any]] = Field(
        description="Capacity of partner, coalition and world to replace the rival in the latest year "
        "(kakehashi.metrics.substitution.substitution_capacity).")
    candidates: list[dict[str, Any]] = Field(
        description="Replacement suppliers by spare exports, with RCA (kakehashi.metrics.substitution).")
    minerals: list[MineralProduction]


def product_data(service: Service, hs6: str, importer: str, rival: str, partner: str | None) -> ProductOut:
    """Validate and build the product view (shared by the page and its JSON twin)."""
    meta = service.meta
    code = validate.hs6(hs6, meta.products)
    imp = validate.iso3(importer, meta.countries, field="importer")
    riv = validate.iso3(rival, meta.countries, field="rival")
    par = checked_country(service, partner, "partner")
    wh = service.wh
    info = views.product_info(code)
    key = (code, imp, riv, par)
    screen_all = service.call(("product-screen", *key), lambda: views.product_screen(wh, imp, riv, code))
    suppliers = service.call(("suppliers", *key),
                             lambda: views.supplier_shares(wh, imp, code, keep=(riv, par)))
    world = service.call(("world", code, riv, par), lambda: views.world_supply(wh, code, keep=(riv, par)))
    subs = service.call(("substitution", *key), lambda: views.substitution(wh, imp, riv, [code], partner=par))
    cands = service.call(("candidates", code, imp, riv), lambda: views.candidates(wh, imp, riv, code))
    minerals = [
        MineralProduction(commodity=c, production=[ProductionRow(**r) for r in records(
            service.call(("production", c), functools.partial(views.production_shares, wh, c)))])
        for c in info.commodities
    ]
    return ProductOut(
        hs6=code, importer=imp, rival=riv, partner=par, synthetic=meta.synthetic,
        name=info.name, workstreams=info.workstreams, stage=info.stage,
        screen=[ScreenRow(**r) for r in records(screen_all)],
        supplier_shares=[ShareRow(**r) for r in records(suppliers)],
        world_supply=[ShareRow(**r) for r in records(world)],
        substitution=records(subs),
        candidates=records(cands),
        minerals=minerals,
    )


@router.get("/products/{hs6}", response_model=ProductOut, tags=["analysis"], summary="One product")
def product(service: ServiceDep,
            hs6: Annotated[str, Path(pattern=validate.HS6_PATTERN, description="HS six-digit code.")],
            importer: Importer, rival: Rival = "CHN", partner: Partner = None) -> ProductOut:
    """Supplier shares over the years, world supply, the screen, candidate substitutes and (for mineral
    codes) world production shares (JSON twin of `/products/{hs6}`)."""
    return product_data(service, hs6, importer, rival, partner)


# --------------------------------------------------------------------- minerals
class MineralsIndexOut(BaseModel):
    """Mineral commodities with production data in the warehouse."""

    synthetic: bool
    commodities: list[str]


class MineralOut(BaseModel):
    """One mineral commodity: production shares and supply risk."""

    commodity: str
    rival: str
    importer: str | None
    synthetic: bool
    hs6: list[str] = Field(description="HS 2022 codes the commodity is traded under (catalogue).")
    production: list[ProductionRow]
    supply_risk: list[dict[str, Any]] = Field(
        description="Supply-risk indicators with every input (kakehashi.metrics.minerals.supply_risk).")


@router.get("/minerals", response_model=MineralsIndexOut, tags=["analysis"], summary="Mineral commodities")
def minerals_index(service: ServiceDep) -> MineralsIndexOut:
    """List the commodities with production data."""
    return MineralsIndexOut(synthetic=service.meta.synthetic, commodities=list(service.meta.commodities))


def mineral_data(service: Service, commodity: str, rival: str, importer: str | None) -> MineralOut:
    """Validate and build the mineral view (shared by the page and its JSON twin)."""
    meta = service.meta
    com = validate.commodity(commodity, meta.commodities)
    riv = validate.iso3(rival, meta.countries, field="rival")
    imp = checked_country(service, importer, "importer")
    wh = service.wh
    production = service.call(("production", com), lambda: views.production_shares(wh, com))
    risk = service.call(("supply-risk", com, riv, imp), lambda: views.supply_risk(wh, com, riv, imp))
    codes = views.commodity_codes(com)
    return MineralOut(commodity=com, rival=riv, importer=imp, synthetic=meta.synthetic, hs6=codes,
                      production=[ProductionRow(**r) for r in records(production)],
                      supply_risk=records(risk))


@router.get("/minerals/{commodity}", response_model=MineralOut, tags=["analysis"],
            summary="One mineral commodity")
def mineral(service: ServiceDep,
            commodity: Annotated[str, Path(pattern=validate.COMMODITY_PATTERN,
                                           description="Commodity key, e.g. rare-earths.")],
            rival: Rival = "CHN", importer: Partner = None) -> MineralOut:
    """World production shares and supply risk of a commodity (JSON twin of `/minerals/{commodity}`)."""
    return mineral_data(service, commodity, rival, importer)
