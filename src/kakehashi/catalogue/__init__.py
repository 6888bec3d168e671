"""Curated, cited package data: strategic goods, chain links, USGS commodities.

Files in ``catalogue/data/`` (UTF-8 CSV, one header line):

``strategic_goods.csv``
    workstream, hs6 (HS 2022), name, stage (raw | processed | component |
    end-product), flag (``E`` established: the HS text names the good or an
    official measure uses the code; ``A`` approximate: a basket code that also
    holds other goods), source (keys listed in ``sources.csv``).
``chain_links.csv``
    input_hs6, output_hs6 (both HS 2022 catalogue codes), input_share (share of
    the input in the output's value, empty where no source gives one), note,
    source.
``usgs_hs.csv``
    commodity (USGS commodity key, as in ``usgs_commodities.csv``), hs6,
    stage, flag, note, source: the HS 2022 codes under which a mineral
    commodity is traded, for import reliance.
``sources.csv``
    key, description: what each source key of the other files refers to.
``usgs_commodities.csv``
    (curated with the USGS parser) usgs_code, commodity, name, ...
``hs_chapters.csv``
    chapter (two digits), title (the project's short form of the WCO HS 2022
    chapter title), source: the words for a code outside the catalogue when
    no HS description is loaded.

Every code is checked against the HS 2022 nomenclature in the tests; a code no
source supports is left out rather than guessed.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import pandas as pd

from kakehashi.errors import InputError, unknown_value_error
from kakehashi.schemas import HS_REVISIONS

CATALOGUE_REVISION = "HS22"
"""HS revision of every code in the catalogue."""

WORKSTREAMS: tuple[str, ...] = (
    "critical-minerals",
    "semiconductors",
    "ict",
    "clean-energy",
    "medicines",
    "ai-data-centres",
)
"""The six workstreams of the Japan-India economic-security dialogue, in display order."""

WORKSTREAM_NAMES: dict[str, str] = {
    "critical-minerals": "Critical minerals",
    "semiconductors": "Semiconductors",
    "ict": "ICT and undersea cables",
    "clean-energy": "Clean energy",
    "medicines": "Medicines",
    "ai-data-centres": "AI and data centres",
}
"""Each workstream's name for readers (titles of packs and pages)."""


def workstream_name(key: str) -> str:
    """A workstream's name for readers, e.g. ``critical-minerals`` → ``Critical minerals``.

    Examples
    --------
    >>> workstream_name("ict"), workstream_name("my-list")
    ('ICT and undersea cables', 'My list')
    """
    return WORKSTREAM_NAMES.get(key) or key.replace("-", " ").capitalize()

STAGES: tuple[str, ...] = ("raw", "processed", "component", "end-product")
"""Supply-chain stages, upstream first."""

_HS6 = re.compile(r"^[0-9]{6}$")


