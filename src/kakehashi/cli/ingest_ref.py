"""CLI: ``kakehashi ingest|download usgs|wgi|hs|concordance|countries``.

Presentation only: parsing and merging live in :mod:`kakehashi.sources`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Annotated

import typer

from kakehashi.cli.common import WarehouseOpt, download_app, ingest_app, say
from kakehashi.errors import InputError, year_span

WGI_URL = "https://www.worldbank.org/content/dam/sites/govindicators/doc/wgidataset.xlsx"
"""The World Bank's WGI download (all economies, indicators and years, long layout)."""
HS_URL = "https://github.com/datasets/harmonized-system/raw/HEAD/data/harmonized-system.csv"
"""The HS nomenclature data package (``datasets/harmonized-system``, HS 2022, ODC-PDDL)."""
CONCORDANCE_URL = ("https://github.com/harvard-growth-lab/comtrade-conversion-weights/raw/HEAD/"
                   "generator/data/static/HS_consolidated_comtrade_concordances.csv")
"""UN Comtrade's HS concordances as consolidated by the Harvard Growth Lab (Apache-2.0)."""
COUNTRY_CODES_URL = "https://github.com/datasets/country-codes/raw/HEAD/data/country-codes.csv"
"""The ``datasets/country-codes`` data package (ISO 3166, UN M49; ODC-PDDL)."""
USGS_PAGE = "https://www.usgs.gov/centers/national-minerals-information-center/mineral-commodity-summaries"
"""Where USGS lists each Mineral Commodity Summaries edition and its ScienceBase data release."""

