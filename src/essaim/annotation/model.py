"""A coding annotation: one coder's code on one passage of a case document, as a W3C Web
Annotation (https://www.w3.org/TR/annotation-model/) in the shape the founding case uses
(kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl):

    <annotation> a oa:Annotation ;
        oa:motivatedBy oa:classifying ;
        oa:hasBody <concept> ;                                   # a codebook concept
        oa:hasBody [ a oa:TextualBody ; rdf:value "memo" ;        # the memo, when there is one
                     oa:hasPurpose oa:commenting ] ;
        oa:hasTarget [ a oa:SpecificResource ; oa:hasSource <document> ;
            oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "…" ; oa:prefix "…" ;
                             oa:suffix "…" ] ,
                           [ a oa:TextPositionSelector ; oa:start "806"^^xsd:nonNegativeInteger ;
                             oa:end "924"^^xsd:nonNegativeInteger ] ] ;
        essaim:initiative <initiative> ;                          # when known
        essaim:statementMode <statement-mode> ;                   # when chosen
        essaim:codingStatus <coding-status> ;                     # coded, suggested…
        essaim:anchored true ;                                    # false: the quote was lost
        dcterms:creator <https://w3id.org/essaim/user/…> ;        # pseudonymous
        dcterms:created "…"^^xsd:dateTime ; dcterms:modified "…"^^xsd:dateTime ;
        prov:wasDerivedFrom <suggestion> .                        # an accepted suggestion

Offsets count Unicode code points (Python ``str`` indices) from the start of the document's
``essaim:fullText``, end exclusive. Each coder's annotations live in a named graph of their own
(``coder_graph``) in the node's private annotation store (``essaim.annotation.storage``), never
in the public dataset.

This module only knows the RDF shape; it reads and writes a pyoxigraph store given to it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final, cast

import pyoxigraph as ox

from essaim.namespaces import CODEBOOK, DCTERMS, ESSAIM, GRAPH, KB, OA, PROV, RDF, XSD
from essaim.users import USER_IRI_BASE

#: Where annotation IRIs live (as in the founding case: ``kb:annotation/…``).
ANNOTATION_BASE: Final = KB + "annotation/"
#: The named graph of each coder's annotations: this base and the coder's pseudonym.
CODER_GRAPH_BASE: Final = GRAPH + "annotations/"
STATEMENT_MODE: Final = CODEBOOK + "statement-mode/"
CODING_STATUS: Final = CODEBOOK + "coding-status/"
CODED: Final = CODING_STATUS + "coded"
SUGGESTED: Final = CODING_STATUS + "suggested"
#: The statuses an annotation may carry (agreed and adjudicated belong to coded facts).
ANNOTATION_STATUSES: Final = frozenset({CODED, SUGGESTED})

_A = ox.NamedNode(RDF + "type")
_ANNOTATION = ox.NamedNode(OA + "Annotation")
_MOTIVATED_BY = ox.NamedNode(OA + "motivatedBy")
_CLASSIFYING = ox.NamedNode(OA + "classifying")
_COMMENTING = ox.NamedNode(OA + "commenting")
_HAS_BODY = ox.NamedNode(OA + "hasBody")
_HAS_TARGET = ox.NamedNode(OA + "hasTarget")
_HAS_SOURCE = ox.NamedNode(OA + "hasSource")
_HAS_SELECTOR = ox.NamedNode(OA + "hasSelector")
_SPECIFIC = ox.NamedNode(OA + "SpecificResource")
_QUOTE = ox.NamedNode(OA + "TextQuoteSelector")
_POSITION = ox.NamedNode(OA + "TextPositionSelector")
_TEXTUAL_BODY = ox.NamedNode(OA + "TextualBody")
_PURPOSE = ox.NamedNode(OA + "hasPurpose")
_EXACT = ox.NamedNode(OA + "exact")
_PREFIX = ox.NamedNode(OA + "prefix")
_SUFFIX = ox.NamedNode(OA + "suffix")
_START = ox.NamedNode(OA + "start")
_END = ox.NamedNode(OA + "end")
_VALUE = ox.NamedNode(RDF + "value")
_INITIATIVE = ox.NamedNode(ESSAIM + "initiative")
_MODE = ox.NamedNode(ESSAIM + "statementMode")
_STATUS = ox.NamedNode(ESSAIM + "codingStatus")
_ANCHORED = ox.NamedNode(ESSAIM + "anchored")
_CREATOR = ox.NamedNode(DCTERMS + "creator")
_CREATED = ox.NamedNode(DCTERMS + "created")
_MODIFIED = ox.NamedNode(DCTERMS + "modified")
_DERIVED_FROM = ox.NamedNode(PROV + "wasDerivedFrom")
_NON_NEGATIVE = ox.NamedNode(XSD + "nonNegativeInteger")
_DATE_TIME = ox.NamedNode(XSD + "dateTime")
_BOOLEAN = ox.NamedNode(XSD + "boolean")


def now() -> datetime:
    """The current time, to the second, in UTC (what ``created``/``modified`` hold)."""
    return datetime.now(UTC).replace(microsecond=0)


def new_annotation_iri() -> str:
    """A fresh, unguessable annotation IRI."""
    return ANNOTATION_BASE + uuid.uuid4().hex


def coder_graph(creator: str) -> str:
    """The named graph holding the annotations of ``creator`` (a pseudonymous user IRI, or the
    IRI of a software agent such as a suggester).

    >>> coder_graph("https://w3id.org/essaim/user/0123456789abcdef0123456789abcdef")
    'https://w3id.org/essaim/graph/annotations/0123456789abcdef0123456789abcdef'
    """
    if creator.startswith(USER_IRI_BASE):
        return CODER_GRAPH_BASE + creator[len(USER_IRI_BASE) :]
    return CODER_GRAPH_BASE + "agent-" + hashlib.sha256(creator.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Annotation:
    """One coding annotation (see the module's docstring for its RDF)."""

    iri: str
    document: str
    concept: str
    start: int
    end: int
    exact: str
    creator: str
    prefix: str = ""
    suffix: str = ""
    mode: str | None = None
    status: str = CODED
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    memo: str | None = None
    anchored: bool = True
    initiative: str | None = None
    #: The suggestion a coder accepted to make this annotation (``prov:wasDerivedFrom``).
    derived_from: str | None = None

    @property
    def graph(self) -> str:
        """The named graph this annotation lives in: its creator's."""
        return coder_graph(self.creator)

    def with_changes(self, **changes: object) -> Annotation:
        """A copy with these fields changed (``modified`` set to now unless given)."""
        changes.setdefault("modified", now())
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_triples(self) -> list[ox.Triple]:
        """The annotation's triples (selectors, target and memo as blank nodes)."""
        subject = ox.NamedNode(self.iri)
        target, quote, position = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
        triples = [
            ox.Triple(subject, _A, _ANNOTATION),
            ox.Triple(subject, _MOTIVATED_BY, _CLASSIFYING),
            ox.Triple(subject, _HAS_BODY, ox.NamedNode(self.concept)),
            ox.Triple(subject, _HAS_TARGET, target),
            ox.Triple(target, _A, _SPECIFIC),
            ox.Triple(target, _HAS_SOURCE, ox.NamedNode(self.document)),
            ox.Triple(target, _HAS_SELECTOR, quote),
            ox.Triple(quote, _A, _QUOTE),
            ox.Triple(quote, _EXACT, ox.Literal(self.exact)),
            ox.Triple(target, _HAS_SELECTOR, position),
            ox.Triple(position, _A, _POSITION),
            ox.Triple(position, _START, ox.Literal(str(self.start), datatype=_NON_NEGATIVE)),
            ox.Triple(position, _END, ox.Literal(str(self.end), datatype=_NON_NEGATIVE)),
            ox.Triple(subject, _STATUS, ox.NamedNode(self.status)),
            ox.Triple(subject, _ANCHORED, _boolean(self.anchored)),
            ox.Triple(subject, _CREATOR, ox.NamedNode(self.creator)),
            ox.Triple(subject, _CREATED, _date_time(self.created)),
            ox.Triple(subject, _MODIFIED, _date_time(self.modified)),
        ]
        if self.prefix:
            triples.append(ox.Triple(quote, _PREFIX, ox.Literal(self.prefix)))
        if self.suffix:
            triples.append(ox.Triple(quote, _SUFFIX, ox.Literal(self.suffix)))
        if self.mode is not None:
            triples.append(ox.Triple(subject, _MODE, ox.NamedNode(self.mode)))
        if self.initiative is not None:
            triples.append(ox.Triple(subject, _INITIATIVE, ox.NamedNode(self.initiative)))
        if self.derived_from is not None:
            triples.append(ox.Triple(subject, _DERIVED_FROM, ox.NamedNode(self.derived_from)))
        if self.memo:
            memo = ox.BlankNode()
            triples += [
                ox.Triple(subject, _HAS_BODY, memo),
                ox.Triple(memo, _A, _TEXTUAL_BODY),
                ox.Triple(memo, _VALUE, ox.Literal(self.memo)),
                ox.Triple(memo, _PURPOSE, _COMMENTING),
            ]
        return triples

    def to_quads(self, graph: str | None = None) -> list[ox.Quad]:
        """The triples in the creator's graph (or ``graph``)."""
        name = ox.NamedNode(graph or self.graph)
        return [ox.Quad(t.subject, t.predicate, t.object, name) for t in self.to_triples()]

    @classmethod
    def from_store(
        cls, store: ox.Store, iri: str, *, graphs: list[str] | None = None
    ) -> Annotation | None:
        """The annotation ``iri`` as ``store`` holds it (in any named graph, or only in
        ``graphs``); None if there is none."""
        found = list(_select(store, {"a": ox.NamedNode(iri)}, graphs))
        return found[0] if found else None


def list_annotations(
    store: ox.Store,
    *,
    document: str | None = None,
    creator: str | None = None,
    concept: str | None = None,
    status: str | None = None,
    graphs: list[str] | None = None,
) -> list[Annotation]:
    """The annotations ``store`` holds (in ``graphs`` only, when given), filtered by document,
    creator (coder), concept and status, ordered by document, start, end and IRI."""
    bound: dict[str, ox.NamedNode] = {}
    for name, value in (
        ("document", document),
        ("creator", creator),
        ("concept", concept),
        ("status", status),
    ):
        if value is not None:
            bound[name] = ox.NamedNode(value)
    if creator is not None and graphs is None:
        graphs = [coder_graph(creator)]
    return sorted(_select(store, bound, graphs), key=lambda a: (a.document, a.start, a.end, a.iri))


def annotations_of_document(
    store: ox.Store, document: str, creator: str | None = None
) -> list[Annotation]:
    """A coder's (or, without ``creator``, every coder's) annotations of one document."""
    return list_annotations(store, document=document, creator=creator)


_SELECT = f"""
PREFIX oa: <{OA}>
PREFIX essaim: <{ESSAIM}>
PREFIX dcterms: <{DCTERMS}>
PREFIX rdf: <{RDF}>
PREFIX prov: <{PROV}>
SELECT ?a ?document ?concept ?start ?end ?exact ?prefix ?suffix ?mode ?status ?creator
       ?created ?modified ?memo ?anchored ?initiative ?derived
WHERE {{
  GRAPH ?g {{
    ?a a oa:Annotation ;
       oa:motivatedBy oa:classifying ;
       oa:hasBody ?concept ;
       oa:hasTarget ?target ;
       essaim:codingStatus ?status ;
       dcterms:creator ?creator ;
       dcterms:created ?created ;
       dcterms:modified ?modified .
    FILTER isIRI(?concept)
    ?target oa:hasSource ?document ;
            oa:hasSelector ?q , ?p .
    ?q a oa:TextQuoteSelector ; oa:exact ?exact .
    ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
    OPTIONAL {{ ?q oa:prefix ?prefix }}
    OPTIONAL {{ ?q oa:suffix ?suffix }}
    OPTIONAL {{ ?a essaim:statementMode ?mode }}
    OPTIONAL {{ ?a essaim:anchored ?anchored }}
    OPTIONAL {{ ?a essaim:initiative ?initiative }}
    OPTIONAL {{ ?a prov:wasDerivedFrom ?derived }}
    OPTIONAL {{ ?a oa:hasBody ?body . ?body a oa:TextualBody ; rdf:value ?memo }}
  }}
  {{FILTER}}
}}
"""


def _select(
    store: ox.Store, bound: dict[str, ox.NamedNode], graphs: list[str] | None
) -> Iterator[Annotation]:
    query = _SELECT
    if graphs is not None:
        if not graphs:
            return
        values = " ".join(f"<{g}>" for g in graphs if _safe_iri(g))
        query = query.replace("{FILTER}", f"VALUES ?g {{ {values} }}")
    else:
        query = query.replace("{FILTER}", "")
    rows = cast(
        ox.QuerySolutions,
        store.query(query, substitutions={ox.Variable(k): v for k, v in bound.items()}),
    )
    seen: set[str] = set()
    for row in rows:
        iri = _text(row["a"])
        if iri in seen:  # a second memo body, say: the first row wins
            continue
        seen.add(iri)
        yield Annotation(
            iri=iri,
            document=_text(row["document"]),
            concept=_text(row["concept"]),
            start=int(_text(row["start"])),
            end=int(_text(row["end"])),
            exact=_text(row["exact"]),
            prefix=_optional(row["prefix"]) or "",
            suffix=_optional(row["suffix"]) or "",
            mode=_optional(row["mode"]),
            status=_text(row["status"]),
            creator=_text(row["creator"]),
            created=datetime.fromisoformat(_text(row["created"])),
            modified=datetime.fromisoformat(_text(row["modified"])),
            memo=_optional(row["memo"]),
            anchored=_optional(row["anchored"]) not in ("false", "0"),
            initiative=_optional(row["initiative"]),
            derived_from=_optional(row["derived"]),
        )


def _safe_iri(iri: str) -> bool:
    return not any(c in iri for c in '<>"{}|\\^` \n\r\t')


def _text(term: object) -> str:
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    raise ValueError(f"unexpected term {term!r}")


def _optional(term: object) -> str | None:
    return None if term is None else _text(term)


def _date_time(value: datetime) -> ox.Literal:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return ox.Literal(text, datatype=_DATE_TIME)


def _boolean(value: bool) -> ox.Literal:
    return ox.Literal("true" if value else "false", datatype=_BOOLEAN)
