"""Numeric area codes of trade statistics (UN Comtrade, CEPII BACI) → ISO3.

UN Comtrade and BACI (which is built from Comtrade) identify reporters and
partners by numeric codes that are *almost* ISO 3166-1 numeric:

* a few economies are reported as customs areas with their own code
  (France incl. Monaco 251, Italy incl. San Marino 381, Norway incl. Svalbard
  579, India 699, Switzerland incl. Liechtenstein 757, USA incl. Puerto Rico
  and the US Virgin Islands 842), and newer releases sometimes switch to the
  ISO code (BACI V202301 uses 380 for Italy while the V202201 country table
  lists 381);
* Taiwan is reported as 490 "Other Asia, nes" (ISO 3166-1 would be 158);
* some codes are not countries at all: the World (0) and the "nes" areas
  ("not elsewhere specified"), bunkers, free zones.

:func:`resolve_area_codes` maps a set of codes to ISO3 using, in order, the
rule 490 → TWN, the publisher's own code table (e.g. BACI's
``country_codes_V*.csv``), the list of non-country areas below (kept apart,
never turned into a country), :data:`CUSTOMS_AREA_CODES`, and finally ISO
3166-1 numeric through :func:`kakehashi.sources.countries.numeric_to_iso3`.
Whatever is left is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kakehashi.errors import KakehashiError
from kakehashi.sources.countries import numeric_to_iso3

TAIWAN_CODE = 490
"""Comtrade/BACI code of "Other Asia, nes", which is Taiwan; mapped to TWN."""

NON_COUNTRY_AREAS: dict[int, str] = {
    0: "World",
    97: "EU-28",
    129: "Caribbean, nes",
    221: "Eastern Europe, nes",
    290: "Northern Africa, nes",
    471: "CACM, nes",
    472: "Africa CAMEU region, nes",
    473: "LAIA, nes",
    492: "Europe EU, nes",
    527: "Oceania, nes",
    536: "Neutral Zone",
    568: "Other Europe, nes",
    577: "Other Africa, nes",
    636: "Rest of America, nes",
    637: "North America and Central America, nes",
    697: "Europe EFTA, nes",
    837: "Bunkers",
    838: "Free Zones",
    839: "Special Categories",
    879: "Western Asia, nes",
    899: "Areas, nes",
}
"""Codes that are not countries: the World and UN Comtrade's "nes" and special areas.

Source: UN Comtrade reference list of partner areas (``partnerAreas.json``),
entries flagged as groups or "nes"; 697 also appears in BACI's country
tables with ISO3 "N/A". (849 "US Misc. Pacific Isds", also "N/A" there, is
the ISO territory UMI, as in :func:`kakehashi.sources.countries.numeric_to_iso3`.)
Rows with these partners are kept apart from country rows (BACI: dropped
from ``trade_flows`` and counted; Comtrade: returned in the ``world`` frame).
"""

CUSTOMS_AREA_CODES: dict[int, str] = {
    58: "BEL",    # Belgium-Luxembourg (until 1998)
    250: "FRA",   # ISO France
    251: "FRA",   # France incl. Monaco (Comtrade/BACI)
    280: "DEU",   # Former Federal Republic of Germany
    356: "IND",   # ISO India
    380: "ITA",   # ISO Italy (BACI from V202301)
    381: "ITA",   # Italy incl. San Marino (Comtrade/BACI before V202301)
    578: "NOR",   # ISO Norway
    579: "NOR",   # Norway incl. Svalbard and Jan Mayen
    699: "IND",   # India (Comtrade/BACI)
    711: "ZAF",   # Southern African Customs Union (until 1999), as in BACI's table
    736: "SDN",   # Former Sudan (until 2011), as in BACI's table
    756: "CHE",   # ISO Switzerland
    757: "CHE",   # Switzerland incl. Liechtenstein
    840: "USA",   # ISO United States
    842: "USA",   # USA incl. Puerto Rico and US Virgin Islands
    849: "UMI",   # US Misc. Pacific Islands (ISO 581 United States Minor Outlying Islands)
}
"""Codes where trade statistics and ISO 3166-1 numeric differ, both spellings.

Source: CEPII BACI ``country_codes_V202201.csv`` (its ``iso_3digit_alpha``
column for the Comtrade codes) and ISO 3166-1 numeric for the ISO codes.
"""

_ISO3 = re.compile(r"^[A-Z]{3}$")


@dataclass
class AreaResolution:
    """Result of :func:`resolve_area_codes`.

    Attributes
    ----------
    iso3
        Country codes resolved to ISO3.
    aggregates
        Non-country areas (code → name), to be kept apart.
    unknown
        Codes that could not be resolved, sorted.
    """

    iso3: dict[int, str] = field(default_factory=dict)
    aggregates: dict[int, str] = field(default_factory=dict)
    unknown: list[int] = field(default_factory=list)


def clean_iso3(value: object) -> str | None:
    """Return ``value`` as an upper-case ISO3 code, or ``None`` if it is not one."""
    if value is None:
        return None
    text = str(value).strip().upper()
    return text if _ISO3.match(text) else None


def resolve_area_codes(codes: Iterable[int], table: Mapping[int, str | None] | None = None) -> AreaResolution:
    """Map numeric trade-statistics area codes to ISO3.

    Parameters
    ----------
    codes
        Codes found in the data.
    table
        The publisher's own code → ISO3 table (values that are not three
        letters, such as BACI's ``"N/A"``, count as absent).

    Returns
    -------
    AreaResolution
        ISO3 for the countries, the non-country areas, and the unknown codes.

    Examples
    --------
    >>> r = resolve_area_codes([842, 490, 0, 697, 999999])
    >>> r.iso3, sorted(r.aggregates), r.unknown
    ({842: 'USA', 490: 'TWN'}, [0, 697], [999999])
    """
    out = AreaResolution()
    for code in sorted(set(int(c) for c in codes)):
        from_table = clean_iso3(table.get(code)) if table is not None else None
        if code == TAIWAN_CODE:
            out.iso3[code] = "TWN"
        elif from_table is not None:
            out.iso3[code] = from_table
        elif code in NON_COUNTRY_AREAS:
            out.aggregates[code] = NON_COUNTRY_AREAS[code]
        elif code in CUSTOMS_AREA_CODES:
            out.iso3[code] = CUSTOMS_AREA_CODES[code]
        else:
            try:
                found = clean_iso3(numeric_to_iso3(code))
            except KakehashiError:
                found = None
            if found is not None:
                out.iso3[code] = found
            else:
                out.unknown.append(code)
    return out
