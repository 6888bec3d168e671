"""HTML pages of the dashboard (each has a JSON twin in :mod:`kakehashi.web.api`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kakehashi import catalogue
from kakehashi.errors import InputError
from kakehashi.present import metric_unit, shorten, wrap
from kakehashi.present.labels import column_label, country_label
from kakehashi.questions import defaults, exposure, whatif
from kakehashi.questions.request import bloc_label
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


LABEL_WRAP = 24
"""Characters per line of a chart's axis labels (long product names wrap instead of being cut)."""


def wrapped(text: object, width: int = LABEL_WRAP, lines: int = 3) -> str:
    """``text`` wrapped into at most ``lines`` lines joined by newlines (the charts split them)."""
    parts = wrap(text, width)
    if len(parts) > lines:
        parts = [*parts[: lines - 1], shorten(" ".join(parts[lines - 1:]), width)]
    return "\n".join(parts)


def _wrap_spec(node: Any) -> None:
    """Axis labels split at newlines, titles and subtitles wrapped (the spec is edited in place)."""
    if isinstance(node, list):
        for n in node:
            _wrap_spec(n)
        return
    if not isinstance(node, dict):
        return
    if "labelLimit" in node and "labelExpr" not in node:
        node["labelExpr"] = "split(datum.label, '\\n')"
    title = node.get("title")
    if "field" in node and isinstance(title, str) and len(title) > 32:
        node["title"] = wrap(title, 32)  # an axis title: lines, so that a phone shows all of it
    if isinstance(title, dict):
        # short enough for a phone (about 330 px of chart: 13 px bold title, 11 px subtitle)
        if isinstance(title.get("text"), str) and len(title["text"]) > 38:
            title["text"] = wrap(title["text"], 38)
        if isinstance(title.get("subtitle"), str) and len(title["subtitle"]) > 54:
            title["subtitle"] = wrap(title["subtitle"], 54)
    for v in node.values():
        if isinstance(v, dict | list):
            _wrap_spec(v)


def chart(fn: Any, df: pd.DataFrame, **kw: Any) -> dict[str, Any] | None:
    """A dashboard chart spec (container width, wrapped labels and titles), or ``None`` when empty."""
    if df.empty:
        return None
    spec = charts.to_spec(fn(df, width="container", **kw))
    _wrap_spec(spec)
    return spec


