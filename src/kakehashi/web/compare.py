"""Importers side by side: the JSON API ``/api/compare`` and the dashboard page ``/compare``.

Two to four importers (``JPN,IND``) screened against one rival in one year, joined on the HS code
(:func:`kakehashi.questions.exposure.compare`): per product each importer's imports, the rival's
share, the dependency flags and the severity, and totals per importer. Inputs are validated like the
other routes (user errors are answered 422 with a hint); ``format=csv`` gives the table as CSV.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from kakehashi.questions import defaults, exposure
from kakehashi.web import validate
from kakehashi.web.api import (
    Format,
    Rival,
    ServiceDep,
    Workstream,
    Year,
    cached_json,
    checked_workstream,
    records,
    table_csv,
)
from kakehashi.web.render import templates
from kakehashi.web.service import Service

router = APIRouter()

DEFAULT_IMPORTERS = "JPN,IND"
"""The pair compared when none is named."""
TABLE_ROWS = 60
"""Products shown in the page's table (the most severe; the CSV holds every product)."""

Importers = Annotated[str, Query(pattern=validate.BLOC_PATTERN, description="Two to four importers, ISO3 "
                                 "codes separated by commas, e.g. JPN,IND.", examples=["JPN,IND"])]


class CompareTotal(BaseModel):
    """One importer's screen in total (kakehashi.metrics.screen.screen_totals)."""

    importer: str
    products: int = Field(description="Products screened (imported that year).")
    dependent: int
    persistent: int
    imports_usd: float
    rival_usd: float = Field(description="Imports from the rival, USD.")


class CompareOut(BaseModel):
    """Importers' dependency screens against one rival, joined on the HS code."""

    importers: list[str]
    rival: str
    year: int
    workstream: str | None
    synthetic: bool
    rows: list[dict[str, Any]] = Field(description="One product per row, most severe first: hs6, "
                                       "product_name, then imports_usd_XXX, rival_share_XXX, dependent_XXX, "
                                       "persistent_XXX, severity_XXX per importer XXX, and max_severity.")
    totals: list[CompareTotal]
    warnings: list[str] = Field(default_factory=list, description="Coverage warnings of the year.")


def parse_importers(text: str | list[str], service: Service) -> list[str]:
    """Two to four importers, each a country the warehouse has, by code or name (a bloc is the
    overview's business); a form's ticked boxes come as a list."""
    return validate.named_countries(text, service.meta.countries, field="importers")


def compare_data(service: Service, importers: str | list[str], rival: str, year: int | None,
                 workstream: str | None) -> tuple[CompareOut, exposure.Comparison]:
    """Validate and build the comparison (shared by the page and its JSON twin)."""
    meta = service.meta
    codes = parse_importers(importers, service)
    riv = validate.iso3(rival, meta.countries, field="rival")
    yr = validate.year(year, meta.years)
    ws = checked_workstream(workstream)
    cmp = service.call(("compare", tuple(codes), riv, yr, ws),
                       lambda: exposure.compare(service.wh, codes, riv, year=yr, workstream=ws))
    warns = service.year_coverage(yr)
    out = CompareOut(importers=codes, rival=riv, year=cmp.year, workstream=ws, synthetic=meta.synthetic,
                     rows=records(cmp.table), totals=[CompareTotal(**r) for r in records(cmp.totals)],
                     warnings=warns)
    return out, cmp


@router.get("/api/compare", response_model=CompareOut, tags=["analysis"], summary="Importers side by side")
async def compare_api(service: ServiceDep, importers: Importers = DEFAULT_IMPORTERS,
                      rival: Rival = defaults.RIVAL, year: Year = None, workstream: Workstream = None,
                      format: Format = "json") -> Response:
    """Two to four importers screened against one rival, joined on the product (JSON twin of
    `/compare`); `format=csv` gives the product table as CSV."""
    def build() -> CompareOut:
        return compare_data(service, importers, rival, year, workstream)[0]

    if format == "csv":
        out = await run_in_threadpool(build)
        return table_csv(out, "rows", f"compare-{'-'.join(out.importers)}-{out.rival}")
    return await cached_json(service, ("compare", importers, rival, year, workstream), build)


def _chart_frame(table: pd.DataFrame, codes: list[str], top: int) -> pd.DataFrame:
    from kakehashi.present.labels import country_label
    from kakehashi.web.pages import wrapped

    head = table.head(top)
    labels = [wrapped(f"{h} {n}" if isinstance(n, str) else h)  # long names wrap, as on the overview
              for h, n in zip(head["hs6"], head["product_name"], strict=True)]
    parts = [pd.DataFrame({"label": labels,
                           "importer": country_label(c), "rival_share": head[f"rival_share_{c}"],
                           "dependent": head[f"dependent_{c}"]})
             for c in codes]
    return pd.concat(parts, ignore_index=True)


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, service: ServiceDep, importers: validate.PickedCountries = None,
                 rival: Rival = defaults.RIVAL, year: Year = None, workstream: Workstream = None
                 ) -> HTMLResponse:
    """Importers side by side: totals, the rival's share per product, the joined table."""
    from kakehashi.present.labels import country_label
    from kakehashi.report import charts
    from kakehashi.web.pages import chart, context

    out, cmp = compare_data(service, importers or DEFAULT_IMPORTERS, rival, year, workstream)
    codes = out.importers
    top = 15
    spec = None
    if len(cmp.table):
        # rows tall enough for a label wrapped on three lines
        spec = chart(charts.compare_shares, _chart_frame(cmp.table, codes, top),
                     order=[country_label(c) for c in codes], row_height=max(12, -(-44 // len(codes))),
                     title=f"{country_label(out.rival)}'s share of each importer's imports",
                     subtitle=f"{out.year}; the {min(top, len(cmp.table))} products most severe "
                              "for any of them")
    query = f"importers={','.join(codes)}&rival={out.rival}&year={out.year}"
    if out.workstream:
        query += f"&workstream={out.workstream}"
    return templates.TemplateResponse(request, "compare.html", context(
        service, nav="compare", d=out, codes=codes, names={c: country_label(c) for c in codes},
        rows=out.rows[:TABLE_ROWS], spec=spec, query=query, api=f"/api/compare?{query}"))
