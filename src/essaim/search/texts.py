"""What the index reads from the store: the texts of a graph (labels, descriptions, passages
of case documents), the kinds of their resources, and each graph's fingerprint (see
:mod:`essaim.search`, "What is indexed" and "Keeping in step with the store").
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.search.schema import BODY, INDEX_VERSION, LABEL, PASSAGE
from essaim.store.base import Dataset

_XSD_STRING_NODE = ox.NamedNode(ns.XSD + "string")
_DC_TITLE = "http://purl.org/dc/elements/1.1/title"

#: Indexed predicates: predicate IRI -> (tier, field name shown in hits).
TEXT_PREDICATES: dict[str, tuple[int, str]] = {
    ns.SKOS + "prefLabel": (LABEL, "prefLabel"),
    ns.RDFS + "label": (LABEL, "label"),
    ns.DCTERMS + "title": (LABEL, "title"),
    _DC_TITLE: (LABEL, "title"),
    ns.SCHEMA + "name": (LABEL, "name"),
    ns.FOAF + "name": (LABEL, "name"),
    ns.SKOS + "altLabel": (LABEL, "altLabel"),
    ns.SKOS + "hiddenLabel": (LABEL, "hiddenLabel"),
    ns.ESSAIM + "heading": (LABEL, "heading"),
    ns.DCTERMS + "description": (BODY, "description"),
    ns.SCHEMA + "description": (BODY, "description"),
    ns.ESSAIM + "summary": (BODY, "summary"),
    ns.SKOS + "definition": (BODY, "definition"),
    ns.SKOS + "scopeNote": (BODY, "scopeNote"),
    ns.RDFS + "comment": (BODY, "comment"),
    ns.ESSAIM + "statement": (BODY, "statement"),
    ns.ESSAIM + "entry": (BODY, "entry"),
    ns.ESSAIM + "scalingPotential": (BODY, "scalingPotential"),
    ns.ESSAIM + "measure": (BODY, "measure"),
    ns.ESSAIM + "scope": (BODY, "scope"),
}
_FULL_TEXT = ns.ESSAIM + "fullText"
_HAS_SECTION = ns.ESSAIM + "hasSection"
_START = ns.ESSAIM + "startOffset"
_END = ns.ESSAIM + "endOffset"
_LANGUAGE = ns.DCTERMS + "language"

#: Everything the index reads from a graph (and the fingerprint measures).
_READ_PREDICATES = (*TEXT_PREDICATES, _FULL_TEXT, _HAS_SECTION, _START, _END, _LANGUAGE)
_SKIPPED_KIND_PREFIX = ns.SH
SKIPPED_GRAPHS = frozenset({ns.META_GRAPH})
_PASSAGE_CHARS = 1500
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")


@dataclass
class Entry:
    iri: str
    kind: str
    field: str
    lang: str
    tier: int
    text: str
    document: str | None = None
    start: int | None = None
    end: int | None = None


def _values(name: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{name} {{ {' '.join(str(ox.NamedNode(i)) for i in iris)} }}"


def fingerprints(store: Dataset, graphs: Sequence[str], *, explicit: bool) -> dict[str, str]:
    """Each graph's fingerprint (see :mod:`essaim.search`)."""
    if not graphs:
        return {}
    restrict = _values("g", graphs) if explicit else ""
    meta = ox.NamedNode(ns.META_GRAPH)
    records: dict[str, list[str]] = defaultdict(list)
    rows = store.query(
        f"""PREFIX essaim: <{ns.ESSAIM}> PREFIX dcterms: <{ns.DCTERMS}> PREFIX prov: <{ns.PROV}>
        SELECT ?g ?sha ?modified ?updated WHERE {{
          {restrict}
          {{ GRAPH {meta} {{
               ?g essaim:sha256 ?sha OPTIONAL {{ ?g dcterms:modified ?modified }} }} }}
          UNION
          {{ SELECT ?g (MAX(STR(?t)) AS ?updated) WHERE {{
               GRAPH {meta} {{ ?act prov:generated ?g ; prov:endedAtTime ?t }} }} GROUP BY ?g }}
        }}"""
    )
    for row in cast(ox.QuerySolutions, rows):
        g = _str(row["g"])
        records[g].append("|".join(_str(row[v]) for v in ("sha", "modified", "updated")))
    # two queries: a UNION of both patterns costs the store four times as much
    counts: dict[str, list[str]] = defaultdict(list)
    for pattern in (
        f"{_values('p', _READ_PREDICATES)} GRAPH ?g {{ ?s ?p ?o }}",
        "GRAPH ?g { ?s a ?o }",
    ):
        rows = store.query(
            f"SELECT ?g (COUNT(*) AS ?n) (SUM(STRLEN(STR(?o))) AS ?length)"
            f" WHERE {{ {restrict} {pattern} }} GROUP BY ?g"
        )
        for row in cast(ox.QuerySolutions, rows):
            counts[_str(row["g"])].append(f"{_str(row['n'])}/{_str(row['length'])}")
    prints = {}
    for g in graphs:
        parts = [INDEX_VERSION, *sorted(records.get(g, [])), *counts.get(g, [])]
        prints[g] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return prints


