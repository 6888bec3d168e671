"""FastAPI application factory: ``create_app(warehouse_path)``.

The application opens the warehouse read-only, serves the dashboard's HTML
pages (Jinja2 templates) and their JSON twins under ``/api`` (documented in
the OpenAPI schema at ``/openapi.json`` and ``/api-docs``), and the Vega
JavaScript from the package itself. Every user error is answered 422 with a
message and a hint (the body is :class:`ErrorOut`, documented on every
operation); a body over ``max_body`` bytes is answered 413; a request not
answered within ``request_timeout`` seconds, or that cannot get the warehouse
before then, is answered 503 with ``Retry-After``; a 405 carries ``Allow``.

Examples
--------
>>> from kakehashi.web import create_app                      # doctest: +SKIP
>>> app = create_app("kakehashi-warehouse", max_draws=2000)   # doctest: +SKIP
>>> import uvicorn; uvicorn.run(app, host="127.0.0.1")        # doctest: +SKIP

Several worker processes (``kakehashi serve --workers N``) each build their
own application with :func:`app_from_env`, from the settings the parent put in
:data:`SETTINGS_ENV`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kakehashi import __version__, config
from kakehashi.errors import KakehashiError
from kakehashi.scenarios.measures import load_catalogue
from kakehashi.storage import ObjectPath
from kakehashi.web import api, cables_api, compare, match_pages, org_api, pages
from kakehashi.web.render import templates
from kakehashi.web.security import BodyLimit, RequestTimeout, SecurityHeaders
from kakehashi.web.service import (
    DEFAULT_CACHE_BYTES,
    DEFAULT_CONCURRENCY,
    ENGINE_THREADS,
    ServerBusy,
    Service,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"

DEFAULT_MAX_DRAWS = 2000
"""Monte-Carlo draws allowed per scenario request unless the server is started with another cap."""
DEFAULT_MAX_BODY = 64 * 1024
"""Largest request body accepted, in bytes (a scenario spec is a few hundred bytes)."""
DEFAULT_REQUEST_TIMEOUT = 60.0
"""Seconds within which a request must be answered, else 503 (``kakehashi serve --request-timeout``)."""
RETRY_AFTER = "5"
"""Seconds a client is told to wait (``Retry-After``) after a 503."""
SETTINGS_ENV = "KAKEHASHI_SERVE_SETTINGS"
"""Environment variable holding :func:`create_app`'s keyword arguments as JSON, for worker processes."""


class ErrorOut(BaseModel):
    """The body of every error response (400, 404, 405, 413, 422, 503)."""

    detail: str = Field(description="What went wrong, naming the parameter, field or value.")
    hint: str | None = Field(description="What to do about it.")
    error: str = Field(description="Kind of error: InputError, ValidationError, HTTPError, Timeout, "
                       "Busy, ...", examples=["InputError"])


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid parameter or body: the message names it and says what "
          "to send instead."},
    503: {"model": ErrorOut, "description": "Not answered within the server's time limit, or the server is "
          "busy; retry after the `Retry-After` seconds."},
}
"""Error responses documented on every API operation (413 is added to those with a body)."""

API_DESCRIPTION = """\
JSON API of the kakehashi dashboard. Every HTML page of the dashboard has a twin here.

* Countries are ISO 3166-1 alpha-3 codes in upper case (`JPN`, `IND`, `CHN`).
* Products are HS six-digit codes (`850511`), in the HS revision of the warehouse.
* Values are in US dollars; shares are fractions between 0 and 1.
* Errors: `422` with `{"detail": message, "hint": what to do, "error": kind}` (schema `ErrorOut`);
  `413` when the request body is too large; `503` with `Retry-After` when a request is not answered
  within the server's time limit (`kakehashi serve --request-timeout`, 60 s by default) or the server
  is busy; `405` with `Allow`. Every error body has the same three fields.
* Dates (`as_of`) are `YYYY-MM-DD` between 1990-01-01 and 2100-12-31.
* Scenario tables (`parameters.import_demand_elasticities`) are given inline; a file name or URL is
  refused (`422`) and never opened.
* Results computed from the bundled **synthetic sample** say so (`synthetic: true`).
"""


