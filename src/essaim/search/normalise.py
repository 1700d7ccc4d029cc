"""Words as the index cuts them, text as it compares it, and the user's text made into FTS5
queries of quoted strings only (see :mod:`essaim.search`, "Queries are safe").

>>> words("Réseau d'acteurs (ESS) -- 2006")
['Réseau', 'd', 'acteurs', 'ESS', '2006']
>>> fold("RÉSEAU  des Acteurs")
'reseau des acteurs'
>>> build_match('réseau "ou" rés')
'("réseau" OR "réseaus" OR "réseaux") OR "ou" OR ("rés" OR "rés"*)'
>>> build_match("-- ; --") is None
True
>>> primary_language("fr-FR")
'fr'
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")

#: Combining marks (the Unicode blocks of combining diacritics), removed when folding accents.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_MAX_TERMS = 16
_MAX_TERM_CHARS = 64
_MIN_PREFIX = 3


def words(text: str) -> list[str]:
    """The words of ``text`` as the index's tokenizer cuts them (runs of letters and digits)."""
    return _WORD.findall(unicodedata.normalize("NFC", text))


def fold(text: str) -> str:
    """``text`` as the index compares it: words joined by one space, case and accents folded."""
    joined = " ".join(words(text)).casefold()
    if joined.isascii():
        return joined
    return _MARKS.sub("", unicodedata.normalize("NFKD", joined))


def _variants(word: str) -> list[str]:
    """The word and its regular French/English plural or singular forms."""
    w = word.lower()
    forms = [w]
    if len(w) > 3:
        if w.endswith("aux"):
            forms.append(w[:-3] + "al")  # locaux -> local
        if w.endswith(("s", "x")):
            forms.append(w[:-1])  # acteurs -> acteur, réseaux -> réseau
        else:
            forms.append(w + "s")
            if w.endswith(("au", "eu")):
                forms.append(w + "x")
            if w.endswith("al"):
                forms.append(w[:-2] + "aux")
    return list(dict.fromkeys(forms))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def match_groups(text: str) -> list[str]:
    """One FTS5 query per word of the user's ``text``, made of quoted strings only (the word,
    its plural/singular forms, and for the last word being typed its prefix); see the module
    docstring."""
    text = unicodedata.normalize("NFC", text)
    found = words(text)
    # each word once (its last occurrence, so that the last word typed stays last)
    seen: set[str] = set()
    unique: list[str] = []
    for word in reversed(found):
        if (key := fold(word)) not in seen:
            seen.add(key)
            unique.append(word.lower())
    unique.reverse()
    terms = [t[:_MAX_TERM_CHARS] for t in unique[:_MAX_TERMS]]
    typing = len(unique) <= _MAX_TERMS and _WORD.fullmatch(text[-1:]) is not None
    groups = []
    for i, term in enumerate(terms):
        options = [_quote(v) for v in _variants(term)]
        if typing and i == len(terms) - 1 and len(term) >= _MIN_PREFIX:
            options.append(_quote(term) + "*")
        groups.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return groups


def build_match(text: str) -> str | None:
    """The FTS5 query matching the texts that hold any word of ``text`` (None: no word)."""
    return " OR ".join(groups) if (groups := match_groups(text)) else None


def primary_language(lang: str) -> str:
    """The primary language subtag, lower case: ``fr-FR`` -> ``fr``."""
    return lang.split("-", 1)[0].strip().lower()