def _read(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath("data", name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@functools.cache
def _strategic_goods() -> pd.DataFrame:
    return _read("strategic_goods.csv")


def strategic_goods() -> pd.DataFrame:
    """Return the strategic-goods catalogue.

    Returns
    -------
    pandas.DataFrame
        Columns ``workstream, hs6, name, stage, flag, source``; one row per
        (workstream, hs6). A code may sit in several workstreams (polysilicon
        280461 is in critical-minerals, semiconductors and clean-energy).

    Examples
    --------
    >>> goods = strategic_goods()
    >>> goods.loc[goods.hs6 == "850511", "stage"].iloc[0]
    'component'
    """
    return _strategic_goods().copy()


def workstreams() -> list[str]:
    """Return the workstream keys, e.g. ``['critical-minerals', 'semiconductors', ...]``."""
    return list(WORKSTREAMS)


@functools.cache
def _chain_links() -> pd.DataFrame:
    df = _read("chain_links.csv")
    df["input_share"] = pd.to_numeric(df["input_share"].replace("", None)).astype("Float64")
    return df


def chain_links() -> pd.DataFrame:
    """Return the supply-chain links ``input_hs6 → output_hs6`` between catalogue codes.

    Returns
    -------
    pandas.DataFrame
        Columns ``input_hs6, output_hs6, input_share, note, source``;
        ``input_share`` (nullable float, fraction of the output's value) is
        missing where no source in the catalogue gives it, and the note says so.
    """
    return _chain_links().copy()


def usgs_hs() -> pd.DataFrame:
    """Return the USGS commodity → HS 2022 six-digit map.

    Returns
    -------
    pandas.DataFrame
        Columns ``commodity, hs6, stage, flag, note, source``. Flag ``A``
        marks basket codes shared with other goods (811292 holds gallium,
        germanium, indium, niobium and vanadium), so import reliance computed
        from them is an upper bound.
    """
    return _read("usgs_hs.csv")


def sources() -> pd.DataFrame:
    """Return the source keys used by the catalogue files and what they refer to."""
    return _read("sources.csv")


def product_names() -> dict[str, str]:
    """Return ``{hs6: short name}`` for every catalogue code (first name wins)."""
    goods = _strategic_goods().drop_duplicates("hs6")
    return dict(zip(goods["hs6"], goods["name"], strict=True))


@functools.cache
def hs_chapters() -> dict[str, str]:
    """Return ``{chapter: short title}`` for the 96 chapters of HS 2022 (01-97, 77 is reserved).

    Titles are the project's short forms of the WCO Harmonized System 2022
    nomenclature's chapter titles (``hs_chapters.csv``, source key ``H3``).

    Examples
    --------
    >>> hs_chapters()["06"], len(hs_chapters())
    ('Live trees and other plants', 96)
    """
    df = _read("hs_chapters.csv")
    return dict(zip(df["chapter"], df["title"], strict=True))


def chapter_description(hs6: str) -> str:
    """Words for a six-digit code from its HS chapter: ``"Goods of chapter 06 (live trees and
    other plants), HS 0602.20"``; used where no HS description of the subheading is at hand.

    The chapter title names the chapter, never the subheading (a code of chapter 85 is some
    electrical good, not necessarily a machine). An unknown chapter gives ``"HS 1234.56"``.

    Examples
    --------
    >>> chapter_description("060220")
    'Goods of chapter 06 (live trees and other plants), HS 0602.20'
    """
    code = f"HS {hs6[:4]}.{hs6[4:]}"
    title = hs_chapters().get(hs6[:2])
    if title is None:
        return code
    return f"Goods of chapter {hs6[:2]} ({title[:1].lower()}{title[1:]}), {code}"


def workstreams_of() -> dict[str, str]:
    """Return ``{hs6: 'ws1, ws2'}``: the workstreams each catalogue code belongs to."""
    goods = _strategic_goods()
    return {str(k): ", ".join(v) for k, v in goods.groupby("hs6", sort=True)["workstream"]}


def _catalogue_codes(selector: str | list[str] | None) -> list[str]:
    goods = _strategic_goods()
    if selector is None:
        return sorted(set(goods["hs6"]))
    if isinstance(selector, str):
        text = selector.strip()
        if text in WORKSTREAMS:
            return sorted(set(goods.loc[goods["workstream"] == text, "hs6"]))
        if "," in text or _HS6.match(text):
            return _check_codes([p for p in text.split(",") if p.strip()])
        raise unknown_value_error("workstream", text, WORKSTREAMS)
    return _check_codes(list(selector))


def _check_codes(codes: list[str]) -> list[str]:
    out = []
    for code in codes:
        c = str(code).strip()
        if not _HS6.match(c):
            raise InputError(f"not a six-digit HS code: {c!r}", value=c,
                             hint="write HS codes with six digits, e.g. 850511 or 280530")
        out.append(c)
    return sorted(set(out))


def select_products(
    selector: str | list[str] | None,
    *,
    revision: str = CATALOGUE_REVISION,
    selector_revision: str = CATALOGUE_REVISION,
) -> list[str]:
    """Resolve a product selector to six-digit codes of HS ``revision``.

    Parameters
    ----------
    selector
        A workstream key (``"clean-energy"``), a list of six-digit codes (or a
        comma-separated string of them), or ``None`` for every catalogue code.
    revision
        HS revision of the codes returned; it must be the selector's own
        (``selector_revision``, HS 2022 for workstreams). Codes of another
        revision come from :func:`kakehashi.metrics.concordance.select_products`,
        which converts through a warehouse's concordance.
    selector_revision
        HS revision of explicit codes in ``selector`` (catalogue workstreams
        are always HS 2022).

    Returns
    -------
    list of str
        Sorted, distinct codes in ``revision``.

    Raises
    ------
    InputError
        Unknown workstream (with close matches), malformed code, unknown
        revision, or a revision other than the selector's.

    Examples
    --------
    >>> select_products("clean-energy")[:3]
    ['280461', '284290', '285390']
    """
    for rev in (revision, selector_revision):
        if rev not in HS_REVISIONS:
            raise unknown_value_error("HS revision", rev, HS_REVISIONS)
    is_catalogue = selector is None or (isinstance(selector, str) and selector.strip() in WORKSTREAMS)
    from_rev = CATALOGUE_REVISION if is_catalogue else selector_revision
    codes = _catalogue_codes(selector)
    if revision == from_rev:
        return codes
    raise InputError(
        f"cannot convert {from_rev} codes to {revision} here",
        hint="use kakehashi.metrics.concordance.select_products with a warehouse holding the HS concordance",
    )


__all__ = [
    "CATALOGUE_REVISION",
    "STAGES",
    "WORKSTREAMS",
    "chain_links",
    "chapter_description",
    "hs_chapters",
    "product_names",
    "select_products",
    "sources",
    "strategic_goods",
    "usgs_hs",
    "workstreams",
    "workstreams_of",
]