def create_app(
    warehouse_path: str | Path | None = None,
    *,
    max_draws: int = DEFAULT_MAX_DRAWS,
    max_body: int = DEFAULT_MAX_BODY,
    cors_origins: Sequence[str] = (),
    engine: str | None = None,
    cache_size: int = 256,
    measures: Sequence[str | Path] | None = None,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    threads: int = DEFAULT_CONCURRENCY,
    engine_threads: int | None = ENGINE_THREADS,
    warm: bool = False,
) -> FastAPI:
    """Build the dashboard and API over the warehouse at ``warehouse_path``.

    Parameters
    ----------
    warehouse_path
        Warehouse directory (``None``: ``$KAKEHASHI_WAREHOUSE`` or the default). Opened read-only.
    max_draws
        Largest number of Monte-Carlo draws one scenario request may ask for.
    max_body
        Largest request body, in bytes; larger bodies are answered 413.
    cors_origins
        Origins allowed to call the API from a browser. Empty (the default): CORS is off.
    engine
        Query engine (``duckdb`` by default).
    cache_size
        Library results kept in memory (per arguments and warehouse snapshot).
    measures
        User measures files added to the bundled catalogue (``None``: ``$KAKEHASHI_MEASURES``,
        read now). Checked now; a file edited later is read again, and its errors answered 422.
    cache_bytes
        Estimated bytes of results kept in memory (the least recently used are dropped first).
    request_timeout
        Seconds within which a request must be answered, else 503 with ``Retry-After``
        (``None`` or 0: no limit). A request waiting for the warehouse gives up at the same deadline.
    threads
        Library calls run at once, each on its thread's own read-only DuckDB connection
        (1: one at a time).
    engine_threads
        DuckDB threads per query (``None``: DuckDB's default, every core).
    warm
        Compute one default screen before returning (:meth:`Service.warm`), so that the first
        requests find the screen's compiled template ready; ``kakehashi serve`` sets it.

    Raises
    ------
    InputError
        If there is no warehouse at ``warehouse_path``, or a measures file is missing or invalid.
    """
    extra = config.measures_paths(measures)
    if extra:
        load_catalogue(extra)  # refuse a bad file at start, with its line and field
    service = Service.open(warehouse_path, max_draws=max_draws, engine=engine, cache_size=cache_size,
                           measures=extra, cache_bytes=cache_bytes, concurrency=threads,
                           engine_threads=engine_threads)
    app = FastAPI(
        title="kakehashi",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; /api-docs renders the schema locally
        redoc_url=None,
        openapi_tags=[
            {"name": "meta", "description": "Health and what the warehouse holds."},
            {"name": "analysis", "description": "Dependency screen, products, minerals."},
            {"name": "scenarios", "description": "Export-restriction and tariff scenarios."},
            {"name": "diversification", "description": "Sourcing portfolios."},
            {"name": "briefing", "description": "Briefing packs (HTML, PDF)."},
        ],
    )
    if warm:
        service.warm()
    app.state.service = service
    app.state.max_body = max_body
    app.include_router(api.router, responses=ERROR_RESPONSES)
    app.include_router(pages.router)
    app.include_router(cables_api.router, responses=ERROR_RESPONSES)
    app.include_router(compare.router, responses=ERROR_RESPONSES)  # importers side by side
    app.include_router(org_api.router, responses=ERROR_RESPONSES)  # organisation workspaces, /api/match
    app.include_router(match_pages.router)  # /match, the HTML twin of /api/match
    _document_errors(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["content-type"])
    app.add_middleware(RequestTimeout, seconds=request_timeout)
    app.add_middleware(BodyLimit, max_body=max_body)
    app.add_middleware(SecurityHeaders)
    return app


def app_from_env() -> FastAPI:
    """The application built from the JSON settings in :data:`SETTINGS_ENV` (uvicorn's factory).

    ``uvicorn`` starts each of several worker processes from an import string
    (``kakehashi.web.app:app_from_env`` with ``factory=True``), so the parent
    passes ``create_app``'s arguments through the environment. Each process
    opens the warehouse read-only and keeps its own result cache.
    """
    settings: dict[str, Any] = json.loads(os.environ.get(SETTINGS_ENV) or "{}")
    if "cors_origins" in settings:
        settings["cors_origins"] = tuple(settings["cors_origins"])
    return create_app(**settings)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


ERROR_REF = "#/components/schemas/ErrorOut"


