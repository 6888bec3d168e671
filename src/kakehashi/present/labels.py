"""Product and country labels: shortening and wrapping names for narrow places (no analysis)."""

from __future__ import annotations

import textwrap

ELLIPSIS = "…"


def shorten(text: object, width: int) -> str:
    """``text`` cut to at most ``width`` characters at a word boundary, ending in ``…`` when cut.

    Missing or non-string values give ``""``.

    Examples
    --------
    >>> shorten("Rare-earth metals, scandium and yttrium", 24)
    'Rare-earth metals…'
    >>> shorten("Tin", 24)
    'Tin'
    """
    if not isinstance(text, str) or not text:
        return ""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space >= width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:(-") + ELLIPSIS


def wrap(text: object, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters (long words are split).

    Examples
    --------
    >>> wrap("Rare-earth metals, scandium and yttrium", 20)
    ['Rare-earth metals,', 'scandium and yttrium']
    """
    if not isinstance(text, str) or not text:
        return [""]
    return textwrap.wrap(" ".join(text.split()), max(1, width), break_long_words=True) or [""]


def product_label(hs6: object, name: object, width: int | None = 40) -> str:
    """``"<hs6> <name>"`` with the name shortened to ``width`` characters (``None``: whole).

    Examples
    --------
    >>> product_label("280530", "Rare-earth metals, scandium and yttrium", 24)
    '280530 Rare-earth metals…'
    """
    text = name if isinstance(name, str) else ""
    if width is not None:
        text = shorten(text, width)
    return f"{hs6 or ''} {text}".strip()


COLUMN_LABELS: dict[str, str] = {
    "importer": "importer",
    "exporter": "exporter",
    "supplier": "supplier",
    "country": "country",
    "partner": "partner",
    "rival": "rival",
    "coalition": "coalition",
    "hs6": "HS code",
    "product_name": "product",
    "workstream": "workstream",
    "year": "year",
    "stage": "stage",
    "tier": "tier",
    "metric": "measure of impact",
    "imports_usd": "imports (USD)",
    "exports_usd": "exports (USD)",
    "value_usd": "value (USD)",
    "rival_usd": "bought from the rival (USD)",
    "rival_share": "rival's share of imports",
    "top_supplier": "largest supplier",
    "top_share": "largest supplier's share",
    "import_hhi": "concentration of suppliers (HHI)",
    "world_export_hhi": "concentration of world exports (HHI)",
    "import_export_ratio": "exports ÷ imports",
    "hhi_wgi": "governance-weighted concentration",
    "severity": "severity (0–100)",
    "dependent": "dependent this year",
    "persistent": "dependent in 2 of the last 3 years",
    "share": "share",
    "quantity": "quantity",
    "unit": "unit",
    "spare_usd": "spare exports (USD)",
    "to_importer_usd": "already sold to the importer (USD)",
    "rca": "export specialisation (RCA)",
    "partner_cover": "partner could replace (×)",
    "coalition_cover": "coalition could replace (×)",
    "world_cover": "rest of world could replace (×)",
    "partner_spare_usd": "partner spare exports (USD)",
    "coalition_spare_usd": "coalition spare exports (USD)",
    "world_spare_usd": "rest-of-world spare exports (USD)",
    "top_candidates": "best candidates (spare exports, RCA)",
    "net_shortfall_usd": "net shortfall (USD)",
    "net_shortfall_share": "net shortfall (share of imports)",
    "direct_loss_usd": "direct loss of supply (USD)",
    "reallocated_usd": "replaced by other suppliers (USD)",
    "output_at_risk_usd": "downstream output at risk (USD)",
    "supply_cut_share": "share of supply cut",
    "trade_total_usd": "total trade (USD)",
    "trade_creation_usd": "trade created (USD)",
    "trade_diversion_usd": "trade diverted (USD)",
    "tariff_revenue_change_usd": "change in tariff revenue (USD)",
    "consumer_surplus_change_usd": "change in consumer surplus (USD)",
    "welfare_change_usd": "change in welfare (USD)",
    "wits_welfare_triangle_usd": "welfare loss triangle, WITS-SMART (USD)",
    "input_share": "input share",
    "shortfall_usd": "shortfall (USD)",
    "extra_cost_usd": "extra cost (USD)",
    "cost": "extra cost",
    "risk": "supply risk",
    "lam": "weight on cost",
    "theta": "share of others' spare exports that can be redirected",
    "phi": "share of the rival's shipments stopped",
    "p5": "low (5th percentile)",
    "p50": "median",
    "p95": "high (95th percentile)",
    "rival_share_before": "rival share now",
    "rival_share_after": "rival share proposed",
    "partner_share_before": "partner share now",
    "partner_share_after": "partner share proposed",
    "partner_share_falls": "partner share falls",
    "rival_share_rises": "rival share rises",
    "import_reliance": "import reliance (net imports ÷ use)",
    "reserves": "reserves",
    "commodity": "mineral",
    "hhi": "concentration of production (HHI)",
    "top_producer": "largest producer",
    "reserves_hhi": "concentration of reserves (HHI)",
    "top_reserves_holder": "largest reserves holder",
    "top_reserves_share": "its share of reserves",
    "rival_reserves_share": "rival's share of reserves",
    "importer_imports_usd": "importer's imports (USD)",
    "importer_rival_import_share": "importer's share bought from the rival",
    "country_sum": "world production (sum of countries)",
    "usgs_world_total": "USGS world total",
    "sum_vs_world_total": "countries ÷ USGS world total",
    "wgi_coverage": "production with governance data",
    "n_producers": "producers",
    "ingested_at": "ingested at",
    "first_year": "first year",
    "last_year": "last year",
    "status": "status",
}
"""Readable names of the library's columns and metrics (shared by the dashboard and the packs)."""


def column_label(name: str) -> str:
    """The reader's name of a column or metric; unknown names lose their underscores.

    Examples
    --------
    >>> column_label("net_shortfall_usd"), column_label("lam"), column_label("some_new_col")
    ('net shortfall (USD)', 'weight on cost', 'some new col')
    """
    return COLUMN_LABELS.get(name, name.replace("_", " "))


def column_labels(names: object) -> dict[str, str]:
    """``{column: label}`` for every name in ``names`` (a frame's columns or a list)."""
    return {str(n): column_label(str(n)) for n in names}  # type: ignore[attr-defined]


READER_NAMES: dict[str, str] = {
    "COD": "DR Congo",
    "RUS": "Russia",
    "FSM": "Micronesia",
    "PSE": "Palestine",
    "VGB": "British Virgin Islands",
    "VIR": "US Virgin Islands",
    "BES": "Caribbean Netherlands",
    "SHN": "Saint Helena",
}
"""Common short English names (written by the project) where the ISO short name reads as an index
entry ("Congo, The Democratic Republic of the") or is longer than a chart label; every other code keeps
the package's name (:func:`kakehashi.sources.countries.country_name`)."""


def country_label(code: object) -> str:
    """The English short name of an ISO3 code (``kakehashi.sources.countries``, or
    :data:`READER_NAMES`), the code itself when unknown (blocs such as ``JPN+IND`` are named member
    by member).

    Examples
    --------
    >>> country_label("JPN"), country_label("JPN+IND"), country_label("other"), country_label("COD")
    ('Japan', 'Japan + India', 'other', 'DR Congo')
    """
    from kakehashi.errors import KakehashiError
    from kakehashi.sources.countries import country_name

    if not isinstance(code, str) or not code:
        return ""
    parts = code.replace(",", "+").split("+")
    names = []
    for p in parts:
        if p in READER_NAMES:
            names.append(READER_NAMES[p])
            continue
        try:
            names.append(country_name(p))
        except (KakehashiError, ValueError, KeyError, IndexError):
            names.append(p)
    return " + ".join(names)


COUNTRY_COLUMNS: frozenset[str] = frozenset({
    "importer", "exporter", "supplier", "country", "partner", "rival", "coalition", "issuer",
    "top_supplier", "top_producer", "top_country", "top_reserves_holder", "producer", "reporter",
})
"""Columns that hold ISO3 codes (or blocs, or lists of codes): printed as country names."""


def country_cell(value: object) -> str:
    """Country names for a table cell holding an ISO3 code, a bloc (``JPN+IND``) or a list of codes
    (a sequence or ``"CHN, USA"``), names joined by ``", "``; other text is kept as it is.

    Examples
    --------
    >>> country_cell("DEU"), country_cell("JPN+IND"), country_cell(["CHN", "USA"]), country_cell("CHN, USA")
    ('Germany', 'Japan + India', 'China, United States', 'China, United States')
    >>> country_cell("other"), country_cell(None)
    ('other', '')
    """
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        if len(parts) > 1 and not all(p.isalpha() and p.isupper() and len(p) == 3 for p in parts):
            parts = [value]  # a name with a comma ("Korea, Republic of"), not a list of codes
    elif isinstance(value, list | tuple) or callable(getattr(value, "tolist", None)):
        items = value if isinstance(value, list | tuple) else getattr(value, "tolist")()  # noqa: B009
        parts = [str(p) for p in items]
    else:
        return ""
    return ", ".join(country_label(p) for p in parts if p)


GLOSSARY: dict[str, tuple[str, str]] = {
    "dependent": ("Dependent",
                  "A product is dependent when three things hold in the year shown: the importer buys "
                  "it from few suppliers (concentration of suppliers above 0.4), few countries export it "
                  "worldwide (concentration of world exports above 0.4), and the importer buys more of "
                  "it than it sells (criteria of the EU's 2021 dependency review and CEPII's GeoDep)."),
    "persistent": ("Dependent in 2 of the last 3 years (persistent)",
                   "A product that met the dependency test in at least two of the last three years. "
                   "It need not be dependent this year, so the two counts can differ in either "
                   "direction: a product can have just become dependent, or have just dropped out."),
    "hhi": ("HHI (Herfindahl–Hirschman index)",
            "Concentration of a market: the sum of the squared shares of its suppliers, from near 0 "
            "(many small suppliers) to 1 (one supplier). 0.4 is roughly the level of two or three "
            "suppliers sharing the market."),
    "hhi_wgi": ("Governance-weighted concentration",
                "The HHI of world supply with each producer's share weighted by its governance score "
                "(World Bank Worldwide Governance Indicators), as in the EU's supply-risk method: "
                "concentration in poorly governed countries counts more."),
    "severity": ("Severity",
                 "A 0–100 ranking score: 100 × rival's share of imports × concentration of suppliers × "
                 "concentration of world exports × how far imports exceed exports. It orders products; "
                 "it is not a probability."),
    "rca": ("RCA (revealed comparative advantage)",
            "A country's share of the product in its own exports divided by the product's share of "
            "world exports (Balassa). Above 1: the country specialises in exporting it."),
    "cover": ("Could replace (cover)",
              "Spare exports (what a country now sells to third countries) divided by what the importer "
              "buys from the rival. 1× could replace the rival in full, before contracts, quality and "
              "capacity limits, so it is an upper bound."),
    "spare": ("Spare exports",
              "What a candidate supplier exports to countries other than the importer; the most it could "
              "redirect without producing more."),
    "rival": ("Rival", "The supplier whose supply is at risk (by default China)."),
    "partner": ("Partner", "A friendly country whose capacity to replace the rival is shown separately."),
    "coalition": ("Coalition", "Further friendly countries counted together with the partner."),
    "scenario": ("Scenario bands",
                 "A scenario is simulated many times with uncertain parameters; the band runs from the "
                 "5th to the 95th percentile of the results and the dot is the median."),
    "lam": ("Weight on cost (risk–cost trade-off)",
            "In the sourcing portfolio, how much the optimiser values low cost against low supply risk: "
            "0 ignores cost, a larger weight accepts less risk reduction to keep the extra cost down. "
            "The risk–cost frontier shows the portfolio for each weight."),
    "scenario_severity": ("Share of shipments stopped (severity of a measure)",
                          "In a scenario, the share of the restricting country's shipments of a product "
                          "that the measure stops: 1 is a ban, 0.5 halves them. Where a licensing "
                          "regime's severity is not published, the scenario draws it between 0.1 and "
                          "0.9 (most likely 0.5)."),
    "theta": ("Share of spare exports that can be redirected",
              "In a scenario, the share of other suppliers' exports to third countries that they can "
              "send to the importers hit by the measure instead; the affected importers share it in "
              "proportion to their losses."),
}
"""Plain-language explanations of the dashboard's and the packs' terms (``/glossary``)."""


PARAMETERS: dict[str, tuple[str, str]] = {
    "severity": ("Share of shipments stopped (0–1)",
                 "1 is a ban, 0.5 halves the restricting country's shipments; blank keeps the "
                 "catalogue's severity."),
    "theta": ("Share of others' spare exports that can be redirected (0–1)",
              "How much of what other suppliers sell to third countries they can send to the importers "
              "hit instead; blank keeps the model's default."),
    "lam": ("Weight on cost",
            "0 ignores cost; a larger weight accepts less risk reduction to keep the extra cost down."),
}
"""Reader's name and one-line help of each model parameter a form or a table shows, keyed by the
parameter's query, form or column name (which stays as it is: the names are machine contracts)."""


def cost_weight_label(lam: float) -> str:
    """A point of the risk–cost frontier named in words: the weight on cost it was solved for.

    Examples
    --------
    >>> cost_weight_label(0), cost_weight_label(10)
    ('cost ignored', 'weight on cost 10')
    """
    return "cost ignored" if lam == 0 else f"weight on cost {lam:g}"
