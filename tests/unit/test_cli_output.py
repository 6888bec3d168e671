"""The CLI's output contract on the SYNTHETIC tiny sample.

* ``--format json|csv`` writes nothing but data to stdout, for every command that has it
  (in-process through :func:`kakehashi.cli.main`, and in a real subprocess per format,
  where HiGHS's C code writes to file descriptor 1);
* tables fit an 80-column terminal: names wrap, numbers are never cut;
* everything built from the sample says SYNTHETIC (in the table, or on stderr);
* ``--version``, a light ``--help``, one-line errors for bad input.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from _checkout import checkout_env

from kakehashi.cli import common, main
from kakehashi.present import fmt_share, fmt_usd_m
from kakehashi.warehouse import Warehouse

MEASURE_YAML = """\
name: out-test
base_year: 2023
measures:
  - type: export_restriction
    exporter: CHN
    products: ["850511", "280530"]
    targets: all
    severity: 1.0
parameters: {tiers: 0}
draws: 20
"""


@pytest.fixture(scope="module")
def wh(tiny_warehouse: Warehouse) -> str:
    return str(tiny_warehouse.path)


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> str:
    f = tmp_path_factory.mktemp("spec") / "out-test.yaml"
    f.write_text(MEASURE_YAML, encoding="utf-8")
    return str(f)


@pytest.fixture
def width80() -> Iterator[None]:
    """The CLI's console 80 columns wide for one test."""
    old = common.console.width
    common.console.width = 80
    yield
    common.console.width = old


def _commands(wh: str, spec: str) -> dict[str, list[str]]:
    """Every command with ``--format json|csv``, on the tiny sample."""
    w = ["--warehouse", wh]
    return {
        "screen": ["screen", "-i", "JPN+IND", "-r", "CHN", "--workstream", "critical-minerals", *w],
        "substitutes": ["substitutes", "-i", "JPN", "-r", "CHN", "-p", "IND", *w],
        "complementarity": ["complementarity", "-e", "IND", "-i", "JPN", *w],
        "minerals": ["minerals", "-i", "JPN", *w],
        "diversify": ["diversify", "-i", "JPN", "-r", "CHN", "--hs", "250410,250490",
                      "--objective", "shortfall", *w],
        "frontier": ["frontier", "-i", "JPN", "-r", "CHN", "--hs", "250410", "--lams", "0,1", *w],
        "stockpile": ["stockpile", "-i", "JPN", "--hs6", "250410", "--months", "12", "--ramp", "6", *w],
        "scenario run": ["scenario", "run", spec, *w],
        "measures list": ["measures", "list", "--as-of", "2026-01-01", "--country", "IND"],
    }


def _parse(text: str, fmt: str) -> list[dict[str, object]]:
    if fmt == "json":
        rows = json.loads(text)
        assert isinstance(rows, list)
        return rows
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("name", ["screen", "substitutes", "complementarity", "minerals", "diversify",
                                  "frontier", "stockpile", "scenario run", "measures list"])
