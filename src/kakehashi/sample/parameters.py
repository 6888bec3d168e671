"""Parameters of the SYNTHETIC sample world, declared as data.

Nothing here is an observation. The numbers are rough, rounded orders of magnitude chosen so
that the synthetic world *looks like* the real one where that makes analyses interesting
(China dominant in rare earths, Japan and Korea in chip-making equipment, India in medicines,
Australia in lithium ores, ...). They must never be presented as data about real countries.

Country codes are real (ISO 3166 alpha-3 and the numeric codes CEPII's BACI uses, where Taiwan
is 490 "Other Asia, nes"), so the synthetic files go through the same parsers as real ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CountryParams:
    """One country of the synthetic world.

    ``gdp_bn`` (economic mass for the gravity model, about the 2022 GDP in billion USD,
    rounded), ``lat``/``lon`` (capital, for distances) and ``governance`` (average level of the
    synthetic WGI estimates) are model parameters, not data.
    """

    iso3: str
    baci_code: int
    iso2: str
    baci_name: str
    baci_full_name: str
    wgi_code: str
    wgi_name: str
    lat: float
    lon: float
    gdp_bn: float
    governance: float


# iso3, BACI code, iso2, BACI name, BACI full name, WGI code, WGI name, lat, lon, GDP bn USD, governance
_COUNTRY_ROWS: tuple[tuple[str, int, str, str, str, str, str, float, float, float, float], ...] = (
    ('JPN', 392, 'JP', 'Japan', 'Japan', 'JPN', 'Japan', 35.7, 139.7, 4230, 1.3),
    ('IND', 699, 'IN', 'India', 'India', 'IND', 'India', 28.6, 77.2, 3390, -0.05),
    ('CHN', 156, 'CN', 'China', 'China', 'CHN', 'China', 39.9, 116.4, 17960, -0.4),
    ('USA', 842, 'US', 'USA', 'USA, Puerto Rico and US Virgin Islands',
     'USA', 'United States', 38.9, -77.0, 25460, 1.1),
    ('AUS', 36, 'AU', 'Australia', 'Australia', 'AUS', 'Australia', -35.3, 149.1, 1690, 1.5),
    ('KOR', 410, 'KR', 'Rep. of Korea', 'Republic of Korea', 'KOR', 'Korea, Rep.', 37.6, 127.0, 1670, 1.0),
    ('VNM', 704, 'VN', 'Viet Nam', 'Viet Nam', 'VNM', 'Vietnam', 21.0, 105.8, 410, -0.3),
    ('DEU', 276, 'DE', 'Germany', 'Germany', 'DEU', 'Germany', 52.5, 13.4, 4080, 1.4),
    ('TWN', 490, 'TW', 'Other Asia, nes', 'Other Asia, not elsewhere specified',
     'TWN', 'Taiwan, China', 25.0, 121.5, 760, 1.2),
    ('IDN', 360, 'ID', 'Indonesia', 'Indonesia', 'IDN', 'Indonesia', -6.2, 106.8, 1320, -0.1),
    ('CHL', 152, 'CL', 'Chile', 'Chile', 'CHL', 'Chile', -33.4, -70.7, 300, 0.9),
    ('COD', 180, 'CD', 'Dem. Rep. of the Congo', 'Democratic Republic of the Congo',
     'ZAR', 'Congo, Dem. Rep.', -4.3, 15.3, 65, -1.5),
    ('FRA', 251, 'FR', 'France', 'France, Monaco', 'FRA', 'France', 48.9, 2.4, 2780, 1.1),
    ('GBR', 826, 'GB', 'United Kingdom', 'United Kingdom', 'GBR', 'United Kingdom', 51.5, -0.1, 3070, 1.3),
    ('ITA', 381, 'IT', 'Italy', 'Italy', 'ITA', 'Italy', 41.9, 12.5, 2010, 0.5),
    ('NLD', 528, 'NL', 'Netherlands', 'Netherlands', 'NLD', 'Netherlands', 52.4, 4.9, 990, 1.6),
    ('CAN', 124, 'CA', 'Canada', 'Canada', 'CAN', 'Canada', 45.4, -75.7, 2140, 1.5),
    ('MEX', 484, 'MX', 'Mexico', 'Mexico', 'MEX', 'Mexico', 19.4, -99.1, 1410, -0.5),
    ('BRA', 76, 'BR', 'Brazil', 'Brazil', 'BRA', 'Brazil', -15.8, -47.9, 1920, -0.3),
    ('THA', 764, 'TH', 'Thailand', 'Thailand', 'THA', 'Thailand', 13.8, 100.5, 500, -0.1),
    ('MYS', 458, 'MY', 'Malaysia', 'Malaysia', 'MYS', 'Malaysia', 3.1, 101.7, 410, 0.4),
    ('PHL', 608, 'PH', 'Philippines', 'Philippines', 'PHL', 'Philippines', 14.6, 121.0, 400, -0.3),
    ('SGP', 702, 'SG', 'Singapore', 'Singapore', 'SGP', 'Singapore', 1.3, 103.8, 470, 1.7),
    ('SAU', 682, 'SA', 'Saudi Arabia', 'Saudi Arabia', 'SAU', 'Saudi Arabia', 24.7, 46.7, 1110, -0.2),
    ('ARE', 784, 'AE', 'United Arab Emirates', 'United Arab Emirates',
     'ARE', 'United Arab Emirates', 24.5, 54.4, 510, 0.6),
    ('ZAF', 710, 'ZA', 'South Africa', 'South Africa', 'ZAF', 'South Africa', -25.7, 28.2, 410, 0.1),
    ('PER', 604, 'PE', 'Peru', 'Peru', 'PER', 'Peru', -12.0, -77.0, 240, -0.2),
    ('RUS', 643, 'RU', 'Russian Federation', 'Russian Federation',
     'RUS', 'Russian Federation', 55.8, 37.6, 2240, -0.9),
    ('TUR', 792, 'TR', 'Turkey', 'Turkey', 'TUR', 'Türkiye', 39.9, 32.9, 910, -0.4),
    ('POL', 616, 'PL', 'Poland', 'Poland', 'POL', 'Poland', 52.2, 21.0, 690, 0.7),
    ('ESP', 724, 'ES', 'Spain', 'Spain', 'ESP', 'Spain', 40.4, -3.7, 1420, 0.9),
    ('SWE', 752, 'SE', 'Sweden', 'Sweden', 'SWE', 'Sweden', 59.3, 18.1, 590, 1.6),
    ('CHE', 757, 'CH', 'Switzerland', 'Switzerland, Liechtenstein',
     'CHE', 'Switzerland', 46.9, 7.4, 820, 1.7),
    ('BEL', 56, 'BE', 'Belgium', 'Belgium', 'BEL', 'Belgium', 50.8, 4.4, 580, 1.2),
    ('ISR', 376, 'IL', 'Israel', 'Israel', 'ISR', 'Israel', 31.8, 35.2, 520, 0.8),
    ('EGY', 818, 'EG', 'Egypt', 'Egypt', 'EGY', 'Egypt, Arab Rep.', 30.0, 31.2, 480, -0.8),
    ('NGA', 566, 'NG', 'Nigeria', 'Nigeria', 'NGA', 'Nigeria', 9.1, 7.4, 480, -1.0),
    ('KAZ', 398, 'KZ', 'Kazakhstan', 'Kazakhstan', 'KAZ', 'Kazakhstan', 51.2, 71.4, 220, -0.4),
    ('MNG', 496, 'MN', 'Mongolia', 'Mongolia', 'MNG', 'Mongolia', 47.9, 106.9, 17, -0.1),
    ('MMR', 104, 'MM', 'Myanmar', 'Myanmar', 'MMR', 'Myanmar', 19.8, 96.1, 60, -1.5),
    ('ARG', 32, 'AR', 'Argentina', 'Argentina', 'ARG', 'Argentina', -34.6, -58.4, 630, -0.3),
    ('AUT', 40, 'AT', 'Austria', 'Austria', 'AUT', 'Austria', 48.2, 16.4, 470, 1.3),
    ('BGD', 50, 'BD', 'Bangladesh', 'Bangladesh', 'BGD', 'Bangladesh', 23.8, 90.4, 460, -0.7),
    ('COL', 170, 'CO', 'Colombia', 'Colombia', 'COL', 'Colombia', 4.7, -74.1, 340, -0.3),
    ('CZE', 203, 'CZ', 'Czechia', 'Czechia', 'CZE', 'Czech Republic', 50.1, 14.4, 290, 1.0),
    ('DNK', 208, 'DK', 'Denmark', 'Denmark', 'DNK', 'Denmark', 55.7, 12.6, 400, 1.7),
    ('DZA', 12, 'DZ', 'Algeria', 'Algeria', 'DZA', 'Algeria', 36.8, 3.1, 190, -0.8),
    ('ECU', 218, 'EC', 'Ecuador', 'Ecuador', 'ECU', 'Ecuador', -0.2, -78.5, 115, -0.5),
    ('FIN', 246, 'FI', 'Finland', 'Finland', 'FIN', 'Finland', 60.2, 24.9, 280, 1.8),
    ('GRC', 300, 'GR', 'Greece', 'Greece', 'GRC', 'Greece', 38.0, 23.7, 220, 0.4),
    ('HUN', 348, 'HU', 'Hungary', 'Hungary', 'HUN', 'Hungary', 47.5, 19.0, 180, 0.5),
    ('IRL', 372, 'IE', 'Ireland', 'Ireland', 'IRL', 'Ireland', 53.3, -6.3, 530, 1.3),
    ('IRN', 364, 'IR', 'Iran', 'Iran', 'IRN', 'Iran, Islamic Rep.', 35.7, 51.4, 390, -1.2),
    ('IRQ', 368, 'IQ', 'Iraq', 'Iraq', 'IRQ', 'Iraq', 33.3, 44.4, 260, -1.3),
    ('KEN', 404, 'KE', 'Kenya', 'Kenya', 'KEN', 'Kenya', -1.3, 36.8, 115, -0.5),
    ('KWT', 414, 'KW', 'Kuwait', 'Kuwait', 'KWT', 'Kuwait', 29.4, 48.0, 180, 0.0),
    ('LKA', 144, 'LK', 'Sri Lanka', 'Sri Lanka', 'LKA', 'Sri Lanka', 6.9, 79.9, 75, -0.2),
    ('MAR', 504, 'MA', 'Morocco', 'Morocco', 'MAR', 'Morocco', 34.0, -6.8, 130, -0.2),
    ('NOR', 579, 'NO', 'Norway', 'Norway, Svalbard and Jan Mayen', 'NOR', 'Norway', 59.9, 10.8, 580, 1.7),
    ('NZL', 554, 'NZ', 'New Zealand', 'New Zealand', 'NZL', 'New Zealand', -41.3, 174.8, 250, 1.6),
    ('OMN', 512, 'OM', 'Oman', 'Oman', 'OMN', 'Oman', 23.6, 58.4, 110, 0.1),
    ('PAK', 586, 'PK', 'Pakistan', 'Pakistan', 'PAK', 'Pakistan', 33.7, 73.1, 375, -0.9),
    ('PRT', 620, 'PT', 'Portugal', 'Portugal', 'PRT', 'Portugal', 38.7, -9.1, 255, 1.0),
    ('QAT', 634, 'QA', 'Qatar', 'Qatar', 'QAT', 'Qatar', 25.3, 51.5, 235, 0.5),
    ('ROU', 642, 'RO', 'Romania', 'Romania', 'ROM', 'Romania', 44.4, 26.1, 300, 0.3),
    ('SVK', 703, 'SK', 'Slovakia', 'Slovakia', 'SVK', 'Slovak Republic', 48.1, 17.1, 115, 0.6),
    ('UKR', 804, 'UA', 'Ukraine', 'Ukraine', 'UKR', 'Ukraine', 50.5, 30.5, 160, -0.6),
    ('URY', 858, 'UY', 'Uruguay', 'Uruguay', 'URY', 'Uruguay', -34.9, -56.2, 70, 1.0),
    ('VEN', 862, 'VE', 'Venezuela', 'Venezuela', 'VEN', 'Venezuela, RB', 10.5, -66.9, 90, -1.6),
    ('ZMB', 894, 'ZM', 'Zambia', 'Zambia', 'ZMB', 'Zambia', -15.4, 28.3, 30, -0.4),
    ('ZWE', 716, 'ZW', 'Zimbabwe', 'Zimbabwe', 'ZWE', 'Zimbabwe', -17.8, 31.0, 30, -1.2),
    ('GHA', 288, 'GH', 'Ghana', 'Ghana', 'GHA', 'Ghana', 5.6, -0.2, 75, 0.0),
    ('ETH', 231, 'ET', 'Ethiopia', 'Ethiopia', 'ETH', 'Ethiopia', 9.0, 38.7, 125, -0.8),
    ('TZA', 834, 'TZ', 'United Rep. of Tanzania', 'United Republic of Tanzania',
     'TZA', 'Tanzania', -6.8, 39.3, 75, -0.4),
    ('AGO', 24, 'AO', 'Angola', 'Angola', 'AGO', 'Angola', -8.8, 13.2, 120, -0.8),
    ('BOL', 68, 'BO', 'Bolivia (Plurinational State of)', 'Plurinational State of Bolivia',
     'BOL', 'Bolivia', -16.5, -68.1, 45, -0.7),
    ('BGR', 100, 'BG', 'Bulgaria', 'Bulgaria', 'BGR', 'Bulgaria', 42.7, 23.3, 90, 0.2),
    ('HRV', 191, 'HR', 'Croatia', 'Croatia', 'HRV', 'Croatia', 45.8, 16.0, 72, 0.5),
    ('SVN', 705, 'SI', 'Slovenia', 'Slovenia', 'SVN', 'Slovenia', 46.1, 14.5, 62, 0.9),
    ('LTU', 440, 'LT', 'Lithuania', 'Lithuania', 'LTU', 'Lithuania', 54.7, 25.3, 70, 1.0),
    ('LVA', 428, 'LV', 'Latvia', 'Latvia', 'LVA', 'Latvia', 56.9, 24.1, 41, 0.9),
    ('EST', 233, 'EE', 'Estonia', 'Estonia', 'EST', 'Estonia', 59.4, 24.8, 38, 1.3),
    ('LUX', 442, 'LU', 'Luxembourg', 'Luxembourg', 'LUX', 'Luxembourg', 49.6, 6.1, 82, 1.6),
    ('ISL', 352, 'IS', 'Iceland', 'Iceland', 'ISL', 'Iceland', 64.1, -21.9, 28, 1.4),
    ('CYP', 196, 'CY', 'Cyprus', 'Cyprus', 'CYP', 'Cyprus', 35.2, 33.4, 29, 0.8),
    ('MLT', 470, 'MT', 'Malta', 'Malta', 'MLT', 'Malta', 35.9, 14.5, 18, 0.8),
    ('JOR', 400, 'JO', 'Jordan', 'Jordan', 'JOR', 'Jordan', 31.9, 35.9, 48, 0.0),
    ('TUN', 788, 'TN', 'Tunisia', 'Tunisia', 'TUN', 'Tunisia', 36.8, 10.2, 46, -0.2),
    ('CIV', 384, 'CI', "Côte d'Ivoire", "Côte d'Ivoire", 'CIV', "Côte d'Ivoire", 5.3, -4.0, 70, -0.5),
    ('CMR', 120, 'CM', 'Cameroon', 'Cameroon', 'CMR', 'Cameroon', 3.9, 11.5, 45, -1.0),
    ('SEN', 686, 'SN', 'Senegal', 'Senegal', 'SEN', 'Senegal', 14.7, -17.4, 28, -0.1),
    ('UGA', 800, 'UG', 'Uganda', 'Uganda', 'UGA', 'Uganda', 0.3, 32.6, 46, -0.6),
    ('MOZ', 508, 'MZ', 'Mozambique', 'Mozambique', 'MOZ', 'Mozambique', -25.9, 32.6, 18, -0.7),
    ('MDG', 450, 'MG', 'Madagascar', 'Madagascar', 'MDG', 'Madagascar', -18.9, 47.5, 15, -0.7),
    ('NPL', 524, 'NP', 'Nepal', 'Nepal', 'NPL', 'Nepal', 27.7, 85.3, 40, -0.5),
    ('KHM', 116, 'KH', 'Cambodia', 'Cambodia', 'KHM', 'Cambodia', 11.6, 104.9, 30, -0.6),
    ('LAO', 418, 'LA', "Lao People's Dem. Rep.", "Lao People's Dem. Rep.",
     'LAO', 'Lao PDR', 18.0, 102.6, 15, -0.8),
    ('UZB', 860, 'UZ', 'Uzbekistan', 'Uzbekistan', 'UZB', 'Uzbekistan', 41.3, 69.2, 80, -0.8),
    ('SRB', 688, 'RS', 'Serbia', 'Serbia', 'SRB', 'Serbia', 44.8, 20.5, 63, -0.1),
    ('PAN', 591, 'PA', 'Panama', 'Panama', 'PAN', 'Panama', 9.0, -79.5, 76, 0.0),
)

COUNTRIES: tuple[CountryParams, ...] = tuple(CountryParams(*row) for row in _COUNTRY_ROWS)
"""All countries the sample world can contain, in order of inclusion (tiny ⊂ small ⊂ baci)."""

USGS_NAMES: dict[str, str] = {
    "USA": "United States",
    "KOR": "Korea, Republic of",
    "COD": "Congo (Kinshasa)",
    "MMR": "Burma",
    "RUS": "Russia",
    "VNM": "Vietnam",
    "TWN": "Taiwan",
    "TUR": "Turkey",
    "IRN": "Iran",
    "LAO": "Laos",
    "TZA": "Tanzania",
    "CIV": "Cote d'Ivoire",
}
"""Country names as the USGS Mineral Commodity Summaries write them (others: BACI's short name)."""


@dataclass(frozen=True)
class SizeParams:
    """How big a sample world is.

    ``n_countries`` first entries of :data:`COUNTRIES`; all strategic-goods codes plus
    ``n_background`` other HS 2022 codes; ``density`` is the share of the possible
    (exporter, importer, product) cells that carry a flow each year.
    """

    n_countries: int
    n_background: int
    density: float
    description: str


SIZES: dict[str, SizeParams] = {
    "tiny": SizeParams(12, 30, 0.22, "12 countries, about 150 products, a few thousand rows a year "
                       "(tests, docs)"),
    "small": SizeParams(40, 1000, 0.12, "40 countries, about 1,100 products, about 200,000 rows a year "
                        "(quick start)"),
    "baci": SizeParams(100, 4880, 0.205, "100 countries, 5,000 products, about 10 million rows a year "
                       "(the size of a real BACI year; benchmarks)"),
}
"""The sizes :func:`kakehashi.sample.generate` accepts."""

DEFAULT_SEED = 20261121
DEFAULT_YEARS: tuple[int, ...] = (2021, 2022, 2023)

_RARE_EARTHS = ("280530", "284610", "284690")
_GRAPHITE = ("250410", "250490", "380110", "380190")
_GA_GE = ("811292", "811299", "282560", "285000")
_ANTIMONY = ("261710", "811010", "811020", "811090", "282580")
_TUNGSTEN = ("261100", "284180", "810110", "810194", "810199", "284990")
_CHIP_EQUIPMENT = ("848610", "848620", "848630", "848640", "848690", "903082", "903141")
_CHIP_MATERIALS = ("381800", "370790", "281111", "280429")
_ICS = ("854231", "854232", "854233", "854239", "854290")
_APIS = ("294110", "294120", "294130", "294140", "294150", "294190", "292429", "291639")
_MEDICAMENTS = ("300310", "300320", "300410", "300420", "300490")
_ORES = ("253090", "261220", "260500", "260400", "260300", "261100", "261710", "250410")


@dataclass(frozen=True)
class Specialisation:
    """A deliberate structure of the synthetic world: ``country`` is given an expected ``share``
    of world exports of each code in ``hs6``. ``note`` names the real-world pattern it imitates.

    The generator sets the country's comparative advantage so that its expected exports are
    ``share / (1 − S)`` times those of all untilted exporters together (S: the shares of all
    tilted exporters of the product present in the world); the realised share varies with the
    flow-level noise.
    """

    country: str
    hs6: tuple[str, ...]
    share: float
    note: str


@dataclass(frozen=True)
class DemandTilt:
    """Importer ``country``'s demand for ``hs6`` is multiplied by ``factor`` (``note``: why)."""

    country: str
    hs6: tuple[str, ...]
    factor: float
    note: str


_S = Specialisation
EXPORT_SPECIALISATIONS: tuple[Specialisation, ...] = (
    _S("CHN", _RARE_EARTHS, 0.6, "dominant in rare-earth separation"),
    _S("CHN", ("850511",), 0.7, "dominant in permanent (NdFeB) magnets"),
    _S("CHN", ("850519",), 0.5, "leading in ferrite magnets"),
    _S("CHN", _GRAPHITE, 0.7, "dominant in natural and synthetic graphite, anodes"),
    _S("CHN", _GA_GE, 0.8, "dominant in gallium and germanium refining"),
    _S("CHN", (*_ANTIMONY, *_TUNGSTEN), 0.6, "dominant in antimony and tungsten"),
    _S("CHN", ("850760", "850790"), 0.55, "dominant in lithium-ion cells"),
    _S("CHN", ("284290",), 0.7, "dominant in LFP cathode material"),
    _S("CHN", ("854142", "854143"), 0.75, "dominant in solar cells and modules"),
    _S("CHN", ("280461",), 0.6, "dominant in polysilicon"),
    _S("CHN", ("282200", "282520", "810520"), 0.3, "refines imported cobalt and lithium"),
    _S("JPN", _CHIP_EQUIPMENT, 0.45, "strong in semiconductor-manufacturing equipment"),
    _S("JPN", _CHIP_MATERIALS, 0.35, "strong in wafers, photoresists, etching gases"),
    _S("JPN", ("853224",), 0.4, "strong in multilayer ceramic capacitors"),
    _S("KOR", _CHIP_EQUIPMENT, 0.12, "chip-making equipment"),
    _S("KOR", _CHIP_MATERIALS, 0.1, "chip materials"),
    _S("KOR", ("854232",), 0.45, "strong in memory chips"),
    _S("KOR", ("850760",), 0.2, "second battery-cell maker"),
    _S("TWN", ("854231", "854233", "854239", "854290"), 0.5, "strong in integrated-circuit fabrication"),
    _S("TWN", ("854232",), 0.3, "memory chips"),
    _S("USA", ("854231", "848620"), 0.1, "processors and fab equipment"),
    _S("USA", ("903082", "847150"), 0.15, "wafer testers and servers"),
    _S("NLD", ("848620",), 0.2, "lithography equipment"),
    _S("IND", _APIS, 0.45, "strong in active pharmaceutical ingredients"),
    _S("IND", _MEDICAMENTS, 0.2, "strong in generic medicines"),
    _S("IND", _RARE_EARTHS, 0.08, "some rare-earth separation capacity"),
    _S("DEU", ("300490", "300420", "848690"), 0.12, "medicines and machinery"),
    _S("DEU", ("850164",), 0.2, "large generators"),
    _S("AUS", ("253090",), 0.55, "lithium ores (spodumene)"),
    _S("AUS", ("261220",), 0.4, "rare-earth (monazite) concentrates"),
    _S("AUS", ("260400", "261100"), 0.1, "nickel and tungsten ores"),
    _S("CHL", ("283691",), 0.6, "lithium carbonate from brines"),
    _S("CHL", ("282520",), 0.2, "lithium hydroxide"),
    _S("CHL", ("260300", "740311"), 0.3, "copper ores and cathodes"),
    _S("PER", ("260300",), 0.15, "copper ores"),
    _S("COD", ("260500",), 0.7, "cobalt ores"),
    _S("COD", ("810520",), 0.4, "cobalt intermediates"),
    _S("COD", ("260300", "740311"), 0.1, "copper"),
    _S("IDN", ("260400", "720260"), 0.4, "nickel ores and pig iron"),
    _S("IDN", ("750110",), 0.5, "nickel mattes"),
    _S("VNM", ("851713",), 0.25, "assembles smartphones"),
    _S("VNM", ("854231",), 0.08, "assembles and tests chips"),
    _S("VNM", _RARE_EARTHS, 0.05, "small rare-earth processing"),
    _S("MMR", ("284690", "253090"), 0.1, "rare-earth concentrates and carbonates"),
    _S("MYS", ("284690", "854142"), 0.08, "rare-earth separation; solar cells"),
    _S("ZAF", ("711011", "711041"), 0.6, "platinum and iridium"),
    _S("ZAF", ("711031",), 0.7, "rhodium"),
    _S("ZAF", ("260200",), 0.35, "manganese ores"),
    _S("RUS", ("711021",), 0.4, "palladium"),
    _S("RUS", ("750210", "810520"), 0.1, "nickel and cobalt metal"),
    _S("MNG", ("260300",), 0.05, "copper concentrates"),
    _S("MNG", ("261220",), 0.1, "rare-earth ores"),
    _S("KAZ", ("280469", "810110"), 0.08, "silicon and tungsten"),
)
"""Exporter structure of the synthetic world (documented tilts, not data)."""

IMPORT_SPECIALISATIONS: tuple[DemandTilt, ...] = (
    DemandTilt("CHN", _ORES, 6.0, "processing hub: imports ores and concentrates"),
    DemandTilt("JPN", (*_RARE_EARTHS, "850511", *_GA_GE), 3.0, "magnet and chip makers import inputs"),
    DemandTilt("IND", ("850511", "850760", "854142", "854143", *_ICS), 2.5, "imports energy, ICT goods"),
    DemandTilt("IND", ("294110", "294190", "294150"), 4.0, "imports antibiotic intermediates"),
    DemandTilt("KOR", ("284290", "282520", "283691", "380110"), 4.0, "battery materials"),
)
"""Importer tilts (demand side)."""

PRODUCT_SCALE: dict[str, float] = {
    "854231": 60.0, "854232": 40.0, "854239": 30.0, "851713": 50.0, "847150": 20.0,
    "847130": 40.0, "870323": 40.0, "870380": 30.0, "300490": 40.0, "271019": 60.0,
    "270900": 100.0, "271111": 30.0, "850760": 20.0, "854143": 8.0, "848620": 8.0,
    "711011": 3.0, "740311": 6.0, "260300": 8.0, "260111": 15.0,
    "811292": 0.03, "811299": 0.05, "282560": 0.02, "850519": 0.4, "280530": 0.2,
    "284610": 0.1, "261220": 0.1, "811010": 0.05, "811020": 0.05, "261710": 0.1,
}
"""World trade size of some products relative to a typical product (1.0); others are drawn."""

CHAPTER_UNIT_VALUE: dict[str, float] = {
    **dict.fromkeys([f"{c:02d}" for c in range(1, 6)], 3000.0),
    **dict.fromkeys([f"{c:02d}" for c in range(6, 15)], 1500.0),
    "15": 1200.0,
    **dict.fromkeys([f"{c:02d}" for c in range(16, 25)], 2500.0),
    "25": 150.0, "26": 300.0, "27": 600.0, "28": 2000.0, "29": 3000.0, "30": 60000.0, "31": 500.0,
    **dict.fromkeys([f"{c:02d}" for c in range(32, 39)], 3000.0),
    "39": 2000.0, "40": 2500.0, "41": 8000.0, "42": 8000.0, "43": 8000.0,
    "44": 600.0, "45": 600.0, "46": 600.0, "47": 1200.0, "48": 1200.0, "49": 1200.0,
    **dict.fromkeys([f"{c:02d}" for c in range(50, 64)], 8000.0),
    **dict.fromkeys([f"{c:02d}" for c in range(64, 68)], 15000.0),
    "68": 1000.0, "69": 1000.0, "70": 1000.0, "71": 2_000_000.0, "72": 900.0, "73": 2500.0,
    "74": 8000.0, "75": 20000.0, "76": 3500.0, "78": 2500.0, "79": 3000.0, "80": 25000.0,
    "81": 15000.0, "82": 10000.0, "83": 10000.0, "84": 15000.0, "85": 20000.0,
    "86": 12000.0, "87": 12000.0, "88": 12000.0, "89": 12000.0, "90": 60000.0, "91": 100000.0,
    "92": 15000.0, "93": 20000.0, "94": 5000.0, "95": 5000.0, "96": 5000.0, "97": 50000.0,
}
"""Typical unit value (USD per tonne) by HS chapter."""

UNIT_VALUE: dict[str, float] = {
    "280530": 60000.0, "284690": 10000.0, "284610": 5000.0, "850511": 60000.0, "850519": 5000.0,
    "811292": 400000.0, "811299": 200000.0, "282560": 1_000_000.0, "285000": 50000.0,
    "282520": 20000.0, "283691": 20000.0, "253090": 800.0, "261220": 1000.0,
    "260500": 10000.0, "810520": 30000.0, "282200": 25000.0, "260400": 400.0, "750110": 15000.0,
    "854231": 2_000_000.0, "854232": 1_500_000.0, "854233": 500_000.0, "854239": 1_000_000.0,
    "848610": 200000.0, "848620": 300000.0, "848630": 100000.0, "848640": 150000.0,
    "711011": 30_000_000.0, "711021": 60_000_000.0, "711031": 300_000_000.0, "711041": 150_000_000.0,
    "850760": 20000.0, "854142": 30000.0, "854143": 7000.0, "280461": 20000.0,
    "294110": 50000.0, "294190": 60000.0, "300410": 30000.0, "851713": 150000.0,
}
"""Unit values (USD per tonne) of particular products, overriding :data:`CHAPTER_UNIT_VALUE`."""


@dataclass(frozen=True)
class MineralParams:
    """One USGS-style production series of the synthetic world.

    ``producers`` maps ISO3 to a production level (in ``unit``) around which each year's
    synthetic value is drawn; ``other`` is the level of "Other countries" (and of every listed
    producer absent from a small world). ``reserves`` are levels of economic reserves.
    ``type_text`` and ``column_unit`` follow the USGS MCS world CSVs (column ``Prod_<unit>_<year>``);
    ``stage`` and ``basis`` follow the USGS commodity table of the sources package (stage from
    the Type text, else the commodity's default; basis such as ``REO`` or ``Li content``).
    """

    usgs_code: str
    commodity: str
    stage: str
    type_text: str
    column_unit: str
    producers: dict[str, float]
    other: float
    reserves: dict[str, float] | None = None
    reserves_other: float | None = None
    basis: str = ""

    @property
    def factor(self) -> float:
        """Factor from the file's unit (``column_unit``) to metric tons."""
        return {"t": 1.0, "kg": 1e-3, "kt": 1e3}[self.column_unit]

    @property
    def unit(self) -> str:
        """Canonical unit: metric tons plus the basis of the quantity (e.g. ``t REO``)."""
        return f"t {self.basis}" if self.basis else "t"


MINERALS: tuple[MineralParams, ...] = (
    MineralParams("raree", "rare-earths", "mine",
                  "Rare earths, mine production, rare-earth-oxide equivalent, metric tons", "t",
                  {"CHN": 220000, "USA": 42000, "MMR": 25000, "AUS": 18000, "THA": 7000, "IND": 2900,
                   "RUS": 2600, "VNM": 900, "MYS": 80, "BRA": 80},
                  1500,
                  {"CHN": 44_000_000, "VNM": 22_000_000, "BRA": 21_000_000, "RUS": 10_000_000,
                   "IND": 6_900_000, "AUS": 5_700_000, "USA": 1_800_000},
                  8_000_000, "REO"),
    MineralParams("galli", "gallium", "refinery", "Primary production", "kg",
                  {"CHN": 600000, "RUS": 5000, "JPN": 3000, "KOR": 2000}, 1000),
    MineralParams("germa", "germanium", "refinery", "Primary and secondary refinery production", "kg",
                  {"CHN": 95000, "RUS": 5000, "CAN": 9000, "USA": 3000, "BEL": 4000, "JPN": 1000}, 2000),
    MineralParams("graph", "graphite", "mine", "Mine production, graphite", "t",
                  {"CHN": 1_230_000, "MOZ": 170000, "MDG": 100000, "BRA": 73000, "KOR": 27000,
                   "RUS": 16000, "IND": 8300, "CAN": 3000},
                  40000,
                  {"CHN": 78_000_000, "BRA": 74_000_000, "MOZ": 25_000_000, "MDG": 26_000_000,
                   "TZA": 18_000_000, "RUS": 14_000_000, "IND": 8_000_000},
                  40_000_000),
    MineralParams("lithi", "lithium", "mine", "Mine production, lithium content", "t",
                  {"AUS": 86000, "CHL": 44000, "CHN": 33000, "ZWE": 14900, "ARG": 9600, "BRA": 4900,
                   "CAN": 3400},
                  2000,
                  {"CHL": 9_300_000, "AUS": 6_200_000, "ARG": 3_600_000, "CHN": 3_000_000,
                   "USA": 1_100_000, "CAN": 930_000, "BRA": 390_000},
                  2_000_000, "Li content"),
    MineralParams("cobal", "cobalt", "mine", "Mine production, metric tons of contained cobalt", "t",
                  {"COD": 170000, "IDN": 17000, "RUS": 8800, "AUS": 4600, "PHL": 3800, "CHN": 2200,
                   "CAN": 2100, "USA": 500},
                  12000,
                  {"COD": 6_000_000, "AUS": 1_700_000, "IDN": 500_000, "CUB": 500_000, "PHL": 260_000,
                   "RUS": 250_000, "CAN": 230_000, "CHN": 140_000, "USA": 69_000},
                  600_000, "Co content"),
    MineralParams("nicke", "nickel", "mine", "Mine production - nickel, metric tons contained", "t",
                  {"IDN": 1_800_000, "PHL": 400000, "RUS": 200000, "CAN": 180000, "AUS": 160000,
                   "CHN": 110000, "BRA": 89000, "USA": 17000},
                  500000,
                  {"IDN": 55_000_000, "AUS": 24_000_000, "BRA": 16_000_000, "RUS": 8_300_000,
                   "PHL": 4_800_000, "CAN": 2_200_000, "CHN": 2_100_000, "USA": 340_000},
                  20_000_000, "Ni content"),
    MineralParams("antim", "antimony", "mine", "Mine production, contained antimony", "t",
                  {"CHN": 40000, "RUS": 5500, "BOL": 3000, "AUS": 2300, "TUR": 2000, "MMR": 2000},
                  26000,
                  {"CHN": 350_000, "RUS": 350_000, "BOL": 310_000, "AUS": 140_000, "TUR": 100_000,
                   "USA": 60_000},
                  500_000, "Sb content"),
    MineralParams("tungs", "tungsten", "mine", "Mine production, tungsten content", "t",
                  {"CHN": 63000, "VNM": 3500, "RUS": 2200, "BOL": 1600, "AUT": 910, "AUS": 800,
                   "ESP": 500},
                  5000,
                  {"CHN": 1_800_000, "AUS": 570_000, "RUS": 400_000, "VNM": 100_000, "ESP": 56_000},
                  1_400_000, "W content"),
    MineralParams("coppe", "copper", "mine", "Mine production, recoverable copper content", "kt",
                  {"CHL": 5000, "PER": 2600, "COD": 2500, "CHN": 1700, "USA": 1100, "RUS": 910,
                   "IDN": 840, "AUS": 810, "ZMB": 760, "MEX": 750, "KAZ": 600, "CAN": 480, "POL": 400},
                  3100,
                  {"CHL": 190_000, "PER": 120_000, "AUS": 100_000, "RUS": 80_000, "COD": 80_000,
                   "MEX": 53_000, "USA": 50_000, "CHN": 41_000},
                  280_000, "Cu content"),
    MineralParams("coppe", "copper", "refinery", "Refinery production, copper", "kt",
                  {"CHN": 12000, "CHL": 2100, "COD": 1900, "JPN": 1500, "RUS": 1000, "USA": 890,
                   "KOR": 650, "DEU": 600, "POL": 590, "IND": 510},
                  3000, basis="Cu content"),
)
"""USGS-style production series of the synthetic world (levels are rough orders of magnitude)."""