def read_graph(store: Dataset, graph: str) -> list[Entry]:
    """The rows of one graph: labels, descriptions and passages, with kinds."""
    g = ox.NamedNode(graph)
    texts: list[tuple[str, str, ox.Literal]] = []
    full_texts: dict[str, ox.Literal] = {}
    sections: dict[str, list[str]] = defaultdict(list)
    offsets: dict[str, list[int | None]] = defaultdict(lambda: [None, None])
    languages: dict[str, str] = {}
    rows = store.query(
        f"SELECT ?s ?p ?o WHERE {{ {_values('p', _READ_PREDICATES)} GRAPH {g} {{ ?s ?p ?o }} }}"
    )
    for row in cast(ox.QuerySolutions, rows):
        subject, o = row[0], row[2]
        if not isinstance(subject, ox.NamedNode):
            continue
        s, p = subject.value, cast(ox.NamedNode, row[1]).value
        if p == _HAS_SECTION:
            if isinstance(o, ox.NamedNode):
                sections[s].append(o.value)
        elif not isinstance(o, ox.Literal):
            continue
        elif p in (_START, _END):
            with suppress(ValueError):
                offsets[s][p == _END] = int(o.value)
        elif p == _LANGUAGE:
            languages[s] = o.value
        elif o.language is None and o.datatype != _XSD_STRING_NODE:
            continue
        elif p == _FULL_TEXT:
            full_texts[s] = o
        else:
            texts.append((s, p, o))
    kinds = _kinds(store, graph)
    entries: list[Entry] = []
    for s, p, o in texts:
        kind = kinds.get(s, "")
        if not kind.startswith(_SKIPPED_KIND_PREFIX):
            tier, field_name = TEXT_PREDICATES[p]
            entries.append(Entry(s, kind, field_name, o.language or "", tier, o.value))
    for document, literal in full_texts.items():
        text = literal.value
        lang = languages.get(document) or literal.language or ""
        spans = []
        for section in sections.get(document, []):
            start, end = offsets[section]
            if start is not None and end is not None and 0 <= start < end <= len(text):
                spans.append((start, end, section))
        for start, end, iri in _passages(text, spans, document):
            kind = kinds.get(iri, "")
            entries.append(
                Entry(iri, kind, "passage", lang, PASSAGE, text[start:end], document, start, end)
            )
    return entries


def _kinds(store: Dataset, graph: str) -> dict[str, str]:
    """The kind of each resource the graph gives a text, from its types in the graph, else
    in the whole store."""
    g = ox.NamedNode(graph)
    named = _values("p", [*TEXT_PREDICATES, _FULL_TEXT])
    types: dict[str, set[str]] = defaultdict(set)
    untyped: set[str] = set()
    rows = store.query(
        f"SELECT DISTINCT ?s ?t WHERE {{ {named} GRAPH {g} {{ ?s ?p ?o OPTIONAL {{ ?s a ?t }} }} }}"
    )
    for row in cast(ox.QuerySolutions, rows):
        subject, kind = row[0], row[1]
        if isinstance(subject, ox.NamedNode):
            if isinstance(kind, ox.NamedNode):
                types[subject.value].add(kind.value)
            else:
                untyped.add(subject.value)
    missing = sorted(untyped - set(types))
    for start in range(0, len(missing), 500):
        rows = store.query(
            f"SELECT ?s ?t WHERE {{ {_values('s', missing[start : start + 500])} ?s a ?t }}"
        )
        for row in cast(ox.QuerySolutions, rows):
            if isinstance(row[1], ox.NamedNode):
                types[_str(row[0])].add(_str(row[1]))
    return {s: _choose_kind(t) for s, t in types.items()}


def _choose_kind(types: set[str]) -> str:
    def rank(iri: str) -> tuple[int, str]:
        if iri.startswith(ns.ESSAIM):
            return 0, iri
        if iri == ns.SKOS + "Concept":
            return 1, iri
        if iri == ns.SKOS + "ConceptScheme":
            return 2, iri
        if iri.startswith((ns.SKOS, ns.OWL, ns.RDFS)):
            return 3, iri
        return 4, iri

    return min(types, key=rank) if types else ""


def _passages(
    text: str, sections: list[tuple[int, int, str]], document: str
) -> list[tuple[int, int, str]]:
    """Passages ``(start, end, iri)`` of a full text: its sections (in chunks), and the text
    outside them (in chunks, pointing to the document)."""
    passages = []
    sections = sorted(sections)
    cursor = 0
    for start, end, iri in sections:
        if start > cursor:
            passages += [(a, b, document) for a, b in _chunks(text, cursor, start)]
        passages += [(a, b, iri) for a, b in _chunks(text, start, end)]
        cursor = max(cursor, end)
    passages += [(a, b, document) for a, b in _chunks(text, cursor, len(text))]
    return passages


def _chunks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut at blank lines into runs of paragraphs of about
    ``_PASSAGE_CHARS`` characters, leading and trailing whitespace left out."""
    paragraphs: list[tuple[int, int]] = []
    cursor = start
    for gap in _BLANK_LINE.finditer(text, start, end):
        paragraphs.append((cursor, gap.start()))
        cursor = gap.end()
    paragraphs.append((cursor, end))
    chunks: list[tuple[int, int]] = []
    for a, b in paragraphs:
        a, b = _strip(text, a, b)
        if a >= b:
            continue
        if chunks and b - chunks[-1][0] <= _PASSAGE_CHARS:
            chunks[-1] = (chunks[-1][0], b)
        else:
            chunks.append((a, b))
    return chunks


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _str(term: object) -> str:
    if term is None:
        return ""
    return cast(ox.NamedNode | ox.Literal, term).value