def _document_errors(app: FastAPI) -> None:
    """Document 413 (body too large) on every operation with a request body, and ``text/csv`` on
    every operation that answers ``format=csv``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for methods in schema.get("paths", {}).values():
                for op in methods.values():
                    if isinstance(op, dict) and _offers_csv(op):  # ?format=csv answers text/csv
                        ok = op.setdefault("responses", {}).setdefault("200", {"description": "OK"})
                        ok.setdefault("content", {}).setdefault("text/csv", {"schema": {"type": "string"}})
                    if isinstance(op, dict) and "requestBody" in op:
                        op.setdefault("responses", {})["413"] = {
                            "description": "The request body is larger than the server's limit.",
                            "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                        }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _offers_csv(op: dict[str, Any]) -> bool:
    """Whether an operation takes ``format=csv`` (a table of its answer as CSV)."""
    for param in op.get("parameters", []):
        pattern = str(param.get("schema", {}).get("pattern", "")) if param.get("name") == "format" else ""
        if "csv" in pattern:
            return True
    return False


_ABS_PATH = re.compile(r"(?<![\w.:/])(?:/[\w.@+~-]+){2,}/?")
"""An absolute POSIX path of at least two components (``/srv/wh``, not ``/api`` nor a URL's path)."""


def public_text(text: str | None, warehouse: str | Path | ObjectPath | None = None) -> str | None:
    """A message fit for the public web: server file paths replaced by neutral words.

    The warehouse's own path (``warehouse /srv/wh`` or ``/srv/wh``) becomes
    "this warehouse", a file inside it "<file> in this warehouse", and any
    other absolute path whose top folder exists on the server its last part
    alone (``/etc/kk/measures.yaml:12`` → ``measures.yaml:12``), so a message
    still names the field or file to fix. Routes of the dashboard (``/api/...``)
    are kept. The CLI prints the full message.

    Examples
    --------
    >>> public_text("table production is empty in warehouse /srv/wh", "/srv/wh")
    'table production is empty in this warehouse'
    >>> public_text("/srv/wh/CURRENT is damaged", "/srv/wh")
    'CURRENT in this warehouse is damaged'
    >>> public_text("send measure_id (see /api/measures)", "/srv/wh")
    'send measure_id (see /api/measures)'
    """
    if not text:
        return text
    out = text
    if warehouse is not None:
        roots = {str(warehouse).rstrip("/")}
        if not isinstance(warehouse, ObjectPath) and "://" not in str(warehouse):
            roots.add(str(Path(warehouse).resolve()).rstrip("/"))
        for root in sorted((r for r in roots if len(r) > 1), key=len, reverse=True):
            esc = re.escape(root)
            out = re.sub(rf"{esc}/([\w.@+~/-]+)", lambda m: f"{m.group(1)} in this warehouse", out)
            out = re.sub(rf"(?:(?:the|a) )?warehouse {esc}(?![\w/])", "this warehouse", out)
            out = re.sub(rf"{esc}(?![\w/])", "this warehouse", out)

    def neutral(m: re.Match[str]) -> str:
        path = m.group(0)
        top = path.split("/")[1]
        if not Path("/" + top).exists():  # a route of the dashboard, not a server file
            return path
        return path.rstrip("/").rsplit("/", 1)[-1] or "a server file"

    return _ABS_PATH.sub(neutral, out)


def _error_response(request: Request, status: int, detail: str, hint: str | None, kind: str,
                    headers: Mapping[str, str] | None = None) -> Response:
    service = getattr(request.app.state, "service", None)
    service_wh = service.warehouse_path if service is not None else None
    detail = public_text(detail, service_wh) or ""
    hint = public_text(hint, service_wh)
    if _wants_html(request) and status != 503 and service is not None:  # a busy server answers briefly
        return templates.TemplateResponse(
            request, "error.html",
            {"status": status, "detail": detail, "hint": hint, "kind": kind,
             "meta": service.meta, "synthetic": service.meta.synthetic},
            status_code=status, headers=dict(headers or {}),
        )
    body = ErrorOut(detail=detail, hint=hint, error=kind).model_dump()
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _validation_message(errors: Sequence[Any]) -> tuple[str, str | None]:
    parts = []
    hint = None
    for err in errors:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body")]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {str(err.get('msg', 'invalid')).removeprefix('Value error, ')}")
        ctx = err.get("ctx") or {}
        pattern = ctx.get("pattern")
        if pattern == r"^[A-Z]{3}$":
            hint = "countries are upper-case ISO 3166-1 alpha-3 codes, e.g. JPN, IND, CHN"
        elif pattern == r"^\d{6}$":
            hint = "products are six-digit HS codes, e.g. 850511"
    return "; ".join(parts), hint


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KakehashiError)
    async def kakehashi_error(request: Request, exc: KakehashiError) -> Response:
        return _error_response(request, 422, exc.message, exc.hint, type(exc).__name__)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        detail, hint = _validation_message(exc.errors())
        return _error_response(request, 422, detail, hint, "ValidationError")

    @app.exception_handler(pydantic.ValidationError)
    async def pydantic_error(request: Request, exc: pydantic.ValidationError) -> Response:
        detail, hint = _validation_message(exc.errors())
        return _error_response(request, 422, detail, hint or "check the scenario's fields", "ValidationError")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        hint = "see /api-docs for the API and / for the dashboard" if exc.status_code == 404 else None
        if exc.status_code == 405:
            hint = f"this path answers {(exc.headers or {}).get('Allow', 'other methods')}"
        return _error_response(request, exc.status_code, detail, hint, "HTTPError", headers=exc.headers)

    @app.exception_handler(ServerBusy)
    async def busy(request: Request, exc: ServerBusy) -> Response:
        return _error_response(request, 503, str(exc), "retry in a moment", "Busy",
                               headers={"Retry-After": RETRY_AFTER})


__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_DRAWS", "DEFAULT_REQUEST_TIMEOUT", "SETTINGS_ENV", "ErrorOut",
           "app_from_env", "create_app"]
