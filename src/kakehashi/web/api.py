"""JSON API under ``/api`` (the twins of the dashboard's pages).

Each endpoint validates its inputs (:mod:`kakehashi.web.validate`, the request
grammar of :mod:`kakehashi.questions.request`), asks one question of
:mod:`kakehashi.questions` under the service's lock
and cache, and returns plain JSON. No SQL is built from request strings:
request values reach the warehouse only as Ibis literals inside library
functions.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from kakehashi import __version__, catalogue
from kakehashi.questions import defaults, exposure, replacement, whatif
from kakehashi.questions.request import bloc_label, parse_country_list
from kakehashi.warehouse import Warehouse
from kakehashi.web import validate
from kakehashi.web.service import Service

router = APIRouter(prefix="/api")


async def get_service(request: Request) -> Service:
    """The application's :class:`~kakehashi.web.service.Service`."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready records (NaN → null, numpy scalars → Python)."""
    if df.empty:
        return []
    import pydantic_core  # parses as json.loads does (the same floats, bit for bit), in a third less time

    out: list[dict[str, Any]] = pydantic_core.from_json(df.to_json(orient="records", date_format="iso"))
    return out


async def cached_json(service: Service, key: tuple[Any, ...], build: Callable[[], BaseModel]) -> Response:
    """The JSON of ``build()``, serialised once per request parameters and warehouse snapshot.

    Presentation-level cache of library results: a repeated request is answered
    on the event loop from the cache (it was validated the first time); a new
    one is validated and built in the thread pool (DuckDB work must not block
    the loop). The OpenAPI schema still documents the endpoint's response model.
    """
    full = ("json", *key)
    body = service.peek(full)
    if body is None:
        body = await run_in_threadpool(service.memo, full, lambda: build().model_dump_json().encode())
    return Response(body, media_type="application/json")


Format = Annotated[str, Query(pattern=r"^(json|csv)$",
                               description="json (default) or csv: one table of the answer as CSV.")]
Table = Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$",
                                    description="With format=csv: which table of the answer (a list field, "
                                    "e.g. top_dependencies); default the first.")]


def table_csv(out: BaseModel, table: str | None, filename: str) -> Response:
    """One list field of an answer as a CSV download (``text/csv``), the same rows as the JSON.

    ``table`` names the field; the default is the answer's first list field. An unknown name is a 422.
    """
    from kakehashi.errors import InputError

    fields = [k for k, v in out.__dict__.items()
              if isinstance(v, list) and (not v or isinstance(v[0], dict | BaseModel))]
    name = table or (fields[0] if fields else None)
    if name not in fields:
        raise InputError(f"table {table!r} is not one of {', '.join(fields)}", value=table,
                         hint=f"use table={fields[0] if fields else ''}")
    rows = [r.model_dump() if isinstance(r, BaseModel) else r for r in getattr(out, name)]
    text = pd.DataFrame(rows).to_csv(index=False)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}-{name}.csv"'})


async def answer(service: Service, key: tuple[Any, ...], build: Callable[[], BaseModel], fmt: str,
                 table: str | None, filename: str) -> Response:
    """JSON of ``build()`` (cached), or one of its tables as CSV with ``fmt == "csv"``."""
    if fmt == "csv":
        out = await run_in_threadpool(build)
        return table_csv(out, table, filename)
    return await cached_json(service, key, build)


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
Importer = Annotated[str, Query(pattern=validate.BLOC_PATTERN, description="Importer, ISO3 (e.g. JPN), or a "
                                "bloc such as JPN+IND (write %2B for + in a URL) or JPN,IND.",
                                examples=["JPN", "JPN,IND"])]
ImporterOpt = Annotated[str | None, Query(pattern=validate.BLOC_PATTERN,
                                          description="Importer, ISO3, or a bloc such as JPN,IND.")]
ImporterDefault = Annotated[str, Query(pattern=validate.BLOC_PATTERN, description="Importer, ISO3, or a bloc "
                                       "such as JPN,IND (default JPN).", examples=["JPN"])]
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
    return validate.choice(workstream, catalogue.workstreams(), field="workstream")


