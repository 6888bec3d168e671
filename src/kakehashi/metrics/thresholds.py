"""Thresholds of the dependency flag and the persistence rule (light: no engine imports).

The values are those of the European Commission's screen of strategic
dependencies (SWD(2021) 352) as generalised by CEPII's GeoDep (Lefebvre and
Wibaux, CEPII Policy Brief 47, 2024): import HHI > 0.4, world-export HHI > 0.4,
imports > exports, in at least 2 of the last 3 years for persistence.
They live here, apart from :mod:`kakehashi.metrics.screen`, so that the
command line can show them in its help without importing the query engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kakehashi.errors import InputError

PERSISTENCE_WINDOW = 3
"""Persistence looks at this many most recent available years ..."""
PERSISTENCE_MIN = 2
"""... and needs the product to be dependent in at least this many of them."""


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the dependency flag (all strict: a value must exceed them).

    Parameters
    ----------
    import_hhi
        Import concentration above which supply is concentrated (EU 2021, CEPII: 0.4).
    world_export_hhi
        World-export concentration above which alternatives are few (EU 2021, CEPII: 0.4).
    import_export_ratio
        Imports must exceed this multiple of the importer's own exports (1: net importer).

    Examples
    --------
    >>> Thresholds().import_hhi
    0.4
    """

    import_hhi: float = 0.4
    world_export_hhi: float = 0.4
    import_export_ratio: float = 1.0

    def __post_init__(self) -> None:
        for name in ("import_hhi", "world_export_hhi"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise InputError(f"threshold {name} must be between 0 and 1, got {v!r}", value=v,
                                 hint="an HHI lies in [0, 1]; the EU/CEPII value is 0.4")
        v = self.import_export_ratio
        if not 0 <= v < float("inf"):
            raise InputError(f"threshold import_export_ratio must be a finite number >= 0, got {v!r}",
                             value=v, hint="the EU/CEPII value is 1 (imports exceed exports)")

    def describe(self) -> str:
        """The rule in words, e.g. for a method table.

        >>> Thresholds().describe()[:61]
        'import HHI > 0.4, world-export HHI > 0.4, imports/exports > 1'
        """
        return (f"import HHI > {self.import_hhi:g}, world-export HHI > {self.world_export_hhi:g}, "
                f"imports/exports > {self.import_export_ratio:g}; persistent when dependent in at least "
                f"{PERSISTENCE_MIN} of the last {PERSISTENCE_WINDOW} years")


DEFAULT_THRESHOLDS = Thresholds()
"""The EU 2021 / CEPII GeoDep thresholds: 0.4, 0.4, 1."""


def persistence_years(requested: Sequence[int], available: Sequence[int]) -> list[int]:
    """Requested years plus the available years persistence needs before them.

    Persistence counts available years, not calendar ones: the window is the
    :data:`PERSISTENCE_WINDOW` most recent years *of the data* up to each
    requested year.

    >>> persistence_years([2023], [2019, 2021, 2022, 2023])
    [2021, 2022, 2023]
    """
    avail = sorted({int(y) for y in available})
    first = min(requested)
    before = [y for y in avail if y < first][-(PERSISTENCE_WINDOW - 1):]
    return sorted(set(before) | {int(y) for y in requested})
