"""What a canned query's parameters may be given, so that a form offers choices rather than raw
IRIs: the resources of an iri parameter's class with their labels in a language (a codebook's
concepts grouped by scheme, in their hierarchy), the matches of a few words among them when the
class holds too many to list, the years the knowledge base dates things with, and the languages
its labels are in.

Every query binds the class (never spliced) and reads whole answers. A class holding more than
``SELECT_LIMIT`` resources (``GROUPED_LIMIT`` for concepts, which are grouped by scheme) is not
listed: :func:`class_choices` says how many it holds and a form searches it instead
(:func:`search_choices`, over the full-text index, kinds being the class and its subclasses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from essaim.namespaces import SKOS
from essaim.profiles.common import LABELS, Text, link, select, texts
from essaim.search import SearchIndex
from essaim.store.base import Dataset

#: At most this many resources of a class are offered in a list; more are searched.
SELECT_LIMIT = 200
#: The same for concepts, which a list groups by scheme and indents by their hierarchy.
GROUPED_LIMIT = 1000
#: At most this many matches of the words searched.
SEARCH_LIMIT = 30

CONCEPT = SKOS + "Concept"

_COUNT = """
SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a/rdfs:subClassOf* ?class } GROUP BY ?class
"""
_MEMBERS = f"""
SELECT ?class ?x ?label WHERE {{
  ?x a/rdfs:subClassOf* ?class .
  FILTER(isIRI(?x))
  OPTIONAL {{ ?x {LABELS} ?label }}
}}"""
_CONCEPTS = f"""
SELECT ?class ?x ?label ?scheme ?schemeLabel ?broader WHERE {{
  ?x a/rdfs:subClassOf* ?class .
  FILTER(isIRI(?x))
  OPTIONAL {{ ?x skos:prefLabel ?label }}
  OPTIONAL {{ ?x skos:inScheme|skos:topConceptOf ?scheme .
             OPTIONAL {{ ?scheme {LABELS} ?schemeLabel }} }}
  OPTIONAL {{ ?x skos:broader ?broader }}
}}"""
_SUBCLASSES = "SELECT ?class ?sub WHERE { ?sub rdfs:subClassOf* ?class . FILTER(isIRI(?sub)) }"
_LABEL = f"""
SELECT ?x ?class ?member ?label WHERE {{
  OPTIONAL {{ ?x a/rdfs:subClassOf* ?class . BIND(true AS ?member) }}
  OPTIONAL {{ ?x {LABELS} ?label }}
}}"""
_YEARS = """
SELECT (MIN(?y) AS ?first) (MAX(?y) AS ?last) WHERE {
  ?thing essaim:year|essaim:startYear|essaim:endYear|essaim:foundingYear ?y .
  FILTER(isLiteral(?y))
}"""
_LANGUAGES = """
SELECT DISTINCT ?lang WHERE {
  ?concept a skos:Concept ; skos:prefLabel ?label . BIND(LANG(?label) AS ?lang)
  FILTER(?lang != "")
}"""


@dataclass(frozen=True)
class Option:
    """A resource to choose: its IRI, its label, and how deep it sits in its hierarchy."""

    iri: str
    label: str
    depth: int = 0


@dataclass(frozen=True)
class Group:
    """Options under a heading (a concept scheme); ``label`` is empty for an ungrouped list."""

    iri: str
    label: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class ClassChoices:
    """The resources of a class: ``count`` of them, listed in ``groups`` unless there are too
    many (``listed`` false: search them)."""

    class_iri: str
    count: int
    groups: tuple[Group, ...] = ()

    @property
    def listed(self) -> bool:
        return bool(self.groups) or self.count == 0


def _sort_key(option: Option) -> tuple[str, str]:
    return (option.label.casefold(), option.iri)


def class_choices(store: Dataset, class_iri: str, lang: str) -> ClassChoices:
    """The instances of ``class_iri`` (or of a subclass) with their labels in ``lang``: one list
    sorted by label, or for concepts one group a scheme in the hierarchy's order; only the count
    when there are more than the list limit."""
    count = sum(int(r["n"].value) for r in select(store, _COUNT, **{"class": class_iri}))
    limit = GROUPED_LIMIT if class_iri == CONCEPT else SELECT_LIMIT
    if count == 0 or count > limit:
        return ClassChoices(class_iri, count)
    if class_iri == CONCEPT:
        return ClassChoices(class_iri, count, _concept_groups(store, class_iri, lang))
    rows = select(store, _MEMBERS, **{"class": class_iri})
    labels = texts(rows, "x", "label")
    members = {row["x"].value for row in rows}
    options = sorted((_option(iri, labels, lang) for iri in members), key=_sort_key)
    return ClassChoices(class_iri, count, (Group("", "", tuple(options)),))


def _option(iri: str, labels: dict[str, Text], lang: str, depth: int = 0) -> Option:
    return Option(iri, link(iri, labels, lang).label, depth)


def _concept_groups(store: Dataset, class_iri: str, lang: str) -> tuple[Group, ...]:
    rows = select(store, _CONCEPTS, **{"class": class_iri})
    labels = texts(rows, "x", "label")
    scheme_labels = texts(rows, "scheme", "schemeLabel")
    schemes: dict[str, set[str]] = {}
    broader: dict[str, set[str]] = {}
    for row in rows:
        concept = row["x"].value
        scheme = row["scheme"].value if "scheme" in row else ""
        schemes.setdefault(scheme, set()).add(concept)
        if "broader" in row:
            broader.setdefault(concept, set()).add(row["broader"].value)
    for scheme in [s for s in schemes if s]:  # a concept with a scheme is not also unschemed
        schemes.get("", set()).difference_update(schemes[scheme])
    groups = []
    for scheme, members in schemes.items():
        if members:
            name = link(scheme, scheme_labels, lang).label if scheme else ""
            groups.append(Group(scheme, name, _tree(members, broader, labels, lang)))
    return tuple(sorted(groups, key=lambda g: (not g.iri, g.label.casefold(), g.iri)))


def _tree(
    members: set[str], broader: dict[str, set[str]], labels: dict[str, Text], lang: str
) -> tuple[Option, ...]:
    """The concepts of one scheme in their hierarchy's order (each after its broader concept in
    the scheme, siblings by label), each with its depth."""
    children: dict[str, list[str]] = {}
    roots = []
    for concept in members:
        parents = broader.get(concept, set()) & members
        for parent in parents:
            children.setdefault(parent, []).append(concept)
        if not parents:
            roots.append(concept)

    def by_label(concept: str) -> tuple[str, str]:
        return _sort_key(_option(concept, labels, lang))

    options: list[Option] = []
    seen: set[str] = set()
    stack = [(root, 0) for root in sorted(roots, key=by_label, reverse=True)]
    for concept in sorted(members, key=by_label, reverse=True):  # in a cycle with no root
        stack.insert(0, (concept, 0))
    while stack:
        concept, depth = stack.pop()
        if concept in seen:  # a second parent, or a cycle: listed once
            continue
        seen.add(concept)
        options.append(_option(concept, labels, lang, depth))
        kids = sorted(children.get(concept, []), key=by_label, reverse=True)
        stack.extend((child, depth + 1) for child in kids)
    return tuple(options)


def subclasses(store: Dataset, class_iri: str) -> list[str]:
    """``class_iri`` and its subclasses (``rdfs:subClassOf*``), sorted."""
    rows = select(store, _SUBCLASSES, **{"class": class_iri})
    return sorted({class_iri} | {row["sub"].value for row in rows})


def label_of(store: Dataset, iri: str, class_iri: str, lang: str) -> Option | None:
    """The resource ``iri`` with its label in ``lang`` when it is an instance of ``class_iri``
    (or of a subclass); None when it is not."""
    rows = select(store, _LABEL, x=iri, **{"class": class_iri})
    if not any("member" in row for row in rows):
        return None
    return _option(iri, texts(rows, "x", "label"), lang)


def search_choices(
    index: SearchIndex,
    words: str,
    kinds: Sequence[str],
    lang: str,
    *,
    limit: int = SEARCH_LIMIT,
    timeout_s: float | None = None,
) -> list[Option]:
    """The resources of ``kinds`` (a class and its subclasses) whose texts match ``words``, best
    first, with their labels (in ``lang`` when they have one)."""
    if not words.strip():
        return []
    results = index.search(
        words[:200], lang=lang, kinds=list(kinds), limit=limit, timeout_s=timeout_s
    )
    return [Option(hit.iri, hit.label) for hit in results.hits]


def year_range(store: Dataset) -> tuple[int, int] | None:
    """The first and last years the knowledge base dates things with (``essaim:year``,
    ``essaim:startYear``, ``essaim:endYear``, ``essaim:foundingYear``), None without any."""
    rows = select(store, _YEARS)
    if not rows or "first" not in rows[0] or "last" not in rows[0]:
        return None
    try:
        first, last = int(rows[0]["first"].value[:4]), int(rows[0]["last"].value[:4])
    except ValueError:
        return None
    return (first, last) if 1000 <= first <= last <= 2999 else None


def languages_present(store: Dataset) -> list[str]:
    """The languages the concepts' labels are in, sorted (lower case)."""
    rows = select(store, _LANGUAGES)
    return sorted({row["lang"].value.lower() for row in rows if "lang" in row})
