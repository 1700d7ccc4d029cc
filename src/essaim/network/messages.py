"""The words of the picture, in French and English.

>>> count(TEXT["fr"], "actor_n", 0), count(TEXT["en"], "actor_n", 0)
('0 acteur', '0 actors')
>>> for_language("en-GB")["title"]
'Partnership network'
"""

from __future__ import annotations

from collections.abc import Mapping

#: Messages; "singular|plural" where a count decides (see :func:`count`).
TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Réseau de partenariats",
        "empty": "Aucun partenariat à afficher.",
        "empty_desc": "Aucun acteur ne prend part à une initiative dans ce périmètre.",
        "ess": "Familles de l'ESS",
        "other": "Autres acteurs",
        "not_stated": "Non précisé",
        "carrier": "Structure porteuse",
        "focus": "acteur présenté",
        "ties": "Trait : initiatives en commun",
        "actor_n": "{n} acteur|{n} acteurs",
        "edge_n": "{n} lien de partenariat|{n} liens de partenariat",
        "initiative_n": "{n} initiative|{n} initiatives",
        "partner_n": "{n} partenaire|{n} partenaires",
        "summary": (
            "{actors} et {edges} ; deux acteurs sont liés quand ils prennent part à une même "
            "initiative ({initiatives} en tout)."
        ),
        "families": "Familles : {items}.",
        "carriers": "Structure porteuse : {names}.|Structures porteuses : {names}.",
        "actors": "Acteurs : {names}.",
        "more": "et {n} autre|et {n} autres",
        "truncated": "Réseau réduit aux {shown} acteurs les plus liés, sur {total}.",
        "truncated_short": "{shown} acteurs sur {total} (les plus liés)",
    },
    "en": {
        "title": "Partnership network",
        "empty": "No partnership to show.",
        "empty_desc": "No actor takes part in an initiative in this scope.",
        "ess": "ESS families",
        "other": "Other actors",
        "not_stated": "Not stated",
        "carrier": "Carrier",
        "focus": "actor shown",
        "ties": "Line: initiatives in common",
        "actor_n": "{n} actor|{n} actors",
        "edge_n": "{n} partnership tie|{n} partnership ties",
        "initiative_n": "{n} initiative|{n} initiatives",
        "partner_n": "{n} partner|{n} partners",
        "summary": (
            "{actors} and {edges}; two actors are tied when they take part in the same "
            "initiative ({initiatives} in all)."
        ),
        "families": "Families: {items}.",
        "carriers": "Carrier: {names}.|Carriers: {names}.",
        "actors": "Actors: {names}.",
        "more": "and {n} more|and {n} more",
        "truncated": "Network cut down to the {shown} best-connected actors, out of {total}.",
        "truncated_short": "{shown} of {total} actors (best connected)",
    },
}


def count(text: Mapping[str, str], key: str, n: int, **values: object) -> str:
    """The message ``key`` for a count ``n``: singular for 1 (and 0 in French), else plural."""
    singular, _, plural = text[key].partition("|")
    one = n == 1 or (n == 0 and text is TEXT["fr"])
    return (singular if one or not plural else plural).format(n=n, **values)


def for_language(lang: str) -> Mapping[str, str]:
    """The messages in English for an English ``lang``, else in French."""
    return TEXT["en" if lang.lower().startswith("en") else "fr"]