def named(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """``df`` with the ISO3 codes of ``column`` replaced by country names (for a chart's legend)."""
    if df.empty or column not in df:
        return df
    return df.assign(**{column: df[column].map(country_label)})


def world_map(df: pd.DataFrame, column: str, **kw: Any) -> dict[str, Any] | None:
    """A world-map spec (:func:`charts.world_shares`) of the ``share`` of each ISO3 code in ``column``
    (rows that are not a country, such as ``other``, are left off), or ``None`` when empty."""
    if df.empty:
        return None
    part = df[df[column].str.fullmatch(r"[A-Z]{3}") & df["share"].notna()]
    data = pd.DataFrame({"iso3": part[column], "country": part[column].map(country_label),
                         "share": part["share"]})
    spec = charts.to_spec(charts.world_shares(data, width="container", height="container", **kw))
    _wrap_spec(spec)
    return spec


def with_query(path: str, **params: Any) -> str:
    """``path?k=v&...`` with the parameters that are set (``None`` and ``""`` left out), URL-encoded."""
    from urllib.parse import urlencode

    kept = {k: v for k, v in params.items() if v not in (None, "", [], ())}
    return path + ("?" + urlencode(kept, safe=",+") if kept else "")


@router.get("/go")
def go(service: ServiceDep, importer: api.Importer, rival: api.Rival = defaults.RIVAL,
       year: Annotated[str | None, Query(max_length=4)] = None,
       workstream: Annotated[str | None, Query(max_length=40)] = None) -> RedirectResponse:
    """The pickers' form: validate and go to the importer's (or bloc's) overview, keeping every filter."""
    meta = service.meta
    imp = bloc_label(validate.bloc(importer, meta.countries, field="importer"))
    riv = validate.iso3(rival, meta.countries, field="rival")
    yr = validate.year(_form_int(year, "year"), meta.years) if _blank_to_none(year) else None
    ws = api.checked_workstream(_blank_to_none(workstream))
    return RedirectResponse(with_query(f"/importers/{quote(imp)}", rival=riv, year=yr, workstream=ws),
                            status_code=303)


@router.get("/importers/{importer}", response_class=HTMLResponse)
def overview_page(request: Request, service: ServiceDep,
                  importer: Annotated[str, Path(pattern=validate.BLOC_PATTERN)],
                  rival: api.Rival = defaults.RIVAL, year: api.Year = None,
                  workstream: api.Workstream = None) -> HTMLResponse:
    """Overview of an importer (or of one workstream): headline, key figures, workstreams, top
    dependencies, and with a workstream its chain from ore to end product."""
    data = api.overview_data(service, importer, rival, year, workstream)
    top = pd.DataFrame([r.model_dump() for r in data.top_dependencies])
    spec = None
    imp_name, riv_name = country_label(data.importer), country_label(data.rival)
    if not top.empty:
        top = top.assign(label=[wrapped(f"{h} {n}" if isinstance(n, str) else h)
                                for h, n in zip(top["hs6"], top["product_name"], strict=True)])
        spec = chart(charts.severity_bars, top, row_height=44,
                     title=f"Top dependencies of {imp_name} on {riv_name}, {data.year}",
                     subtitle="severity (0–100) = 100 × rival share × supplier concentration × "
                              "world-export concentration × import surplus")
    api_url = with_query(f"/api/importers/{quote(data.importer)}", rival=data.rival, year=data.year,
                         workstream=data.workstream)
    return templates.TemplateResponse(request, "overview.html", context(
        service, nav="overview", d=data, importer=data.importer, severity_spec=spec,
        workstreams=catalogue.workstreams(), api=api_url,
        csv_top=with_query(f"/api/importers/{quote(data.importer)}", rival=data.rival, year=data.year,
                           workstream=data.workstream, format="csv", table="top_dependencies"),
        csv_ws=with_query(f"/api/importers/{quote(data.importer)}", rival=data.rival, year=data.year,
                          workstream=data.workstream, format="csv", table="workstreams"),
        csv_chain=with_query(f"/api/importers/{quote(data.importer)}", rival=data.rival, year=data.year,
                             workstream=data.workstream, format="csv", table="chain")))


@router.get("/products/{hs6}", response_class=HTMLResponse)
def product_page(request: Request, service: ServiceDep,
                 hs6: Annotated[str, Path(pattern=validate.HS6_PATTERN)],
                 importer: api.ImporterDefault = defaults.IMPORTER, rival: api.Rival = defaults.RIVAL,
                 partner: api.Partner = None) -> HTMLResponse:
    """One product: supplier shares over years, world supply, screen, substitutes, minerals."""
    d = api.product_data(service, hs6, importer, rival, partner)
    label = f"{d.hs6} {d.name}" if d.name else d.hs6
    imp_name = country_label(d.importer)
    api_url = with_query(f"/api/products/{d.hs6}", importer=d.importer, rival=d.rival, partner=d.partner)
    suppliers = pd.DataFrame([r.model_dump() for r in d.supplier_shares])
    world = pd.DataFrame([r.model_dump() for r in d.world_supply])
    # charts name countries (legend in words); the tables and the CSV keep the ISO3 codes
    riv_n, par_n = country_label(d.rival), country_label(d.partner) if d.partner else None
    sup_named, world_named = named(suppliers, "supplier"), named(world, "supplier")
    map_spec = None
    if not suppliers.empty:
        last = int(suppliers["year"].max())
        map_spec = world_map(suppliers[suppliers["year"] == last], "supplier", rival=d.rival,
                             partner=d.partner, what="share of imports",
                             title=f"Where {imp_name} buys it, {last}",
                             subtitle=f"share of {imp_name}'s imports; rival outlined red, partner green")
    mineral_specs = []
    for m in d.minerals:
        prod = pd.DataFrame([r.model_dump() for r in m.production])
        if prod.empty:
            continue
        latest = prod[prod["stage"] == prod["stage"].iloc[0]]
        stage, year = latest["stage"].iloc[0], int(latest["year"].iloc[0])
        mineral_specs.append((m.commodity, chart(
            charts.production_shares, named(latest, "country"), rival=riv_n, partner=par_n,
            title=f"World {stage} production of {m.commodity}, {year}",
            subtitle=f"unit: {latest['unit'].iloc[0]}")))
    return templates.TemplateResponse(request, "product.html", context(
        service, nav="overview", d=d, label=label, importer=d.importer,
        suppliers_spec=chart(charts.supplier_shares, sup_named, rival=riv_n, partner=par_n,
                             title=f"Where {imp_name} buys it",
                             subtitle=f"share of {imp_name}'s imports, by year"),
        world_spec=chart(charts.supplier_shares, world_named, rival=riv_n, partner=par_n,
                         title="Share of world exports", y_title="share of world exports",
                         legend_title="exporter",
                         subtitle="each exporter's share of world exports, by year"),
        values_spec=chart(charts.supplier_shares, sup_named, rival=riv_n, partner=par_n,
                          title=f"What {imp_name} pays each supplier", measure="value_usd",
                          y_title="imports (USD)", subtitle="import value by supplier and year, USD"),
        map_spec=map_spec, mineral_specs=mineral_specs, suppliers_table=suppliers, api=api_url,
        headline=exposure.headline(d.importer, d.rival, d.screen[-1].model_dump() if d.screen else None),
        csv={t: api_url + ("&" if "?" in api_url else "?") + f"format=csv&table={t}"
             for t in ("supplier_shares", "world_supply", "screen", "candidates", "substitution")}))


@router.get("/minerals", response_class=HTMLResponse)
def minerals_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """Mineral commodities with production data."""
    return templates.TemplateResponse(request, "minerals.html", context(
        service, nav="minerals", commodities=service.meta.commodities, api="/api/minerals"))


@router.get("/minerals/{commodity}", response_class=HTMLResponse)
def mineral_page(request: Request, service: ServiceDep,
                 commodity: Annotated[str, Path(pattern=validate.COMMODITY_PATTERN)],
                 rival: api.Rival = defaults.RIVAL, importer: api.Partner = None) -> HTMLResponse:
    """One commodity: world production shares by stage, supply risk, HS codes."""
    d = api.mineral_data(service, commodity, rival, importer)
    api_url = with_query(f"/api/minerals/{d.commodity}", rival=d.rival, importer=d.importer)
    prod = pd.DataFrame([r.model_dump() for r in d.production])
    specs = []
    map_spec = None
    if not prod.empty:
        stage0 = sorted(prod["stage"].unique())[0]
        first = prod[prod["stage"] == stage0]
        first = first[first["year"] == first["year"].max()]
        map_spec = world_map(first, "country", rival=d.rival, what="share of world output",
                             title=f"World {stage0} production of {d.commodity}, {int(first['year'].max())}",
                             subtitle="each country's share; rival outlined red")
        for stage, part in prod.groupby("stage", sort=True):
            specs.append((str(stage), chart(
                charts.production_shares, named(part, "country"), rival=country_label(d.rival),
                title=f"World {stage} production of {d.commodity}, {int(part['year'].iloc[0])}",
                subtitle=f"unit: {part['unit'].iloc[0]}")))
    return templates.TemplateResponse(request, "mineral.html", context(
        service, nav="minerals", d=d, production_specs=specs, map_spec=map_spec,
        production=prod,
        risk=pd.DataFrame(d.supply_risk), api=api_url,
        csv={t: api_url + f"&format=csv&table={t}" for t in ("production", "supply_risk")}))


def _measure_choices(service: Service, importer: str | None) -> pd.DataFrame:
    """Catalogued measures with whether each can run on this warehouse (the library decides)."""
    key = ("runnable-measures", importer, api._measures_key(service), dt.date.today().isoformat())
    return service.call(key, lambda: whatif.runnable_measures(service.wh, importer, extra=service.measures))


def _scenario_context(service: Service, importer: str | None, **extra: Any) -> dict[str, Any]:
    meta = service.meta
    return context(service, nav="scenarios", importer=importer, measures=_measure_choices(service, importer),
                   max_draws=service.max_draws, default_draws=min(defaults.DRAWS, service.max_draws),
                   base_years=meta.years, **extra)


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, service: ServiceDep, importer: api.Partner = None) -> HTMLResponse:
    """Pick a catalogued measure or write a scenario, then run it."""
    imp = api.checked_country(service, importer, "importer")
    return templates.TemplateResponse(request, "scenarios.html", _scenario_context(
        service, imp, api=f"/api/measures{'?country=' + imp if imp else ''}"))