PathsArg = Annotated[list[Path], typer.Argument(help="Files or folders.", show_default=False)]
FileArg = Annotated[Path, typer.Argument(help="File to ingest.", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Folder to save to (default: the "
                                             "download cache).", show_default=False)]
Sha256Opt = Annotated[str | None, typer.Option("--sha256", help="Expected SHA-256 of the file.",
                                               show_default=False)]


@ingest_app.command("usgs")
def ingest_usgs_cmd(paths: PathsArg, warehouse: WarehouseOpt = None) -> None:
    """Load USGS Mineral Commodity Summaries world CSVs (files or folders) into production,
    reserves and world_totals (one transaction; each year and commodity replaces the same)."""
    from kakehashi.sources import usgs as usgs_src
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    res = usgs_src.load_usgs(wh, paths)
    w = res.world
    say(f"ingested {len(res.files)} USGS file(s) ({', '.join(res.sources)}) into {wh.path}: "
         f"{res.rows['production']:,} production, {res.rows['reserves']:,} reserves, "
         f"{res.rows['world_totals']:,} world-total rows; {len(res.commodities)} commodities, "
         f"years {year_span(res.years)}")
    nulls = w.notes[~w.notes["reason"].str.startswith(("qualifier", "world total as", "value under"))]
    if len(nulls):
        top = nulls["reason"].value_counts().head(3)
        say(f"{len(nulls):,} cells without a number, e.g. " +
             "; ".join(f"{n} {reason}" for reason, n in top.items()))
    if len(w.capacity):
        say(f"kept apart (not production): {len(w.capacity):,} capacity rows")
    for name, reason in zip(w.refused["file"], w.refused["reason"], strict=True):
        say(f"refused {name}: {reason}")
    for (kept, dropped), part in res.superseded.groupby(["kept", "dropped"], sort=True):
        say(f"editions: kept {kept} over {dropped} for {year_span(part['year'])} "
            f"({part['family'].nunique()} commodity files); dropped {int(part['rows'].sum()):,} "
            f"rows of {dropped}")


@ingest_app.command("wgi")
def ingest_wgi_cmd(file: FileArg, warehouse: WarehouseOpt = None) -> None:
    """Load World Bank Worldwide Governance Indicators (.dta, .xlsx or .csv) into governance."""
    from kakehashi.sources import wgi as wgi_src
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    gov = wgi_src.load_wgi(wh, file)
    years = sorted({int(y) for y in gov["year"]})
    say(f"ingested {len(gov):,} governance estimates for {gov['country'].nunique()} economies, "
         f"years {year_span(years)}, into {wh.path}")
    if gov.attrs.get("omitted_missing"):
        say(f"left out {gov.attrs['omitted_missing']:,} missing estimates")


@ingest_app.command("hs")
def ingest_hs_cmd(
    file: FileArg,
    revision: Annotated[str | None, typer.Option("--revision", help="HS revision of the file, e.g. HS22 "
                                                 "(default: the year in the file name).")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Load an HS nomenclature (datasets/harmonized-system layout) into products."""
    from kakehashi.sources import hs as hs_src
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    products = hs_src.load_hs_nomenclature(wh, file, revision=revision)
    rev = products["hs_revision"].iloc[0] if len(products) else "-"
    say(f"ingested {len(products):,} six-digit {rev} products ({products['hs4'].nunique():,} headings) "
         f"into {wh.path}")


@ingest_app.command("concordance")
def ingest_concordance_cmd(file: FileArg, warehouse: WarehouseOpt = None) -> None:
    """Load the UN Comtrade HS concordance (consolidated CSV) into hs_concordance."""
    from kakehashi.sources import hs as hs_src
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    conc = hs_src.load_concordance(wh, file)
    years = hs_src.REVISION_YEARS
    pairs = sorted({(a, b) for a, b in zip(conc["from_revision"], conc["to_revision"], strict=True)
                    if years[a] < years[b]}, key=lambda p: years[p[0]])
    chain = " ↔ ".join([pairs[0][0]] + [b for _, b in pairs]) if pairs else "-"
    splits = int((conc["weight"] < 1).sum())
    say(f"ingested {len(conc):,} concordance rows ({chain}, both directions; {splits:,} split "
         f"with equal weights) into {wh.path}")
    if conc.attrs.get("skipped_rows"):
        say(f"left out {conc.attrs['skipped_rows']:,} rows of non-HS (SITC) correspondences")


@ingest_app.command("countries")
def ingest_countries_cmd(
    file: Annotated[Path | None, typer.Argument(help="A datasets/country-codes CSV (default: the "
                                                "package's ISO 3166 table).", show_default=False)] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Load the countries table (ISO 3166 codes, names, UN M49 regions)."""
    from kakehashi.sources import countries as countries_src
    from kakehashi.warehouse import Warehouse

    wh = Warehouse(warehouse)
    table = countries_src.load_countries(wh, file)
    say(f"ingested {len(table):,} countries from {file or 'the package data (ISO 3166)'} into {wh.path}")


def _fetch(url: str, out: Path | None, name: str, sha256: str | None) -> Path:
    from kakehashi.sources.download import fetch

    dest = (out / name) if out is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    return fetch(url, dest, sha256=sha256)


@download_app.command("usgs")
def download_usgs_cmd(
    url: Annotated[str, typer.Option("--url", help="URL of the edition's world-data zip or CSV on "
                                     f"ScienceBase (listed at {USGS_PAGE}).", show_default=False)],
    out: OutOpt = None,
    sha256: Sha256Opt = None,
) -> None:
    """Download a USGS MCS world-data release (zip or CSV); a zip's *_world.csv files are extracted."""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "usgs-mcs-world.zip"
    path = _fetch(url, out, name, sha256)
    if zipfile.is_zipfile(path):
        folder = path.with_suffix("")
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith("_world.csv")]
            if not members:
                raise InputError("the zip holds no *_world.csv file", file=path,
                                 hint=f"pick the world-data file of the release ({USGS_PAGE})")
            folder.mkdir(parents=True, exist_ok=True)
            for m in members:
                (folder / Path(m).name).write_bytes(zf.read(m))
        say(f"saved {path}; extracted {len(members)} world files to {folder}")
        say(f"next: kakehashi ingest usgs {folder}")
    else:
        say(f"saved {path} ({path.stat().st_size:,} bytes)")


@download_app.command("wgi")
def download_wgi_cmd(
    out: OutOpt = None,
    url: Annotated[str, typer.Option("--url", help="WGI download URL.")] = WGI_URL,
    sha256: Sha256Opt = None,
) -> None:
    """Download the World Bank's Worldwide Governance Indicators (xlsx)."""
    path = _fetch(url, out, url.rsplit("/", 1)[-1] or "wgidataset.xlsx", sha256)
    say(f"saved {path} ({path.stat().st_size:,} bytes); next: kakehashi ingest wgi {path}")


@download_app.command("hs")
def download_hs_cmd(
    out: OutOpt = None,
    url: Annotated[str, typer.Option("--url", help="HS nomenclature CSV URL.")] = HS_URL,
    sha256: Sha256Opt = None,
) -> None:
    """Download the HS 2022 nomenclature (datasets/harmonized-system data package)."""
    path = _fetch(url, out, "harmonized-system-2022.csv", sha256)
    say(f"saved {path} ({path.stat().st_size:,} bytes); next: kakehashi ingest hs {path}")


@download_app.command("concordance")
def download_concordance_cmd(
    out: OutOpt = None,
    url: Annotated[str, typer.Option("--url", help="Concordance CSV URL.")] = CONCORDANCE_URL,
    sha256: Sha256Opt = None,
) -> None:
    """Download UN Comtrade's HS revision concordances (consolidated CSV)."""
    path = _fetch(url, out, "HS_consolidated_comtrade_concordances.csv", sha256)
    say(f"saved {path} ({path.stat().st_size:,} bytes); next: kakehashi ingest concordance {path}")


@download_app.command("countries")
def download_countries_cmd(
    out: OutOpt = None,
    url: Annotated[str, typer.Option("--url", help="country-codes CSV URL.")] = COUNTRY_CODES_URL,
    sha256: Sha256Opt = None,
) -> None:
    """Download the datasets/country-codes table (ISO 3166 with UN M49 regions)."""
    path = _fetch(url, out, "country-codes.csv", sha256)
    say(f"saved {path} ({path.stat().st_size:,} bytes); next: kakehashi ingest countries {path}")
