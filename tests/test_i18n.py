"""The pages' words (essaim.web.pages.i18n): one catalogue, each key in French and English, and
every word the templates look up in it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from essaim.web.pages import i18n
from essaim.web.pages.templating import TEMPLATES

#: ``{{ t.key }}`` and ``t["key"]`` in a template (``t`` is the language's words).
LOOKUP = re.compile(r"""(?<![\w.])t(?:\.(\w+)|\[["'](\w+)["']\])""")


def test_every_key_has_both_languages() -> None:
    catalogue = tomllib.loads(Path(i18n.__file__).with_name("words.toml").read_text("utf-8"))
    assert len(catalogue) > 50
    for key, both in catalogue.items():
        assert set(both) == set(i18n.LANGUAGES), key
        assert all(isinstance(text, str) and text.strip() for text in both.values()), key
    for lang in i18n.LANGUAGES:
        assert set(i18n.words(lang)) == set(catalogue), lang


def test_every_word_the_templates_use_is_in_the_catalogue() -> None:
    used: dict[str, set[str]] = {}
    for template in sorted(TEMPLATES.rglob("*.html")):
        for match in LOOKUP.finditer(template.read_text("utf-8")):
            used.setdefault(match.group(1) or match.group(2), set()).add(template.name)
    assert len(used) > 50  # the pattern finds the lookups
    for lang in i18n.LANGUAGES:
        missing = {key: names for key, names in used.items() if key not in i18n.words(lang)}
        assert not missing, (lang, missing)


def test_an_unknown_language_gets_french() -> None:
    assert i18n.words("de") == i18n.words("fr")
    assert i18n.words("en")["home"] == "Home" and i18n.words("fr")["home"] == "Accueil"
