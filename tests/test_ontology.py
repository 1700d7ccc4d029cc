"""The ontology is sound: it parses, every term is labelled and defined in French and English,
domains, ranges and alignments are stated, and the knowledge base uses no undefined term."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from essaim import namespaces as ns
from essaim.ingest.sources.build import FILES as SOURCE_FILES

REPO = Path(__file__).resolve().parents[1]
ESSAIM = rdflib.Namespace(ns.ESSAIM)
ONTOLOGY = rdflib.URIRef(ns.ONTOLOGY_IRI)
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
#: The importers' generated graphs (130,000 triples) are parsed by pyoxigraph in
#: tests/test_sources_corpus.py: rdflib's Turtle parser takes a minute over them.
TURTLE_FILES = sorted(
    p.relative_to(REPO).as_posix()
    for folder in ("ontology", "kb", "tests/data/valid")
    for p in (REPO / folder).rglob("*.ttl")
    if PurePosixPath(p.relative_to(REPO).as_posix()) not in SOURCE_FILES
)


def terms(graph: rdflib.Graph) -> list[rdflib.URIRef]:
    found = {
        s
        for t in TERM_TYPES
        for s in graph.subjects(RDF.type, t)
        if isinstance(s, rdflib.URIRef) and str(s).startswith(ns.ESSAIM)
    }
    return sorted(found)


def ontology_terms() -> list[rdflib.URIRef]:
    return terms(rdflib.Graph().parse(REPO / "ontology" / "essaim.ttl"))


@pytest.mark.parametrize("relative", TURTLE_FILES)
def test_turtle_file_parses(relative: str) -> None:
    graph = rdflib.Graph().parse(REPO / relative, format="turtle")
    assert len(graph) > 0, f"{relative} is empty"


def test_ontology_header(ontology_graph: rdflib.Graph) -> None:
    g = ontology_graph
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in g
    version_iri = g.value(ONTOLOGY, OWL.versionIRI)
    version = g.value(ONTOLOGY, OWL.versionInfo)
    assert version_iri is not None and version is not None
    assert str(version_iri).endswith(str(version)), "the version IRI must carry the version"
    dcterms = rdflib.Namespace(ns.DCTERMS)
    for prop in (dcterms.license, dcterms.creator, dcterms.created, dcterms.modified):
        assert g.value(ONTOLOGY, prop) is not None, f"the ontology lacks {prop}"
    for prop in (dcterms.title, dcterms.description):
        langs = {o.language for o in g.objects(ONTOLOGY, prop) if isinstance(o, rdflib.Literal)}
        assert {"fr", "en"} <= langs, f"the ontology's {prop} needs fr and en"
    # pyLODE cannot split an ontology IRI ending in '#' or '/'
    assert not str(ONTOLOGY).endswith(("#", "/"))


def test_ontology_defines_the_domain_model(ontology_graph: rdflib.Graph) -> None:
    defined = {str(t).removeprefix(ns.ESSAIM) for t in terms(ontology_graph)}
    required = {
        "Initiative", "Actor", "Organisation", "Participation", "Action", "Territory",
        "CaseDocument", "Section", "Finding", "Proposal", "ResourceUse", "Statistic",
        "SimilarInitiativeMention", "hasBarrier", "hasSuccessFactor", "hasCondition",
        "hasImpact", "hasScalingStrategy", "scalingPotential", "role", "listedAs", "actorType",
        "partOf", "officialCode", "territoryLevel", "audience", "value", "unit", "year",
    }  # fmt: skip
    assert required <= defined, f"missing: {sorted(required - defined)}"


@pytest.mark.parametrize("term", ontology_terms(), ids=lambda t: t.fragment)
def test_term_is_labelled_and_defined_in_french_and_english(
    term: rdflib.URIRef, ontology_graph: rdflib.Graph
) -> None:
    for prop in (RDFS.label, SKOS.definition):
        values = [o for o in ontology_graph.objects(term, prop) if isinstance(o, rdflib.Literal)]
        langs = sorted(str(o.language) for o in values)
        assert langs == ["en", "fr"], f"{term} needs exactly one {prop} in fr and en: {langs}"
        assert all(str(o).strip() for o in values)


@pytest.mark.parametrize("term", ontology_terms(), ids=lambda t: t.fragment)
def test_property_states_domain_and_range(
    term: rdflib.URIRef, ontology_graph: rdflib.Graph
) -> None:
    g = ontology_graph
    if (term, RDF.type, OWL.Class) in g:
        parents = set(g.objects(term, RDFS.subClassOf)) | set(g.objects(term, SKOS.closeMatch))
        external = [p for p in parents if not str(p).startswith(ns.ESSAIM)]
        assert external, f"class {term} is aligned to no external vocabulary"
        return
    assert g.value(term, RDFS.domain) is not None, f"{term} has no rdfs:domain"
    assert g.value(term, RDFS.range) is not None, f"{term} has no rdfs:range"


def test_alignments_reach_every_reused_vocabulary(ontology_graph: rdflib.Graph) -> None:
    mapping = (RDFS.subClassOf, RDFS.subPropertyOf, SKOS.closeMatch, SKOS.exactMatch)
    targets = {
        str(o)
        for p in mapping
        for s, o in ontology_graph.subject_objects(p)
        if str(s).startswith(ns.ESSAIM)
    }
    for vocab in (ns.PROV, ns.ORG, ns.SCHEMA, ns.FOAF, ns.GEO, ns.DCTERMS, ns.ESSGLOBAL):
        assert any(t.startswith(vocab) for t in targets), f"no alignment to {vocab}"


# Vocabularies that data may use besides essaim's own terms.
REUSED = (
    ns.RDF, ns.RDFS, ns.OWL, ns.XSD, ns.SKOS, ns.DCTERMS, ns.PROV, ns.ORG, ns.FOAF,
    ns.SCHEMA, ns.GEO, ns.OA, ns.QB, ns.SH, ns.VANN, "http://purl.org/dc/elements/1.1/",
    ns.ESSGLOBAL,
)  # fmt: skip


def vocabulary_terms_used(graph: rdflib.Graph) -> set[rdflib.URIRef]:
    """Predicates and classes (objects of rdf:type) that the graph uses."""
    used = {p for p in graph.predicates() if isinstance(p, rdflib.URIRef)}
    used |= {o for o in graph.objects(None, RDF.type) if isinstance(o, rdflib.URIRef)}
    return used


def test_kb_uses_only_defined_terms(
    kb_graph: rdflib.Graph, ontology_graph: rdflib.Graph, codebook_graph: rdflib.Graph
) -> None:
    defined = set(terms(ontology_graph))
    undefined = set()
    for term in vocabulary_terms_used(kb_graph):
        if str(term).startswith(ns.ESSAIM):
            if term not in defined:
                undefined.add(term)
        elif not str(term).startswith(REUSED):
            undefined.add(term)
    assert not undefined, f"kb/ uses terms no vocabulary defines: {sorted(undefined)}"
    concepts = set(codebook_graph.subjects(RDF.type, SKOS.Concept))
    cited = {
        o
        for o in kb_graph.objects()
        if isinstance(o, rdflib.URIRef) and str(o).startswith(ns.CODEBOOK)
    }
    assert cited <= concepts, f"kb/ cites unknown concepts: {sorted(cited - concepts)}"


@pytest.mark.parametrize("folder", ["ontology/codebook", "ontology/shapes.ttl"])
def test_essaim_terms_used_in_codebook_and_shapes_exist(
    folder: str, ontology_graph: rdflib.Graph
) -> None:
    path = REPO / folder
    files = sorted(path.glob("*.ttl")) if path.is_dir() else [path]
    graph = rdflib.Graph()
    for f in files:
        graph.parse(f, format="turtle")
    defined = set(terms(ontology_graph))
    mentioned = {
        node
        for triple in graph
        for node in triple
        if isinstance(node, rdflib.URIRef) and str(node).startswith(ns.ESSAIM)
    }
    assert mentioned <= defined, f"{folder} names undefined terms: {sorted(mentioned - defined)}"


def test_the_checks_catch_an_undefined_term(ontology_graph: rdflib.Graph) -> None:
    """The check above has teeth: a misspelt property is reported."""
    graph = rdflib.Graph()
    graph.add((rdflib.URIRef(ns.KB + "initiative/x"), ESSAIM.hasBarier, SKOS.Concept))
    defined = set(terms(ontology_graph))
    used = {t for t in vocabulary_terms_used(graph) if str(t).startswith(ns.ESSAIM)}
    assert used - defined == {ESSAIM.hasBarier}


# Every term of 0.1.0: none may disappear (a term whose meaning changes is deprecated instead).
TERMS_0_1_0 = (
    "Action", "Actor", "CaseDocument", "Finding", "Initiative", "Organisation", "Participation",
    "Proposal", "ResourceUse", "Section", "SimilarInitiativeMention", "Statistic",
    "SupportScheme", "Territory", "actionPartner", "actionType", "actorType", "amount",
    "audience", "carrier", "caseDocument", "codeScheme", "codedFact", "comparator", "currency",
    "endOffset", "endYear", "entry", "evidence", "findingKind", "fullText", "hasAction",
    "hasBarrier", "hasCondition", "hasFinding", "hasImpact", "hasParticipation", "hasProposal",
    "hasScalingStrategy", "hasSection", "hasStatistic", "hasSuccessFactor", "heading",
    "initiative", "involvesYouth", "listedAs", "measure", "mentionsSimilarInitiatives",
    "officialCode", "order", "organiser", "partOf", "participant", "participantCount",
    "providedBy", "resourceType", "role", "runBy", "scalingOutcome", "scalingPotential", "scope",
    "sectionType", "sector", "sha256", "similarTo", "sourceFile", "startOffset", "startYear",
    "statement", "succeededBy", "summary", "territory", "territoryLevel", "unit", "upholdsValue",
    "usesResource", "value", "withinScheme", "year",
)  # fmt: skip


def test_versioned_with_a_prior_version_and_a_changelog(ontology_graph: rdflib.Graph) -> None:
    g = ontology_graph
    assert str(g.value(ONTOLOGY, OWL.versionInfo)) == "0.2.0"
    assert g.value(ONTOLOGY, OWL.versionIRI) == rdflib.URIRef(ns.ONTOLOGY_IRI + "/0.2.0")
    assert g.value(ONTOLOGY, OWL.priorVersion) == rdflib.URIRef(ns.ONTOLOGY_IRI + "/0.1.0")
    changelog = (REPO / "ontology" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 0.2.0" in changelog and "## 0.1.0" in changelog


def test_no_term_of_the_prior_version_was_removed(ontology_graph: rdflib.Graph) -> None:
    defined = {str(t).removeprefix(ns.ESSAIM) for t in terms(ontology_graph)}
    assert len(TERMS_0_1_0) > 60
    assert set(TERMS_0_1_0) <= defined, sorted(set(TERMS_0_1_0) - defined)


def test_deprecated_terms_say_what_replaces_them(ontology_graph: rdflib.Graph) -> None:
    g = ontology_graph
    for term in g.subjects(OWL.deprecated, rdflib.Literal(True)):
        assert g.value(term, rdflib.namespace.DCTERMS.isReplacedBy) is not None or g.value(
            term, SKOS.historyNote
        ), term
