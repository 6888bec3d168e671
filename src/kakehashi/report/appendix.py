"""Fixed texts of the method and sources appendix: country names (licences: :mod:`kakehashi.provenance`).

Facts here are curated; each carries its source.
"""

from __future__ import annotations

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


def country_label(iso3: str, english: str | None = None) -> str:
    """``"Japan 日本 (JPN)"``-style label: English name, own-script name, code."""
    parts = [english] if english and english != iso3 else []
    native = NATIVE_NAMES.get(iso3)
    if native and native != english:
        parts.append(native)
    parts.append(f"({iso3})" if parts else iso3)
    return " ".join(parts)
