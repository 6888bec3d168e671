"""Briefing packs (HTML and PDF) per importer, rival, partner and workstream.

Presentation only: the numbers come from :mod:`kakehashi.metrics`,
:mod:`kakehashi.scenarios` and :mod:`kakehashi.optimize`.

Modules

``build``       :func:`build_briefing`: gather, render and write one pack
``views``       re-exports of display helpers (the analysis lives in kakehashi.questions)
``charts``      Altair chart definitions shared with the dashboard (SVG/PNG offline)
``render``      one self-contained HTML file; PDF through WeasyPrint
``fonts``       fontconfig check of the scripts a PDF prints (Japanese, Korean, Hindi)
``model``       the pack's content as dataclasses
``provenance``  source labels, ingest log, the synthetic flag
``appendix``    publishers' licences and countries' own-script names
``fmt``         number and table formatting

Examples
--------
>>> from kakehashi.report import build_briefing                                    # doctest: +SKIP
>>> build_briefing(wh, "JPN", "CHN", "IND", "critical-minerals", "pdf", "packs/")  # doctest: +SKIP
PosixPath('packs/briefing-JPN-CHN-IND-critical-minerals.pdf')
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_briefing"]


def __getattr__(name: str) -> Any:
    if name == "build_briefing":  # imported on first use: it pulls in Altair and the scenario models
        from kakehashi.report.build import build_briefing

        return build_briefing
    raise AttributeError(name)
