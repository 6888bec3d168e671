"""Fonts for the scripts a pack prints (Japanese, Chinese, Korean, Hindi), checked before a PDF is made.

WeasyPrint draws text with the system's fonts (fontconfig). Without a font for a
script it prints empty boxes, silently. :func:`missing_scripts` asks fontconfig
(``fc-list :lang=ja``, ``:lang=ko``, ``:lang=hi``) which of the scripts present in
a text have no font; :func:`strip_scripts` leaves their characters out
(``"Japan 日本 (JPN)"`` prints as ``"Japan (JPN)"``), and
:func:`kakehashi.report.render.render_pdf` does both and warns with
:class:`MissingFontWarning`, naming the Debian packages to install.

No font ships with kakehashi: the free fonts on PyPI are either the Devanagari face alone
(``fontpkg-noto-sans-devanagari``, 0.36 MB) or a 27 MB CJK wheel of uncertain upkeep
(``cvttf-notosanscjk-regular``), so the install relies on the system's Noto fonts
(Debian/Ubuntu: ``fonts-noto-cjk fonts-noto-core``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache


class MissingFontWarning(UserWarning):
    """A script in the pack has no font on this machine; its characters were left out of the PDF."""


@dataclass(frozen=True)
class Script:
    """A writing system, the fontconfig language that stands for it and the package that brings it."""

    name: str
    lang: str
    pattern: re.Pattern[str]
    package: str


SCRIPTS: tuple[Script, ...] = (
    Script("Japanese/Chinese", "ja",
           re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+"),
           "fonts-noto-cjk"),
    Script("Korean", "ko", re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]+"), "fonts-noto-cjk"),
    Script("Hindi (Devanagari)", "hi", re.compile(r"[\u0900-\u097f]+"), "fonts-noto-core"),
)
"""Scripts of the own-script country names a pack may print
(:data:`kakehashi.report.appendix.NATIVE_NAMES`)."""

INSTALL_HINT = ("install the Noto fonts, e.g. on Debian/Ubuntu: "
                "sudo apt-get install fonts-noto-cjk fonts-noto-core")


@cache
def has_font(lang: str) -> bool | None:
    """Whether fontconfig knows a font covering ``lang`` (``fc-list :lang=LANG``); ``None`` when
    ``fc-list`` is not installed and nothing can be said."""
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    out = subprocess.run([exe, f":lang={lang}", "family"], capture_output=True, text=True, check=False)
    return out.returncode == 0 and bool(out.stdout.strip())


def scripts_in(text: str) -> list[Script]:
    """The scripts of :data:`SCRIPTS` that occur in ``text``."""
    return [s for s in SCRIPTS if s.pattern.search(text)]


def missing_scripts(text: str) -> list[Script]:
    """Scripts present in ``text`` for which fontconfig reports no font (unknown counts as present)."""
    return [s for s in scripts_in(text) if has_font(s.lang) is False]


def strip_scripts(text: str, scripts: list[Script]) -> str:
    """``text`` without the characters of ``scripts`` (and the one space before each run)."""
    for s in scripts:
        text = re.sub(r" ?(?:" + s.pattern.pattern + ")", "", text)
    return text


def warning_text(scripts: list[Script]) -> str:
    """The warning printed when ``scripts`` have no font: which, and the packages to install."""
    names = ", ".join(s.name for s in scripts)
    packages = " ".join(dict.fromkeys(s.package for s in scripts))
    return (f"no font for {names} on this machine: those characters are left out of the PDF "
            f"(they would print as empty boxes); install {packages} "
            f"(Debian/Ubuntu: sudo apt-get install {packages}) and build the pack again")


__all__ = ["INSTALL_HINT", "SCRIPTS", "MissingFontWarning", "Script", "has_font", "missing_scripts",
           "scripts_in", "strip_scripts", "warning_text"]
