"""Text in the picture: what XML can hold, cut to a length or a width, and its estimated width.

>>> clean("bell" + chr(7) + "  and" + chr(10) + "nul" + chr(0))
'bell and nul'
>>> truncate("Union départementale des CUMA de la Sarthe", 24)
'Union départementale…'
>>> fit("Union départementale", 60, 11.0)
'Union dép…'
>>> number(2.0), number(-0.04), number(1.256, 2)
('2', '0', '1.26')
"""

from __future__ import annotations

import re

#: Characters in a label beyond which it is cut.
LABEL_CHARS = 24
_INVALID_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Text that XML 1.0 can hold, on one line."""
    return " ".join(_INVALID_XML.sub("", text).split())


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary where one is near, with an
    ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—(/'’") + "…"


def fit(
    text: str, room: float, size: float, *, bold: bool = False, limit: int = LABEL_CHARS
) -> str:
    """``text`` truncated to ``limit`` characters, and further until it is ``room`` pixels wide
    or less."""
    limit = min(len(text), limit)
    candidate = truncate(text, limit)
    while limit > 4 and text_width(candidate, size, bold=bold) > room:
        limit -= 1
        candidate = truncate(text, limit)
    return candidate


_NARROW = frozenset("fijlrtI!|.,:;'’ ()[]-")
_WIDE = frozenset("mwMW@%")


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """An estimate of the rendered width of ``text`` in a sans-serif font."""
    units = 0.0
    for char in text:
        if char in _NARROW:
            units += 0.32
        elif char in _WIDE:
            units += 0.9
        elif char.isupper() or char.isdigit():
            units += 0.66
        else:
            units += 0.55
    return units * size * (1.12 if bold else 1.0)


def number(value: float, digits: int = 1) -> str:
    """``value`` written with at most ``digits`` decimals, without trailing zeros."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
