"""Former home of the dashboard's and the packs' view models (kept for old imports).

The analysis moved to the layer that answers questions, :mod:`kakehashi.questions`
(:mod:`~kakehashi.questions.exposure`, :mod:`~kakehashi.questions.replacement`,
:mod:`~kakehashi.questions.whatif`); these names are re-exported from there.
"""

from __future__ import annotations

from kakehashi.questions.exposure import group_small
from kakehashi.questions.whatif import bands_table, default_metric, metric_unit

__all__ = ["bands_table", "default_metric", "group_small", "metric_unit"]
