"""French and English for the pages: the language of a request (``?lang=``, then the ``lang``
cookie a switch sets, then ``Accept-Language``, French by default) and the interface's words,
one catalogue (``words.toml``) where each key carries both languages."""

from __future__ import annotations

import tomllib
from pathlib import Path

from starlette.requests import Request

LANGUAGES = ("fr", "en")
DEFAULT = "fr"


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get("lang")
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT, -1.0
    for item in request.headers.get("accept-language", "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


#: The catalogue: each key with its French and English side by side (``words.toml``).
CATALOGUE: dict[str, dict[str, str]] = tomllib.loads(
    Path(__file__).with_name("words.toml").read_text(encoding="utf-8")
)
#: The same words by language: ``WORDS["en"]["home"] == "Home"``.
WORDS: dict[str, dict[str, str]] = {
    lang: {key: both[lang] for key, both in CATALOGUE.items()} for lang in LANGUAGES
}


def words(lang: str) -> dict[str, str]:
    """The interface's words in ``lang`` (French for a language the pages do not speak).

    >>> words("en")["home"], words("fr")["home"], words("de")["colon"]
    ('Home', 'Accueil', ' : ')
    """
    return WORDS.get(lang, WORDS[DEFAULT])
