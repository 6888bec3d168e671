"""kakehashi: economic-security supply-chain analysis.

The default lens is Japan and India with China as the rival; every function
takes any importer, partner set and rival.

Importing the package is cheap: :class:`Warehouse` (and with it DuckDB and
Ibis) is loaded on first use, so that ``kakehashi --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kakehashi.errors import EngineError, InputError, KakehashiError, ScenarioError

if TYPE_CHECKING:
    from kakehashi.warehouse import Warehouse

__version__ = "0.1.0"

__all__ = [
    "EngineError",
    "InputError",
    "KakehashiError",
    "ScenarioError",
    "Warehouse",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "Warehouse":
        from kakehashi.warehouse import Warehouse

        return Warehouse
    raise AttributeError(f"module 'kakehashi' has no attribute {name!r}")
