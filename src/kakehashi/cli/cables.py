"""``kakehashi cables list|paths|exposure|cut``, ``kakehashi ingest cables``, ``kakehashi download cables``.

Presentation only: the tables come from :mod:`kakehashi.sources.cables`, the answers from
:mod:`kakehashi.questions.cables`. Every command prints the data's licence on stderr
(TeleGeography's open release is CC BY-NC-SA 3.0).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from kakehashi.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    OutOpt,
    WarehouseOpt,
    app,
    console_err,
    download_app,
    emit,
    ingest_app,
    open_warehouse,
    say,
)
from kakehashi.errors import InputError

cables_app = typer.Typer(help="Submarine cables: where a country's cables land, who built and owns them, "
                         "which straits they pass, and what a cut would do (TeleGeography's open data).",
                         no_args_is_help=True)
app.add_typer(cables_app, name="cables")

ChokeOpt = Annotated[list[str] | None, typer.Option(
    "--chokepoint", help="Chokepoint to cut (repeatable): malacca, luzon, taiwan, red-sea (Bab-el-Mandeb), "
    "suez, hormuz, sunda, lombok.", show_default=False)]
CableOpt = Annotated[list[str] | None, typer.Option("--cable", help="Cable id to cut whole (repeatable).",
                                                    show_default=False)]


def _licence() -> None:
    from kakehashi.sources.cables import LICENCE_NOTICE

    console_err.print(LICENCE_NOTICE, highlight=False, soft_wrap=True, markup=False)


def _write_json(obj: Any, out: Path | None) -> None:
    text = json.dumps(obj, indent=1, ensure_ascii=False, default=_jsonable) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        console_err.print(f"wrote {out}")


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if v is None or v != v:
        return None
    return str(v)


@ingest_app.command("cables")
def ingest_cables_cmd(
    folder: Annotated[Path, typer.Argument(help="The open_undersea_cable_map folder (cable/, "
                                           "landing-point/).", show_default=False)],
    warehouse: WarehouseOpt = None,
) -> None:
    """Load TeleGeography's open submarine-cable release into cables, cable_landings,
    landing_stations and cable_routes (one transaction; replaces the four tables)."""
    from kakehashi.sources.cables import load_cables
    from kakehashi.warehouse import Warehouse

    _licence()
    wh = Warehouse(warehouse)
    t = load_cables(wh, folder)
    say(f"ingested {len(t.cables):,} cables ({int(t.cables['is_planned'].sum())} planned), "
        f"{len(t.landings):,} landings at {len(t.stations):,} stations in "
        f"{t.landings['country'].nunique()} countries, {len(t.routes):,} routes into {wh.path}")
    for note in t.notes:
        say(f"note: {note}")


@download_app.command("cables")
def download_cables_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to save the repository's files in.")
                   ] = Path("submarine-cables"),
    base_url: Annotated[str | None, typer.Option("--base-url", help="Base URL of the raw files (default: "
                                                 "$KAKEHASHI_CABLES_URL or the GitHub repository "
                                                 "stevesong/open_undersea_cable_map).",
                                                 show_default=False)] = None,
) -> None:
    """Download TeleGeography's open submarine-cable release (CC BY-NC-SA 3.0) file by file."""
    from kakehashi.sources.cables import download_cables

    _licence()
    folder, n = download_cables(out, base_url)
    say(f"saved {n} cable files, the routes and the landing points in {folder}; "
        f"next: kakehashi ingest cables {folder}")


def _data(warehouse: Path | None, engine: str | None) -> Any:
    from kakehashi.questions.cables import read_cables

    return read_cables(open_warehouse(warehouse, engine))


