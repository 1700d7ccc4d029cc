"""The RDF of an ingested case document, modelled as the founding case is (kb/cases/).

- The document: ``essaim:CaseDocument`` with ``dcterms:title``, ``dcterms:language``,
  ``essaim:fullText`` (the text verbatim), ``essaim:sha256`` (of the text as UTF-8) and its
  ``essaim:Section`` resources (type, verbatim heading, order, code-point offsets).
- Passages: ``essaim:evidence [ a oa:SpecificResource ; oa:hasSource <document> ;
  oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact ; oa:prefix ; oa:suffix ] ,
  [ a oa:TextPositionSelector ; oa:start ; oa:end ] ]`` — the selectors of coded facts, with
  30 characters of prefix and suffix.
- Extracted facts (participations, actions, proposals, resource uses, findings) carry
  ``essaim:codingStatus coding-status:extracted`` and ``dcterms:creator`` the ingester, a
  ``prov:SoftwareAgent`` named with essaim's version (``ingester_iri``).

Nothing here reads a store: :class:`CaseGraph` gathers triples, and ``turtle`` writes them.

>>> graph = CaseGraph()
>>> doc = graph.iri("document", "demo")
>>> text = "Titre 😀\\n\\nUn passage."
>>> node = graph.evidence(doc, text, 9, 20)
>>> [t.object.value for t in graph.triples if t.predicate.value.endswith(("exact", "start"))]
['Un passage.', '9']
>>> text[9:20]
'Un passage.'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from essaim import __version__
from essaim import namespaces as ns
from essaim.ingest.sections import Section

__all__ = [
    "CONTEXT",
    "CaseGraph",
    "ingester_iri",
    "prefixes",
    "sha256_text",
    "turtle",
]

#: Characters of prefix and suffix in a TextQuoteSelector, as in the founding case.
CONTEXT = 30

RDF_TYPE = ox.NamedNode(ns.RDF + "type")
XSD_INT = ox.NamedNode(ns.XSD + "nonNegativeInteger")
XSD_POS = ox.NamedNode(ns.XSD + "positiveInteger")
XSD_YEAR = ox.NamedNode(ns.XSD + "gYear")
XSD_BOOL = ox.NamedNode(ns.XSD + "boolean")


def E(local: str) -> ox.NamedNode:
    return ox.NamedNode(ns.ESSAIM + local)


def OA(local: str) -> ox.NamedNode:
    return ox.NamedNode(ns.OA + local)


def DC(local: str) -> ox.NamedNode:
    return ox.NamedNode(ns.DCTERMS + local)


def concept(scheme: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(f"{ns.CODEBOOK}{scheme}/{local}")


def ingester_iri() -> str:
    """The software agent that extracts facts: essaim at its version (as the loader records)."""
    return f"{ns.SOFTWARE}/{__version__}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prefixes(base: str = ns.KB) -> dict[str, str]:
    kb = {t: f"{base}{t}/" for t in (
        "document", "section", "initiative", "actor", "participation", "action", "proposal",
        "resource-use", "finding", "territory",
    )}  # fmt: skip
    schemes = {s: f"{ns.CODEBOOK}{s}/" for s in (
        "section-type", "actor-type", "role", "action-type", "audience", "resource-type",
        "finding-kind", "coding-status",
    )}  # fmt: skip
    return {
        "essaim": ns.ESSAIM, "oa": ns.OA, "dcterms": ns.DCTERMS, "prov": ns.PROV,
        "skos": ns.SKOS, "rdfs": ns.RDFS, "xsd": ns.XSD, **kb, **schemes,
    }  # fmt: skip


Object = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass
class CaseGraph:
    """Triples of one case graph, with blank nodes numbered in order (stable output)."""

    triples: list[ox.Triple] = field(default_factory=list)
    _blank: int = 0
    #: Where the case's resources are minted (the node's ``ESSAIM_BASE``).
    base: str = ns.KB

    def add(
        self, subject: ox.NamedNode | ox.BlankNode, predicate: ox.NamedNode, obj: Object
    ) -> None:
        self.triples.append(ox.Triple(subject, predicate, obj))

    def iri(self, kind: str, slug: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}{kind}/{slug}")

    def blank(self) -> ox.BlankNode:
        self._blank += 1
        return ox.BlankNode(f"b{self._blank}")

    def evidence(
        self,
        document: ox.NamedNode,
        text: str,
        start: int,
        end: int,
        target: ox.NamedNode | None = None,
    ) -> ox.NamedNode | ox.BlankNode:
        """A passage of ``document``: its SpecificResource with quote and position selectors,
        blank nodes unless ``target`` names it (its selectors are then ``target-quote`` and
        ``target-position``: a generated file without blank nodes)."""
        quote: ox.NamedNode | ox.BlankNode
        position: ox.NamedNode | ox.BlankNode
        if target is None:
            node: ox.NamedNode | ox.BlankNode = self.blank()
            quote, position = self.blank(), self.blank()
        else:
            node = target
            quote = ox.NamedNode(target.value + "-quote")
            position = ox.NamedNode(target.value + "-position")
        target_node = node
        self.add(target_node, RDF_TYPE, OA("SpecificResource"))
        self.add(target_node, OA("hasSource"), document)
        self.add(target_node, OA("hasSelector"), quote)
        self.add(target_node, OA("hasSelector"), position)
        self.add(quote, RDF_TYPE, OA("TextQuoteSelector"))
        self.add(quote, OA("exact"), ox.Literal(text[start:end]))
        if start > 0:
            self.add(quote, OA("prefix"), ox.Literal(text[max(0, start - CONTEXT) : start]))
        if end < len(text):
            self.add(quote, OA("suffix"), ox.Literal(text[end : end + CONTEXT]))
        self.add(position, RDF_TYPE, OA("TextPositionSelector"))
        self.add(position, OA("start"), ox.Literal(str(start), datatype=XSD_INT))
        self.add(position, OA("end"), ox.Literal(str(end), datatype=XSD_INT))
        return target_node

    def cite(
        self, subject: ox.NamedNode, document: ox.NamedNode, text: str, start: int, end: int
    ) -> None:
        self.add(subject, E("evidence"), self.evidence(document, text, start, end))

    def extracted(self, subject: ox.NamedNode) -> None:
        """Mark a fact as extracted by the ingester."""
        self.add(subject, E("codingStatus"), concept("coding-status", "extracted"))
        self.add(subject, DC("creator"), ox.NamedNode(ingester_iri()))

    def ingester(self) -> None:
        agent = ox.NamedNode(ingester_iri())
        self.add(agent, RDF_TYPE, ox.NamedNode(ns.PROV + "SoftwareAgent"))
        self.add(agent, ox.NamedNode(ns.RDFS + "label"), ox.Literal(f"essaim {__version__}"))
        self.add(agent, DC("hasVersion"), ox.Literal(__version__))

    def document(
        self,
        document: ox.NamedNode,
        *,
        title: str,
        language: str,
        text: str,
        sections: Iterable[tuple[ox.NamedNode, Section]],
    ) -> None:
        """The case document and its sections (see the module docstring)."""
        self.add(document, RDF_TYPE, E("CaseDocument"))
        self.add(document, DC("title"), literal(title, language))
        if language and language != "und":
            self.add(document, DC("language"), ox.Literal(language))
        self.add(document, E("fullText"), ox.Literal(text))
        self.add(document, E("sha256"), ox.Literal(sha256_text(text)))
        for order, (iri, section) in enumerate(sections, start=1):
            self.add(document, E("hasSection"), iri)
            self.add(iri, RDF_TYPE, E("Section"))
            self.add(iri, E("sectionType"), concept("section-type", section.type))
            self.add(iri, E("heading"), ox.Literal(section.heading))
            self.add(iri, E("order"), ox.Literal(str(order), datatype=XSD_POS))
            self.add(iri, E("startOffset"), ox.Literal(str(section.start), datatype=XSD_INT))
            self.add(iri, E("endOffset"), ox.Literal(str(section.end), datatype=XSD_INT))
            self.add(iri, DC("isPartOf"), document)


def literal(value: str, language: str) -> ox.Literal:
    """A text in the document's language (a plain string when the language is unknown)."""
    if language and language != "und":
        return ox.Literal(value, language=language)
    return ox.Literal(value)