# ----------------------------------------------------------------------- screen
class Stated(BaseModel):
    """What every analysis answer states: its HS revision, the rows converted, coverage warnings."""

    hs_revision: str | None = Field(None, description="HS revision of the analysis (every row is in it).")
    converted_rows: int = Field(0, description="Rows whose trade was held in another HS revision and "
                                "converted through the concordance.")
    warnings: list[str] = Field(default_factory=list, description="Coverage warnings: years whose trade "
                                "covers only a few exporters or partners (kakehashi.metrics.coverage).")


def stated(service: Service, answer: pd.DataFrame, warnings: list[str], year: int | None = None
           ) -> dict[str, Any]:
    """The :class:`Stated` fields of an answer (:func:`kakehashi.questions.exposure.revision_statement`;
    an answer without rows states the revision its question ran in)."""
    default = None
    if answer.empty:
        years = [year] if year is not None else None
        default = service.call(("revision", year), lambda: exposure.trade_revision(service.wh, years)[0])
    rev = exposure.revision_statement(answer, default)
    return {"hs_revision": rev.revision, "converted_rows": rev.converted_rows, "warnings": list(warnings)}


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
                                   "world-export HHI × max(0, 1 − exports/imports).")
    world_exporters: int | None = Field(None, description="Exporters reporting the product that year.")
    hs_revision: str | None = Field(None, description="HS revision of the row.")
    converted: bool | None = Field(None, description="True when the row's trade was converted from "
                                   "another HS revision.")


SCREEN_ROWS: TypeAdapter[list[ScreenRow]] = TypeAdapter(list[ScreenRow])
"""Validates a list of screen rows in one call (the same models as ``ScreenRow(**r)`` for each)."""


class ScreenOut(Stated):
    """The dependency screen of one importer against a rival in one year."""

    importer: str
    rival: str
    year: int
    workstream: str | None
    synthetic: bool
    total_rows: int = Field(description="Products screened before `limit` and `dependent_only`.")
    dependent: int = Field(description="Products flagged dependent.")
    rows: list[ScreenRow]


def screen_frame(service: Service, importer: tuple[str, ...], rival: str, year: int,
                 workstream: str | None) -> pd.DataFrame:
    """The screen for one (importer or bloc, rival, year, workstream), cached per warehouse snapshot."""
    return service.call(("screen", importer, rival, year, workstream),
                        lambda: exposure.screen(service.wh, importer, rival, years=[year],
                                                products=workstream))


@router.get("/screen", response_model=ScreenOut, tags=["analysis"], summary="Dependency screen")
async def screen(service: ServiceDep, importer: Importer, rival: Rival, year: Year = None,
           workstream: Workstream = None,
           dependent_only: Annotated[bool, Query(description="Only products flagged dependent.")] = False,
           limit: Annotated[int, Query(ge=1, le=10000, description="Rows returned, by severity.")] = 200,
           ) -> Response:
    """Screen every product the importer buys (or one workstream's) for dependence on the rival.

    A product is *dependent* when import HHI > 0.4, world-export HHI > 0.4 and
    imports exceed the importer's exports (EU 2021 / CEPII GeoDep); rows are sorted by severity.
    """

    def build() -> ScreenOut:
        meta = service.meta
        imp = validate.bloc(importer, meta.countries, field="importer")
        riv = validate.iso3(rival, meta.countries, field="rival")
        yr = validate.year(year, meta.years)
        ws = checked_workstream(workstream)
        df = screen_frame(service, imp, riv, yr, ws)
        shown = df[df["dependent"]] if dependent_only else df
        warns = service.year_coverage(yr)
        return ScreenOut(importer=bloc_label(imp), rival=riv, year=yr, workstream=ws,
                         synthetic=meta.synthetic, **stated(service, df, warns, yr),
                         total_rows=len(df), dependent=int(df["dependent"].sum()) if len(df) else 0,
                         rows=SCREEN_ROWS.validate_python(records(shown.head(limit))))

    key = ("screen", importer, rival, year, workstream, dependent_only, limit)
    return await cached_json(service, key, build)