def test_machine_formats_are_pure_data(name: str, fmt: str, wh: str, spec: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    args = _commands(wh, spec)[name]
    assert main([*args, "--format", fmt]) == 0
    captured = capsys.readouterr()
    rows = _parse(captured.out, fmt)
    assert rows, f"{name} --format {fmt} wrote no rows"
    if "--warehouse" in args:  # built from the sample: said on stderr, never in the data
        assert "SYNTHETIC" in captured.err
        assert "SYNTHETIC sample data" not in captured.out


@pytest.mark.parametrize(("fmt", "name"), [("json", "diversify"), ("csv", "frontier")])
def test_subprocess_stdout_parses_despite_the_solver(fmt: str, name: str, wh: str, spec: str) -> None:
    """HiGHS prints its banner from C to descriptor 1: only a real process sees it."""
    args = _commands(wh, spec)[name]
    if name == "frontier":
        args = [*args, "--objective", "shortfall"]
    proc = subprocess.run([sys.executable, "-m", "kakehashi", *args, "--format", fmt], capture_output=True,
                          text=True, timeout=300, env=checkout_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "HiGHS" not in proc.stdout
    assert _parse(proc.stdout, fmt)


_CUT_NUMBER = re.compile(r"\d…|…\d|\d\.…")


def _table_lines(out: str) -> list[str]:
    return out.rstrip("\n").splitlines()


@pytest.mark.parametrize("name", ["screen", "substitutes", "complementarity", "minerals", "diversify",
                                  "frontier", "stockpile", "scenario run"])
@pytest.mark.usefixtures("width80")
def test_tables_fit_80_columns_and_keep_every_number(name: str, wh: str, spec: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_commands(wh, spec)[name]) == 0
    out = capsys.readouterr().out
    lines = _table_lines(out)
    too_long = [ln for ln in lines if len(ln) > 80]
    assert not too_long, too_long[:3]
    assert not [ln for ln in lines if _CUT_NUMBER.search(ln)]
    assert "SYNTHETIC" in out


@pytest.mark.usefixtures("width80")
def test_screen_table_shows_whole_numbers_of_the_data(wh: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The first rows' imports, rival share and severity appear in full in an 80-column table."""
    args = _commands(wh, "-")["screen"]
    assert main([*args, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)[:3]
    assert main([*args, "--top", "3"]) == 0
    out = capsys.readouterr().out
    for r in rows:
        line = next(ln for ln in out.splitlines() if ln.startswith(f"{r['hs6']} ") and str(r["year"]) in ln)
        # USD m with one decimal, share as %, severity with one decimal: written out, never shortened
        assert f"{r['imports_usd'] / 1e6:,.1f}" in line
        assert f"{100 * r['rival_share']:.1f}%" in line
        assert line.rstrip().endswith(f"{r['severity']:.1f}")
    assert re.search(r"^[\d,]+ more rows: --top \d+ shows them", out, re.M)


def test_top_limits_rows_and_counts_the_rest(wh: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = _commands(wh, "-")["screen"]
    assert main([*args, "--format", "csv"]) == 0
    total = len(pd.read_csv(io.StringIO(capsys.readouterr().out)))
    assert total > 5
    assert main([*args, "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert f"{total - 5:,} more rows: --top {total} shows them" in out


def test_column_widths_never_cut_a_number() -> None:
    """Too little room: text columns shrink and wrap, a numeric column keeps its widest number."""
    widths = common.column_widths(["product", "imports USD m"], [["a long product name " * 3],
                                                                 ["24,396,080.1"]], [False, True], 20)
    assert widths[1] == len("24,396,080.1")
    assert widths[0] == common.TEXT_MIN
    # room enough: natural widths
    assert common.column_widths(["hs6", "v"], [["280530"], ["1.0"]], [False, True], 80) == [6, 3]


def test_rich_table_wraps_names_at_80_columns() -> None:
    from rich.console import Console

    name = "Ferro-alloys n.e.c. (incl. rare-earth ferro-alloys and other alloys of iron)"
    df = pd.DataFrame({"hs6": ["720299"], "product": [name], "imports": [24_396_080_000.0],
                       "share": [0.4567]})
    table = common.rich_table(df, kinds={"imports": "usd_m", "share": "share"}, width=40)
    console = Console(width=40, record=True, file=io.StringIO())
    console.print(table)
    text = console.export_text()
    assert all(len(ln) <= 40 for ln in text.splitlines())
    assert fmt_usd_m(24_396_080_000.0) == "24,396.1" and "24,396.1" in text
    assert fmt_share(0.4567) in text
    assert "…" not in text
    words = " ".join(ln[7:].split("24,396.1")[0] for ln in text.splitlines()[2:])
    assert " ".join(words.split()).startswith("Ferro-alloys n.e.c. (incl.")


def test_synthetic_label_in_screen_table(wh: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_commands(wh, "-")["screen"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("SYNTHETIC")


def test_no_zero_rows_in_largest_shortfalls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JPN's 284690 is covered by AUS's large spare exports (no shortfall in any draw); 850511 is not."""
    flows = [("CHN", "JPN", "284690", 60.0), ("AUS", "DEU", "284690", 1e6),
             ("CHN", "JPN", "850511", 100.0)]
    df = pd.DataFrame(flows, columns=["exporter", "importer", "hs6", "value_usd"])
    df["year"], df["quantity_t"], df["hs_revision"], df["source"] = 2023, None, "HS22", "test (SYNTHETIC)"
    Warehouse(tmp_path / "wh").ingest("trade_flows", df, source="test (SYNTHETIC)")
    f = tmp_path / "s.yaml"
    f.write_text(MEASURE_YAML.replace('["850511", "280530"]', '["850511", "284690"]'), encoding="utf-8")
    assert main(["scenario", "run", str(f), "-w", str(tmp_path / "wh"), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"hs6": str})
    net = table[(table["metric"] == "net_shortfall_usd") & (table["importer"] == "JPN")].set_index("hs6")
    assert net.loc["284690", "p95"] == 0 and net.loc["850511", "p50"] == 100.0
    assert main(["scenario", "run", str(f), "-w", str(tmp_path / "wh")]) == 0
    out = capsys.readouterr().out
    assert "850511" in out
    assert "284690" not in out
    assert "1 importer-product pairs without a shortfall in any draw are not listed" in out


def test_scenario_run_out_file_or_folder(tmp_path: Path, wh: str, spec: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "run", spec, "-w", wh, "--format", "csv", "--out", str(tmp_path / "r.csv")]) == 0
    full = pd.read_csv(tmp_path / "r.csv")
    summary = pd.read_csv(tmp_path / "r-summary.csv")
    assert {"p5", "p50", "p95", "metric"} <= set(full.columns) and len(summary) > 0
    assert main(["scenario", "run", spec, "-w", wh, "--format", "json", "--out", str(tmp_path / "dir")]) == 0
    assert len(json.loads((tmp_path / "dir" / "out-test.json").read_text())) == len(full)
    assert (tmp_path / "dir" / "out-test-summary.json").exists()
    assert "SYNTHETIC" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "needle"), [
    (["screen", "-i", "JPN", "-r", "CHN", "--hs", ","], "--hs ',' names no HS code"),
    (["measures", "list", "--country", "XXX"], "unknown ISO3 country code 'XXX'"),
])
def test_bad_input_one_line_exit_2(args: list[str], needle: str, wh: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--warehouse", wh] if args[0] == "screen" else []
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err.splitlines()[0]
    assert "Traceback" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"kakehashi {__version__}\n"


def test_help_loads_no_heavy_library() -> None:
    """``kakehashi --help`` registers every command without importing pandas, Ibis or DuckDB."""
    code = ("import sys\nfrom kakehashi.cli import main\nstatus = main(['--help'])\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules}\n"
            "               & {'pandas', 'ibis', 'duckdb', 'pyarrow'})\n"
            "print('HEAVY', ','.join(heavy), 'STATUS', status, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=checkout_env())
    assert "HEAVY  STATUS 0" in proc.stderr, proc.stderr[-2000:]
    for command in ("screen", "diversify", "scenario", "serve", "demo", "ingest"):
        assert command in proc.stdout


def test_text_columns_wrap_between_words_never_inside_a_code_or_date() -> None:
    from kakehashi.cli.common import column_widths

    widths = column_widths(["id", "until", "sources"],
                           [["CN-2024-46-US-MINERALS"], ["2026-11-27"], ["C9 C10 C20"]],
                           [False, False, False], total=30)
    assert widths[0] >= len("CN-2024-46-US-MINERALS") and widths[1] >= len("2026-11-27")
    assert widths[2] >= len("C10")  # the sources list may wrap between its words