def year(value: int | str) -> ox.Literal:
    return ox.Literal(f"{int(value):04d}", datatype=XSD_YEAR)


def typed(value: object, datatype: str) -> ox.Literal:
    """A literal of an XSD datatype named by its local name (``typed(3, "positiveInteger")``)."""
    return ox.Literal(str(value), datatype=ox.NamedNode(ns.XSD + datatype))


def boolean(value: bool) -> ox.Literal:
    return ox.Literal("true" if value else "false", datatype=XSD_BOOL)


def grouped_turtle(triples: Iterable[ox.Triple], header: str, prefixes: dict[str, str]) -> bytes:
    """Turtle of a generated file: ``header`` (comment lines), then each subject's triples
    together, subjects in order of first mention (the same bytes on every run)."""
    grouped: dict[ox.NamedNode | ox.BlankNode | ox.Triple, list[ox.Triple]] = {}
    for triple in triples:
        grouped.setdefault(triple.subject, []).append(triple)
    ordered = [t for group in grouped.values() for t in group]
    body = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""
    return header.encode() + b"\n" + body


def turtle(triples: Iterable[ox.Triple], base: str = ns.KB) -> str:
    """Turtle with essaim's prefixes (the resources' under ``base``)."""
    data = ox.serialize(list(triples), format=ox.RdfFormat.TURTLE, prefixes=prefixes(base))
    return (data or b"").decode("utf-8")
