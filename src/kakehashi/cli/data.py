"""Commands for the SYNTHETIC sample world: ``kakehashi sample`` and ``kakehashi ingest sample``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kakehashi.cli.common import Format, WarehouseOpt, app, console_err, emit, ingest_app, parse_years
from kakehashi.sample.parameters import DEFAULT_SEED, SIZES


@app.command("sample")
def sample_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the raw files into.")],
    size: Annotated[str, typer.Option("--size", help="; ".join(f"{k}: {v.description}"
                                                              for k, v in SIZES.items()))] = "tiny",
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = DEFAULT_SEED,
    years: Annotated[str, typer.Option("--years", help="Trade-flow years, e.g. 2021-2023.")] = "2021-2023",
) -> None:
    """Write a SYNTHETIC sample world in BACI, USGS and WGI raw formats (not real data)."""
    import pandas as pd

    from kakehashi.sample import generate, write_sample
    from kakehashi.sample.ingest import read_manifest

    world = generate(size, seed, parse_years(years))
    folder = write_sample(world, out)
    manifest = read_manifest(folder)
    files = pd.DataFrame([{"file": name, "kind": meta["kind"], "rows": meta.get("rows")}
                          for name, meta in manifest["files"].items()])
    emit(files, Format.table, None, title=f"SYNTHETIC sample ({size}, seed {seed}) in {folder}",
         top=None)
    console_err.print("SYNTHETIC data for tests and demonstrations, not real statistics. "
                      f"Load it with: kakehashi ingest sample {folder}")


@ingest_app.command("sample")
def ingest_sample_command(
    folder: Annotated[Path, typer.Argument(help="Folder written by 'kakehashi sample'.")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Load a SYNTHETIC sample folder through the publishers' parsers (one transaction)."""
    import pandas as pd

    from kakehashi.sample.ingest import ingest_sample
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    counts = ingest_sample(wh, folder)
    emit(pd.DataFrame({"table": list(counts), "rows": list(counts.values())}), Format.table, None,
         title="SYNTHETIC sample loaded")
    console_err.print(f"warehouse: {wh.path} (every row's source says SYNTHETIC)")