# --------------------------------------------------------------------- overview
class WorkstreamRow(BaseModel):
    """Screen results summed over one catalogue workstream."""

    workstream: str
    products: int = Field(description="Catalogue products the importer imports.")
    dependent: int
    persistent: int
    imports_usd: float
    rival_usd: float


class OverviewOut(Stated):
    """An importer at a glance: workstreams and top dependencies on the rival."""

    importer: str
    rival: str
    year: int
    synthetic: bool
    workstream: str | None = Field(None, description="Only this workstream's products when set.")
    headline: str = Field("", description="One sentence on the most severe dependency "
                          "(kakehashi.questions.exposure.headline).")
    products_screened: int
    dependent: int
    persistent: int
    imports_usd: float
    rival_usd: float
    top_dependencies: list[ScreenRow]
    workstreams: list[WorkstreamRow]
    chain: list[dict[str, Any]] = Field(
        [], description="With a workstream: the catalogue's chain links from ore to end product "
        "(kakehashi.questions.exposure.workstream_chain).")


def overview_data(service: Service, importer: str, rival: str, year: int | None,
                  workstream: str | None = None) -> OverviewOut:
    """Validate and build the overview (shared by the page and its JSON twin)."""
    meta = service.meta
    imp = validate.bloc(importer, meta.countries, field="importer")
    riv = validate.iso3(rival, meta.countries, field="rival")
    yr = validate.year(year, meta.years)
    wsk = checked_workstream(workstream)
    ov = exposure.overview(service.wh, imp, riv, yr, screen_df=screen_frame(service, imp, riv, yr, None),
                           workstream=wsk)
    ws, top, totals = ov.workstreams, ov.top, ov.totals
    first = top.iloc[0] if len(top) else None
    return OverviewOut(
        importer=ov.importer, rival=riv, year=yr, synthetic=meta.synthetic, workstream=wsk,
        headline=exposure.headline(ov.importer, riv, first),
        chain=records(exposure.workstream_chain(wsk)) if wsk else [],
        **stated(service, ov.screen, ov.warnings, yr),
        products_screened=totals.products,
        dependent=totals.dependent, persistent=totals.persistent, imports_usd=totals.imports_usd,
        rival_usd=totals.rival_usd,
        workstreams=[WorkstreamRow(**r) for r in records(ws)],
        top_dependencies=[ScreenRow(**r) for r in records(top)],
    )


@router.get("/importers/{importer}", response_model=OverviewOut, tags=["analysis"],
            summary="Overview of one importer")
async def overview(service: ServiceDep,
             importer: Annotated[str, Path(pattern=validate.BLOC_PATTERN,
                                           description="Importer, ISO3, or a bloc such as JPN+IND.")],
             rival: Rival = defaults.RIVAL, year: Year = None, workstream: Workstream = None,
             format: Format = "json", table: Table = None) -> Response:
    """Workstreams and top dependencies of an importer on a rival (JSON twin of `/importers/{importer}`);
    `format=csv` gives one table (`table=top_dependencies`, `workstreams` or `chain`) as CSV."""
    return await answer(service, ("overview", importer, rival, year, workstream),
                        lambda: overview_data(service, importer, rival, year, workstream), format, table,
                        f"overview-{importer}-{rival}")


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