def _blank_to_none(value: str | None) -> str | None:
    return value if value not in (None, "") else None


def _form_float(value: str | None, field: str) -> float | None:
    text = _blank_to_none(value)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{field} {text!r} is not a number", value=text,
                         hint=f"write {field} as a fraction between 0 and 1, e.g. 0.5") from None


def _form_int(value: str | None, field: str) -> int | None:
    text = _blank_to_none(value)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{field} {text!r} is not a whole number", value=text) from None


# The scenario form's fields (the page and its CSV download take the same ones); numbers arrive as text
# and are read by _form_int / _form_float, so that a wrong entry is a message on the page.
FormImporter = Annotated[str | None, Form(pattern=validate.ISO3_PATTERN)]
FormMeasure = Annotated[str | None, Form(max_length=80)]
FormScenario = Annotated[str | None, Form(max_length=32_000)]
FormNumber = Annotated[str | None, Form(max_length=20)]


@dataclass(frozen=True)
class _ScenarioFormInput:
    """The scenario form, read: the validated request, and the fields as typed (shown again on the page)."""

    request: api.ScenarioRequest
    fields: dict[str, str]


def _form_request(importer: FormImporter = None, measure_id: FormMeasure = None,
                  scenario_yaml: FormScenario = None, severity: FormNumber = None, theta: FormNumber = None,
                  draws: FormNumber = None, base_year: FormNumber = None) -> _ScenarioFormInput:
    """The scenario request of the form (validated) and the fields to show again.

    The page and its CSV download declare the form once, as this dependency (:data:`ScenarioForm`).
    """
    yaml_text = _blank_to_none(scenario_yaml.strip() if scenario_yaml else None)
    mid = None if yaml_text else _blank_to_none(measure_id)
    if mid is not None:
        mid = validate.slug(mid, field="measure")
    req = api.ScenarioRequest(
        measure_id=mid, scenario=None, importer=_blank_to_none(importer),
        draws=_form_int(draws, "draws"), base_year=_form_int(base_year, "base year"),
        severity=_form_float(severity, "severity"), theta=_form_float(theta, "theta"), limit=2000,
    )
    if yaml_text is not None:
        req = req.model_copy(update={"scenario": whatif.parse_scenario_text(yaml_text)})
    fields = {"importer": importer or "", "measure_id": mid or "", "scenario_yaml": yaml_text or "",
              "severity": severity or "", "theta": theta or "", "draws": draws or "",
              "base_year": base_year or ""}
    return _ScenarioFormInput(req, fields)


