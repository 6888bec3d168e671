"""Presentation commands: ``kakehashi serve`` (dashboard and API) and ``kakehashi report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kakehashi.cli.common import (
    EngineOpt,
    MeasuresOpt,
    WarehouseOpt,
    app,
    console,
    console_err,
    note,
    open_warehouse,
)
from kakehashi.config import measures_paths
from kakehashi.errors import InputError
from kakehashi.questions import defaults
from kakehashi.questions.request import bloc_label, parse_bloc, parse_country, parse_country_list


@app.command()
def serve(
    warehouse: WarehouseOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    max_draws: Annotated[int, typer.Option(help="Monte-Carlo draws allowed per scenario request.",
                                           min=1)] = 2000,
    max_body: Annotated[int, typer.Option(help="Largest request body in bytes.", min=1024)] = 64 * 1024,
    cors_origin: Annotated[list[str] | None, typer.Option(
        help="Allow browser calls from this origin (repeatable). Default: CORS off.")] = None,
    request_timeout: Annotated[float, typer.Option(
        help="Seconds within which a request must be answered, else 503 with Retry-After (0: no limit).",
        min=0)] = 60.0,
    engine: EngineOpt = None,
    measures: MeasuresOpt = None,
    workers: Annotated[int, typer.Option(
        help="Worker processes (uvicorn workers), each opening the warehouse read-only with its own "
             "cache. Within each, uncached requests already run in parallel threads.",
        min=1, max=64)] = 1,
    threads: Annotated[int | None, typer.Option(
        help="Uncached requests computed at once per process, each on its own read-only DuckDB "
             "connection (default: one per core, 2 to 16; 1: one at a time).", min=1, max=64,
        show_default=False)] = None,
    engine_threads: Annotated[int | None, typer.Option(
        help="DuckDB threads per query (default 1: the requests computed at once share the cores).",
        min=1, max=256, show_default=False)] = None,
) -> None:
    """Serve the dashboard and the REST API over a warehouse, opened read-only.

    One process answers uncached requests in parallel threads, each on its own
    read-only DuckDB connection; --workers N starts N such processes sharing the port.
    """
    try:
        import uvicorn

        from kakehashi.web import create_app
    except ModuleNotFoundError as exc:
        raise InputError(f"the web extra is not installed ({exc.name} missing)",
                         hint="pip install 'kakehashi[web]'") from None
    settings: dict[str, Any] = {
        "warehouse_path": str(warehouse) if warehouse else None, "max_draws": max_draws,
        "max_body": max_body, "cors_origins": list(cors_origin or ()), "engine": engine,
        "measures": [str(m) for m in measures] if measures else None,
        "request_timeout": request_timeout or None}
    if threads is not None:
        settings["threads"] = threads
    if engine_threads is not None:
        settings["engine_threads"] = engine_threads
    # also checks the settings before any worker starts; a single process warms up now, workers each later
    web_app = create_app(**settings, warm=workers == 1)
    _check_port_free(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console_err.print(f"warning: listening on {host}, reachable from other machines; "
                          "the API has no authentication", highlight=False)
    console_err.print(f"kakehashi dashboard on http://{host}:{port}/  (Ctrl-C to stop)", highlight=False)
    if workers == 1:
        uvicorn.run(web_app, host=host, port=port, log_level="warning", server_header=False)
        return
    import json
    import os

    from kakehashi.web.app import SETTINGS_ENV

    del web_app
    os.environ[SETTINGS_ENV] = json.dumps({**settings, "warm": True})  # read by each worker's app_from_env
    uvicorn.run("kakehashi.web.app:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level="warning", server_header=False)


def _check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, a port another program listens on (uvicorn would log and exit 1)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"--host {host}: {exc.strerror}", value=host,
                         hint="give an address of this machine, e.g. 127.0.0.1") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}", value=port,
                             hint="another program uses this port; choose another with --port") from None


@app.command()
def report(
    importer: Annotated[str, typer.Option(help="Importer, ISO3 (e.g. JPN), or a bloc such as JPN+IND.")],
    rival: Annotated[str, typer.Option(help="Rival supplier, ISO3.")] = defaults.RIVAL,
    partner: Annotated[str | None, typer.Option(help="Partner country, ISO3 (e.g. IND).")] = None,
    coalition: Annotated[str | None, typer.Option(
        help="Further partner countries, comma-separated (e.g. AUS,USA).")] = None,
    workstream: Annotated[str | None, typer.Option(
        help="Workstream, e.g. critical-minerals (see the catalogue).")] = None,
    all_workstreams: Annotated[bool, typer.Option(
        "--all-workstreams", help="Write one pack per workstream.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f",
                                     help="html (one self-contained file) or pdf.")] = "html",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write (a directory with --all-workstreams).")] = None,
    year: Annotated[int | None, typer.Option(help="Trade year (default: the latest).")] = None,
    draws: Annotated[int, typer.Option(help="Monte-Carlo draws of the pack's scenario.", min=1,
                                       max=100_000)] = defaults.DRAWS,
    data: Annotated[Path | None, typer.Option(
        "--data", help="Write the data behind every table here: a folder, or a .zip file "
        "(default: PACK-data.zip next to the pack).", show_default=False)] = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    measures: MeasuresOpt = None,
) -> None:
    """Write a briefing pack (HTML or PDF) for an importer, rival, partner and workstream."""
    import warnings

    from kakehashi.catalogue import workstreams
    from kakehashi.report.build import build_briefing
    from kakehashi.report.fonts import MissingFontWarning

    if all_workstreams == (workstream is not None):
        raise InputError("give --workstream NAME or --all-workstreams",
                         hint=f"workstreams: {', '.join(workstreams())}")
    imp = bloc_label(parse_bloc(importer))
    riv = parse_country(rival, field="rival")
    par = parse_country(partner, field="partner") if partner else None
    coal = parse_country_list(coalition)
    wh = open_warehouse(warehouse, engine)
    keys = workstreams() if all_workstreams else [str(workstream)]
    if all_workstreams and out is not None and out.suffix:
        raise InputError(f"--out {out} looks like a file; --all-workstreams writes one file per workstream",
                         hint="pass a directory, e.g. --out packs/")
    target: Path | None = out
    if all_workstreams:
        target = out or Path(".")
        target.mkdir(parents=True, exist_ok=True)
    for key in keys:
        pack_data = (data / key if data is not None and all_workstreams and data.suffix != ".zip"
                     else data)
        if data is not None and all_workstreams and data.suffix == ".zip":
            raise InputError("--data FILE.zip with --all-workstreams would be overwritten by each pack",
                             hint="pass a folder: one subfolder per workstream")
        with warnings.catch_warnings(record=True) as caught:  # a missing font: one note line, not a trace
            warnings.simplefilter("always", MissingFontWarning)
            path = build_briefing(wh, imp, riv, par, key, fmt, target, coalition=coal, year=year, draws=draws,
                                  data=pack_data, measures=measures_paths(measures))
        for w in caught:
            if issubclass(w.category, MissingFontWarning):
                note(str(w.message))
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        console.print(str(path), highlight=False, soft_wrap=True)