class ProductOut(Stated):
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
    imp = validate.bloc(importer, meta.countries, field="importer")
    riv = validate.iso3(rival, meta.countries, field="rival")
    par = checked_country(service, partner, "partner")
    v = service.call(("product", code, imp, riv, par),
                     lambda: exposure.product_view(service.wh, imp, riv, code, partner=par))
    return ProductOut(
        hs6=code, importer=v.importer, rival=riv, partner=par, synthetic=meta.synthetic,
        **stated(service, v.screen, v.warnings),
        name=v.name, workstreams=v.info.workstreams, stage=v.info.stage,
        screen=[ScreenRow(**r) for r in records(v.screen)],
        supplier_shares=[ShareRow(**r) for r in records(v.supplier_shares)],
        world_supply=[ShareRow(**r) for r in records(v.world_supply)],
        substitution=records(v.substitution),
        candidates=records(v.candidates),
        minerals=[MineralProduction(commodity=c, production=[ProductionRow(**r) for r in records(df)])
                  for c, df in v.minerals.items()],
    )


def _screen_name(df: pd.DataFrame) -> str | None:
    """The product name the screen found (warehouse nomenclature) for codes outside the catalogue."""
    if df.empty or "product_name" not in df or df["product_name"].isna().all():
        return None
    return str(df["product_name"].dropna().iloc[-1])


@router.get("/products/{hs6}", response_model=ProductOut, tags=["analysis"], summary="One product")
async def product(service: ServiceDep,
            hs6: Annotated[str, Path(pattern=validate.HS6_PATTERN, description="HS six-digit code.")],
            importer: ImporterDefault = defaults.IMPORTER, rival: Rival = defaults.RIVAL,
            partner: Partner = None, format: Format = "json", table: Table = None) -> Response:
    """Supplier shares over the years, world supply, the screen, candidate substitutes and (for mineral
    codes) world production shares (JSON twin of `/products/{hs6}`)."""
    return await answer(service, ("product", hs6, importer, rival, partner),
                        lambda: product_data(service, hs6, importer, rival, partner), format, table,
                        f"product-{hs6}-{importer}")


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
    v = service.call(("mineral", com, riv, imp), lambda: exposure.mineral_view(service.wh, com, riv, imp))
    return MineralOut(commodity=com, rival=riv, importer=imp, synthetic=meta.synthetic, hs6=v.hs6,
                      production=[ProductionRow(**r) for r in records(v.production)],
                      supply_risk=records(v.supply_risk))


@router.get("/minerals/{commodity}", response_model=MineralOut, tags=["analysis"],
            summary="One mineral commodity")
async def mineral(service: ServiceDep,
            commodity: Annotated[str, Path(pattern=validate.COMMODITY_PATTERN,
                                           description="Commodity key, e.g. rare-earths.")],
            rival: Rival = defaults.RIVAL, importer: Partner = None, format: Format = "json",
            table: Table = None) -> Response:
    """World production shares and supply risk of a commodity (JSON twin of `/minerals/{commodity}`)."""
    return await answer(service, ("mineral", commodity, rival, importer),
                        lambda: mineral_data(service, commodity, rival, importer), format, table,
                        f"mineral-{commodity}")


# -------------------------------------------------------------------- scenarios
class MeasuresOut(BaseModel):
    """Catalogued measures (export controls, tariffs) as of a date."""

    as_of: str | None
    country: str | None
    measures: list[dict[str, Any]]


@router.get("/measures", response_model=MeasuresOut, tags=["scenarios"], summary="Catalogued measures")
def measures(service: ServiceDep,
             country: Annotated[str | None, Query(pattern=validate.ISO3_PATTERN,
                                                  description="Only measures naming this country.")] = None,
             as_of: Annotated[validate.IsoDate | None, Query(
                 description="Reading date, YYYY-MM-DD between 1990-01-01 and 2100-12-31 (default today).")]
             = None, format: Format = "json") -> Any:
    """Dated export controls and tariffs with their status on `as_of` (JSON twin of `/scenarios`).

    `runnable` says whether a measure can be simulated on this warehouse and `reason`, when not, why
    (the same rule as the scenarios page's picker: `questions.whatif.runnable_measures`).
    """
    day = as_of.isoformat() if as_of else None
    key = ("runnable-measures-api", country, day or dt.date.today().isoformat(), _measures_key(service))
    table = service.call(key, lambda: whatif.runnable_measures(service.wh, country, day, service.measures))
    out = MeasuresOut(as_of=day, country=country, measures=records(table))
    return table_csv(out, "measures", "measures") if format == "csv" else out


