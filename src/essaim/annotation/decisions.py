"""Coders' decisions on suggestions (``essaim.annotation.suggest``), kept in the private store.

A suggestion is an annotation whose creator is a software agent (the suggester) and whose
status is *suggested*; it never counts as a coded fact, nor in agreement. A coder who accepts
one gets a new annotation of their own (status *coded*, same passage and concept,
``prov:wasDerivedFrom`` the suggestion); accepting or rejecting also records, in the coder's
graph, ``<suggestion> essaim:acceptedBy|rejectedBy <coder>``, which the counts per concept
read. Each coder decides once per suggestion.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final, Literal, cast

import pyoxigraph as ox

from essaim.annotation.jsonld import AnnotationRefused
from essaim.annotation.model import (
    CODED,
    SUGGESTED,
    Annotation,
    coder_graph,
    new_annotation_iri,
    now,
)
from essaim.annotation.storage import AnnotationStore
from essaim.annotation.suggest import SUGGESTER_LABEL
from essaim.namespaces import ESSAIM, OWL, PROV, RDF, RDFS
from essaim.users import USER_IRI_BASE

ACCEPTED_BY: Final = ESSAIM + "acceptedBy"
REJECTED_BY: Final = ESSAIM + "rejectedBy"
Decision = Literal["accepted", "rejected"]
_PROPERTY: Final[dict[str, str]] = {"accepted": ACCEPTED_BY, "rejected": REJECTED_BY}


def is_suggestion(annotation: Annotation) -> bool:
    """A suggestion: status suggested, made by a software agent (not a user)."""
    return annotation.status == SUGGESTED and not annotation.creator.startswith(USER_IRI_BASE)


def agent_quads(agent: str, version: str, label: str = SUGGESTER_LABEL) -> list[ox.Quad]:
    """The suggester described in its own graph: a ``prov:SoftwareAgent`` with its version."""
    graph, subject = ox.NamedNode(coder_graph(agent)), ox.NamedNode(agent)
    return [
        ox.Quad(subject, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "SoftwareAgent"), graph),
        ox.Quad(subject, ox.NamedNode(RDFS + "label"), ox.Literal(label), graph),
        ox.Quad(subject, ox.NamedNode(OWL + "versionInfo"), ox.Literal(version), graph),
    ]


def store_suggestions(
    store: AnnotationStore,
    found: list[Annotation],
    agent: str,
    version: str,
    label: str = SUGGESTER_LABEL,
) -> list[Annotation]:
    """Store the suggestions not stored yet (same agent, document, concept and passage) and
    return every one of ``found`` as stored (the existing ones keep their IRI)."""
    existing = {
        (a.document, a.concept, a.start, a.end): a
        for document in {f.document for f in found}
        for a in store.list(document=document, creator=agent, status=SUGGESTED)
    }
    out, new = [], []
    for a in found:
        old = existing.get((a.document, a.concept, a.start, a.end))
        if old is None:
            new.append(a)
            existing[(a.document, a.concept, a.start, a.end)] = a
            out.append(a)
        else:
            out.append(old)
    if new:
        store.put_all(new, agent_quads(agent, version, label))
    return out


def decision_of(store: AnnotationStore, suggestion: str, coder: str) -> Decision | None:
    node, graph = ox.NamedNode(suggestion), ox.NamedNode(coder_graph(coder))
    for decision, prop in _PROPERTY.items():
        if any(store.raw.quads_for_pattern(node, ox.NamedNode(prop), ox.NamedNode(coder), graph)):
            return cast(Decision, decision)
    return None


def decisions_of(store: AnnotationStore, coder: str) -> dict[str, Decision]:
    """A coder's decisions, by suggestion IRI."""
    out: dict[str, Decision] = {}
    graph = ox.NamedNode(coder_graph(coder))
    for decision, prop in _PROPERTY.items():
        for quad in store.raw.quads_for_pattern(
            None, ox.NamedNode(prop), ox.NamedNode(coder), graph
        ):
            out[cast(ox.NamedNode, quad.subject).value] = cast(Decision, decision)
    return out


def _decision_quad(suggestion: str, coder: str, decision: Decision) -> ox.Quad:
    return ox.Quad(
        ox.NamedNode(suggestion),
        ox.NamedNode(_PROPERTY[decision]),
        ox.NamedNode(coder),
        ox.NamedNode(coder_graph(coder)),
    )


def _decidable(store: AnnotationStore, suggestion: Annotation, coder: str) -> None:
    if not is_suggestion(suggestion):
        raise AnnotationRefused("suggestion", f"{suggestion.iri} is not a suggestion")
    previous = decision_of(store, suggestion.iri, coder)
    if previous is not None:
        raise AnnotationRefused(
            "suggestion", f"you have {previous} this suggestion already: decide once"
        )


def accept(
    store: AnnotationStore,
    suggestion: Annotation,
    coder: str,
    *,
    mode: str | None = None,
    memo: str | None = None,
) -> Annotation:
    """The coder's own annotation made from ``suggestion`` (status coded, derived from it),
    stored with the acceptance in one transaction."""
    _decidable(store, suggestion, coder)
    made = Annotation(
        iri=new_annotation_iri(),
        document=suggestion.document,
        concept=suggestion.concept,
        start=suggestion.start,
        end=suggestion.end,
        exact=suggestion.exact,
        prefix=suggestion.prefix,
        suffix=suggestion.suffix,
        creator=coder,
        mode=mode,
        status=CODED,
        created=now(),
        modified=now(),
        memo=memo,
        anchored=suggestion.anchored,
        initiative=suggestion.initiative,
        derived_from=suggestion.iri,
    )
    store.put_all([made], [_decision_quad(suggestion.iri, coder, "accepted")])
    return made


def reject(store: AnnotationStore, suggestion: Annotation, coder: str) -> None:
    _decidable(store, suggestion, coder)
    store.put_all([], [_decision_quad(suggestion.iri, coder, "rejected")])


_COUNTS = f"""
PREFIX essaim: <{ESSAIM}>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?concept ?decision (COUNT(*) AS ?n) WHERE {{
  GRAPH ?g {{ ?s ?decision ?coder }}
  VALUES ?decision {{ essaim:acceptedBy essaim:rejectedBy }}
  GRAPH ?h {{ ?s oa:hasBody ?concept FILTER isIRI(?concept) }}
}} GROUP BY ?concept ?decision
"""


def counts(store: AnnotationStore) -> dict[str, dict[str, int]]:
    """Per concept: suggestions made, acceptances and rejections (one per coder's decision)."""
    out: dict[str, dict[str, int]] = defaultdict(
        lambda: {"suggested": 0, "accepted": 0, "rejected": 0}
    )
    for a in store.list(status=SUGGESTED):
        if is_suggestion(a):
            out[a.concept]["suggested"] += 1
    for row in cast(ox.QuerySolutions, store.raw.query(_COUNTS)):
        concept = cast(ox.NamedNode, row["concept"]).value
        key = "accepted" if cast(ox.NamedNode, row["decision"]).value == ACCEPTED_BY else "rejected"
        out[concept][key] += int(cast(ox.Literal, row["n"]).value)
    return dict(sorted(out.items()))
