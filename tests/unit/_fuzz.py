"""A seeded mutator of publisher files and the check that every parser is total over its input.

Used by ``test_fuzz_parsers.py`` (a bounded run in the suite) and, for a bigger
measurement, run as a script::

    PYTHONPATH=src KAKEHASHI_SHARED_DATA=../shared/data python tests/unit/_fuzz.py 2000

Each case is a publisher file (a fixture of ``tests/fixtures/<source>/`` or a
small slice of a real file) and the parser that reads it. A mutation is one or
more of: a flipped byte, a truncation, inserted bytes, a deleted line, a
duplicated line. The outcome of parsing the mutated file must be a load that
passes the schema (no null where the schema forbids it, finite numbers inside
the column's bounds) or an :class:`~kakehashi.errors.InputError`; anything else
is a failure. A truncation inside a line (not at a line end) that loads
different numbers from the original file is counted as a silent wrong load.
"""

from __future__ import annotations

import io
import math
import os
import random
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kakehashi.errors import InputError
from kakehashi.schemas import schema
from kakehashi.sources.baci import parse_baci, parse_baci_products, read_baci_country_codes
from kakehashi.sources.comtrade import parse_comtrade
from kakehashi.sources.hs import parse_concordance, parse_hs_nomenclature
from kakehashi.sources.usgs import parse_usgs_world
from kakehashi.sources.wgi import parse_wgi

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

Parser = Callable[[Path], dict[str, pd.DataFrame]]


@dataclass
class Case:
    """A file to mutate, the name the mutated copy keeps, and the parser that reads it."""

    source: str
    name: str
    data: bytes
    parse: Parser


@dataclass
class Tally:
    """Outcomes of a fuzz run for one source."""

    mutations: int = 0
    loads: int = 0
    input_errors: int = 0
    without_line: Counter[str] = field(default_factory=Counter)
    other: list[str] = field(default_factory=list)
    bad_loads: list[str] = field(default_factory=list)
    silent_wrong: list[str] = field(default_factory=list)


# ----------------------------------------------------------------- parsers
def _baci(codes: Path) -> Parser:
    def parse(path: Path) -> dict[str, pd.DataFrame]:
        return {"trade_flows": parse_baci(path, country_codes=codes).to_pandas()}
    return parse


def _baci_zip(path: Path) -> dict[str, pd.DataFrame]:
    return {"trade_flows": parse_baci(path).to_pandas(), "products": parse_baci_products(path)}


def _baci_products(path: Path) -> dict[str, pd.DataFrame]:
    return {"products": parse_baci_products(path)}


def _baci_codes(path: Path) -> dict[str, pd.DataFrame]:
    codes = read_baci_country_codes(path)
    return {"_codes": codes}


def _comtrade(path: Path) -> dict[str, pd.DataFrame]:
    return {"trade_flows": parse_comtrade(path).trade_flows}


def _usgs(path: Path) -> dict[str, pd.DataFrame]:
    return parse_usgs_world(path).tables()


def _wgi(path: Path) -> dict[str, pd.DataFrame]:
    return {"governance": parse_wgi(path)}


def _hs(path: Path) -> dict[str, pd.DataFrame]:
    return {"products": parse_hs_nomenclature(path)}


def _concordance(path: Path) -> dict[str, pd.DataFrame]:
    return {"hs_concordance": parse_concordance(path)}


# ------------------------------------------------------------------- cases
def _head(path: Path, lines: int) -> bytes:
    """The first ``lines`` lines of a file (a slice of a real file, line ends kept)."""
    with open(path, "rb") as fh:
        return b"".join(fh.readline() for _ in range(lines))


def _baci_zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("BACI_HS92_Y2021_V202301.csv", "country_codes_V202301.csv",
                     "product_codes_HS92_V202301.csv"):
            zf.write(FIXTURES / "baci" / name, name)
    return buf.getvalue()


