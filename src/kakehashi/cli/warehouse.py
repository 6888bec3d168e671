"""``kakehashi warehouse push``: copy a local warehouse's committed snapshot to object storage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kakehashi.cli.common import app, say

warehouse_app = typer.Typer(help="Copy a local warehouse to object storage, where every command reads it "
                            "(read-only).", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("push")
def push_command(
    source: Annotated[Path, typer.Argument(help="The local warehouse folder (ingest into it first).")],
    destination: Annotated[str, typer.Argument(help="Where to copy it: s3://BUCKET/PREFIX.")],
    threads: Annotated[int, typer.Option("--threads", help="Files uploaded at once.", min=1, max=32)] = 4,
) -> None:
    """Upload the committed snapshot's files, then its manifest, then CURRENT (readers never see a
    half-copied snapshot). Credentials and endpoint: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_REGION, AWS_ENDPOINT_URL."""
    from kakehashi.warehouse import Warehouse, push_warehouse

    result = push_warehouse(Warehouse(source, read_only=True), destination, threads=threads)
    say(f"pushed snapshot {result.snapshot} to {result.destination}: {result.uploaded} files uploaded "
        f"({result.bytes:,} bytes), {result.skipped} already there")
