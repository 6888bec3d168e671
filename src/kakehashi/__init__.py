"""kakehashi: economic-security supply-chain analysis.

The default lens is Japan and India with China as the rival; every function
takes any importer, partner set and rival.
"""

from kakehashi.errors import EngineError, InputError, KakehashiError, ScenarioError
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
