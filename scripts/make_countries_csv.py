"""Regenerate ``src/kakehashi/catalogue/data/countries.csv`` (maintainers only).

The shipped table is generated once and committed; kakehashi does not need
``pycountry`` at run time. Run::

    pip install pycountry
    python scripts/make_countries_csv.py COUNTRY_CODES_CSV > src/kakehashi/catalogue/data/countries.csv

Sources
-------
* ISO 3166-1 (alpha-2, alpha-3, numeric, English short name) and ISO 3166-3
  (formerly used codes), as distributed by Debian's ``iso-codes`` through the
  ``pycountry`` package. The name is pycountry's ``common_name`` where it has
  one (``Vietnam``, ``South Korea``, ``Taiwan``), else the ISO short name;
  the ISO short name and the official name are kept in ``iso_name`` and
  ``official_name`` for matching.
* UN M49 region (Africa, Americas, Asia, Europe, Oceania) from the
  ``datasets/country-codes`` data package (``country-codes.csv``, column
  ``Region Name``; ODC-PDDL), the argument of this script. Taiwan is not listed
  in M49; its region is set to Asia.
* Kosovo has no ISO 3166 code. It is added with the user-assigned codes
  ``XK``/``XKX`` (used by the World Bank and the European Commission) and the
  numeric code 983 from the ISO 3166 user-assigned range 900-999 (the choice
  of Statistics Canada's SCCAI). Its status is ``user-assigned``.
* Formerly used codes that BACI/Comtrade still carry for early years
  (Netherlands Antilles, Czechoslovakia, German Democratic Republic, USSR,
  Serbia and Montenegro, Yugoslavia) are listed with status ``former``.
"""

from __future__ import annotations

import csv
import sys

import pycountry

FORMER = {
    # alpha3: (alpha2, numeric, name)
    "ANT": ("AN", 530, "Netherlands Antilles"),
    "CSK": ("CS", 200, "Czechoslovakia"),
    "DDR": ("DD", 278, "German Democratic Republic"),
    "SUN": ("SU", 810, "USSR"),
    "SCG": ("CS", 891, "Serbia and Montenegro"),
    "YUG": ("YU", 890, "Yugoslavia (Socialist Federal Republic)"),
}


def main(country_codes_csv: str) -> None:
    regions: dict[str, str] = {}
    with open(country_codes_csv, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["ISO3166-1-Alpha-3"]:
                regions[row["ISO3166-1-Alpha-3"]] = row["Region Name"]
    regions["TWN"] = "Asia"
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["iso3", "iso2", "numeric", "name", "region", "status", "iso_name", "official_name"])
    rows = []
    for c in pycountry.countries:
        name = getattr(c, "common_name", None) or c.name
        official = getattr(c, "official_name", "")
        rows.append([c.alpha_3, c.alpha_2, int(c.numeric), name, regions.get(c.alpha_3, ""), "official",
                     c.name, official])
    rows.append(["XKX", "XK", 983, "Kosovo", "Europe", "user-assigned", "", "Republic of Kosovo"])
    for a3, (a2, num, name) in FORMER.items():
        rows.append([a3, a2, num, name, "", "former", "", ""])
    for r in sorted(rows):
        out.writerow(r)


if __name__ == "__main__":
    main(sys.argv[1])