ScenarioForm = Annotated[_ScenarioFormInput, Depends(_form_request)]
"""The scenario form, read and validated (:func:`_form_request`)."""


@router.post("/scenarios/run.csv")
def scenario_csv(
    service: ServiceDep,
    form: ScenarioForm,
    table: Annotated[str, Form(pattern=r"^(rows|summary)$")] = "rows",
) -> Response:
    """The result rows (or summary) of the form's scenario as CSV (same seed, same numbers as the page)."""
    out, _ = api.run_scenario_data(service, form.request)
    return api.table_csv(out, table, f"scenario-{out.scenario}")


@router.post("/scenarios/run", response_class=HTMLResponse)
def scenario_run_page(request: Request, service: ServiceDep, form: ScenarioForm) -> HTMLResponse:
    """Run the scenario of the form and show its bands (HTML twin of POST /api/scenarios/run)."""
    out, shown = api.run_scenario_data(service, form.request)
    metric = whatif.default_metric(shown)
    spec = None
    sentence = whatif.headline(out.scenario, None, pd.DataFrame())
    if metric is not None:
        bands = whatif.bands_table(shown, metric, with_importer=out.importer is None, name_width=None)
        sentence = whatif.headline(out.scenario, metric, bands)
        bands = bands.assign(label=bands["label"].map(wrapped))
        spec = chart(charts.scenario_bands, bands, unit=metric_unit(metric), row_height=44,
                     title=f"{out.scenario}: {column_label(metric)}"
                           + (f", {country_label(out.importer)}" if out.importer else ""),
                     subtitle=f"median and 5th–95th percentile over {out.draws} draws")
    return templates.TemplateResponse(request, "scenarios.html", _scenario_context(
        service, out.importer, result=out, result_rows=shown, bands_spec=spec, metric=metric,
        headline=sentence,
        form=form.fields, api="/api/scenarios/run"))


@router.get("/briefing", response_class=HTMLResponse)
def briefing_page(request: Request, service: ServiceDep, importer: api.ImporterOpt = None,
                  rival: api.Rival = defaults.RIVAL, partner: api.Partner = None,
                  workstream: api.Workstream = None) -> HTMLResponse:
    """Choose and download a briefing pack (the download is GET /api/briefing)."""
    imp = (bloc_label(validate.bloc(importer, service.meta.countries, field="importer"))
           if importer else None)
    par = api.checked_country(service, partner, "partner")
    riv = validate.iso3(rival, service.meta.countries, field="rival")
    ws = api.checked_workstream(workstream)
    return templates.TemplateResponse(request, "briefing.html", context(
        service, nav="briefing", importer=imp, rival=riv,
        partner=par or (defaults.PARTNER if imp == defaults.IMPORTER else None),
        workstream=ws or defaults.WORKSTREAM, workstreams=catalogue.workstreams(),
        api="/openapi.json"))


