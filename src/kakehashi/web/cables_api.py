"""Submarine cables on the web: the JSON API ``/api/cables…`` and the dashboard page ``/cables``.

The answers come from :mod:`kakehashi.questions.cables` (the same as ``kakehashi cables``), the
figures and sentences from :mod:`kakehashi.report.cables` (shared with the ICT briefing pack).
Every response carries the data's licence (TeleGeography's open release, CC BY-NC-SA 3.0):
``licence`` and ``source`` in the JSON, a licence line on the page. Inputs are validated like
the other routes (user errors are answered 422 with a hint).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from kakehashi.errors import InputError
from kakehashi.questions import cables as cq
from kakehashi.sources.cables import LICENCE, LICENCE_NOTICE
from kakehashi.web import validate
from kakehashi.web.api import ServiceDep
from kakehashi.web.render import templates
from kakehashi.web.service import Service

router = APIRouter()

CHOKEPOINT_PATTERN = r"^[A-Za-z][A-Za-z()/ -]{1,60}$"
"""A chokepoint key or name as typed (malacca, red-sea, Strait of Malacca)."""
PAIR_PATTERN = r"^[A-Za-z]{3} *[,+] *[A-Za-z]{3}$"
"""Two ISO3 codes, e.g. JPN,IND."""
CABLE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,120}$"
"""A cable id of the release (e.g. seamewe-3)."""

Country = Annotated[str, Query(pattern=validate.ISO3_PATTERN, description="ISO3 code, e.g. JPN.",
                               examples=["JPN"])]
CountryOpt = Annotated[str | None, Query(pattern=validate.ISO3_PATTERN,
                                         description="ISO3 code: cables landing there.", examples=["JPN"])]
Pair = Annotated[str | None, Query(pattern=PAIR_PATTERN, description="Two ISO3 codes, e.g. JPN,IND.",
                                   examples=["JPN,IND"])]
Rival = Annotated[str, Query(pattern=validate.ISO3_PATTERN,
                             description="Country whose builders count as rival-built (HMN Tech: CHN).")]
Chokepoints = Annotated[list[str] | None, Query(
    description="Chokepoint to cut (repeatable): malacca, luzon, taiwan, red-sea, suez, hormuz, sunda, "
    "lombok.", examples=["malacca"])]
CablesCut = Annotated[list[str] | None, Query(alias="cable",
                                              description="Cable id to cut whole (repeatable).")]


def _licence() -> dict[str, str]:
    return {"licence": LICENCE, "licence_notice": LICENCE_NOTICE}


def _dump(obj: Any) -> bytes:
    def plain(v: Any) -> Any:
        if hasattr(v, "item"):
            return v.item()
        if v is None or v != v:
            return None
        return str(v)

    return json.dumps(obj, ensure_ascii=False, default=plain, allow_nan=False).encode()


def _frame(df: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(df.to_json(orient="records")) if len(df) else []
    return out


def cable_data(service: Service) -> cq.CableData:
    """The warehouse's cable tables, read once per snapshot (422 with the command to run if absent)."""
    return service.call(("cables-data",), lambda: cq.read_cables(service.wh))


def _chokepoints(values: list[str] | None) -> list[str]:
    from kakehashi.catalogue.cables import chokepoint

    keys = []
    for v in values or []:
        if not re.match(CHOKEPOINT_PATTERN, v):
            raise InputError(f"chokepoint {v!r} is not a chokepoint name", value=v,
                             hint="use a key such as malacca, red-sea or luzon")
        keys.append(chokepoint(v).key)
    return list(dict.fromkeys(keys))


def _cables(values: list[str] | None) -> list[str]:
    for v in values or []:
        if not re.match(CABLE_PATTERN, v):
            raise InputError(f"cable {v!r} is not a cable id", value=v,
                             hint="cable ids are lower case with hyphens, e.g. seamewe-3")
    return list(values or [])


