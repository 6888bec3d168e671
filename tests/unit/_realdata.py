"""The real files of ``shared/data`` that several tests ingest, and the warehouses they build from them.

Paths are relative to the ``shared_data`` fixture's folder (tests skip when it is absent).
"""

from __future__ import annotations

from pathlib import Path

from kakehashi.warehouse import Warehouse

BACI24 = "baci-critical-2024/BACI_HS17_Y2024_V202601_critical30.csv"
"""Every 2024 flow of 30 critical-material codes, BACI HS17 V202601."""
CODES24 = "baci-critical-2024/country_codes_V202601.csv"
BACI21 = "baci-sample/BACI_HS92_Y2021_V202301_ZAF-AFG-exporters.csv"
"""BACI HS92 V202301, 2021, the flows of two exporters only (an extract)."""
CODES21 = "baci-sample/country_codes_V202201.csv"
CONCORDANCE = "hs/HS_consolidated_comtrade_concordances.csv"


def mixed_warehouse(shared_data: Path, folder: Path) -> Warehouse:
    """HS92 2021 extract + the complete HS17 2024 file + the UN concordance, ingested into ``folder``."""
    from kakehashi.sources.baci import load_baci
    from kakehashi.sources.hs import load_concordance

    wh = Warehouse(folder)
    load_baci(wh, [shared_data / BACI24], country_codes=shared_data / CODES24)
    load_baci(wh, [shared_data / BACI21], country_codes=shared_data / CODES21)
    load_concordance(wh, shared_data / CONCORDANCE)
    return wh
