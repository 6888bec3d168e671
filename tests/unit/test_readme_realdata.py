"""The README's real-data walk-through, re-run on the real files (skipped when they are absent).

The walk-through (section "Real data: Japan and India against China") ingests the complete BACI
HS17 2024 file of 30 critical-material codes, the UN HS concordance and the HS 2022 nomenclature,
then screens Japan, India and the two as a bloc against China. This test runs the same commands
in a subprocess at 80 columns and checks that

* every analysis command prints exactly what the README shows (trailing spaces aside);
* the key numbers equal a computation from the raw CSV written here with pandas (independent of
  the library), and the facts of the data README (magnesium 810411: USD 55.3 m, 98.0 % from China;
  magnets 850511: USD 568.8 m, the Philippines 184.1, Viet Nam 158.7, China 156.9).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _realdata import BACI24, CODES24, CONCORDANCE

from kakehashi.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
NOMENCLATURE = "hs/harmonized-system-2022.csv"
SECTION = "## Real data: Japan and India against China"


def run(folder: Path, *args: str) -> str:
    """``kakehashi ARGS`` in ``folder`` at 80 columns; its stdout and stderr, trailing spaces removed."""
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(REPO / "src")}
    env.pop("KAKEHASHI_WAREHOUSE", None)
    done = subprocess.run([sys.executable, "-m", "kakehashi", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return "\n".join(line.rstrip() for line in (done.stderr + done.stdout).splitlines())


def readme_outputs() -> dict[str, str]:
    """Each ``$ kakehashi ...`` command of the walk-through and the lines printed under it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    out: dict[str, str] = {}
    for block in re.findall(r"```text\n(.*?)```", section, flags=re.S):
        for chunk in re.split(r"^\$ kakehashi ", block, flags=re.M)[1:]:
            command, _, printed = chunk.partition("\n")
            out[command] = printed.rstrip("\n")
    return out


@pytest.fixture(scope="module")
def walk(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the four files and the warehouse the walk-through builds (default name)."""
    folder = tmp_path_factory.mktemp("walk")
    for rel in (BACI24, CODES24, CONCORDANCE, NOMENCLATURE):
        (folder / Path(rel).name).symlink_to(shared_data / rel)
    commands = readme_outputs()
    ingests = [c for c in commands if c.startswith("ingest ")]
    assert len(ingests) == 3
    for command in ingests:
        assert run(folder, *command.split()) == commands[command], command
    return folder


def test_readme_prints_what_the_commands_print(walk: Path) -> None:
    commands = readme_outputs()
    analyses = [c for c in commands if c.startswith(("screen ", "substitutes "))]
    assert len(analyses) == 5
    for command in analyses:
        args = [a.strip('"') for a in command.split()]
        assert run(walk, *args) == commands[command], command
    # status: the same tables (the snapshot id differs from run to run)
    printed = run(walk, "status")
    shown = commands["status"].splitlines()
    assert re.sub(r"snapshot \S+", "snapshot ID", printed).splitlines()[:len(shown)] == \
        [re.sub(r"snapshot \S+", "snapshot ID", ln) for ln in shown]


def raw(shared_data: Path) -> pd.DataFrame:
    """The raw BACI file with ISO3 codes and values in USD (pandas only)."""
    df = pd.read_csv(shared_data / BACI24, dtype={"k": str})
    codes = pd.read_csv(shared_data / CODES24, dtype=str, keep_default_na=False)
    iso = dict(zip(codes["country_code"].astype(int), codes["country_iso3"], strict=True))
    iso[490] = "TWN"
    return pd.DataFrame({"exporter": df["i"].map(iso), "importer": df["j"].map(iso),
                         "hs6": df["k"].str.zfill(6), "usd": df["v"] * 1000.0})


def test_key_numbers_equal_the_raw_file(walk: Path, shared_data: Path) -> None:
    flows = raw(shared_data)

    def imports(importer: str | list[str], hs6: str) -> pd.Series:
        members = [importer] if isinstance(importer, str) else importer
        f = flows[flows["importer"].isin(members) & ~flows["exporter"].isin(members) & (flows["hs6"] == hs6)]
        return f.groupby("exporter")["usd"].sum().sort_values(ascending=False)

    def screen(importer: str, *extra: str) -> pd.DataFrame:
        text = run(walk, "screen", "--importer", importer, "--rival", "CHN", "--format", "csv", *extra)
        return pd.read_csv(io.StringIO(text), dtype={"hs6": str}).set_index("hs6")

    jpn, ind = screen("JPN"), screen("IND")
    bloc = screen("JPN+IND", "--dependent-only")
    for got, who in ((jpn, "JPN"), (ind, "IND"), (bloc, ["JPN", "IND"])):
        for hs6 in ("810411", "850511"):
            want = imports(who, hs6)
            if hs6 not in got.index:
                continue
            assert got.at[hs6, "imports_usd"] == pytest.approx(want.sum(), rel=1e-9)
            assert got.at[hs6, "rival_share"] == pytest.approx(want.get("CHN", 0.0) / want.sum(), rel=1e-9)
            assert got.at[hs6, "top_supplier"] == want.index[0]
    # the data README's facts
    assert round(jpn.at["810411", "imports_usd"] / 1e6, 1) == 55.3
    assert round(jpn.at["810411", "rival_share"] * 100, 1) == 98.0
    assert bool(jpn.at["810411", "dependent"]) and not bool(jpn.at["850511", "dependent"])
    assert round(jpn.at["850511", "imports_usd"] / 1e6, 1) == 568.8
    magnets = imports("JPN", "850511")
    assert [(c, round(v / 1e6, 1)) for c, v in magnets.head(3).items()] == [
        ("PHL", 184.1), ("VNM", 158.7), ("CHN", 156.9)]
    assert round(jpn.at["850511", "rival_usd"] / 1e6, 1) == 156.9
    # India: magnets flagged, unlike Japan
    assert bool(ind.at["850511", "dependent"]) and round(ind.at["850511", "rival_share"] * 100, 1) == 84.2
    assert round(ind.at["810411", "imports_usd"] / 1e6, 1) == 71.9
    # the bloc: magnesium of both, trade between them left out
    assert round(bloc.at["810411", "imports_usd"] / 1e6, 1) == 127.2
    # every row converted from HS17 to HS22
    assert set(jpn["hs_revision"]) == {"HS22"} and jpn["converted"].all()


def test_the_questions_layer_gives_the_same_supplier_shares(walk: Path) -> None:
    from kakehashi.questions import exposure

    wh = Warehouse(walk / "kakehashi-warehouse", read_only=True)
    shares = exposure.supplier_shares(wh, "JPN", "850511").set_index("supplier")
    assert [round(shares.at[c, "value_usd"] / 1e6, 1) for c in ("PHL", "VNM", "CHN")] == [184.1, 158.7, 156.9]
    assert exposure.coverage(wh, None, [2024]) == []
