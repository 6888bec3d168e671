"""CLI: ``kakehashi ingest baci|comtrade`` and ``kakehashi download baci|comtrade`` (presentation only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kakehashi.cli.common import (
    WarehouseOpt,
    download_app,
    ingest_app,
    parse_codes,
    parse_years,
    say,
)
from kakehashi.errors import InputError, year_span

FilesArg = Annotated[list[Path], typer.Argument(help="Files to ingest.", show_default=False)]
CountryCodesOpt = Annotated[
    Path | None,
    typer.Option("--country-codes", help="Numeric code → ISO3 table, e.g. BACI's country_codes_V*.csv "
                 "(default: the release zip's own table, else the built-in codes).", show_default=False),
]


@ingest_app.command("baci")
def ingest_baci_cmd(files: FilesArg, country_codes: CountryCodesOpt = None,
                    warehouse: WarehouseOpt = None) -> None:
    """Load CEPII BACI yearly CSVs or release zips into trade_flows (one transaction)."""
    from kakehashi.sources.baci import load_baci
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    result = load_baci(wh, files, country_codes=country_codes)
    say(f"ingested {result.rows:,} trade rows ({year_span(result.years)}) from "
                  f"{len(result.files)} BACI file(s) into {wh.path}")
    if result.aggregate_rows:
        say(f"left out {result.aggregate_rows:,} rows with a non-country partner "
                      "(e.g. 'Europe EFTA, nes')")
    if result.products:
        say(f"products: {result.products:,} HS codes")


@ingest_app.command("comtrade")
def ingest_comtrade_cmd(files: FilesArg, country_codes: CountryCodesOpt = None,
                        warehouse: WarehouseOpt = None) -> None:
    """Load UN Comtrade+ extracts (CSV or JSON) into trade_flows (one transaction)."""
    from kakehashi.sources.comtrade import load_comtrade
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    result = load_comtrade(wh, files, country_codes=country_codes)
    say(f"ingested {result.rows:,} trade rows ({year_span(result.years)}) from "
                  f"{len(files)} Comtrade file(s) into {wh.path}")
    say(f"kept apart: {result.world_rows:,} rows with partner World or another non-country area")
    for reason, n in sorted(result.excluded.items()):
        say(f"left out: {n:,} rows, {reason}")
    if result.duplicates_across_files:
        say(f"{result.duplicates_across_files:,} rows repeated across files were written once")


@download_app.command("baci")
def download_baci_cmd(
    revision: Annotated[str, typer.Option("--revision", help="HS revision: HS92, HS96, ..., HS22.")],
    release: Annotated[str, typer.Option("--release", help="BACI release, e.g. V202501.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder (or .zip file) to save to; "
                                             "default: the download cache.")] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", help="Expected SHA-256 of the zip.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", hidden=True)] = None,
) -> None:
    """Download a CEPII BACI release zip (resumable: run again after an interruption)."""
    from kakehashi.sources.baci import BACI_BASE_URL, download_baci

    base_url = base_url or BACI_BASE_URL
    path = download_baci(revision, release, out, sha256=sha256, base_url=base_url)
    say(f"saved {path} ({path.stat().st_size:,} bytes)")


@download_app.command("comtrade")
def download_comtrade_cmd(
    years: Annotated[str, typer.Option("--years", help="Years: 2023, 2021-2023 or 2019,2021.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write.")],
    codes: Annotated[str | None, typer.Option("--codes", help="HS codes, comma-separated.")] = None,
    reporters: Annotated[str | None, typer.Option("--reporters", help="Reporter codes (numeric), "
                                                  "comma-separated.")] = None,
    partners: Annotated[str | None, typer.Option("--partners", help="Partner codes (numeric, 0 = World), "
                                                 "comma-separated.")] = None,
    flows: Annotated[str, typer.Option("--flows", help="Flow codes.")] = "M,X",
    key: Annotated[str | None, typer.Option("--key", help="Comtrade+ key (default: $COMTRADE_API_KEY).",
                                            show_default=False)] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", hidden=True)] = None,
) -> None:
    """Query the UN Comtrade+ data API (annual, HS) and save the records as JSON for 'ingest comtrade'."""
    from kakehashi.sources.comtrade import COMTRADE_BASE_URL, ComtradeClient

    base_url = base_url or COMTRADE_BASE_URL
    year_list = parse_years(years)
    if not year_list:
        raise InputError("--years is empty", hint="e.g. --years 2021-2023")
    client = ComtradeClient(key=key, base_url=base_url)
    path = client.download(out, years=year_list, codes=parse_codes(codes), reporters=parse_codes(reporters),
                           partners=parse_codes(partners), flows=parse_codes(flows))
    count = json.loads(path.read_text(encoding="utf-8"))["count"]
    say(f"saved {count:,} records to {path} ({client.requests} request(s))")
