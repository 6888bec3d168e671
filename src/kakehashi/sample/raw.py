"""Write a SYNTHETIC sample world in the publishers' raw formats.

The files imitate the real ones closely enough to go through the same parsers:

* CEPII BACI: ``BACI_HS22_Y{year}_V{release}.csv`` with the quoted header
  ``"t","i","j","k","v","q"``, CRLF line ends, ``k`` without its leading zero, ``v`` in
  thousand USD with up to three decimals (trailing zeros dropped), ``q`` in tonnes quoted and
  space-padded to 13 characters (``"       13.235"``, ``"           NA"``);
  ``country_codes_V{release}.csv`` (BACI's numeric codes, Taiwan as 490 "Other Asia, nes") and
  ``product_codes_HS22_V{release}.csv``.
* USGS Mineral Commodity Summaries world tables: ``mcs{edition}-{code}_world.csv`` with a
  UTF-8 byte-order mark, CRLF, columns ``Source,Country,Type,Prod_<unit>_<year>,
  Prod_<unit>_est_<year>,Prod_notes,Reserves_<unit>,Reserves_notes`` (gallium: capacity
  ``Cap_kg_<year>`` instead of reserves), an "Other countries" row, a "World total (rounded)"
  row, trailing empty columns and rows, and quoted thousands in places, as in the real files.
* World Bank WGI: ``wgidataset.csv``, the wide layout of the World Bank's Stata file
  (``code, countryname, year, vae, vas, van, var, val, vau, pve, ...``), World Bank codes
  (ZAR for Congo, Dem. Rep.; ROM for Romania).

Each publisher's files go in their own sub-folder (``baci/``, ``usgs/``, ``wgi/``), beside
``README-SYNTHETIC.txt`` and ``manifest.json`` (``"synthetic": true``, size, seed, years,
files with their SHA-256). Output is byte-for-byte deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kakehashi.errors import InputError
from kakehashi.sample import parameters as P
from kakehashi.sample.world import (
    WGI_INDICATORS,
    FlowChunk,
    MineralSeries,
    SampleWorld,
    generate,
    production_years,
)

DEFAULT_RELEASE = "202501"
"""BACI release tag written into the synthetic file names (``V202501``)."""
MANIFEST = "manifest.json"
README = "README-SYNTHETIC.txt"
WGI_FILE = "wgidataset.csv"
BACI_DIR, USGS_DIR, WGI_DIR = "baci", "usgs", "wgi"
"""Sub-folders, one per publisher (as their downloads would be kept)."""
_USGS_WIDTH = 20
"""Columns of every USGS row (the real files carry trailing empty columns)."""


def baci_file_name(year: int, release: str = DEFAULT_RELEASE) -> str:
    """Name of BACI's yearly file, e.g. ``BACI_HS22_Y2022_V202501.csv``."""
    return f"BACI_HS22_Y{year}_V{release}.csv"


def usgs_edition(years: Sequence[int]) -> int:
    """MCS edition whose world tables cover the last two ``years`` (MCS 2024 covers 2022, 2023)."""
    return max(years) + 1


# ------------------------------------------------------------------------------------- BACI
def _decimal_text(milli: pa.Array, *, strip: bool) -> pa.Array:
    """Integer thousandths → text with three decimals (``strip``: drop trailing zeros and '.')."""
    whole = pc.divide(milli, 1000)
    frac = pc.subtract(milli, pc.multiply(whole, 1000))
    whole_s = pc.cast(whole, pa.string())
    frac_s = pc.utf8_lpad(pc.cast(frac, pa.string()), width=3, padding="0")
    if not strip:
        return pc.binary_join_element_wise(whole_s, frac_s, ".")
    frac_s = pc.utf8_rtrim(frac_s, characters="0")
    joined = pc.binary_join_element_wise(whole_s, frac_s, ".")
    out: pa.Array = pc.if_else(pc.equal(frac_s, ""), whole_s, joined)
    return out