# ------------------------------------------------------------------------- API
@router.get("/api/cables", tags=["analysis"], summary="Submarine cables of a country or a pair")
def cables_list(service: ServiceDep, country: CountryOpt = None, between: Pair = None) -> Response:
    """The cables landing in ``country``, or in both countries of ``between`` (like
    ``kakehashi cables list``), with the data's licence."""
    pair = cq.parse_pair(between, field="between") if between else None

    def build() -> bytes:
        df = cq.cable_list(cable_data(service), country=country, between=pair)
        return _dump({"country": country, "between": list(pair) if pair else None, "count": len(df),
                      "cables": _frame(df), "source": cable_data(service).source, **_licence()})

    return Response(service.call(("cables-list", country, pair), build), media_type="application/json")


def exposure_data(service: Service, country: str, rival: str) -> dict[str, Any]:
    """The exposure dict of :func:`kakehashi.questions.cables.exposure` (cached per snapshot)."""
    from kakehashi.sources.countries import validate_iso3

    riv = validate_iso3(rival)
    return service.call(("cables-exposure", country, riv),
                        lambda: cq.exposure(cable_data(service), country, rival=riv))


@router.get("/api/cables/exposure", tags=["analysis"], summary="Cable exposure of a country")
def cables_exposure(service: ServiceDep, country: Country, rival: Rival = cq.DEFAULT_RIVAL) -> Response:
    """A country's cables, landing stations and their concentration (HHI), builders (and the
    rival-built share), owners, cables through each chokepoint: the JSON of
    ``kakehashi cables exposure``, with the licence."""
    exp = exposure_data(service, country, rival)
    return Response(_dump({**exp, **_licence()}), media_type="application/json")


def cut_data(service: Service, chokepoints: list[str] | None, cables: list[str] | None,
             between: str | None) -> dict[str, Any]:
    """The cut scenario as the CLI's JSON, with its sentences
    (:func:`~kakehashi.report.cables.cut_sentences`)."""
    from kakehashi.report.cables import cut_sentences
    from kakehashi.sources.countries import country_name

    keys, ids = _chokepoints(chokepoints), _cables(cables)
    pair = cq.parse_pair(between or "JPN,IND", field="between")

    def build() -> dict[str, Any]:
        result, what = cq.cut(cable_data(service), chokepoints=keys, cables=ids, between=[pair])
        tables = {"lost_links": result.lost_links, "paths": result.paths, "restore": result.restore}
        return {"cut": {**what, "cables_in_service_cut": result.cut}, "isolated": result.isolated,
                **{k: _frame(v) for k, v in tables.items()}, "notes": result.notes,
                "sentences": cut_sentences(result, what, country_name)}

    return service.call(("cables-cut", tuple(keys), tuple(ids), pair), build)


@router.get("/api/cables/cut", tags=["scenarios"], summary="Cable cut scenario")
def cables_cut(service: ServiceDep, chokepoint: Chokepoints = None, cable: CablesCut = None,
               between: Pair = None) -> Response:
    """Cut cables at chokepoints (split where their routes cross) or by id (removed whole): the
    direct links lost, the cable-disjoint paths between the pair (default JPN,IND) before and
    after, and the planned cables that would restore them (``kakehashi cables cut -f json``)."""
    return Response(_dump({**cut_data(service, chokepoint, cable, between), **_licence()}),
                    media_type="application/json")


def goods_data(service: Service, country: str, rival: str,
               year: int | None) -> tuple[pd.DataFrame, int | None]:
    """The trade screen of the cable goods for ``country`` on ``rival`` (empty without trade data)."""
    meta = service.meta
    riv = validate.iso3(rival, meta.countries, field="rival") if meta.countries else rival
    yr = validate.year(year, meta.years) if meta.years else None
    return service.call(("cables-goods", country, riv, yr),
                        lambda: cq.cable_goods_screen(service.wh, country, riv, year=yr))


