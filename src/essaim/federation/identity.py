"""Actors that are the same organisation on two nodes: linked, never merged.

Each node mints its own IRIs, so the same cooperative described on two territory nodes is two
resources. They are the same organisation when they share an official identifier
(``essaim:siren``, ``essaim:siret``, ``essaim:rna``, ``essaim:registeredNumber``: the register
and the number) or when one is ``owl:sameAs`` the other, or both ``owl:sameAs`` the same IRI (a
Wikidata item). A label alone links nothing: two "Association Solidarité" in two départements
are two associations. Linked actors keep both resources and both descriptions; the pairs are
listed (:func:`linked_pairs`) with what links them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from essaim.federation.fanout import Answer, Binding
from essaim.namespaces import ESSAIM, OWL

IDENTIFIERS = tuple(ESSAIM + name for name in ("siren", "siret", "rna", "registeredNumber"))

#: What each node is asked: its actors' official identifiers and ``owl:sameAs`` links.
IDENTITY_QUERY = f"""PREFIX essaim: <{ESSAIM}>
PREFIX owl: <{OWL}>
SELECT DISTINCT ?actor ?property ?value WHERE {{
  {{
    VALUES ?property {{ {" ".join(f"<{p}>" for p in IDENTIFIERS)} }}
    ?actor ?property ?value .
    FILTER (isIRI(?actor) && isLITERAL(?value))
  }} UNION {{
    BIND (owl:sameAs AS ?property)
    ?actor owl:sameAs ?value .
    FILTER (isIRI(?actor) && isIRI(?value))
  }}
}}
LIMIT 100000"""


def unlisted_targets(answers: Sequence[Answer]) -> list[str]:
    """The ``owl:sameAs`` targets that no node listed as an actor of its own: a second question
    (:func:`described_query`) finds which node describes them."""
    listed = {_iri(row.get("actor")) for a in answers if a.ok for row in a.rows}
    return sorted(
        {
            iri
            for a in answers
            if a.ok
            for row in a.rows
            if (iri := _iri(row.get("value"))) is not None and iri not in listed
        }
    )


def _iri(term: Binding | None) -> str | None:
    return term["value"] if term is not None and term["type"] == "uri" else None


def described_query(iris: Sequence[str]) -> str:
    """Which of ``iris`` the node describes (as subjects), one ``?actor`` per row; each IRI is
    written by pyoxigraph, which escapes it."""
    values = " ".join(str(ox.NamedNode(iri)) for iri in iris)
    return f"SELECT DISTINCT ?actor WHERE {{ VALUES ?actor {{ {values} }} ?actor ?p ?o }}"


@dataclass(frozen=True, order=True)
class Link:
    """Two actors of two nodes that are one organisation, and why (``property`` and
    ``value``: the identifier, or ``owl:sameAs`` and the IRI)."""

    node: str
    actor: str
    other_node: str
    other_actor: str
    property: str
    value: str


def linked_pairs(answers: Sequence[Answer]) -> list[Link]:
    """The pairs of actors of different nodes that share an identifier or an ``owl:sameAs``
    (rows with an ``actor`` alone, as :func:`described_query` answers, say which node describes
    that actor).

    >>> def answer(node, *rows):
    ...     terms = [{"actor": {"type": "uri", "value": a}, "property": {"type": "uri", "value": p},
    ...               "value": {"type": "uri" if p == OWL + "sameAs" else "literal", "value": v}}
    ...              for a, p, v in rows]
    ...     return Answer(node, "ok", variables=("actor", "property", "value"), rows=tuple(terms))
    >>> a = answer("local", ("https://a/kb/x", ESSAIM + "siren", "123456789"))
    >>> b = answer("https://b/sparql", ("https://b/kb/y", ESSAIM + "siren", "123456789"),
    ...            ("https://b/kb/z", OWL + "sameAs", "https://a/kb/x"))
    >>> [(p.actor, p.other_actor, p.property.rsplit("#")[-1]) for p in linked_pairs([a, b])]
    [('https://b/kb/y', 'https://a/kb/x', 'siren'), ('https://b/kb/z', 'https://a/kb/x', 'sameAs')]
    """
    by_identifier: dict[tuple[str, str], set[tuple[str, str]]] = {}
    node_of: dict[str, str] = {}
    same: dict[str, str] = {}  # union-find over IRIs linked by owl:sameAs

    def root(iri: str) -> str:
        while same.setdefault(iri, iri) != iri:
            same[iri] = same[same[iri]]
            iri = same[iri]
        return iri

    for answer in answers:
        if not answer.ok:
            continue
        for row in answer.rows:
            actor, prop = _iri(row.get("actor")), _iri(row.get("property"))
            value = row.get("value")
            if actor is not None:
                node_of.setdefault(actor, answer.node)
            if actor is None or prop is None or value is None:
                continue
            if prop in IDENTIFIERS and value["type"] == "literal":
                key = (prop, " ".join(value["value"].split()).upper())
                by_identifier.setdefault(key, set()).add((answer.node, actor))
            elif prop == OWL + "sameAs" and value["type"] == "uri":
                same[root(actor)] = root(value["value"])
    links: set[Link] = set()
    for (identifier, number), members in by_identifier.items():
        _pair(sorted(members), identifier, number, links)
    groups: dict[str, list[str]] = {}
    for iri in list(same):
        groups.setdefault(root(iri), []).append(iri)
    for iris in groups.values():
        listed = sorted((node_of[i], i) for i in iris if i in node_of)
        external = sorted(i for i in iris if i not in node_of)
        _pair(listed, OWL + "sameAs", (external or sorted(iris))[0], links)
    return sorted(links)


def _pair(members: list[tuple[str, str]], prop: str, value: str, links: set[Link]) -> None:
    for index, first in enumerate(members):
        for second in members[index + 1 :]:
            if first[0] != second[0]:
                links.add(Link(*first, *second, prop, value))
