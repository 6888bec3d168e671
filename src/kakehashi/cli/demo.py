"""``kakehashi demo``: the main job on the bundled SYNTHETIC sample."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kakehashi.cli.common import Format, app, console, emit, say

if TYPE_CHECKING:
    import pandas as pd

_SCREEN_COLS = ["hs6", "product_name", "imports_usd", "top_supplier", "rival_share", "import_hhi",
                "world_export_hhi", "persistent", "severity"]
_SUBS_COLS = ["hs6", "product_name", "rival_usd", "partner_cover", "coalition_cover", "world_cover"]
_SCEN_COLS = ["importer", "hs6", "product_name", "tier", "p5", "p50", "p95", "share_p50"]
_PORT_COLS = ["hs6", "product_name", "rival_share_before", "rival_share_after", "risk_before", "risk_after",
              "extra_cost_usd"]
_HEADERS = {
    "product_name": "product", "imports_usd": "imports USD m", "top_supplier": "top",
    "rival_share": "rival share", "rival_share_before": "rival now", "rival_share_after": "rival proposed",
    "import_hhi": "imp HHI", "world_export_hhi": "wld HHI",
    "persistent": "pers", "severity": "sever- ity", "rival_usd": "from rival USD m",
    "partner_cover": "IND cover", "coalition_cover": "coali- tion cover", "world_cover": "world cover",
    "share_p50": "share of imports",
    "risk_before": "risk before", "risk_after": "risk after", "extra_cost_usd": "extra cost USD m",
}
_KINDS = {
    "imports USD m": "usd_m", "rival share": "share", "imp HHI": "hhi", "wld HHI": "hhi",
    "sever- ity": "score", "from rival USD m": "usd_m", "IND cover": "num2", "coali- tion cover": "num2",
    "world cover": "num2", "p5": "usd", "p50": "usd", "p95": "usd",
    "share of imports": "share", "rival now": "share", "rival proposed": "share",
    "risk before": "num3", "risk after": "num3", "extra cost USD m": "usd_m",
    "tier": "count",
}


def _cols(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The demo's columns of ``df`` under short headers (formats in :data:`_KINDS`)."""
    return df[[c for c in cols if c in df.columns]].rename(columns=_HEADERS)


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the sample, warehouse and briefing.")]
    = Path("demo-output"),
    size: Annotated[str, typer.Option("--size", help="Sample size: tiny or small.")] = "small",
) -> None:
    """Sample → warehouse → screen → substitutes → scenario → portfolio → briefing (SYNTHETIC data)."""
    from kakehashi.demo import run_demo

    console.rule("[bold]kakehashi demo on the SYNTHETIC sample world (not real statistics)")
    r = run_demo(out, size=size)
    say(f"sample written to {r.sample_dir}; loaded into {r.warehouse}: "
        + ", ".join(f"{k} {v:,}" for k, v in r.loaded.items()))
    emit(_cols(r.screen, _SCREEN_COLS).head(10), Format.table, None,
         title="1. Japan's critical-mineral imports most dependent on China (SYNTHETIC)",
         kinds=_KINDS)
    emit(_cols(r.substitution, _SUBS_COLS).head(10), Format.table, None,
         title="2. Share of China's supply that India, India+AUS+USA+KOR and the world could replace "
        "from their exports to third countries (SYNTHETIC)", kinds=_KINDS,
         empty_message="2. no dependent product to replace")
    short = r.scenario_summary
    if "p95" in short:  # importer-product pairs without a shortfall in any draw are not listed
        short = short[short["p95"].fillna(0) > 0]
    emit(_cols(short, _SCEN_COLS), Format.table, None,
         title="3. China's April 2025 rare-earth controls: net shortfall for JPN and IND, "
         "USD, p5/p50/p95 (SYNTHETIC)", kinds=_KINDS)
    if not r.portfolio.empty:
        emit(_cols(r.portfolio, _PORT_COLS).head(10), Format.table, None,
             title="4. Proposed sourcing portfolio, rival share never above today's (SYNTHETIC)",
             kinds=_KINDS)
    for note in r.notes:
        say(note)
    say(f"5. briefing pack: {r.briefing}")