@router.get("/diversify", response_class=HTMLResponse)
def diversify_page(request: Request, service: ServiceDep, importer: api.ImporterOpt = None,
                   rival: api.Rival = defaults.RIVAL, partner: api.Partner = None,
                   coalition: validate.PickedCountries = None,
                   workstream: api.Workstream = None, year: api.Year = None) -> HTMLResponse:
    """Who could replace the rival across a workstream, and the optimiser's portfolio."""
    meta = service.meta
    coalition_codes = validate.named_countries(coalition, meta.countries, field="coalition")
    default = defaults.IMPORTER
    imp = importer or (default if default in meta.importers
                       else (meta.importers[0] if meta.importers else default))
    par = partner if partner is not None or imp != default else (
        defaults.PARTNER if defaults.PARTNER in meta.countries else None)
    d = api.diversify_data(service, imp, rival, par, ",".join(coalition_codes) or None,
                           workstream or defaults.WORKSTREAM, year, True)
    sub = pd.DataFrame(d.substitution)
    api_url = with_query("/api/diversify", importer=d.importer, rival=d.rival, partner=d.partner,
                         coalition=",".join(d.coalition), workstream=d.workstream, year=d.year)
    clipped = 0
    spec = None
    if not sub.empty:
        top = sub.head(15)
        labels = [wrapped(f"{h} {n}" if isinstance(n, str) else h)
                  for h, n in zip(top["hs6"], top["product_name"], strict=True)]
        parts = []
        for group, col in (("partner " + country_label(d.partner or ""), "partner_cover"),
                           ("coalition", "coalition_cover"), ("world", "world_cover")):
            if col in top and top[col].notna().any() and (col != "coalition_cover" or d.coalition):
                parts.append(pd.DataFrame({"label": labels, "group": group, "cover": top[col].to_numpy()}))
        bars = pd.concat(parts, ignore_index=True)
        clipped = int((bars["cover"] > charts.COVER_CAP).sum())
        spec = chart(charts.cover_bars, bars,
                     row_height=15,
                     title=f"Could others replace {country_label(d.rival)}? {country_label(d.importer)}, "
                           f"{d.workstream}, {d.year}",
                     subtitle="spare exports to third countries as a multiple of what the importer buys "
                              "from the rival")
    front = pd.DataFrame(d.frontier)
    frontier_spec = None
    if not front.empty and {"risk", "extra_cost_usd"} <= set(front.columns):
        # solver noise of a few 1e-8 USD below zero is shown as zero (no portfolio saves money here)
        front = front[front["hs6"] == "ALL"] if "hs6" in front else front
        front = front.assign(extra_cost_usd=front["extra_cost_usd"].clip(lower=0.0))
        frontier_spec = chart(charts.frontier, front, x="risk", y="extra_cost_usd",
                              x_title="supply risk (concentration of suppliers, 0–1)",
                              y_title="extra cost per year (USD)",
                              title="Risk against cost of diversified sourcing",
                              subtitle="one point per weight on cost; lower left is better", lam="lam")
    return templates.TemplateResponse(request, "diversify.html", context(
        service, nav="diversify", d=d, importer=d.importer, sub=sub, cover_spec=spec,
        frontier_spec=frontier_spec,
        workstreams=catalogue.workstreams(), api=api_url, clipped=clipped,
        csv={t: api_url + f"&format=csv&table={t}"
             for t in ("substitution", "products", "portfolio", "frontier")}))


@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """The terms of the dashboard in plain words (JSON twin: /api/glossary)."""
    return templates.TemplateResponse(request, "glossary.html", context(
        service, nav="glossary", g=api.glossary_data(), api="/api/glossary"))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, service: ServiceDep,
                q: Annotated[str, Query(max_length=80)] = "",
                importer: api.ImporterOpt = None, rival: api.Rival = defaults.RIVAL) -> HTMLResponse:
    """Find a product by HS code or words (JSON twin: /api/search?q=)."""
    imp = (bloc_label(validate.bloc(importer, service.meta.countries, field="importer"))
           if importer else defaults.IMPORTER)
    riv = validate.iso3(rival, service.meta.countries, field="rival")
    out = api.search_data(service, q.strip()) if q.strip() else None
    return templates.TemplateResponse(request, "search.html", context(
        service, nav="search", q=q, out=out, importer=imp, rival=riv,
        api=with_query("/api/search", q=q.strip()) if q.strip() else "/api/search?q=",
        csv=with_query("/api/search", q=q.strip(), format="csv") if out and out.results else None))
