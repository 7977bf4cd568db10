"""The embedded Japanese font, and what to do with characters it lacks (外字).

IPAex Gothic is a TrueType font, so ReportLab embeds a subset of it in every PDF and every viewer
shows the same glyphs (Debian's Noto CJK fonts are OpenType/CFF, which ReportLab cannot embed).
Names registered in the 住民基本台帳 may use characters outside the font: rare variant kanji from
the CJK extensions, private-use code points of a legacy 外字 table, or ideographic variation
selectors. They are replaced by a visible 〓 (geta mark, the customary placeholder) and reported,
so the document is held for review instead of printing a blank or crashing the batch.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "IPAexGothic"
# Debian's fonts-ipaexfont-gothic installs the first; the others are older Debian and Ubuntu paths.
FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
)
PLACEHOLDER = "\u3013"  # 〓

OUTER_CHARACTER = "outer_character"  # not in the font: printed as 〓
VARIATION_SELECTOR = "variation_selector"  # glyph variant asked for, base character printed


class FontNotFoundError(RuntimeError):
    """The Japanese font is not installed; documents cannot be rendered without it."""


@dataclass(frozen=True, slots=True)
class Fitted:
    """Text the font can draw, and the characters that had to be replaced or dropped."""

    text: str
    outer: tuple[str, ...] = ()
    variation_selectors: tuple[str, ...] = ()


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


@functools.cache
def font_name() -> str:
    """Register the font with ReportLab once per process and return its name."""
    for path in FONT_PATHS:
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
            return FONT_NAME
    tried = ", ".join(str(p) for p in FONT_PATHS)
    raise FontNotFoundError(
        f"The Japanese font IPAex Gothic is not installed (looked for {tried}). Install the "
        "Debian package fonts-ipaexfont-gothic (scripts/run.sh and scripts/test.sh do it)."
    )


@functools.cache
def _covered() -> frozenset[int]:
    face = pdfmetrics.getFont(font_name()).face  # type: ignore[attr-defined]
    return frozenset(face.charToGlyph)


def fit_to_font(text: str) -> Fitted:
    """Replace what the font cannot draw. Never raises for any string.

    Controls (a stray newline or tab in an address) become a space; variation selectors are
    dropped (the base character is still the right character, but not the registered glyph
    shape); any other character without a glyph becomes 〓.
    """
    covered = _covered()
    # Most strings are entirely covered: check that first rather than rebuilding them.
    if all(ord(char) in covered for char in text):
        return Fitted(text)
    out: list[str] = []
    outer: list[str] = []
    selectors: list[str] = []
    for char in text:
        code = ord(char)
        if code in covered:
            out.append(char)
        elif _is_variation_selector(code):
            selectors.append(char)
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append(PLACEHOLDER)
            outer.append(char)
    return Fitted("".join(out), tuple(outer), tuple(selectors))


def describe(characters: tuple[str, ...]) -> str:
    """U+20BB7 𠮷, U+E000: for messages and review lists (private-use code points show nothing)."""
    parts = []
    for char in dict.fromkeys(characters):
        printable = unicodedata.category(char) not in ("Co", "Cs", "Cn", "Mn", "Cf")
        parts.append(f"U+{ord(char):04X} {char}" if printable else f"U+{ord(char):04X}")
    return ", ".join(parts)
