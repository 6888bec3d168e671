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
