"""The OWL 2 RL closure of ontology + codebook + kb/ is consistent."""

from __future__ import annotations

import owlrl
import pytest
import rdflib
from owlrl.Namespaces import ERRNS
from rdflib.namespace import OWL, RDF

from essaim import namespaces as ns

ESSAIM = rdflib.Namespace(ns.ESSAIM)
KB = rdflib.Namespace(ns.KB)


def closure(*graphs: rdflib.Graph) -> rdflib.Graph:
    merged = rdflib.Graph()
    for graph in graphs:
        merged += graph
    # improved_datatypes=False: the improved handling swaps rdflib's literal converters for the
    # whole process (and raises on bad lexical forms elsewhere), see owlrl.DatatypeHandling
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, improved_datatypes=False).expand(merged)
    return merged


def problems(graph: rdflib.Graph) -> list[str]:
    """Inconsistencies found by the closure: owlrl's error messages, members of owl:Nothing,
    and functional properties with two distinct values on one subject."""
    found = [str(m) for e in graph.subjects(RDF.type, ERRNS.ErrorMessage)
             for m in graph.objects(e, ERRNS.error)]  # fmt: skip
    found += [f"{s} is a member of owl:Nothing" for s in graph.subjects(RDF.type, OWL.Nothing)]
    for prop in graph.subjects(RDF.type, OWL.FunctionalProperty):
        if not str(prop).startswith(ns.ESSAIM):
            continue
        for subject in set(graph.subjects(prop, None)):
            values = {v for v in graph.objects(subject, prop) if isinstance(v, rdflib.Literal)}
            if len(values) > 1:
                found.append(f"{subject} has {len(values)} values for functional {prop}")
    return found


@pytest.fixture(scope="module")
def kb_closure(
    ontology_graph: rdflib.Graph, codebook_graph: rdflib.Graph, hand_kb_graph: rdflib.Graph
) -> rdflib.Graph:
    return closure(ontology_graph, codebook_graph, hand_kb_graph)


def test_kb_closure_is_consistent(kb_closure: rdflib.Graph) -> None:
    assert problems(kb_closure) == []


def test_closure_infers_through_the_alignments(kb_closure: rdflib.Graph) -> None:
    """The closure did run: initiatives are PROV activities, organisations ORG organisations."""
    initiatives = set(kb_closure.subjects(RDF.type, ESSAIM.Initiative))
    assert initiatives, "kb/ holds no initiative"
    prov = rdflib.Namespace(ns.PROV)
    assert all((i, RDF.type, prov.Activity) in kb_closure for i in initiatives)
    organisations = set(kb_closure.subjects(RDF.type, ESSAIM.Organisation))
    org = rdflib.Namespace(ns.ORG)
    assert organisations and all((o, RDF.type, org.Organization) in kb_closure
                                 for o in organisations)  # fmt: skip


def test_a_disjointness_violation_is_caught(ontology_graph: rdflib.Graph) -> None:
    bad = rdflib.Graph()
    bad.add((KB["actor/x"], RDF.type, ESSAIM.Initiative))
    bad.add((KB["actor/x"], RDF.type, ESSAIM.Actor))
    assert problems(closure(ontology_graph, bad))


def test_a_functional_property_violation_is_caught(ontology_graph: rdflib.Graph) -> None:
    bad = rdflib.Graph()
    xsd = rdflib.Namespace(ns.XSD)
    bad.add((KB["action/x"], RDF.type, ESSAIM.Action))
    bad.add((KB["action/x"], ESSAIM.year, rdflib.Literal("2006", datatype=xsd.gYear)))
    bad.add((KB["action/x"], ESSAIM.year, rdflib.Literal("2007", datatype=xsd.gYear)))
    assert problems(closure(ontology_graph, bad))