class ScenarioRequest(BaseModel):
    """A scenario to run: a catalogued measure or a full scenario, with optional overrides."""

    measure_id: str | None = Field(None, pattern=validate.SLUG_PATTERN, max_length=80,
                                   description="Id of a catalogued measure (see /api/measures).")
    scenario: dict[str, Any] | None = Field(
        None, description="A scenario as in a scenario YAML file (name, base_year, measures, ...).")
    base_year: int | None = Field(None, ge=1988, le=2100, description="Base year of the trade flows "
                                  "(default: the scenario's; for a catalogued measure the latest "
                                  "year of data not after the year before the measure).")
    draws: int | None = Field(None, description="Monte-Carlo draws; at most the server's cap "
                              "(see /api/meta). "
                              f"Default: the scenario's, else {defaults.DRAWS} or the cap if lower.")
    severity: float | None = Field(None, ge=0.0, le=1.0,
                                   description="Override the severity of every export restriction: the "
                                   "share of shipments stopped (1 = ban).")
    theta: float | None = Field(None, ge=0.0, le=1.0,
                                description="Override the share of other suppliers' spare exports "
                                "that can be redirected.")
    importer: str | None = Field(None, pattern=validate.BLOC_PATTERN,
                                 description="Importer (or bloc, JPN+IND) whose results to return "
                                 "(default: all).")
    limit: int = Field(2000, ge=1, le=20000, description="Most rows returned, largest median first.")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"measure_id": "CN-2025-18-RARE-EARTHS", "draws": 500, "importer": "JPN"},
        {"scenario": {"name": "ree-ban", "base_year": 2023, "measures": [
            {"type": "export_restriction", "exporter": "CHN", "products": {"workstream": "critical-minerals"},
             "targets": ["JPN"], "severity": 1.0}]}, "draws": 200},
    ]})


class ScenarioOut(BaseModel):
    """Results of a scenario with their 5th-95th percentile bands."""

    scenario: str
    description: str
    base_year: int
    draws: int
    seed: int
    synthetic: bool
    importer: str | None
    metrics: list[str] = Field(description="Metrics present in `rows`.")
    total_rows: int
    rows: list[dict[str, Any]] = Field(description="Tidy results: importer, exporter, hs6, tier, metric, "
                                       "p5, p50, p95 (kakehashi.scenarios.run).")
    summary: list[dict[str, Any]]
    spec: dict[str, Any] = Field(description="The validated scenario that was run.")


def run_scenario_data(service: Service, req: ScenarioRequest) -> tuple[ScenarioOut, pd.DataFrame]:
    """Validate, build and run a scenario (cached per validated spec); the page and the API share it."""
    meta = service.meta
    if req.draws is not None:
        validate.draws(req.draws, service.max_draws)
    members = validate.bloc(req.importer, meta.countries, field="importer") if req.importer else None
    imp = bloc_label(members) if members else None
    draws = req.draws
    if draws is None and not (req.scenario and "draws" in req.scenario):
        draws = min(defaults.DRAWS, service.max_draws)  # unstated: the default, within the cap
    years = service.call(("data-years",), lambda: whatif.data_years(service.wh)) if req.measure_id else []
    spec = whatif.scenario_spec(measure_id=req.measure_id, scenario=req.scenario, data_years=years,
                                base_year=req.base_year, draws=draws, severity=req.severity, theta=req.theta,
                                extra=service.measures)
    validate.scenario(spec, years=meta.years, products=meta.products, revisions=meta.revisions,
                      max_draws=service.max_draws, catalogued=req.measure_id is not None and not req.scenario)
    spec_json = spec.model_dump(mode="json", exclude_none=True)
    key = ("scenario", json.dumps(spec_json, sort_keys=True), _measures_key(service))
    result = service.call(key, lambda: whatif.run(service.wh, spec, service.measures))
    table: pd.DataFrame = result.table
    shown = table if members is None else table[table["importer"].isin(members)]
    shown = shown.sort_values("p50", ascending=False, kind="stable").head(req.limit)
    out = ScenarioOut(
        scenario=spec.name, description=spec.description, base_year=int(spec.base_year),
        draws=int(spec.draws),
        seed=int(spec.seed), synthetic=meta.synthetic, importer=imp,
        metrics=sorted(set(table["metric"])) if len(table) else [], total_rows=len(table),
        rows=records(shown), summary=records(_importer_rows(whatif.summary(result), members)),
        spec=spec_json,
    )
    return out, shown


