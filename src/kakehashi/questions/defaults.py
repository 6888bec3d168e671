"""Every default a question uses, in one place (light: importing it loads no query engine).

The command line, the web and the briefing packs read their defaults from here
and nowhere else; a front end that shows a default (in ``--help``, a form or a
method table) shows these values. Each value says where it comes from.

Screen
    :data:`THRESHOLDS` (EU 2021 / CEPII GeoDep: import HHI > 0.4, world-export
    HHI > 0.4, imports/exports > 1) and the persistence rule (dependent in at
    least :data:`PERSISTENCE_MIN` of the last :data:`PERSISTENCE_WINDOW` years).
Lens
    :data:`IMPORTER`, :data:`PARTNER`, :data:`RIVAL`: Japan and India against
    China, the project's default lens; every question takes any countries.
Scenarios
    :data:`DRAWS` Monte-Carlo draws and :data:`SEED`; a catalogued measure's
    base year is the latest year of data not after the year before the measure
    (:func:`kakehashi.scenarios.measures.default_base_year`).
Portfolios
    :data:`RIVAL_CAP` (the rival's share may not rise above today's),
    :data:`MAX_CHANGE` (largest change of any supplier's share in one period)
    and :data:`COST_WEIGHT` (λ, the weight of extra cost against supply risk);
    each can be overridden by the user, and the output says when the partner's
    share falls.
Substitution
    :data:`COULD_REPLACE_COVER`: a supplier group *could replace* the rival when
    its spare exports are at least this multiple of the rival's supply.
"""

from __future__ import annotations

from typing import Final, Literal

from kakehashi.metrics.thresholds import DEFAULT_THRESHOLDS, PERSISTENCE_MIN, PERSISTENCE_WINDOW, Thresholds

__all__ = [
    "CANDIDATES",
    "COST_WEIGHT",
    "COULD_REPLACE_COVER",
    "DRAWS",
    "FRONTIER_LAMS",
    "IMPORTER",
    "MAX_CHANGE",
    "PARTNER",
    "PERSISTENCE_MIN",
    "PERSISTENCE_WINDOW",
    "RIVAL",
    "RIVAL_CAP",
    "SCENARIO_MONTHS",
    "SEED",
    "THRESHOLDS",
    "TOP_DEPENDENCIES",
    "TOP_ROWS",
    "TOP_SUPPLIERS",
    "WORKSTREAM",
    "Thresholds",
]

# ------------------------------------------------------------------------ lens
IMPORTER: Final = "JPN"
"""Default importer of the dashboard and the demo (Japan)."""
PARTNER: Final = "IND"
"""Default partner of the dashboard and the demo (India)."""
RIVAL: Final = "CHN"
"""Default rival supplier (China)."""
WORKSTREAM: Final = "critical-minerals"
"""Workstream a dashboard page or form opens on."""

# ---------------------------------------------------------------------- screen
THRESHOLDS: Final[Thresholds] = DEFAULT_THRESHOLDS
"""Dependency thresholds (EU SWD(2021) 352; CEPII GeoDep): 0.4, 0.4, 1."""

# ------------------------------------------------------------------- scenarios
DRAWS: Final = 1000
"""Monte-Carlo draws of a scenario that does not say (every front end; the web caps it)."""
SEED: Final = 20261121
"""Seed of the Monte-Carlo draws, so that the same question gives the same bands."""
SCENARIO_MONTHS: Final = 12
"""Duration of the briefing pack's licence scenario, months."""

# ------------------------------------------------------------------ portfolios
RIVAL_CAP: Final[Literal["current"]] = "current"
"""The proposed rival share of a product may not exceed today's (``"current"``; the optimiser's
``cap_rival_at_current=True``). A numeric cap may be added; the lower of the two applies."""
MAX_CHANGE: Final = 0.2
"""Largest change of any supplier's share of a product in one period (0-1): 20 percentage points.
With the rival cap at today's share, today's shares always meet every constraint, so no product is
infeasible (tiny sample: 0 of 215 products for JPN, IND and JPN+IND)."""
COST_WEIGHT: Final = 0.3
"""λ: weight of extra cost (as a share of import value) against supply risk in the portfolio objective.
On the tiny sample it keeps 97 % of the risk reduction of λ = 0 and cuts the dearest product's
extra cost from 42 % to 25 %."""
FRONTIER_LAMS: Final[tuple[float, ...]] = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
"""λ values swept by the risk–cost frontier (risk units per 100 % of the import bill)."""

# ---------------------------------------------------------------- substitution
COULD_REPLACE_COVER: Final = 1.0
"""A group could replace the rival when its spare exports cover at least this multiple of the
rival's supply."""
CANDIDATES: Final = 3
"""Candidate replacement suppliers listed per product in the substitution table."""

# ------------------------------------------------------------------ presentation
TOP_ROWS: Final = 20
"""Rows a terminal table or a page shows before saying how many more there are."""
TOP_DEPENDENCIES: Final = 15
"""Products listed on an importer's overview (dashboard), most severe first."""
TOP_SUPPLIERS: Final = 6
"""Suppliers shown by name in share charts; the rest are grouped as ``other``."""