def baci_lines(chunk: FlowChunk, country_codes: np.ndarray, product_codes: np.ndarray) -> bytes:
    """Format one chunk of flows as BACI CSV lines (CRLF), vectorised with Arrow.

    Parameters
    ----------
    chunk
        Flows of one exporter in one year.
    country_codes, product_codes
        BACI numeric country code and integer HS code for each model index.
    """
    if len(chunk) == 0:
        return b""
    prefix = f"{chunk.year},{int(country_codes[chunk.exporter])}"
    j = pc.take(pc.cast(pa.array(country_codes), pa.string()), pa.array(chunk.importer))
    k = pc.take(pc.cast(pa.array(product_codes), pa.string()), pa.array(chunk.product))
    v = _decimal_text(pa.array(chunk.value_usd), strip=True)
    na = chunk.quantity_kg < 0
    q = _decimal_text(pa.array(np.where(na, 0, chunk.quantity_kg)), strip=False)
    if na.any():
        q = pc.if_else(pa.array(na), pa.scalar("NA"), q)
    q = pc.utf8_lpad(q, width=13, padding=" ")
    lines = pc.binary_join_element_wise(prefix, j, k, v, pc.binary_join_element_wise('"', q, '"\r\n', ""),
                                        ",")
    arr = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    data = arr.buffers()[2]
    return bytes(memoryview(data)[offsets[0]:offsets[-1]])


def write_baci_year(world: SampleWorld, year: int, path: Path) -> int:
    """Stream one year of flows into a BACI CSV, exporter by exporter; return the row count."""
    codes = np.array([_baci_code(c) for c in world.model.iso3], dtype=np.int64)
    products = np.array([int(h) for h in world.model.hs6], dtype=np.int64)
    rows = 0
    with open(path, "wb") as fh:
        fh.write(b'"t","i","j","k","v","q"\r\n')
        for chunk in world.chunks(year):
            fh.write(baci_lines(chunk, codes, products))
            rows += len(chunk)
    return rows


def _baci_code(iso3: str) -> int:
    return next(c.baci_code for c in P.COUNTRIES if c.iso3 == iso3)


def _csv_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _csv_cell(text: str) -> str:
    """Quote a CSV cell only when it needs it (as the USGS files do)."""
    return _csv_quote(text) if any(ch in text for ch in ',"\n') else text


def country_codes_text(world: SampleWorld) -> str:
    """BACI's ``country_codes_V*.csv`` for the world's countries (Taiwan: 490, ISO "N/A")."""
    lines = ['"country_code","country_name_abbreviation","country_name_full","iso_2digit_alpha",'
             '"iso_3digit_alpha"']
    for c in sorted((c for c in P.COUNTRIES if c.iso3 in world.model.iso3), key=lambda c: c.baci_code):
        iso2, iso3 = ("N/A", "N/A") if c.baci_code == 490 else (c.iso2, c.iso3)
        lines.append(",".join([str(c.baci_code), _csv_quote(c.baci_name), _csv_quote(c.baci_full_name),
                               _csv_quote(iso2), _csv_quote(iso3)]))
    return "\n".join(lines) + "\n"