def _measures_key(service: Service) -> tuple[tuple[str, int], ...]:
    """The user measures files and their modification times (an edited file gives new results)."""
    out = []
    for p in service.measures:
        try:
            out.append((str(p), p.stat().st_mtime_ns))
        except OSError:
            out.append((str(p), -1))
    return tuple(out)


def _importer_rows(df: pd.DataFrame, members: tuple[str, ...] | None) -> pd.DataFrame:
    if members is None or df.empty or "importer" not in df:
        return df
    return df[df["importer"].isin(members)]


@router.post("/scenarios/run", response_model=ScenarioOut, tags=["scenarios"], summary="Run a scenario")
def run_scenario(service: ServiceDep, req: ScenarioRequest) -> ScenarioOut:
    """Run a catalogued measure or a scenario through the restriction and tariff models with Monte-Carlo
    uncertainty; returns p5/p50/p95 per importer, product, chain tier and metric."""
    out, _ = run_scenario_data(service, req)
    return out


# --------------------------------------------------------------------- briefing
BRIEFING_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
"""The self-contained pack inlines its CSS and images and runs no script."""


def briefing_file(service: Service, importer: str, rival: str, partner: str | None, workstream: str,
                  fmt: str) -> tuple[str, bytes]:
    """Validate and build (or fetch from the cache) one briefing pack."""
    import tempfile

    from kakehashi.report.build import build_briefing, data_name

    meta = service.meta
    imp = bloc_label(validate.bloc(importer, meta.countries, field="importer"))
    riv = validate.iso3(rival, meta.countries, field="rival")
    par = checked_country(service, partner, "partner")
    ws = validate.choice(workstream, catalogue.workstreams(), field="workstream")
    fmt = validate.choice(fmt, ("html", "pdf", "data"), field="format")
    draws = min(defaults.DRAWS, service.max_draws)

    def build(wh: Warehouse) -> tuple[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="kakehashi-briefing-") as folder:
            path = build_briefing(wh, imp, riv, par, ws, "html" if fmt == "data" else fmt,
                                  pathlib.Path(folder), draws=draws, measures=service.measures)
            if fmt == "data":  # the data behind every table, as the pack names it
                path = path.with_name(data_name(path.name))
            return path.name, path.read_bytes()

    key = ("briefing", imp, riv, par, ws, fmt, _measures_key(service), dt.date.today().isoformat())
    return service.briefings.get(key, build)


@router.get("/briefing", tags=["briefing"], summary="Download a briefing pack",
            response_class=Response,
            responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/zip": {}},
                             "description": "The pack, as an attachment."}})
def briefing(service: ServiceDep, importer: Importer, workstream: Annotated[str, Query(
                 pattern=validate.SLUG_PATTERN, description="Workstream key, e.g. critical-minerals.")],
             rival: Rival = defaults.RIVAL, partner: Partner = None,
             format: Annotated[str, Query(pattern="^(html|pdf|data)$", description="html, pdf, or data "
                                          "(the zip of CSV files behind the pack's tables).")] = "html",
             ) -> Response:
    """A briefing pack for importer, rival, partner and workstream: one self-contained HTML file or a PDF,
    or the data behind its tables (a zip of CSV files)."""
    name, data = briefing_file(service, importer, rival, partner, workstream, format)
    media = {"pdf": "application/pdf", "data": "application/zip"}.get(format, "text/html; charset=utf-8")
    return Response(data, media_type=media, headers={
        "content-disposition": f'attachment; filename="{name}"', "content-security-policy": BRIEFING_CSP})


