"""The content of a briefing pack, independent of its format (HTML or PDF)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class KeyFigure:
    """One headline number on the summary page."""

    label: str
    value: str
    note: str = ""
    alert: bool = False


@dataclass
class Figure:
    """A chart and the table behind it.

    ``chart`` is an Altair chart (rendered to SVG for the pack) or ``None``
    when the data are missing, in which case ``empty`` says why.
    """

    key: str
    title: str
    caption: str
    table: pd.DataFrame
    chart: Any = None
    empty: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    """Display names of the table's columns (and which columns to show, in order)."""
    kinds: dict[str, str] = field(default_factory=dict)
    """How some columns print (``usd``, ``share``), when their names do not say."""
    max_rows: int = 15
    """Rows of the table printed in the pack (the data file holds them all)."""


@dataclass
class Appendix:
    """Method and sources: what a reader needs to check every figure."""

    method: list[tuple[str, str]]
    thresholds: pd.DataFrame
    vintages: pd.DataFrame
    sources: pd.DataFrame
    licences: pd.DataFrame
    hs_revision: str


@dataclass
class Briefing:
    """Everything a briefing pack shows."""

    title: str
    subtitle: str
    importer: str
    rival: str
    partner: str | None
    workstream: str
    year: int
    synthetic: bool
    snapshot: str
    key_figures: list[KeyFigure]
    summary: list[str]
    """Key messages (page 1), from :func:`kakehashi.questions.briefing.key_messages`."""
    figures: list[Figure]
    appendix: Appendix
    actions: list[str] = field(default_factory=list)
    """Recommended actions (page 1), from :func:`kakehashi.questions.briefing.actions`."""
    names: dict[str, str] = field(default_factory=dict)
    """Country labels as printed (English and the country's own script)."""
    top_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Top dependencies with the partner's, coalition's and world's cover (summary page)."""
    top_columns: dict[str, str] = field(default_factory=dict)
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    """The data behind every table, written beside the pack (one CSV per key)."""
    scenario: dict[str, Any] = field(default_factory=dict)
    """The scenario the pack ran, as a scenario mapping."""
    data_file: str = ""
    """Name of the file (zip) or folder the data were written to, as the pack names it."""
    warnings: list[str] = field(default_factory=list)
    """Coverage warnings of the trade behind the pack (:func:`kakehashi.questions.exposure.coverage`)."""
