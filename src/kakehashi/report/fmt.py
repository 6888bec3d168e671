"""Number and table formatting of the briefing packs: a re-export of :mod:`kakehashi.present`.

The formats live in one place, :mod:`kakehashi.present`, shared by the command
line, the dashboard and the packs; this module keeps the names other code imports.
"""

from __future__ import annotations

from kakehashi.present import (
    PrintedTable,
    column_kind,
    fmt_by_kind,
    fmt_cell,
    fmt_num,
    fmt_share,
    fmt_usd,
    printed_table,
)

__all__ = [
    "PrintedTable",
    "column_kind",
    "fmt_by_kind",
    "fmt_cell",
    "fmt_num",
    "fmt_share",
    "fmt_usd",
    "printed_table",
]
