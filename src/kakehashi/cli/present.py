"""Presentation commands: ``kakehashi serve`` (dashboard and API) and ``kakehashi report``."""

from __future__ import annotations

from typing import Annotated

import typer

from kakehashi.cli.common import EngineOpt, WarehouseOpt, app, console_err
from kakehashi.errors import InputError


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
    engine: EngineOpt = None,
) -> None:
    """Serve the dashboard and the REST API over a warehouse, opened read-only."""
    try:
        import uvicorn

        from kakehashi.web import create_app
    except ModuleNotFoundError as exc:
        raise InputError(f"the web extra is not installed ({exc.name} missing)",
                         hint="pip install 'kakehashi[web]'") from None
    web_app = create_app(warehouse, max_draws=max_draws, max_body=max_body,
                         cors_origins=tuple(cors_origin or ()), engine=engine)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console_err.print(f"warning: listening on {host}, reachable from other machines; "
                          "the API has no authentication", highlight=False)
    console_err.print(f"kakehashi dashboard on http://{host}:{port}/  (Ctrl-C to stop)", highlight=False)
    uvicorn.run(web_app, host=host, port=port, log_level="warning", server_header=False)
