"""Actors and territories the knowledge base already holds, and minting new IRIs.

An actor a case names is the store's actor when exactly one actor has the same normalised name
(``skos:prefLabel``, ``skos:altLabel`` or ``rdfs:label``), the family the case lists it under
among its ``essaim:actorType`` values (any type when the case gives no family, as for the
carrier) and a territory that is the case's territory or lies within it (``essaim:partOf``).
Several such actors: the match is ambiguous, reported, and the actor is left out. None: a new
actor is minted (``kb/actor/{slug}``, with a suffix when the slug is taken).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.ingest.headings import normalise
from essaim.ingest.readers import IngestError
from essaim.profiles import territory_codes
from essaim.store.base import Dataset

__all__ = ["ActorIndex", "Match", "resolve_territory", "slugify"]


def slugify(text: str, limit: int = 60) -> str:
    """A readable IRI slug: lower-case ASCII words joined by hyphens.

    >>> slugify("Crédit Mutuel — Sarthe (72)")
    'credit-mutuel-sarthe-72'
    >>> slugify("😀")
    'x'
    """
    words = re.sub(r"[^a-z0-9]+", "-", normalise(text).encode("ascii", "ignore").decode())
    slug = words.strip("-")[:limit].strip("-")
    return slug or "x"


def resolve_territory(store: Dataset, code: str) -> str:
    """The territory named by an official code (``72``, ``FR``), a minted name
    (``fr-departement-72``), its IRI's last part (``sarthe``) or its IRI, as the CSV import and
    the pages resolve it (:func:`essaim.profiles.territory_codes.resolve_territory`); one
    sentence when none or several match."""
    wanted = code.strip()
    resolved = territory_codes.resolve_territory(store, wanted, "en")
    if resolved.iri is not None:
        return resolved.iri
    if resolved.ambiguous:
        raise IngestError(f"the territory {territory_codes.ambiguity(resolved, 'en')}")
    raise IngestError(
        f"no territory in the knowledge base has the code or name {wanted!r}: give an "
        "official code (such as 72 or FR) or the last part of a territory's IRI (sarthe)."
    )


_ACTORS = f"""
SELECT ?a ?label ?type ?territory WHERE {{
  VALUES ?class {{ <{ns.ESSAIM}Actor> <{ns.ESSAIM}Organisation> }}
  GRAPH ?g {{ ?a a ?class }}
  FILTER_EXCLUDED
  ?a <{ns.SKOS}prefLabel>|<{ns.SKOS}altLabel>|<{ns.RDFS}label> ?label .
  OPTIONAL {{ ?a <{ns.ESSAIM}actorType> ?type }}
  OPTIONAL {{ ?a <{ns.ESSAIM}territory> ?territory }}
}}
"""

_WITHIN = f"""
SELECT DISTINCT ?part ?territory WHERE {{ ?part <{ns.ESSAIM}partOf>* ?territory }}
"""


@dataclass
class _Known:
    names: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    territories: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Match:
    """The actor a name resolves to: an existing one, a new one, or none (ambiguous)."""

    iri: str | None
    new: bool
    candidates: tuple[str, ...] = ()


class ActorIndex:
    """The store's actors by normalised name, and the IRIs minted so far in a batch."""

    def __init__(self, store: Dataset, exclude: Collection[str] = (), base: str = ns.KB) -> None:
        """``exclude``: graphs about to be replaced, whose actors and IRIs do not count;
        ``base``: where new actors are minted (the node's ``ESSAIM_BASE``)."""
        self._store, self._base = store, base
        names = " ".join(str(ox.NamedNode(g)) for g in exclude)
        self._filter = f"FILTER (?g NOT IN ({', '.join(names.split())}))" if exclude else ""
        self._actors: dict[str, _Known] = {}
        self._by_name: dict[str, set[str]] = {}
        query = _ACTORS.replace("FILTER_EXCLUDED", self._filter)
        for row in cast(ox.QuerySolutions, store.query(query)):
            iri = cast(ox.NamedNode, row["a"]).value
            known = self._actors.setdefault(iri, _Known())
            name = normalise(cast(ox.Literal, row["label"]).value)
            known.names.add(name)
            self._by_name.setdefault(name, set()).add(iri)
            if isinstance(row["type"], ox.NamedNode):
                known.types.add(row["type"].value.rsplit("/", 1)[-1])
            if isinstance(row["territory"], ox.NamedNode):
                known.territories.add(row["territory"].value)
        self._minted: dict[tuple[str, str | None, str], str] = {}
        self._taken: set[str] = set()
        self._scopes: dict[str, set[str]] = {}

    def scope(self, territory: str) -> set[str]:
        """The territory and every territory within it."""
        if territory not in self._scopes:
            rows = self._store.query(_WITHIN, substitutions={"territory": ox.NamedNode(territory)})
            parts = {cast(ox.NamedNode, r["part"]).value for r in cast(ox.QuerySolutions, rows)}
            self._scopes[territory] = parts | {territory}
        return self._scopes[territory]

    def match(self, name: str, family: str | None, territory: str) -> Match:
        key = normalise(name)
        scope = self.scope(territory)
        candidates = sorted(
            iri
            for iri in self._by_name.get(key, ())
            if (family is None or family in self._actors[iri].types)
            and self._actors[iri].territories & scope
        )
        if len(candidates) == 1:
            return Match(candidates[0], new=False)
        if len(candidates) > 1:
            return Match(None, new=False, candidates=tuple(candidates))
        minted = self._minted.get((key, family, territory))
        if minted is not None:
            return Match(minted, new=False)
        iri = self.mint("actor", slugify(name), territory)
        self._minted[(key, family, territory)] = iri
        return Match(iri, new=True)

    def taken(self, iri: str) -> bool:
        if iri in self._taken or iri in self._actors:
            return True
        return bool(
            self._store.query(
                "ASK { GRAPH ?g { ?s ?p ?o } " + self._filter + " }",
                substitutions={"s": ox.NamedNode(iri)},
            )
        )

    def mint(self, kind: str, slug: str, territory: str | None = None) -> str:
        """A new ``<base>{kind}/{slug}`` IRI no resource of the store (or of the batch) has."""
        base = f"{self._base}{kind}/{slug}"
        candidates: Iterable[str] = [base]
        if territory is not None:
            candidates = [base, f"{base}-{territory.rsplit('/', 1)[-1]}"]
        for iri in candidates:
            if not self.taken(iri):
                self._taken.add(iri)
                return iri
        number = 2
        while self.taken(f"{base}-{number}"):
            number += 1
        self._taken.add(f"{base}-{number}")
        return f"{base}-{number}"

    def reserve(self, iri: str) -> None:
        self._taken.add(iri)
