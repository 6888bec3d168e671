"""``kakehashi demo``: the main job on the bundled SYNTHETIC sample."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from kakehashi.cli.common import Format, app, console, emit
from kakehashi.demo import run_demo

_SCREEN_COLS = ["hs6", "imports_usd", "top_supplier", "rival_share", "import_hhi", "world_export_hhi",
                "persistent", "severity"]
_SUBS_COLS = ["hs6", "rival_usd", "partner_cover", "coalition_cover", "world_cover"]
_SCEN_COLS = ["importer", "hs6", "tier", "p5", "p50", "p95", "share_p50"]
_PORT_COLS = ["hs6", "risk_before", "risk_after", "extra_cost_usd"]


def _cols(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[[c for c in cols if c in df.columns]]


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the sample, warehouse and briefing.")]
    = Path("demo-output"),
    size: Annotated[str, typer.Option("--size", help="Sample size: tiny or small.")] = "small",
) -> None:
    """Sample → warehouse → screen → substitutes → scenario → portfolio → briefing (SYNTHETIC data)."""
    console.rule("[bold]kakehashi demo on the SYNTHETIC sample world (not real statistics)")
    r = run_demo(out, size=size)
    console.print(f"sample written to {r.sample_dir}; loaded into {r.warehouse}: "
                  + ", ".join(f"{k} {v:,}" for k, v in r.loaded.items()))
    emit(_cols(r.screen, _SCREEN_COLS).head(10), Format.table, None,
         title="1. Japan's critical-mineral imports most dependent on China (SYNTHETIC)",
         units={"imports_usd": "USD"})
    emit(_cols(r.substitution, _SUBS_COLS).head(10), Format.table, None,
         title="2. Share of China's supply that India, India+AUS+USA+KOR and the world could replace "
        "from their exports to third countries (SYNTHETIC)", units={"rival_usd": "USD"},
         empty_message="2. no dependent product to replace")
    emit(_cols(r.scenario_summary, _SCEN_COLS), Format.table, None,
         title="3. China's April 2025 rare-earth controls: net shortfall for JPN and IND, USD, "
         "p5/p50/p95 (SYNTHETIC)")
    if not r.portfolio.empty:
        emit(_cols(r.portfolio, _PORT_COLS).head(10), Format.table, None,
             title="4. Proposed sourcing portfolio, rival share never above today's (SYNTHETIC)")
    for note in r.notes:
        console.print(note)
    console.print(f"5. briefing pack: {r.briefing}")
