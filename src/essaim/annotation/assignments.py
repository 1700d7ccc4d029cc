"""Assignments: which coder codes which case document, and whether they have submitted their
coding of it. Kept in the private annotation store (graph ``WORKFLOW_GRAPH``), beside the
annotations, never in the public dataset.

Blind coding rests on submission: a coder sees the other coders' annotations on a document
only once they have submitted their own coding of it (``has_submitted``); editors see
everything. A coder may submit a document nobody assigned them (the record is then their own).

One record per document and coder (its IRI derived from both, so assigning twice changes
nothing)::

    <https://w3id.org/essaim/kb/assignment/…> a essaim:CodingAssignment ;
        essaim:assignedDocument <document> ; essaim:assignedCoder <user IRI> ;
        prov:wasAttributedTo <editor IRI> ;      # absent when the coder submitted unassigned
        dcterms:created "…"^^xsd:dateTime ;
        essaim:submitted "…"^^xsd:dateTime .      # once submitted
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Final, cast

import pyoxigraph as ox

from essaim.annotation.model import CODED, now
from essaim.annotation.storage import AnnotationStore
from essaim.namespaces import DCTERMS, ESSAIM, GRAPH, KB, PROV, RDF, XSD

WORKFLOW_GRAPH: Final = GRAPH + "annotations/workflow"
ASSIGNMENT_BASE: Final = KB + "assignment/"

_G = ox.NamedNode(WORKFLOW_GRAPH)
_A = ox.NamedNode(RDF + "type")
_ASSIGNMENT = ox.NamedNode(ESSAIM + "CodingAssignment")
_DOCUMENT = ox.NamedNode(ESSAIM + "assignedDocument")
_CODER = ox.NamedNode(ESSAIM + "assignedCoder")
_BY = ox.NamedNode(PROV + "wasAttributedTo")
_CREATED = ox.NamedNode(DCTERMS + "created")
_SUBMITTED = ox.NamedNode(ESSAIM + "submitted")
_DATE_TIME = ox.NamedNode(XSD + "dateTime")


@dataclass(frozen=True)
class Assignment:
    document: str
    coder: str
    assigned_by: str | None
    created: datetime
    submitted: datetime | None = None

    @property
    def iri(self) -> str:
        return assignment_iri(self.document, self.coder)


def assignment_iri(document: str, coder: str) -> str:
    digest = hashlib.sha256(f"{document} {coder}".encode()).hexdigest()[:32]
    return ASSIGNMENT_BASE + digest


def _time(value: datetime) -> ox.Literal:
    return ox.Literal(value.isoformat().replace("+00:00", "Z"), datatype=_DATE_TIME)


def _quads(assignment: Assignment) -> list[ox.Quad]:
    s = ox.NamedNode(assignment.iri)
    quads = [
        ox.Quad(s, _A, _ASSIGNMENT, _G),
        ox.Quad(s, _DOCUMENT, ox.NamedNode(assignment.document), _G),
        ox.Quad(s, _CODER, ox.NamedNode(assignment.coder), _G),
        ox.Quad(s, _CREATED, _time(assignment.created), _G),
    ]
    if assignment.assigned_by is not None:
        quads.append(ox.Quad(s, _BY, ox.NamedNode(assignment.assigned_by), _G))
    if assignment.submitted is not None:
        quads.append(ox.Quad(s, _SUBMITTED, _time(assignment.submitted), _G))
    return quads


def _replace(store: AnnotationStore, iri: str, new: Assignment | None) -> None:
    with store.lock:
        for quad in list(store.raw.quads_for_pattern(ox.NamedNode(iri), None, None, _G)):
            store.raw.remove(quad)
        if new is not None:
            store.raw.extend(_quads(new))


def get(store: AnnotationStore, document: str, coder: str) -> Assignment | None:
    found = assignments(store, document=document, coder=coder)
    return found[0] if found else None


def assign(store: AnnotationStore, document: str, coder: str, by: str) -> Assignment:
    """Assign ``document`` to ``coder`` (keeps an existing record, and its submission)."""
    existing = get(store, document, coder)
    if existing is not None:
        return existing
    assignment = Assignment(document, coder, by, now())
    _replace(store, assignment.iri, assignment)
    return assignment


def unassign(store: AnnotationStore, document: str, coder: str) -> bool:
    """Remove the assignment (the coder's annotations stay); False if there was none."""
    if get(store, document, coder) is None:
        return False
    _replace(store, assignment_iri(document, coder), None)
    return True


def submit(store: AnnotationStore, document: str, coder: str) -> Assignment:
    """Mark the coder's coding of ``document`` as submitted (now)."""
    existing = get(store, document, coder) or Assignment(document, coder, None, now())
    done = Assignment(existing.document, coder, existing.assigned_by, existing.created, now())
    _replace(store, done.iri, done)
    return done


def has_submitted(store: AnnotationStore, document: str, coder: str) -> bool:
    found = get(store, document, coder)
    return found is not None and found.submitted is not None


_SELECT = f"""
SELECT ?a ?document ?coder ?by ?created ?submitted WHERE {{
  GRAPH <{WORKFLOW_GRAPH}> {{
    ?a a <{ESSAIM}CodingAssignment> ; <{ESSAIM}assignedDocument> ?document ;
       <{ESSAIM}assignedCoder> ?coder ; <{DCTERMS}created> ?created .
    OPTIONAL {{ ?a <{PROV}wasAttributedTo> ?by }}
    OPTIONAL {{ ?a <{ESSAIM}submitted> ?submitted }}
  }}
}}
"""


def assignments(
    store: AnnotationStore, *, document: str | None = None, coder: str | None = None
) -> list[Assignment]:
    """Assignments, by document then coder; filtered by document and coder."""
    bound: dict[ox.Variable, ox.NamedNode | ox.Literal | ox.BlankNode | ox.Triple] = {}
    if document is not None:
        bound[ox.Variable("document")] = ox.NamedNode(document)
    if coder is not None:
        bound[ox.Variable("coder")] = ox.NamedNode(coder)
    rows = cast(ox.QuerySolutions, store.raw.query(_SELECT, substitutions=bound))
    found = []
    for row in rows:
        by, submitted = row["by"], row["submitted"]
        found.append(
            Assignment(
                document=cast(ox.NamedNode, row["document"]).value,
                coder=cast(ox.NamedNode, row["coder"]).value,
                assigned_by=by.value if isinstance(by, ox.NamedNode) else None,
                created=datetime.fromisoformat(cast(ox.Literal, row["created"]).value),
                submitted=(
                    datetime.fromisoformat(submitted.value)
                    if isinstance(submitted, ox.Literal)
                    else None
                ),
            )
        )
    return sorted(found, key=lambda a: (a.document, a.coder))


@dataclass(frozen=True)
class Progress:
    """One assignment and how far it has come: the coder's coded annotations on the document."""

    assignment: Assignment
    annotations: int

    @property
    def submitted(self) -> bool:
        return self.assignment.submitted is not None


def progress(
    store: AnnotationStore, *, document: str | None = None, coder: str | None = None
) -> list[Progress]:
    """Each assignment (filtered) with the number of annotations its coder made on it."""
    chosen = assignments(store, document=document, coder=coder)
    counts = Counter(
        (a.document, a.creator)
        for a in store.list(document=document, creator=coder)
        if a.status == CODED
    )
    return [Progress(a, counts[(a.document, a.coder)]) for a in chosen]
