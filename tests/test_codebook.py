"""The codebook is a sound SKOS vocabulary and honours the contract that kb/ relies on.

Every file of ontology/codebook/ is one skos:ConceptScheme named like the file; every concept is
labelled and defined once in French and once in English, sits in the scheme its IRI names, and
reaches a top concept through a consistent broader/narrower hierarchy; the concept slugs that the
founding case uses exist where the brief puts them; alignments to ESSGlobal point to concepts of
the vendored ESSGlobal files.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF, SKOS

REPO = Path(__file__).resolve().parents[1]
CODEBOOK_DIR = REPO / "ontology" / "codebook"
VENDOR_DIR = REPO / "ontology" / "vendor" / "essglobal"
CODEBOOK = "https://w3id.org/essaim/codebook/"
ESSGLOBAL_STANDARD = "http://purl.org/essglobal/standard/"
CC_BY_4 = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
LANGS = ("fr", "en")
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

SCHEMES = (
    "barrier", "success-factor", "condition", "scaling-strategy", "scaling-outcome", "impact",
    "sector", "value", "action-type", "actor-type", "role", "section-type", "audience",
    "resource-type", "territory-level", "finding-kind", "statement-mode", "development-stage",
    "coding-status", "indicator", "scaling-result", "funding-instrument",
)  # fmt: skip

# The schemes whose concepts can code a passage (essaim:codableOnPassage true); the others are
# descriptive, and a coding annotation refuses their concepts.
CODABLE = {
    "barrier", "success-factor", "condition", "impact", "scaling-strategy", "scaling-outcome",
    "scaling-result", "value", "sector",
}  # fmt: skip

SI_DRIVE = (
    "needs", "concepts-and-understanding", "actors-and-governance", "process-dynamics",
    "resources-and-constraints",
)  # fmt: skip

# The contract with kb/: concept slugs the founding case uses. More concepts are welcome; none of
# these may disappear (deprecate with owl:deprecated instead).
REQUIRED: dict[str, tuple[str, ...]] = {
    "barrier": (
        *SI_DRIVE,
        "low-awareness-of-ess", "lack-of-facilitation-resources", "need-for-concrete-projects",
        "lack-of-time", "limited-volunteer-availability", "sectoral-silos",
        "vertical-structuring", "low-mutual-knowledge", "informal-partnerships",
        "no-common-support-place", "top-down-network-initiatives", "few-collective-initiatives",
    ),
    "success-factor": (
        *SI_DRIVE,
        "local-actor-commitment", "demonstrated-added-value", "sustained-facilitation",
        "mutual-interest", "shared-values", "economic-weight-of-ess", "common-goal",
        "partnership-approach", "local-adaptation",
    ),
    "condition": (
        "dedicated-facilitation-resources", "long-term-commitment", "regular-reactivation",
        "mutual-knowledge", "local-fit",
    ),
    "impact": (
        "cross-sector-contacts", "ess-awareness-raised", "networking-interest-anchored",
        "wide-public-reach", "reflection-stimulated",
    ),
    "scaling-strategy": (
        "scaling-out", "scaling-up", "scaling-deep", "dissemination", "social-franchise",
        "internal-spreading", "duplication", "cooperation", "merger",
    ),
    "scaling-outcome": ("achieved", "partial", "possible", "not-achieved", "unknown"),
    "sector": (
        "sport", "social-inclusion", "health", "culture", "social-action", "environment",
        "education", "agriculture", "housing", "personal-services", "finance-insurance",
        "construction", "food-aid", "volunteering", "employment", "local-development",
        "sustainable-development",
    ),
    "value": ("democracy", "freedom", "solidarity"),
    "action-type": (
        "working-day", "training", "workshop", "forum", "general-assembly", "exchange-cafe",
        "exhibition", "information-session", "careers-cafe", "event-participation",
        "awareness-raising", "support", "research-action", "themed-month-events",
    ),
    "actor-type": (
        "ess-family", "association", "cooperative", "mutual-society", "foundation",
        "public-body", "university", "network-federation", "company", "informal-group",
        "person", "not-stated",
    ),
    "role": (
        "carrier", "coordinator", "partner", "funder", "volunteer", "project-group-member",
        "co-organiser", "support-provider",
    ),
    "section-type": (
        "title-and-entry", "argument", "development-conditions", "barriers", "possible-scaling",
        "success-factors", "impacts", "organisation", "carrier-structure", "actors", "youth",
        "proposals-decision-makers", "proposals-public-opinion", "presentation", "resources",
        "one-sentence-summary",
    ),
    "audience": (
        "decision-makers", "public-opinion", "local-authorities", "schools-pupils",
        "project-carriers", "young-people", "ess-actors", "general-public",
    ),
    "resource-type": (
        "volunteer-commitment", "staff-time", "public-funding", "private-funding",
        "self-funding", "in-kind", "membership-fees",
    ),
    "territory-level": ("commune", "epci", "departement", "region", "country"),
    "finding-kind": ("diagnosis", "perspective", "common-interest", "argument"),
    "statement-mode": ("encountered", "addressed-need", "anticipated", "proposed", "observed"),
    "development-stage": ("emergence", "consolidation", "scaling"),
    "coding-status": ("extracted", "suggested", "coded", "agreed", "adjudicated", "curated"),
    "indicator": (
        "member-organisations", "beneficiaries", "volunteers", "staff-fte", "budget",
        "territories-covered", "events-held",
    ),
    "scaling-result": (
        "new-partnerships", "partner-adoption", "public-policy-influence", "growth-in-numbers",
        "resources-mobilised", "not-yet-scaled",
    ),
    "funding-instrument": (
        "grant", "public-contract", "membership-fees", "sales", "in-kind", "volunteer-time-only",
        "no-dedicated-funding",
    ),
}  # fmt: skip

# Where the brief places concepts: these must be top concepts of their scheme...
REQUIRED_TOPS: dict[str, tuple[str, ...]] = {
    "barrier": SI_DRIVE,
    "success-factor": SI_DRIVE,
    "scaling-strategy": ("scaling-out", "scaling-up", "scaling-deep"),
    "actor-type": (
        "ess-family", "public-body", "university", "network-federation", "company",
        "informal-group", "person", "not-stated",
    ),
}  # fmt: skip
# ...and these must be narrower (directly) of the given concept of the same scheme.
REQUIRED_UNDER: dict[str, dict[str, tuple[str, ...]]] = {
    "scaling-strategy": {
        "scaling-out": (
            "dissemination", "social-franchise", "internal-spreading", "duplication",
            "cooperation", "merger",
        ),
    },
    "actor-type": {"ess-family": ("association", "cooperative", "mutual-society", "foundation")},
}  # fmt: skip
# The specific barriers and success factors are each narrower of exactly one SI-DRIVE dimension.
UNDER_ONE_DIMENSION = {
    scheme: tuple(s for s in REQUIRED[scheme] if s not in SI_DRIVE)
    for scheme in ("barrier", "success-factor")
}


# --------------------------------------------------------------------------------------------
# Loading


def codebook_files() -> list[Path]:
    return sorted(CODEBOOK_DIR.glob("*.ttl"))


@cache
def graph_of(name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(CODEBOOK_DIR / name, format="turtle")


def scheme_iri(slug: str) -> rdflib.URIRef:
    return rdflib.URIRef(CODEBOOK + slug)


def concept_iri(scheme: str, slug: str) -> rdflib.URIRef:
    return rdflib.URIRef(f"{CODEBOOK}{scheme}/{slug}")


def concepts_in(graph: rdflib.Graph) -> list[rdflib.URIRef]:
    return sorted(c for c in graph.subjects(RDF.type, SKOS.Concept) if isinstance(c, rdflib.URIRef))


def all_concepts() -> list[tuple[str, rdflib.URIRef]]:
    """(file name, concept) for every concept of every file; a file that does not parse stops
    the collection of this module, which is reported as an error."""
    return [(p.name, c) for p in codebook_files() for c in concepts_in(graph_of(p.name))]


@cache
def vendor_concepts() -> frozenset[rdflib.URIRef]:
    graph = rdflib.Graph()
    for path in sorted(VENDOR_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return frozenset(
        c for c in graph.subjects(RDF.type, SKOS.Concept) if isinstance(c, rdflib.URIRef)
    )


def literals(
    graph: rdflib.Graph, node: rdflib.term.Node, prop: rdflib.URIRef
) -> list[rdflib.Literal]:
    return [o for o in graph.objects(node, prop) if isinstance(o, rdflib.Literal)]


def norm(text: str) -> str:
    return " ".join(text.casefold().split())


# --------------------------------------------------------------------------------------------
# Graph algorithms (tested on their own below, so that a silent no-op cannot pass)


def broader_cycles(edges: Iterable[tuple[rdflib.term.Node, rdflib.term.Node]]) -> list[list]:
    """Cycles in a child -> parent relation, each as the list of nodes on it."""
    parents: dict = {}
    for child, parent in edges:
        parents.setdefault(child, set()).add(parent)
    cycles, done = [], set()

    def visit(node, path: list) -> None:
        if node in path:
            cycles.append(path[path.index(node) :])
            return
        if node in done:
            return
        for parent in parents.get(node, ()):
            visit(parent, [*path, node])
        done.add(node)

    for node in list(parents):
        visit(node, [])
    return cycles


def ancestors(graph: rdflib.Graph, concept: rdflib.term.Node) -> set:
    seen: set = set()
    todo = [concept]
    while todo:
        for parent in graph.objects(todo.pop(), SKOS.broader):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def reaches_top(graph: rdflib.Graph, concept: rdflib.term.Node, scheme: rdflib.URIRef) -> bool:
    return any(
        (node, SKOS.topConceptOf, scheme) in graph for node in {concept} | ancestors(graph, concept)
    )


def test_cycle_detection_finds_a_cycle() -> None:
    a, b, c = (rdflib.URIRef(f"urn:x:{n}") for n in "abc")
    assert broader_cycles([(a, b), (b, c)]) == []
    assert broader_cycles([(a, b), (b, c), (c, a)])
    assert broader_cycles([(a, a)])


def test_reaching_a_top_needs_a_top() -> None:
    scheme, a, b = (rdflib.URIRef(f"urn:x:{n}") for n in ("s", "a", "b"))
    graph = rdflib.Graph()
    graph.add((a, SKOS.broader, b))
    assert not reaches_top(graph, a, scheme)
    graph.add((b, SKOS.topConceptOf, scheme))
    assert reaches_top(graph, a, scheme)


# --------------------------------------------------------------------------------------------
# Files and schemes


def test_every_scheme_of_the_brief_has_its_file() -> None:
    present = {p.stem for p in codebook_files()}
    assert set(SCHEMES) <= present, f"missing scheme files: {sorted(set(SCHEMES) - present)}"


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_file_parses(name: str) -> None:
    assert len(graph_of(name)) > 0


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_file_holds_one_scheme_named_like_the_file(name: str) -> None:
    graph = graph_of(name)
    schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert schemes == [scheme_iri(name.removesuffix(".ttl"))], (
        f"{name} must declare exactly the scheme {scheme_iri(name.removesuffix('.ttl'))}, "
        f"found {schemes}"
    )


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_scheme_metadata(name: str) -> None:
    graph = graph_of(name)
    scheme = scheme_iri(name.removesuffix(".ttl"))
    for prop in (DCTERMS.title, SKOS.definition):
        langs = sorted(str(o.language) for o in literals(graph, scheme, prop) if str(o).strip())
        assert langs == ["en", "fr"], f"{scheme} needs one {prop} in fr and one in en: {langs}"
    assert (scheme, DCTERMS.license, CC_BY_4) in graph
    assert rdflib.Literal("The essaim developers") in set(graph.objects(scheme, DCTERMS.creator))


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_top_concepts_are_declared_both_ways(name: str) -> None:
    graph = graph_of(name)
    scheme = scheme_iri(name.removesuffix(".ttl"))
    tops = set(graph.objects(scheme, SKOS.hasTopConcept))
    assert tops, f"{scheme} has no top concept"
    assert tops == set(graph.subjects(SKOS.topConceptOf, scheme))
    for top in tops:
        assert graph.value(top, SKOS.broader) is None, f"top concept {top} has a broader concept"


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_no_cycle_in_broader(name: str) -> None:
    graph = graph_of(name)
    cycles = broader_cycles(graph.subject_objects(SKOS.broader))
    assert not cycles, f"skos:broader cycles in {name}: {cycles}"


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_preferred_labels_are_unique_in_the_scheme(name: str) -> None:
    graph = graph_of(name)
    seen: dict[tuple[str, str], rdflib.URIRef] = {}
    for concept in concepts_in(graph):
        for label in literals(graph, concept, SKOS.prefLabel):
            key = (str(label.language), norm(label))
            assert key not in seen, f"{concept} and {seen[key]} share the prefLabel {label!r}"
            seen[key] = concept


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_alternative_labels_do_not_name_another_concept(name: str) -> None:
    """A coder searching a word must not land on two concepts: no altLabel of one concept is the
    prefLabel of another concept of the same scheme."""
    graph = graph_of(name)
    preferred = {
        (str(label.language), norm(label)): concept
        for concept in concepts_in(graph)
        for label in literals(graph, concept, SKOS.prefLabel)
    }
    for concept in concepts_in(graph):
        for label in literals(graph, concept, SKOS.altLabel):
            other = preferred.get((str(label.language), norm(label)))
            assert other in (None, concept), f"altLabel {label!r} of {concept} names {other}"


# --------------------------------------------------------------------------------------------
# Concepts


CONCEPTS = all_concepts()


def concept_id(value: object) -> str:
    return str(value).removeprefix(CODEBOOK) if isinstance(value, rdflib.URIRef) else str(value)


@pytest.mark.parametrize(("name", "concept"), CONCEPTS, ids=concept_id)
def test_concept_is_labelled_and_defined_once_per_language(
    name: str, concept: rdflib.URIRef
) -> None:
    graph = graph_of(name)
    for prop in (SKOS.prefLabel, SKOS.definition):
        values = literals(graph, concept, prop)
        langs = sorted(str(v.language) for v in values)
        assert langs == ["en", "fr"], f"{concept} needs exactly one {prop} in fr and en: {langs}"
        assert all(str(v).strip() for v in values), f"{concept} has an empty {prop}"
    for prop in (SKOS.altLabel, SKOS.scopeNote, SKOS.note):
        for value in literals(graph, concept, prop):
            assert value.language in LANGS, f"{concept} {prop} {value!r} is not tagged fr or en"
            assert str(value).strip(), f"{concept} has an empty {prop}"


@pytest.mark.parametrize(("name", "concept"), CONCEPTS, ids=concept_id)
def test_alternative_labels_differ_from_the_preferred_label(
    name: str, concept: rdflib.URIRef
) -> None:
    graph = graph_of(name)
    for lang in LANGS:
        preferred = {
            norm(v) for v in literals(graph, concept, SKOS.prefLabel) if v.language == lang
        }
        for alt in literals(graph, concept, SKOS.altLabel):
            if alt.language == lang:
                assert norm(alt) not in preferred, (
                    f"{concept}: altLabel {alt!r} repeats the prefLabel"
                )


@pytest.mark.parametrize(("name", "concept"), CONCEPTS, ids=concept_id)
def test_concept_is_in_the_scheme_its_iri_names(name: str, concept: rdflib.URIRef) -> None:
    graph = graph_of(name)
    parent, _, slug = str(concept).rpartition("/")
    schemes = list(graph.objects(concept, SKOS.inScheme))
    assert schemes == [rdflib.URIRef(parent)], f"{concept} must be inScheme <{parent}> only"
    assert parent == str(scheme_iri(name.removesuffix(".ttl"))), (
        f"{concept} is not in {name}'s scheme"
    )
    assert slug and slug == slug.lower() and " " not in slug, f"bad concept slug {slug!r}"


@pytest.mark.parametrize(("name", "concept"), CONCEPTS, ids=concept_id)
def test_hierarchy_is_symmetric_and_stays_in_the_scheme(name: str, concept: rdflib.URIRef) -> None:
    graph = graph_of(name)
    scheme = graph.value(concept, SKOS.inScheme)
    for parent in graph.objects(concept, SKOS.broader):
        assert (parent, SKOS.narrower, concept) in graph, f"{parent} lacks narrower {concept}"
        assert (parent, SKOS.inScheme, scheme) in graph, (
            f"{concept} broader {parent} leaves {scheme}"
        )
    for child in graph.objects(concept, SKOS.narrower):
        assert (child, SKOS.broader, concept) in graph, f"{child} lacks broader {concept}"
        assert (child, SKOS.inScheme, scheme) in graph, (
            f"{concept} narrower {child} leaves {scheme}"
        )
    lineage = ancestors(graph, concept)
    for other in graph.objects(concept, SKOS.related):
        assert other not in lineage and concept not in ancestors(graph, other), (
            f"{concept} is both related and hierarchically linked to {other}"
        )


@pytest.mark.parametrize(("name", "concept"), CONCEPTS, ids=concept_id)
def test_concept_reaches_a_top_concept(name: str, concept: rdflib.URIRef) -> None:
    graph = graph_of(name)
    scheme = scheme_iri(name.removesuffix(".ttl"))
    assert reaches_top(graph, concept, scheme), f"{concept} reaches no top concept of {scheme}"


@pytest.mark.parametrize(("name", "concept"), CONCEPTS, ids=concept_id)
def test_essglobal_matches_point_to_vendored_concepts(name: str, concept: rdflib.URIRef) -> None:
    graph = graph_of(name)
    for prop in MAPPINGS:
        for target in graph.objects(concept, prop):
            if str(target).startswith(ESSGLOBAL_STANDARD):
                assert target in vendor_concepts(), (
                    f"{concept} {prop} <{target}> is no skos:Concept of ontology/vendor/essglobal/"
                )


def test_the_codebook_is_aligned_to_essglobal() -> None:
    """At least the actor types and the sectors point to ESSGlobal."""
    for scheme in ("actor-type", "sector"):
        graph = graph_of(f"{scheme}.ttl")
        targets = {o for p in (SKOS.exactMatch, SKOS.closeMatch) for o in graph.objects(None, p)}
        assert any(str(t).startswith(ESSGLOBAL_STANDARD) for t in targets), scheme


# --------------------------------------------------------------------------------------------
# The contract with kb/


@pytest.mark.parametrize(
    ("scheme", "slug"), [(s, c) for s, slugs in REQUIRED.items() for c in slugs], ids="/".join
)
def test_required_concept_exists(scheme: str, slug: str) -> None:
    graph = graph_of(f"{scheme}.ttl")
    concept = concept_iri(scheme, slug)
    assert (concept, RDF.type, SKOS.Concept) in graph, f"{concept} is missing"
    assert (concept, SKOS.inScheme, scheme_iri(scheme)) in graph


@pytest.mark.parametrize(
    ("scheme", "slug"), [(s, c) for s, slugs in REQUIRED_TOPS.items() for c in slugs], ids="/".join
)
def test_required_top_concept(scheme: str, slug: str) -> None:
    graph = graph_of(f"{scheme}.ttl")
    assert (concept_iri(scheme, slug), SKOS.topConceptOf, scheme_iri(scheme)) in graph


@pytest.mark.parametrize(
    ("scheme", "top", "slug"),
    [(s, t, c) for s, tops in REQUIRED_UNDER.items() for t, cs in tops.items() for c in cs],
    ids=lambda v: str(v),
)
def test_required_concept_is_narrower_of(scheme: str, top: str, slug: str) -> None:
    graph = graph_of(f"{scheme}.ttl")
    assert (concept_iri(scheme, slug), SKOS.broader, concept_iri(scheme, top)) in graph


@pytest.mark.parametrize(
    ("scheme", "slug"),
    [(s, c) for s, slugs in UNDER_ONE_DIMENSION.items() for c in slugs],
    ids="/".join,
)
def test_specific_factor_is_narrower_of_one_si_drive_dimension(scheme: str, slug: str) -> None:
    """Directly, so that comparing initiatives by dimension is a one-step query."""
    graph = graph_of(f"{scheme}.ttl")
    dimensions = {concept_iri(scheme, d) for d in SI_DRIVE}
    parents = set(graph.objects(concept_iri(scheme, slug), SKOS.broader))
    assert len(parents) == 1 and parents <= dimensions, (
        f"{scheme}/{slug} has broader {sorted(parents)}, not exactly one SI-DRIVE dimension"
    )


@pytest.mark.parametrize(
    ("scheme", "needle"),
    [("barrier", "SI-DRIVE"), ("success-factor", "SI-DRIVE"), ("scaling-strategy", "Vocisano")],
)
def test_scheme_cites_its_framework(scheme: str, needle: str) -> None:
    graph = graph_of(f"{scheme}.ttl")
    sources = [str(o) for o in graph.objects(scheme_iri(scheme), DCTERMS.source)]
    assert any(needle in s for s in sources), f"{scheme} does not cite {needle}: {sources}"


def test_actor_types_explain_listed_as_versus_actor_type() -> None:
    """The case may list an actor under a family differing from its real status: the actor-type
    scheme must tell coders how to record both."""
    graph = graph_of("actor-type.ttl")
    text = " ".join(
        str(o)
        for p in (SKOS.definition, SKOS.note, SKOS.scopeNote)
        for o in graph.objects(scheme_iri("actor-type"), p)
    )
    assert "listedAs" in text and "actorType" in text


ESSAIM = rdflib.Namespace("https://w3id.org/essaim/ontology#")


@pytest.mark.parametrize("name", [p.name for p in codebook_files()])
def test_scheme_says_whether_it_is_codable_on_a_passage(name: str) -> None:
    slug = name.removesuffix(".ttl")
    values = list(graph_of(name).objects(scheme_iri(slug), ESSAIM.codableOnPassage))
    assert len(values) == 1, f"{slug} needs exactly one essaim:codableOnPassage"
    assert isinstance(values[0], rdflib.Literal) and values[0].datatype == rdflib.XSD.boolean
    assert values[0].toPython() is (slug in CODABLE), slug


def test_every_shortcut_carries_a_codable_scheme() -> None:
    onto = rdflib.Graph().parse(REPO / "ontology" / "essaim.ttl")
    carried = {str(s).removeprefix(CODEBOOK) for s in onto.objects(None, ESSAIM.shortcutScheme)}
    assert carried == CODABLE


def test_only_achieved_and_partial_count_as_scaled() -> None:
    graph = graph_of("scaling-outcome.ttl")
    scaled = {
        str(c).rsplit("/", 1)[-1]
        for c, v in graph.subject_objects(ESSAIM.countsAsScaled)
        if v.toPython() is True
    }
    assert scaled == {"achieved", "partial"}
    assert len(set(graph.subjects(ESSAIM.countsAsScaled, None))) == 5
