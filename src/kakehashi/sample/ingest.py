"""Load a written SYNTHETIC sample folder into a warehouse through the real parsers.

The raw files go through exactly the code paths real downloads take
(:func:`kakehashi.sources.baci.parse_baci`, :func:`kakehashi.sources.usgs.parse_usgs_world_dir`,
:func:`kakehashi.sources.wgi.parse_wgi`); only the source labels are replaced by ones that say
SYNTHETIC. Everything is written in one transaction: if any file fails to parse, the warehouse
is unchanged. A warehouse that already holds real (non-synthetic) rows is refused, so synthetic
and real data never mix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from kakehashi.errors import InputError
from kakehashi.sample.raw import BACI_DIR, MANIFEST, USGS_DIR, WGI_DIR, WGI_FILE
from kakehashi.sample.world import SOURCE_GOVERNANCE, SOURCE_MINERALS, SOURCE_TRADE, SampleWorld
from kakehashi.sources import baci, countries, usgs, wgi

SOURCE_COUNTRIES = "kakehashi country table (ISO 3166), loaded with the SYNTHETIC sample world"
"""Ingest-log label of the countries table written with the sample (the table itself is real)."""
_CHECKED_TABLES = ("trade_flows", "production", "reserves", "world_totals")


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read and check a sample folder's ``manifest.json`` (it must say ``"synthetic": true``)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(f"{folder} is not a kakehashi sample folder (no {MANIFEST})", file=path,
                         hint="write one with 'kakehashi sample --size tiny --out DIR'")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the sample manifest: {exc}", file=path,
                         hint="re-create the folder with 'kakehashi sample'") from None
    if manifest.get("synthetic") is not True:
        raise InputError('the manifest does not say "synthetic": true', file=path,
                         hint="only folders written by 'kakehashi sample' can be loaded this way")
    return manifest


def _relabel(table: pa.Table | pd.DataFrame, label: str) -> pa.Table:
    tbl = table if isinstance(table, pa.Table) else pa.Table.from_pandas(table, preserve_index=False)
    if "source" not in tbl.column_names:
        return tbl
    idx = tbl.column_names.index("source")
    return tbl.set_column(idx, "source", pa.array([label] * tbl.num_rows, pa.string()))


def check_no_real_data(wh: Any) -> None:
    """Refuse a warehouse that holds rows whose source is not SYNTHETIC.

    Raises
    ------
    InputError
        Naming the table and one real source found.
    """
    present = set(wh.tables())
    for name in _CHECKED_TABLES:
        if name not in present:
            continue
        t = wh.table(name)
        real = wh.execute(t.filter(~t.source.contains("SYNTHETIC")).select("source").distinct().limit(1))
        if len(real):
            raise InputError(
                f"warehouse {wh.path} holds real data ({name}: {real['source'].iloc[0]!r}); "
                "the synthetic sample is not mixed with it",
                hint="load the sample into its own warehouse: kakehashi ingest sample DIR --warehouse NEWDIR",
            )


def ingest_sample(wh: Any, folder: str | Path) -> dict[str, int]:
    """Parse a SYNTHETIC sample folder with the publishers' parsers and load it in ONE transaction.

    Parameters
    ----------
    wh
        A :class:`~kakehashi.warehouse.Warehouse` opened for writing; it must not hold real data.
    folder
        A folder written by :func:`~kakehashi.sample.write_sample`.

    Returns
    -------
    dict of str to int
        Rows written per table (trade_flows, products, production, reserves, world_totals,
        governance, countries). Existing sample tables are replaced.

    Examples
    --------
    >>> folder = write_sample("tiny", tmp_path / "sample")          # doctest: +SKIP
    >>> ingest_sample(Warehouse(tmp_path / "wh"), folder)["governance"]   # doctest: +SKIP
    216
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    release = str(manifest["baci_release"])
    baci_files = sorted(name for name, meta in manifest["files"].items() if meta.get("kind") == "baci")
    for name in manifest["files"]:
        if not (folder / name).is_file():
            raise InputError(f"file {name} listed in the manifest is missing", file=folder / name,
                             hint="re-create the folder with 'kakehashi sample'")
    check_no_real_data(wh)
    codes = folder / BACI_DIR / f"country_codes_V{release}.csv"
    counts: dict[str, int] = {}
    with wh.transaction() as tx:
        counts["trade_flows"] = 0
        for k, name in enumerate(baci_files):
            flows = _relabel(baci.parse_baci(folder / name, country_codes=codes), SOURCE_TRADE)
            counts["trade_flows"] += tx.write("trade_flows", flows, source=SOURCE_TRADE,
                                              origin=str(folder / name),
                                              mode="replace" if k == 0 else "merge_years")
        products_file = folder / BACI_DIR / f"product_codes_HS22_V{release}.csv"
        counts["products"] = tx.write("products", baci.parse_baci_products(products_file),
                                      source=SOURCE_TRADE, origin=str(products_file), mode="replace")
        minerals = usgs.parse_usgs_world_dir(folder / USGS_DIR)
        for table in ("production", "reserves", "world_totals"):
            counts[table] = tx.write(table, _relabel(getattr(minerals, table), SOURCE_MINERALS),
                                     source=SOURCE_MINERALS, origin=str(folder / USGS_DIR), mode="replace")
        wgi_file = folder / WGI_DIR / WGI_FILE
        counts["governance"] = tx.write("governance", wgi.parse_wgi(wgi_file), source=SOURCE_GOVERNANCE,
                                        origin=str(wgi_file), mode="replace")
        counts["countries"] = tx.write("countries", countries.countries(), source=SOURCE_COUNTRIES,
                                       mode="replace")
    return counts


def ingest_world(wh: Any, world: SampleWorld) -> dict[str, int]:
    """Load a generated world's canonical tables directly (no raw files, no parsers), in ONE transaction.

    The fast path for tests and notebooks: the tables are the ones :func:`ingest_sample` loads
    from the written files (the round-trip tests check that they agree, up to BACI's rounding
    of values to three decimals of thousand USD), plus the countries table.
    """
    check_no_real_data(wh)
    counts: dict[str, int] = {}
    with wh.transaction() as tx:
        counts["trade_flows"] = 0
        for k, year in enumerate(world.years):
            flows = world.trade_flows_year(year)
            counts["trade_flows"] += tx.write("trade_flows", flows, source=SOURCE_TRADE,
                                              mode="replace" if k == 0 else "merge_years")
        counts["products"] = tx.write("products", world.products, source=SOURCE_TRADE, mode="replace")
        for table in ("production", "reserves", "world_totals"):
            counts[table] = tx.write(table, getattr(world, table), source=SOURCE_MINERALS, mode="replace")
        counts["governance"] = tx.write("governance", world.governance, source=SOURCE_GOVERNANCE,
                                        mode="replace")
        counts["countries"] = tx.write("countries", countries.countries(), source=SOURCE_COUNTRIES,
                                       mode="replace")
    return counts