# --------------------------------------------------------------- diversification
class DiversifyOut(Stated):
    """Who could replace the rival across a workstream, and the optimiser's portfolio when available."""

    importer: str
    rival: str
    partner: str | None
    coalition: list[str]
    workstream: str | None
    year: int
    synthetic: bool
    substitution: list[dict[str, Any]] = Field(
        description="Partner, coalition and world cover per product bought from the rival "
        "(kakehashi.metrics.substitution.substitution_capacity).")
    portfolio: list[dict[str, Any]] = Field(description="Proposed sourcing shares (kakehashi.optimize), "
                                            "under the defaults of kakehashi.questions.defaults.")
    products: list[dict[str, Any]] = Field(
        description="One row per product: rival and partner shares before and after, with the flags "
        "rival_share_rises and partner_share_falls.")
    settings: dict[str, Any] = Field(description="Rival cap, maximum change per period and weight on cost "
                                         "(lam) used.")
    frontier: list[dict[str, Any]] = Field(
        description="Risk–cost frontier of the whole product set (hs6 = ALL), one row per weight "
                    "on cost (lam; kakehashi.optimize).")
    note: str


Coalition = Annotated[str | None, Query(pattern=r"^[A-Z]{3}(,[A-Z]{3}){0,19}$",
                                        description="Further partners, comma-separated ISO3 (e.g. AUS,USA).")]


def diversify_data(service: Service, importer: str, rival: str, partner: str | None, coalition: str | None,
                   workstream: str | None, year: int | None, dependent_only: bool) -> DiversifyOut:
    """Validate and build the diversification view (shared by the page and its JSON twin)."""
    meta = service.meta
    imp = validate.bloc(importer, meta.countries, field="importer")
    riv = validate.iso3(rival, meta.countries, field="rival")
    par = checked_country(service, partner, "partner")
    coal = tuple(validate.iso3_list(list(parse_country_list(coalition, field="coalition")), meta.countries,
                                    field="coalition"))
    ws = checked_workstream(workstream)
    yr = validate.year(year, meta.years)
    wh = service.wh
    sub = service.call(("substitution-ws", imp, riv, par, coal, ws, yr, dependent_only),
                       lambda: replacement.substitution(wh, imp, riv, ws, partner=par, coalition=coal,
                                                        years=[yr], only_dependent=dependent_only))
    div = service.call(("portfolio", imp, riv, par, ws, yr),
                       lambda: replacement.diversification(wh, imp, riv, partner=par, products=ws, year=yr))
    port = div.portfolio
    warns = service.year_coverage(yr)
    return DiversifyOut(importer=bloc_label(imp), rival=riv, partner=par, coalition=list(coal), workstream=ws,
                        year=yr, synthetic=meta.synthetic, **stated(service, sub, warns, yr),
                        substitution=records(sub),
                        portfolio=records(port.table) if port else [],
                        products=records(port.products) if port else [],
                        settings=port.settings if port else {}, frontier=records(div.frontier), note=div.note)


@router.get("/diversify", response_model=DiversifyOut, tags=["diversification"],
            summary="Substitution and sourcing portfolio")
def diversify(service: ServiceDep, importer: Importer, rival: Rival = defaults.RIVAL, partner: Partner = None,
              coalition: Coalition = None, workstream: Workstream = None, year: Year = None,
              dependent_only: Annotated[bool, Query(description="Only products flagged dependent.")] = True,
              format: Format = "json", table: Table = None) -> Any:
    """How far the partner, a coalition and the world could replace the rival, product by product, and the
    optimiser's diversified portfolio (JSON twin of `/diversify`); `format=csv` gives one table as CSV."""
    out = diversify_data(service, importer, rival, partner, coalition, workstream, year, dependent_only)
    if format == "csv":
        return table_csv(out, table, f"diversify-{importer}-{rival}")
    return out


