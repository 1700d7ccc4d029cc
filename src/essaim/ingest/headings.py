"""Heading keys and heading-like lines.

A heading matches a template heading when both have the same *key*: case-folded, accents
removed, apostrophes, punctuation and spaces collapsed to one space. Parenthesised parts such as
"(Qui ?)" are optional, and so are Markdown marks (``#``, ``**``, ``>``) and a leading number.

>>> sorted(heading_keys("Les acteurs (Qui\\u00a0?)"))
['les acteurs', 'les acteurs qui']
>>> "les acteurs" in heading_keys("LES ACTEURS :")
True
>>> sorted(heading_keys("## 2. Synthèse"))
['2 synthese', 'synthese']

The generic template's heading-like lines (``looks_like_heading``): a Markdown ATX heading
(``# Title``), a short line ending with ":" (or " :"), a short ALL-CAPS line, a "> question?"
line, or a short line in bold (``**Title**``). Short means at most 120 characters.

>>> [looks_like_heading(s) for s in ["# Intro", "Freins :", "CONTEXT", "> Why?", "A sentence."]]
[True, True, True, True, False]
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_heading_line", "heading_keys", "looks_like_heading", "normalise"]

SHORT_LINE = 120
_MARKUP_START = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)?(?:\*\*|__)?\s*")
_MARKUP_END = re.compile(r"\s*(?:\*\*|__)?\s*(?:#+\s*)?$")
_PARENTHESES = re.compile(r"\([^()]*\)")
_NUMBERING = re.compile(r"^(?:\d{1,3}|[ivxlc]{1,5}|[a-z])(?:\s|$)")
_NON_WORD = re.compile(r"[\W_]+")
_BULLET = re.compile(r"^\s*(?:[-*•–—▪◦·]|\d{1,3}[.)])\s")


def normalise(text: str) -> str:
    """Case-fold, strip accents, collapse every run of punctuation and spaces to one space.

    >>> normalise("  Présentation de l’initiative (Quoi\\u00a0?) ")
    'presentation de l initiative quoi'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", bare).strip()


def clean_heading_line(line: str) -> str:
    """The heading's words without Markdown marks around them.

    >>> clean_heading_line("## **Freins :**")
    'Freins :'
    """
    return _MARKUP_END.sub("", _MARKUP_START.sub("", line, count=1), count=1)


def heading_keys(line: str) -> frozenset[str]:
    """Every key under which a line may match a template heading (empty when it has no words)."""
    cleaned = clean_heading_line(line)
    keys: set[str] = set()
    for variant in (cleaned, _PARENTHESES.sub(" ", cleaned)):
        key = normalise(variant)
        if key:
            keys.add(key)
            unnumbered = _NUMBERING.sub("", key, count=1).strip()
            if unnumbered and unnumbered != key:
                keys.add(unnumbered)
    return frozenset(keys)


def looks_like_heading(line: str) -> bool:
    """Whether a line is heading-like by the generic template's rules (module docstring)."""
    stripped = line.strip()
    if not stripped or len(stripped) > SHORT_LINE or not normalise(stripped):
        return False
    if re.match(r"^#{1,6}\s+\S", stripped):
        return True
    if _BULLET.match(line):
        return False
    if stripped.startswith(">"):
        return stripped.endswith("?")
    if stripped.endswith(":"):
        return True
    if re.fullmatch(r"(\*\*|__).+(\*\*|__):?", stripped):
        return True
    letters = [ch for ch in stripped if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)