@router.get("/api/cables/goods", tags=["analysis"], summary="Trade screen of the cable goods")
def cables_goods(service: ServiceDep, country: Country, rival: Rival = cq.DEFAULT_RIVAL,
                 year: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> Response:
    """The dependency screen of the goods a cable is made, lit and laid with (optical-fibre cable
    854470, fibres 900110, preforms 700220, transmission and line equipment 851762, cable ships
    890590) for ``country`` on ``rival``: the trade side of the cable dependency."""
    df, yr = goods_data(service, country, rival, year)
    return Response(_dump({"country": country, "rival": rival, "year": yr, "products": list(cq.CABLE_GOODS),
                           "rows": _frame(df), "synthetic": service.meta.synthetic}),
                    media_type="application/json")


# ------------------------------------------------------------------------ page
@router.get("/cables", response_class=HTMLResponse, include_in_schema=False)
def cables_page(request: Request, service: ServiceDep, country: Country = "JPN", partner: Country = "IND",
                rival: Rival = cq.DEFAULT_RIVAL, chokepoint: Chokepoints = None,
                between: Pair = None) -> HTMLResponse:
    """A country's cables and landing stations, the map of its and the partner's routes, the
    builders chart, chokepoint counts, the cut scenario in sentences, and the trade screen of the
    cable goods."""
    from kakehashi.catalogue.cables import chokepoints as all_chokepoints
    from kakehashi.report import cables as rc
    from kakehashi.report import charts
    from kakehashi.sources.countries import country_name
    from kakehashi.web.pages import context

    if partner == country:
        raise InputError(f"partner {partner} is the country itself", value=partner,
                         hint="choose another partner, e.g. IND for JPN")
    data = cable_data(service)
    exp = exposure_data(service, country, rival)
    cq.cable_list(data, country=partner)  # the partner must have cables too (422 otherwise)
    pair = between or f"{country},{partner}"
    keys = _chokepoints(chokepoint) or ["malacca"]
    cut = cut_data(service, keys, None, pair)
    listing = cq.cable_list(data, country=country)
    stations = pd.DataFrame(exp["landing_stations"]["per_station"])
    names = data.stations.set_index("station")["name"]
    if len(stations):
        stations = stations.assign(name=stations["station"].map(names))
    builders = pd.DataFrame(exp["builders"])
    builders_spec = charts.to_spec(rc.builders_chart(
        builders, exp["rival_built"]["builders"], width="container",
        title=f"Who built {country_name(country)}'s submarine cables",
        subtitle=f"share of its cables by supplier; {rival}'s builders in red")) if len(builders) else None
    features, map_stations = rc.map_data(data, [country, partner])
    map_spec = charts.to_spec(rc.cable_map(
        features, map_stations, [country, partner], width="container", height="container",
        title=f"Cables of {country_name(country)} and {country_name(partner)}",
        subtitle="lon/lat projection; schematic routes, planned dashed"))
    choke = pd.DataFrame([{"chokepoint": v["name"], "cables": v["count"], "ids": ", ".join(v["cables"])}
                          for v in exp["chokepoints"].values()])
    goods, goods_year = goods_data(service, country, rival, None)
    return templates.TemplateResponse(request, "cables.html", context(
        service, nav="cables", importer=country, country=country, partner=partner, rival=rival,
        country_label=country_name(country), partner_label=country_name(partner),
        exp=exp, listing=listing, stations=stations, builders=builders, builders_spec=builders_spec,
        map_spec=map_spec, choke=choke, cut=cut, cut_keys=keys, pair=pair,
        all_chokepoints=all_chokepoints(), goods=goods, goods_year=goods_year,
        goods_columns=rc.screen_columns(), cable_goods=cq.CABLE_GOODS, licence=rc.ATTRIBUTION,
        api=f"/api/cables/exposure?country={country}&rival={rival}"))