class StatusOut(BaseModel):
    """What the warehouse holds (the JSON of ``kakehashi status --format json``)."""

    warehouse: str
    snapshot: str | None
    synthetic: bool
    integrity: dict[str, Any] = Field(description="Files checked against the manifest (presence and sizes).")
    tables: list[dict[str, Any]] = Field(description="table, rows, files, years")
    trade_years: list[dict[str, Any]] = Field(description="hs_revision, source, years, rows, value_usd")
    sources_by_year: list[dict[str, Any]] = Field(
        description="year, source (the dataset analyses use that year), hs_revisions, rows, set_aside "
                    "(the year's other datasets, not used)")
    precedence: list[str] = Field(description="Source prefixes in order of preference.")
    sources: list[dict[str, Any]] = Field(
        description="source, tables, rows, years, vintage, last_ingested, publisher, licence, terms, "
                    "synthetic")
    snapshots: list[dict[str, Any]] = Field(description="snapshot, committed_at, current, parent, tables, "
                                                        "checksummed")


@router.get("/status", response_model=StatusOut, tags=["meta"], summary="What the warehouse holds")
def status(service: ServiceDep) -> StatusOut:
    """Tables and rows, trade years by HS revision and source, sources with vintage and licence,
    snapshots, whether the data are synthetic (computed by `kakehashi.questions.inventory`)."""
    from kakehashi.questions.inventory import inventory

    wh = service.wh
    return service.call(("status",), lambda: StatusOut(**inventory(wh).to_dict()))


# ------------------------------------------------------------ plain language
class GlossaryEntry(BaseModel):
    """One term of the glossary."""

    key: str
    term: str
    meaning: str


class GlossaryOut(BaseModel):
    """The terms the dashboard and the packs use, in plain words (JSON twin of `/glossary`)."""

    terms: list[GlossaryEntry]
    columns: list[dict[str, str]] = Field(description="Readable labels of the library's columns and metrics.")


def glossary_data() -> GlossaryOut:
    """The glossary and the column labels of :mod:`kakehashi.present.labels`."""
    from kakehashi.present.labels import COLUMN_LABELS, GLOSSARY

    return GlossaryOut(terms=[GlossaryEntry(key=k, term=t, meaning=m) for k, (t, m) in GLOSSARY.items()],
                       columns=[{"column": c, "label": label} for c, label in COLUMN_LABELS.items()])


@router.get("/glossary", response_model=GlossaryOut, tags=["meta"], summary="Glossary and column labels")
def glossary(format: Format = "json", table: Table = None) -> Any:
    """HHI, RCA, cover, dependent, persistent, severity and the other terms, in plain words."""
    out = glossary_data()
    return table_csv(out, table, "glossary") if format == "csv" else out


class SearchOut(BaseModel):
    """Products found by HS code or words."""

    q: str
    results: list[dict[str, Any]] = Field(description="hs6, name, workstream, in_catalogue, traded "
                                          "(kakehashi.questions.exposure.search_products).")


def search_data(service: Service, q: str) -> SearchOut:
    """Products whose code starts with ``q`` or whose name has all its words; ``traded`` when in the data."""
    df = service.call(("search", q), lambda: exposure.search_products(service.wh, q))
    df = df.assign(traded=df["hs6"].isin(service.meta.products))
    return SearchOut(q=q, results=records(df))


@router.get("/search", response_model=SearchOut, tags=["analysis"], summary="Find a product")
def search(service: ServiceDep,
           q: Annotated[str, Query(min_length=1, max_length=80,
                                   description="HS code (or its start) or words.")],
           format: Format = "json", table: Table = None) -> Any:
    """Find products by HS code or by words of their name (catalogue and warehouse nomenclature)."""
    out = search_data(service, q)
    return table_csv(out, table, "search") if format == "csv" else out
