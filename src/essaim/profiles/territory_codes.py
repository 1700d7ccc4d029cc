"""Territories by their official code (``essaim:officialCode``): INSEE codes of communes,
départements, régions and collectivités d'outre-mer, SIREN of EPCI, ISO 3166 alpha-2 codes of
countries — as ``essaim.ingest.sources.geography`` and ``countries`` record them — and by the
local name a code mints (``fr-departement-72``), which also finds a territory whose IRI was kept
from before the official geography (``territory:sarthe`` is département 72).

A code alone may name several territories (région 52 and département 52; a commune and its
commune déléguée share an INSEE code): :func:`territories_with_code` returns them all, and
whoever asks says which to write instead (:func:`minted_name`).

:func:`resolve_territory` is the one resolver of a territory named by a person — the pages
(``/compare``, ``/territory-map.svg``) and the CSV import (``essaim.publishing``) both use it,
the import through :class:`TerritoryResolver`, which remembers what it resolved for one batch;
:func:`ambiguity` says, in French or English, what to write instead of a code that names
several territories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.namespaces import sparql_prefixes
from essaim.profiles.common import LABELS, Text, Value, local_name
from essaim.store.base import Dataset

#: What an official code looks like: INSEE (2 or 3 digits, 2A/2B, 5 characters), SIREN
#: (9 digits), ISO 3166 alpha-2 (2 letters).
CODE = re.compile(r"[0-9]{2,3}|2[AB]|(?:[0-9]{2}|2[AB])[0-9]{3}|[0-9]{9}|[A-Z]{2}", re.IGNORECASE)
#: The local names a code mints (``essaim.ingest.sources.geography``), with the level they have.
MINTED = re.compile(
    r"fr-(?P<kind>region|com|departement|epci|commune|commune-deleguee|commune-associee|"
    r"arrondissement-municipal)-(?P<code>[0-9AB]{2,9})",
    re.IGNORECASE,
)
_LEVELS = {
    "region": "region",
    "com": "region",
    "departement": "departement",
    "epci": "epci",
    "commune": "commune",
    "commune-deleguee": "neighbourhood",
    "commune-associee": "neighbourhood",
    "arrondissement-municipal": "neighbourhood",
}
_LEVEL = "https://w3id.org/essaim/codebook/territory-level/"

_BY_CODE = f"""
SELECT ?code ?territory ?level ?label WHERE {{
  ?territory essaim:officialCode ?code ; a essaim:Territory .
  OPTIONAL {{ ?territory essaim:territoryLevel ?level }}
  OPTIONAL {{ ?territory {LABELS} ?label }}
}}"""


@dataclass(frozen=True)
class CodedTerritory:
    """A territory with an official code: its IRI, label, level (the level concept's local
    name: ``departement``, ``region``…; "" when not stated) and code."""

    iri: str
    label: str
    level: str
    code: str


def territories_with_code(
    store: Dataset, code: str, lang: str, level: str | None = None
) -> list[CodedTerritory]:
    """The territories whose official code is ``code`` (case-insensitive: ``2a``, ``fr``), of
    ``level`` when given, sorted by IRI."""
    code = code.strip().upper()
    results = store.query(sparql_prefixes() + _BY_CODE, substitutions={"code": ox.Literal(code)})
    labels: dict[str, Text] = {}
    levels: dict[str, str] = {}
    for solution in cast(ox.QuerySolutions, results):
        iri = cast(ox.NamedNode, solution["territory"]).value
        label, found = solution["label"], solution["level"]
        text = labels.setdefault(iri, Text())
        if isinstance(label, ox.Literal):
            text.add(Value(label.value, label.language))
        if isinstance(found, ox.NamedNode) and found.value.startswith(_LEVEL):
            levels[iri] = found.value[len(_LEVEL) :]
        else:
            levels.setdefault(iri, "")
    found_all = [
        CodedTerritory(iri, labels[iri].get(lang) or local_name(iri), levels[iri], code)
        for iri in sorted(labels)
    ]
    return [t for t in found_all if level is None or t.level == level]


def minted_name(territory: CodedTerritory) -> str:
    """The name that picks this territory out of those sharing its code: its IRI's own local
    name when that is the minted one, else the minted form for its level
    (``fr-departement-72``)."""
    local = local_name(territory.iri)
    if MINTED.fullmatch(local):
        return local
    kinds = {"region": "region", "departement": "departement", "epci": "epci",
             "commune": "commune", "neighbourhood": "commune-deleguee"}  # fmt: skip
    kind = kinds.get(territory.level)
    return f"fr-{kind}-{territory.code}" if kind else local


def level_of(kind: str) -> str:
    """The level of the territories a minted prefix names (``com`` → ``region``)."""
    return _LEVELS[kind.lower()]


_IS_TERRITORY = "ASK { ?territory a essaim:Territory }"


@dataclass(frozen=True)
class Resolved:
    """What a territory's name or code resolves to: the one territory (``iri``), else the
    territories a code names (``candidates``: several when the code is ambiguous, none when
    nothing has that name or code)."""

    value: str
    iri: str | None = None
    candidates: tuple[CodedTerritory, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.iri is None and len(self.candidates) > 1


def _is_territory(store: Dataset, iri: str) -> bool:
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    result = store.query(sparql_prefixes() + _IS_TERRITORY, substitutions={"territory": node})
    return bool(result)


def resolve_territory(store: Dataset, value: str, lang: str) -> Resolved:
    """A territory named by its IRI, the last part of a knowledge-base territory's IRI
    (``sarthe``), the name a code mints (``fr-departement-72``, ``fr-region-52``: found by code
    and level, so that it also finds a territory whose IRI was kept from before), or its
    official code (INSEE ``72``, ``72181``, ``2A``; EPCI SIREN ``247200132``; ISO ``FR``,
    case-insensitive). Labels of the candidates are in ``lang``."""
    value = value.strip()
    if not value:
        return Resolved(value)
    minted = MINTED.fullmatch(value)
    if minted is not None:
        found = territories_with_code(store, minted["code"], lang, level_of(minted["kind"]))
        named = [t for t in found if local_name(t.iri) == value] or found
        if len(named) == 1:
            return Resolved(value, named[0].iri, tuple(named))
    iri = value if (":" in value or "/" in value) else ns.KB + "territory/" + value
    if _is_territory(store, iri):
        return Resolved(value, iri)
    found = territories_with_code(store, value, lang)
    if len(found) == 1:
        return Resolved(value, found[0].iri, tuple(found))
    return Resolved(value, None, tuple(found))


def ambiguity(resolved: Resolved, lang: str) -> str:
    """What to write instead of a code that names several territories, in ``lang`` (fr or
    en), with the candidates' labels as resolved."""
    code = resolved.value.strip().upper()
    n = len(resolved.candidates)
    if lang == "fr":
        choices = " ou ".join(
            f"{minted_name(t)} pour {t.label} ({t.level or 'territoire'})"
            for t in resolved.candidates
        )
        return f"le code « {code} » désigne {n} territoires : écrivez {choices}."
    choices = " or ".join(
        f"{minted_name(t)} for {t.label} ({t.level or 'territory'})" for t in resolved.candidates
    )
    return f"the code '{code}' names {n} territories; write {choices}."


class TerritoryResolver:
    """:func:`resolve_territory` over one store, remembering each answer (one import batch
    names the same territories on many rows). Called with a value: the territory's IRI, or
    None when the value names none or several."""

    def __init__(self, store: Dataset) -> None:
        self.store = store
        self._memo: dict[tuple[str, str], Resolved] = {}

    def resolved(self, value: str, lang: str = "en") -> Resolved:
        key = (value.strip(), lang)
        if key not in self._memo:
            self._memo[key] = resolve_territory(self.store, value, lang)
        return self._memo[key]

    def __call__(self, value: str) -> str | None:
        return self.resolved(value).iri
