"""The main job on the bundled SYNTHETIC sample, end to end.

:func:`run_demo` writes the sample world in the publishers' raw formats,
ingests it through the real parsers into a fresh warehouse, screens Japan's
critical-mineral imports for dependence on China, measures how much India and
a coalition could replace, simulates a catalogued Chinese export control,
proposes a diversified portfolio and writes the briefing pack. It only
orchestrates library calls; the CLI prints what it returns.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kakehashi.questions import defaults, exposure, replacement, whatif
from kakehashi.report.build import build_briefing
from kakehashi.sample import generate, write_sample
from kakehashi.sample.ingest import ingest_sample
from kakehashi.scenarios.run import summarise
from kakehashi.warehouse import Warehouse

DEMO_MEASURE = "CN-2025-18-RARE-EARTHS"
"""The catalogued measure the demo simulates: China's April 2025 controls on seven rare earths."""


@dataclass
class DemoResult:
    """What the demo produced (all from SYNTHETIC data)."""

    sample_dir: Path
    warehouse: Path
    loaded: dict[str, int]
    screen: pd.DataFrame
    substitution: pd.DataFrame
    scenario_summary: pd.DataFrame
    portfolio: pd.DataFrame
    briefing: Path
    notes: list[str] = field(default_factory=list)


def run_demo(out: str | Path, *, size: str = "small", importer: str = defaults.IMPORTER,
             rival: str = defaults.RIVAL, partner: str = defaults.PARTNER,
             coalition: tuple[str, ...] = ("AUS", "USA", "KOR"), workstream: str = defaults.WORKSTREAM,
             draws: int = defaults.DRAWS) -> DemoResult:
    """Run the whole pipeline on the SYNTHETIC sample into folder ``out``.

    Every step asks :mod:`kakehashi.questions` with its shared defaults, as the
    CLI, the dashboard and the packs do. The folder's ``sample/`` and
    ``warehouse/`` are re-created on every run.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sample_dir, wh_dir = out / "sample", out / "warehouse"
    for d in (sample_dir, wh_dir):
        if d.exists():
            shutil.rmtree(d)
    world = generate(size)
    write_sample(world, sample_dir)
    wh = Warehouse(wh_dir)
    loaded = ingest_sample(wh, sample_dir)
    last_year = max(int(y) for y in world.trade_flows["year"].unique())

    screen = exposure.screen(wh, importer, rival, years=[last_year], products=workstream)
    subs = replacement.substitution(wh, importer, rival, workstream, partner=partner, coalition=coalition,
                                    years=[last_year], only_dependent=True)
    spec = whatif.scenario_spec(measure_id=DEMO_MEASURE, data_years=whatif.data_years(wh), draws=draws)
    table = whatif.run(wh, spec).table
    summary = summarise(table[table["importer"].isin([importer, partner])], top=8)
    notes: list[str] = []
    result = replacement.portfolio(wh, importer, rival, partner=partner, products=workstream, year=last_year)
    portfolio = result.products
    notes.extend(result.notes)
    briefing = build_briefing(wh, importer, rival, partner, workstream, "html",
                              out / f"briefing-{importer}-{rival}-{workstream}.html",
                              coalition=coalition, year=last_year, draws=draws)
    wh.close()
    return DemoResult(sample_dir, wh_dir, loaded, screen, subs, summary, portfolio, briefing, notes)