@cables_app.command("list")
def list_cmd(
    country: Annotated[str | None, typer.Option("--country", help="ISO3 code: cables landing there.",
                                                show_default=False)] = None,
    between: Annotated[str | None, typer.Option("--between", help="Two ISO3 codes, e.g. JPN,IND: cables "
                                                "landing in both.", show_default=False)] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """List the cables landing in a country, or in both of two countries."""
    from kakehashi.questions.cables import cable_list, parse_pair

    _licence()
    pair = parse_pair(between) if between else None
    data = _data(warehouse, engine)
    df = cable_list(data, country=country, between=pair)
    where = country.upper() if country else " and ".join(pair or ())
    title = f"cables landing in {where}"
    if fmt is Format.table:  # a terminal cannot show dozens of owners per row: count them
        df = df.assign(owners=df["owners"].map(lambda s: len(s.split(";")) if s else 0)).rename(
            columns={"owners": "owners (n)"})
    emit(df, fmt, out, title=f"{title}: {len(df)}", units={"length_km": "km"}, empty_message="no cable")


@cables_app.command("paths")
def paths_cmd(
    between: Annotated[str, typer.Option("--between", help="Two ISO3 codes, e.g. JPN,IND.")],
    limit: Annotated[int, typer.Option("--limit", help="Most indirect paths shown.", min=1)] = 50,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Direct cables in service, independent (cable-disjoint) paths and the shortest indirect
    country paths between two countries."""
    import pandas as pd

    from kakehashi.questions.cables import parse_pair, paths_between

    _licence()
    a, b = parse_pair(between)
    res = paths_between(_data(warehouse, engine), a, b, limit=limit)
    if fmt is Format.json:
        _write_json({"between": [a, b], **res}, out)
        return
    df = pd.DataFrame([{"path": " > ".join(p["path"]), "hops": len(p["path"]) - 1,
                        "cables_per_hop": " / ".join(str(n) for n in p["cables_per_hop"])}
                       for p in res["shortest_indirect"]], columns=["path", "hops", "cables_per_hop"])
    console_err.print(f"{a}-{b}: {len(res['direct_in_service'])} direct cable(s) in service "
                      f"({', '.join(res['direct_in_service']) or 'none'}); {res['independent_paths']} "
                      "cable-disjoint paths", highlight=False, soft_wrap=True)
    emit(df, fmt, out, title=f"shortest indirect paths {a} to {b}", empty_message="no indirect path")


def _exposure_long(exp: dict[str, Any]) -> Any:
    import pandas as pd

    rows: list[dict[str, Any]] = []
    c = exp["cables"]
    for k in ("total", "in_service", "planned", "international"):
        rows.append({"section": "cables", "item": k, "cables": c[k], "share": None})
    ls = exp["landing_stations"]
    rows.append({"section": "landing_stations", "item": "count", "cables": ls["count"], "share": None})
    rows.append({"section": "landing_stations", "item": "hhi_international", "cables": None,
                 "share": ls["hhi_international"]})
    for r in ls["per_station"]:
        rows.append({"section": "landing_station", "item": r["station"], "cables": r["cables"],
                     "share": r["share"]})
    for r in exp["builders"]:
        rows.append({"section": "builder", "item": r["supplier"], "cables": r["cables"], "share": r["share"]})
    rb = exp["rival_built"]
    rows.append({"section": "rival_built", "item": rb["rival"], "cables": rb["cables"], "share": rb["share"]})
    for r in exp["owners"]:
        rows.append({"section": "owner", "item": r["owner"], "cables": r["cables"], "share": r["share"]})
    for k, v in exp["chokepoints"].items():
        rows.append({"section": "chokepoint", "item": k, "cables": len(v["cables"]),
                     "share": len(v["cables"]) / c["total"] if c["total"] else None})
    counts = pd.Series([None if r["cables"] is None else int(r["cables"]) for r in rows], dtype=object)
    df = pd.DataFrame(rows, columns=["section", "item", "cables", "share"]).assign(country=exp["country"])
    df["cables"] = counts
    return df


@cables_app.command("exposure")
def exposure_cmd(
    country: Annotated[str, typer.Option("--country", help="ISO3 code, e.g. JPN.")],
    rival: Annotated[str, typer.Option("--rival",
                                       help="Country whose builders count as rival-built.")] = "CHN",
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format (json: the whole answer; "
                                        "table, csv, parquet: one long table).")] = Format.json,
    out: OutOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """A country's cable exposure: cables, landing stations and their concentration (HHI), builders
    (and the rival-built share), owners, cables through each chokepoint."""
    from kakehashi.questions.cables import exposure
    from kakehashi.sources.countries import validate_iso3

    _licence()
    exp = exposure(_data(warehouse, engine), country, rival=validate_iso3(rival))
    if fmt is Format.json:
        _write_json(exp, out)
    else:
        emit(_exposure_long(exp), fmt, out, title=f"cable exposure of {exp['country']}", top=None)


@cables_app.command("cut")
def cut_cmd(
    chokepoint: ChokeOpt = None,
    cable: CableOpt = None,
    between: Annotated[list[str] | None, typer.Option("--between", help="Country pair whose independent "
                                                      "paths are counted (repeatable; default JPN,IND).",
                                                      show_default=False)] = None,
    fmt: FormatOpt = Format.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Directory for the three tables "
                                             "(lost-links, paths, restore).<ext>.")] = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Cut cables at chokepoints (split where their routes cross) or by id (removed whole): which
    countries lose every direct link to which, how the cable-disjoint paths between two countries
    change, and which planned cables would restore them."""
    from kakehashi.questions.cables import cut, parse_pair

    _licence()
    pairs = [parse_pair(b) for b in (between or ["JPN,IND"])]
    result, what = cut(_data(warehouse, engine), chokepoints=chokepoint or [], cables=cable or [],
                       between=pairs)
    for note in result.notes:
        console_err.print(f"note: {note}", highlight=False, soft_wrap=True)
    tables = {"lost-links": result.lost_links, "paths": result.paths, "restore": result.restore}
    if fmt is Format.json:
        obj = {"cut": {**what, "cables_in_service_cut": result.cut}, "isolated": result.isolated,
               **{k.replace("-", "_"): json.loads(v.to_json(orient="records")) for k, v in tables.items()},
               "notes": result.notes}
        _write_json(obj, out / "cut.json" if out is not None else None)
        return
    if out is not None:
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file", hint="give a directory; it is created if missing")
        out.mkdir(parents=True, exist_ok=True)
        ext = {Format.csv: "csv", Format.parquet: "parquet", Format.table: "txt"}[fmt]
        for name, df in tables.items():
            emit(df, fmt, out / f"{name}.{ext}", title=name)
        return
    if fmt is not Format.table:
        raise InputError(f"--format {fmt.value} writes three tables: give --out DIR",
                         hint="add --out cut-result (or use --format json for one document)")
    how = ", ".join(what["chokepoints"]) or "by id"
    console_err.print(f"cut: {len(result.cut)} cable(s) in service ({how}); countries left without any "
                      f"international cable: {', '.join(result.isolated) or 'none'}", highlight=False,
                      soft_wrap=True)
    emit(result.paths, fmt, None, title="independent (cable-disjoint) paths")
    emit(result.lost_links, fmt, None, title=f"direct links lost: {len(result.lost_links)} country pairs",
         empty_message="no country pair loses its last direct link")
    emit(result.restore, fmt, None, title="planned cables that would restore",
         empty_message="no planned cable restores")
