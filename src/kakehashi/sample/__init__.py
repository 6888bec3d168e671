"""A deterministic, seeded, clearly labelled SYNTHETIC sample world.

:func:`generate` draws a world (trade flows from a gravity model with a documented structure,
USGS-style mineral production and reserves, WGI-style governance); :func:`write_sample` writes
it in the publishers' raw formats (BACI, USGS MCS, WGI) so that :func:`ingest_sample` loads it
through the same parsers as real data. Every row's source label contains "SYNTHETIC"; the
folder carries ``README-SYNTHETIC.txt`` and ``manifest.json`` with ``"synthetic": true``.
It is for the quick start, the tests and the benchmarks, never for conclusions about real
countries.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kakehashi.sample.ingest import ingest_sample, ingest_world
    from kakehashi.sample.raw import write_sample
    from kakehashi.sample.world import (
        SOURCE_GOVERNANCE,
        SOURCE_MINERALS,
        SOURCE_TRADE,
        FlowChunk,
        SampleWorld,
        TradeModel,
        expected_rows,
        generate,
        product_codes,
    )

__all__ = [
    "SOURCE_GOVERNANCE",
    "SOURCE_MINERALS",
    "SOURCE_TRADE",
    "FlowChunk",
    "SampleWorld",
    "TradeModel",
    "expected_rows",
    "generate",
    "ingest_sample",
    "ingest_world",
    "product_codes",
    "write_sample",
]

_HOME = {"ingest_sample": "ingest", "ingest_world": "ingest", "write_sample": "raw"}


def __getattr__(name: str) -> Any:
    """Load the generator, writer and loader on first use (``kakehashi.sample.parameters`` stays light)."""
    if name in __all__:
        return getattr(import_module(f"kakehashi.sample.{_HOME.get(name, 'world')}"), name)
    raise AttributeError(f"module 'kakehashi.sample' has no attribute {name!r}")