def product_codes_text(world: SampleWorld) -> str:
    """BACI's ``product_codes_HS22_V*.csv``: quoted six-digit code and description."""
    lines = ['"code","description"']
    for hs6, desc in zip(world.products["hs6"], world.products["description"], strict=True):
        lines.append(f"{_csv_quote(str(hs6))},{_csv_quote(str(desc))}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------- USGS
def _usgs_number(x: float | None, *, thousands: bool = False) -> str:
    if x is None:
        return "NA"
    if float(x).is_integer():
        n = int(x)
        return f'"{n:,}"' if thousands and n >= 10_000 else str(n)
    return repr(float(x))


def _usgs_name(iso3: str) -> str:
    if iso3 in P.USGS_NAMES:
        return P.USGS_NAMES[iso3]
    return next(c.baci_name for c in P.COUNTRIES if c.iso3 == iso3)


def _usgs_row(cells: Iterable[str]) -> str:
    cells = list(cells)
    return ",".join(cells + [""] * (_USGS_WIDTH - len(cells)))


def usgs_text(series: Sequence[MineralSeries], edition: int) -> str:
    """One USGS MCS world CSV holding ``series`` (several only for copper: mine and refinery)."""
    first = series[0]
    u = first.params.column_unit
    y1, y2 = first.years[0], first.years[-1]
    capacity = first.params.usgs_code == "galli"
    prod_cols = [f"Prod_{u}_{y1}", f"Prod_{u}_est_{y2}"] if y1 != y2 else [f"Prod_{u}_est_{y2}"]
    tail = [f"Cap_{u}_{y2}", "Cap_notes"] if capacity else [f"Reserves_{u}", "Reserves_notes"]
    lines = [_usgs_row(["Source", "Country", "Type", *prod_cols, "Prod_notes", *tail])]
    src = f"MCS{edition}"
    for s in series:
        m = s.params
        typ = _csv_cell(m.type_text)
        thousands = m.usgs_code == "graph"  # the real graphite file quotes "72,000"
        names = sorted(s.production, key=lambda c: (c != "USA", _usgs_name(c)))
        for country in names:
            vals = s.production[country]
            prod = [_usgs_number(v, thousands=thousands and t == 0) for t, v in enumerate(vals)]
            if capacity:
                extra = [_usgs_number(_round_capacity(vals[-1])), ""]
            elif m.reserves is None or country not in s.reserves:
                extra = ["", ""]  # an empty cell: no reserves figure
            else:
                extra = [_usgs_number(s.reserves[country]), ""]
            lines.append(_usgs_row([src, _csv_cell(_usgs_name(country)), typ, *prod,
                                    "SYNTHETIC", *extra]))
        other_extra = (["", ""] if capacity or m.reserves is None
                       else [_usgs_number(s.reserves_other), ""])
        lines.append(_usgs_row([src, "Other countries", typ, *(_usgs_number(v) for v in s.other),
                                "SYNTHETIC", *other_extra]))
        world_extra = (["", ""] if capacity or m.reserves is None
                       else [_usgs_number(s.reserves_world), ""])
        lines.append(_usgs_row([src, "World total (rounded)", typ, *(_usgs_number(v) for v in s.world),
                                "SYNTHETIC", *world_extra]))
    lines.extend(_usgs_row([]) for _ in range(3))
    return "\ufeff" + "\r\n".join(lines) + "\r\n"


def _round_capacity(x: float) -> float:
    return float(round(x * 1.6, -3)) if x >= 1000 else float(round(x * 1.6))


# -------------------------------------------------------------------------------------- WGI
def wgi_text(world: SampleWorld) -> str:
    """Synthetic WGI in the World Bank's wide layout, as CSV (estimates with six decimals)."""
    wide = world.governance_wide
    cols = ["code", "countryname", "year"] + [f"{i}{s}" for i in WGI_INDICATORS for s in "esnrlu"]
    out = wide[cols].copy()
    for c in cols[3:]:
        if c.endswith("n"):
            out[c] = out[c].astype(int).astype(str)
        else:
            out[c] = out[c].map(lambda x: f"{x:.6f}")
    text: str = out.to_csv(index=False, lineterminator="\n")
    return text


# ------------------------------------------------------------------------------------ README
def readme_text(world: SampleWorld, release: str) -> str:
    """The README that travels with every synthetic sample folder."""
    tilts = "\n".join(f"  - {t.country}: {t.note} (target share of world exports {t.share:.0%}: "
                      f"{', '.join(t.hs6)})"
                      for t in P.EXPORT_SPECIALISATIONS if t.country in world.model.iso3)
    return f"""SYNTHETIC DATA - NOT REAL TRADE, PRODUCTION OR GOVERNANCE STATISTICS
====================================================================

This folder was generated by kakehashi's sample-world generator (kakehashi.sample):
size {world.size}, seed {world.seed}, years {world.years[0]}-{world.years[-1]},
{len(world.model.iso3)} countries, {len(world.model.hs6)} HS 2022 products.

The files imitate the raw formats of CEPII BACI (release tag V{release}), the USGS Mineral
Commodity Summaries world tables and the World Bank Worldwide Governance Indicators so that
they load through the same parsers as real data, but every number is drawn from a seeded
gravity model (trade) or around rough orders of magnitude (minerals, governance). Country
codes and HS codes are real; the values are not. Every row loaded from here carries a source
label containing "SYNTHETIC". Use it for tests, demonstrations and benchmarks only, never for
conclusions about real countries.

Deliberate structure (so that analyses have something to find; the realised shares vary
around the targets with the random draws, and only countries of this world are listed):
{tilts}

Regenerate with:  kakehashi sample --size {world.size} --seed {world.seed} \\
                  --years {world.years[0]}-{world.years[-1]} --out DIR
Load with:        kakehashi ingest sample DIR
"""


# ------------------------------------------------------------------------------------- main
def write_sample(world_or_size: SampleWorld | str, out_dir: str | Path, *,
                 seed: int = P.DEFAULT_SEED, years: Sequence[int] | None = None,
                 release: str = DEFAULT_RELEASE) -> Path:
    """Write a SYNTHETIC sample world in the publishers' raw formats.

    Parameters
    ----------
    world_or_size
        A :class:`SampleWorld`, or a size (``tiny``, ``small``, ``baci``) to generate with
        ``seed`` and ``years``.
    out_dir
        Folder to write (created; existing sample files in it are overwritten).
    release
        BACI release tag used in the file names.

    Returns
    -------
    pathlib.Path
        ``out_dir``. Trade flows are streamed one exporter at a time, so a ``baci``-size year
        (about 10 million rows) never sits in memory as a table.

    Examples
    --------
    >>> folder = write_sample("tiny", tmp_path / "sample")            # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())[:2]                 # doctest: +SKIP
    ['BACI_HS22_Y2021_V202501.csv', 'BACI_HS22_Y2022_V202501.csv']
    """
    world = generate(world_or_size, seed, years) if isinstance(world_or_size, str) else world_or_size
    if not release.isalnum():
        raise InputError(f"BACI release tag {release!r} must be letters and digits", value=release,
                         hint="use e.g. 202501")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder", file=out, hint="choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    for sub in (BACI_DIR, USGS_DIR, WGI_DIR):
        (out / sub).mkdir(exist_ok=True)
    files: dict[str, dict[str, object]] = {}
    for year in world.years:
        name = f"{BACI_DIR}/{baci_file_name(year, release)}"
        rows = write_baci_year(world, year, out / name)
        files[name] = {"kind": "baci", "year": year, "rows": rows}
    texts = {
        f"{BACI_DIR}/country_codes_V{release}.csv": ("baci-country-codes", country_codes_text(world)),
        f"{BACI_DIR}/product_codes_HS22_V{release}.csv": ("baci-product-codes", product_codes_text(world)),
        f"{WGI_DIR}/{WGI_FILE}": ("wgi", wgi_text(world)),
        README: ("readme", readme_text(world, release)),
    }
    edition = usgs_edition(production_years(world.years))
    by_code: dict[str, list[MineralSeries]] = {}
    for s in world.minerals:
        by_code.setdefault(s.params.usgs_code, []).append(s)
    for code, series in by_code.items():
        texts[f"{USGS_DIR}/mcs{edition}-{code}_world.csv"] = ("usgs", usgs_text(series, edition))
    for name, (kind, text) in texts.items():
        (out / name).write_bytes(text.encode("utf-8"))
        files[name] = {"kind": kind}
    for name, meta in files.items():
        meta["sha256"] = _sha256(out / name)
    manifest = {
        "synthetic": True,
        "generator": "kakehashi.sample",
        "warning": "SYNTHETIC data: not real statistics",
        "size": world.size,
        "seed": world.seed,
        "years": list(world.years),
        "baci_release": release,
        "hs_revision": "HS22",
        "usgs_edition": edition,
        "countries": list(world.model.iso3),
        "n_products": len(world.model.hs6),
        "files": dict(sorted(files.items())),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
