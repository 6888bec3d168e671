"""Fixed texts of the method and sources appendix: publishers' licences, country names.

Facts here are curated; each carries its source.
"""

from __future__ import annotations

import pandas as pd

LICENCES: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    # (words matched in source labels, publisher, licence, where the terms are)
    (("SYNTHETIC",), "kakehashi synthetic sample world (generated, not real data)",
     "Apache-2.0 (the project's licence)", "kakehashi.sample"),
    (("BACI", "CEPII"), "CEPII BACI, HS6 bilateral trade", "Etalab Open Licence 2.0",
     "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"),
    (("COMTRADE",), "UN Comtrade+", "UN Comtrade terms of use", "https://comtradeplus.un.org/"),
    (("USGS", "MINERAL COMMODITY SUMMARIES"), "U.S. Geological Survey, Mineral Commodity Summaries",
     "US public domain",
     "https://www.usgs.gov/centers/national-minerals-information-center/mineral-commodity-summaries"),
    (("WGI", "GOVERNANCE INDICATORS"), "World Bank, Worldwide Governance Indicators", "CC BY 4.0",
     "https://www.worldbank.org/en/publication/worldwide-governance-indicators"),
    (("HARMONIZED", "NOMENCLATURE", "WCO"),
     "World Customs Organization HS nomenclature (datasets/harmonized-system)", "ODC-PDDL",
     "https://github.com/datasets/harmonized-system"),
    (("TELEGEOGRAPHY", "SUBMARINE CABLE"),
     "TeleGeography Submarine Cable Map, open release (github.com/stevesong/open_undersea_cable_map)",
     "CC BY-NC-SA 3.0 (non-commercial, share alike; read at run time, never shipped)",
     "https://creativecommons.org/licenses/by-nc-sa/3.0/"),
)
"""Publishers and licences, matched on the warehouse's source labels (upper case).
Source: the publishers' pages listed in the last column."""

NATIVE_NAMES: dict[str, str] = {
    "JPN": "日本",
    "IND": "भारत",
    "CHN": "中国",
    "KOR": "대한민국",
    "TWN": "臺灣",
    "VNM": "Việt Nam",
    "DEU": "Deutschland",
}
"""Short names of a few countries in their own language and script, printed next to the
ISO3 code on briefing covers. Source: Unicode CLDR locale display names (each country's
main language)."""


def licences_for(sources: list[str]) -> pd.DataFrame:
    """Publishers and licences of the given source labels (one row per matching publisher)."""
    rows = []
    upper = [s.upper() for s in sources]
    for marks, publisher, licence, terms in LICENCES:
        used = [s for s, u in zip(sources, upper, strict=True) if any(m in u for m in marks)
                and (marks == ("SYNTHETIC",) or "SYNTHETIC" not in u)]
        if used:
            rows.append({"publisher": publisher, "licence": licence, "terms": terms,
                         "labels": "; ".join(sorted(set(used)))})
    return pd.DataFrame(rows, columns=["publisher", "licence", "terms", "labels"])


def country_label(iso3: str, english: str | None = None) -> str:
    """``"Japan 日本 (JPN)"``-style label: English name, own-script name, code."""
    parts = [english] if english and english != iso3 else []
    native = NATIVE_NAMES.get(iso3)
    if native and native != english:
        parts.append(native)
    parts.append(f"({iso3})" if parts else iso3)
    return " ".join(parts)