def _wgi_dta(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_stata(buf, write_index=False, version=118)
    return buf.getvalue()


def _wgi_xlsx() -> bytes:
    buf = io.BytesIO()
    pd.read_csv(FIXTURES / "wgi" / "wgi-long.csv", dtype=str).to_excel(buf, index=False)
    return buf.getvalue()


def cases(shared: Path | None) -> list[Case]:
    """Every publisher format: the fixtures, plus slices of the real files when ``shared`` exists."""
    baci = FIXTURES / "baci"
    codes = baci / "country_codes_V202301.csv"
    out = [
        Case("baci", "BACI_HS92_Y2021_V202301.csv", (baci / "BACI_HS92_Y2021_V202301.csv").read_bytes(),
             _baci(codes)),
        Case("baci", "BACI_HS92_V202301.zip", _baci_zip_bytes(), _baci_zip),
        Case("baci", "product_codes_HS92_V202301.csv", (baci / "product_codes_HS92_V202301.csv").read_bytes(),
             _baci_products),
        Case("baci", "country_codes_V202301.csv", codes.read_bytes(), _baci_codes),
    ]
    ct = FIXTURES / "comtrade"
    out += [Case("comtrade", p.name, p.read_bytes(), _comtrade)
            for p in (ct / "comtrade_C_A_HS_2021-2022.csv", ct / "comtrade_C_A_HS_2021-2022.json")]
    out += [Case("usgs", p.name, p.read_bytes(), _usgs)
            for p in sorted((FIXTURES / "usgs" / "good").glob("*.csv"))]
    out += [Case("wgi", p.name, p.read_bytes(), _wgi)
            for p in (FIXTURES / "wgi" / "wgi-long.csv", FIXTURES / "wgi" / "wgi-databank.csv")]
    out.append(Case("wgi", "wgi-long.xlsx", _wgi_xlsx(), _wgi))
    hs = FIXTURES / "hs"
    out.append(Case("hs", "harmonized-system-2022.csv", (hs / "harmonized-system-2022.csv").read_bytes(),
                    _hs))
    out.append(Case("hs", "HS_consolidated_comtrade_concordances.csv",
                    (hs / "HS_consolidated_comtrade_concordances.csv").read_bytes(), _concordance))
    if shared is not None and shared.is_dir():
        real = shared / "baci-critical-2024" / "BACI_HS17_Y2024_V202601_critical30.csv"
        if real.exists():
            out.append(Case("baci", real.name, _head(real, 60),
                            _baci(shared / "baci-critical-2024" / "country_codes_V202601.csv")))
        for folder, name in (("usgs-mcs-2024", "mcs2024-gold_world.csv"),
                             ("usgs-mcs-2024", "mcs2024-raree_world.csv"),
                             ("usgs-mcs-2023", "mcs2023-titan_world.csv")):
            p = shared / folder / "world" / name
            if p.exists():
                out.append(Case("usgs", name, p.read_bytes(), _usgs))
        for p in sorted((shared / "comtrade-critical-minerals").glob("gallium*.csv")):
            out.append(Case("comtrade", p.name, _head(p, 25), _comtrade))
        dta = shared / "wgi" / "wgidataset.dta"
        if dta.exists():
            frame = pd.read_stata(dta)
            out.append(Case("wgi", "wgidataset.dta", _wgi_dta(frame.head(40)), _wgi))
        for name, parse, n in (("harmonized-system-2022.csv", _hs, 80),
                               ("HS_consolidated_comtrade_concordances.csv", _concordance, 80)):
            p = shared / "hs" / name
            if p.exists():
                out.append(Case("hs", name, _head(p, n), parse))
    return out


# ---------------------------------------------------------------- mutation
_SPECIAL = [b",", b'"', b"\n", b"\r", b"\xff", b"\x00", b" ", b"-", b".", b"e", b"9", b"\xc3", b"NA"]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One to three mutations of ``data``; returns the bytes and what was done."""
    done = []
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.choice(("flip", "truncate", "insert", "delete_line", "duplicate_line"))
        if not out:
            break
        if op == "flip":
            i = rng.randrange(len(out))
            out[i] = rng.randrange(256) if rng.random() < 0.5 else rng.choice(_SPECIAL)[0]
        elif op == "truncate":
            cut = rng.randrange(len(out))
            out = out[:cut]
            op = "truncate_line_end" if cut == 0 or out[-1:] == b"\n" else "truncate_mid_line"
        elif op == "insert":
            i = rng.randrange(len(out) + 1)
            ins = rng.choice(_SPECIAL) if rng.random() < 0.6 else bytes(rng.randrange(256) for _ in range(3))
            out[i:i] = ins
        else:
            lines = bytes(out).splitlines(keepends=True)
            if not lines:
                continue
            i = rng.randrange(len(lines))
            if op == "delete_line":
                del lines[i]
            else:
                lines.insert(i, lines[i])
            out = bytearray(b"".join(lines))
        done.append(op)
    return bytes(out), "+".join(done)


# ------------------------------------------------------------------ checks
def check_tables(tables: dict[str, pd.DataFrame]) -> str | None:
    """A reason why loaded tables break their schema (null, non-finite, out of bounds), else ``None``."""
    for name, frame in tables.items():
        if name.startswith("_"):
            continue
        spec = schema(name)
        if name != "trade_flows" and not len(frame) and name in ("governance", "products", "hs_concordance"):
            return f"{name}: empty table loaded"
        for col in spec.columns:
            values = frame[col.name]
            if not col.nullable and values.isna().any():
                return f"{name}.{col.name}: null where the schema forbids it"
            if col.dtype == "float64":
                nums = values.dropna().astype("float64")
                if not nums.map(math.isfinite).all():
                    return f"{name}.{col.name}: non-finite value"
                bounds = getattr(col, "bounds", None)  # absent before the bounds existed (a baseline run)
                lo, hi = bounds if bounds is not None else (-math.inf, math.inf)
                if len(nums) and (nums.min() < lo or nums.max() > hi):
                    return f"{name}.{col.name}: value outside [{lo}, {hi}]"
    return None


def _numbers(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {k: v.sort_values(list(v.columns)).reset_index(drop=True) for k, v in tables.items()}


def run(case: Case, n: int, seed: int, folder: Path, tally: Tally) -> None:
    """Parse ``n`` mutations of one case, adding the outcomes to ``tally``."""
    rng = random.Random(f"{seed}:{case.source}:{case.name}")
    sub = folder / f"{case.source}-{case.name}"
    sub.mkdir(parents=True, exist_ok=True)
    path = sub / case.name
    path.write_bytes(case.data)
    original = _numbers(case.parse(path))
    for k in range(n):
        data, what = mutate(case.data, rng)
        path.write_bytes(data)
        tally.mutations += 1
        label = f"{case.name} #{k} ({what})"
        try:
            tables = case.parse(path)
        except InputError as exc:
            tally.input_errors += 1
            if exc.line is None:
                tally.without_line[exc.message.split(": ", 1)[-1][:60]] += 1
            if exc.file is None and "file" not in str(exc):
                tally.bad_loads.append(f"{label}: InputError names no file: {exc}")
            continue
        except Exception as exc:  # the point of the test: any other exception is a failure
            tally.other.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        tally.loads += 1
        problem = check_tables(tables)
        if problem is not None:
            tally.bad_loads.append(f"{label}: {problem}")
            continue
        if "truncate_mid_line" in what and what.count("+") == 0:
            loaded = _numbers(tables)
            same_keys = all(k in loaded for k in original)
            if same_keys and any(not loaded[k].equals(original[k]) for k in original):
                tally.silent_wrong.append(f"{label}: loads different values from the original")


def run_all(n: int, seed: int, folder: Path, shared: Path | None) -> dict[str, Tally]:
    """Run ``n`` mutations of every case; tallies by source."""
    out: dict[str, Tally] = {}
    for case in cases(shared):
        run(case, n, seed, folder, out.setdefault(case.source, Tally()))
    return out


def main(argv: list[str]) -> int:  # pragma: no cover - a measurement, not a test
    import tempfile

    n = int(argv[1]) if len(argv) > 1 else 2000
    shared = Path(os.environ.get("KAKEHASHI_SHARED_DATA", FIXTURES.parents[2] / "shared" / "data"))
    per_case = Counter(c.source for c in cases(shared))
    with tempfile.TemporaryDirectory() as tmp:
        result = {}
        for source, cases_n in per_case.items():
            each = max(1, n // cases_n)
            tally = Tally()
            for case in (c for c in cases(shared) if c.source == source):
                run(case, each, 20261130, Path(tmp), tally)
            result[source] = tally
    print("source     mutations  loads  InputErrors  other  bad_loads  silent_wrong")
    for source, t in result.items():
        print(f"{source:10} {t.mutations:9} {t.loads:6} {t.input_errors:12} {len(t.other):6} "
              f"{len(t.bad_loads):10} {len(t.silent_wrong):13}")
    for source, t in result.items():
        for line in (t.other + t.bad_loads + t.silent_wrong)[:15]:
            print(f"{source}: {line}")
    print("InputErrors without a line number (binary files, JSON records, whole-file reasons):")
    for source, t in result.items():
        for reason, count in t.without_line.most_common(6):
            print(f"  {source}: {count} x {reason}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv))
