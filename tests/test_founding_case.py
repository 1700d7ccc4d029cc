"""The founding case (Sarthe, CEAS 72): every fact of the text is in kb/, tied to its passage.

The checks read the case text itself wherever they can (the actors listed under « Les acteurs
(Qui ?) », the years of « L'organisation », the lines of the « Freins » section...), so that a
fact of the text missing from the knowledge base, or an offset that no longer points at its
quote, makes a test fail.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from conftest import parsed_kb

REPO = Path(__file__).resolve().parents[1]
KB = REPO / "kb"
KB_TERRITORY = "https://w3id.org/essaim/kb/territory/"
CODEBOOK = REPO / "ontology" / "codebook"
SOURCES = KB / "sources"

ESSAIM = Namespace("https://w3id.org/essaim/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
# a plain Namespace: rdflib's closed XSD namespace warns when pytest inspects module globals
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
CB = "https://w3id.org/essaim/codebook/"
KB_BASE = "https://w3id.org/essaim/kb/"

CASE_FILE = "cases/sarthe-ceas72-mise-en-reseau-ess.txt"
# The sha256 of the case text as received: the text must never change (offsets depend on it).
CASE_SHA256 = {
    "sarthe-ceas72-mise-en-reseau-ess.txt": (
        "aa975aea7d579d38771611f2cf42b4618e998291e4d1e8ef7a230340d7dd5616"
    ),
}
# The ESS families of « Les acteurs (Qui ?) » and the actor-type concept each one stands for.
FAMILIES = {
    "Associations": "association",
    "Coopératives": "cooperative",
    "Mutuelles": "mutual-society",
    "Partenaires institutionnels": "public-body",
}
NUMBER_WORDS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6}
NBSP = "\u00a0"


# ------------------------------------------------------------------ loading


def kb_graph() -> Graph:
    return parsed_kb()  # every Turtle file of kb/, parsed once per session


@cache
def ontology_graph() -> Graph:
    return Graph().parse(REPO / "ontology" / "essaim.ttl", format="turtle")


@cache
def codebook_graph() -> Graph | None:
    if not CODEBOOK.is_dir():
        return None
    graph = Graph()
    for path in sorted(CODEBOOK.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@cache
def case_text() -> str:
    return (KB / CASE_FILE).read_bytes().decode("utf-8")


def document() -> URIRef:
    docs = list(kb_graph().subjects(ESSAIM.sourceFile, Literal(CASE_FILE)))
    assert len(docs) == 1, docs
    assert isinstance(docs[0], URIRef)
    return docs[0]


def initiative() -> URIRef:
    found = list(kb_graph().subjects(ESSAIM.caseDocument, document()))
    assert len(found) == 1, found
    assert isinstance(found[0], URIRef)
    return found[0]


def norm(name: str) -> str:
    """Case-, accent-, apostrophe- and space-insensitive form of a name."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def local(node: URIRef | BNode) -> str:
    return str(node).removeprefix(KB_BASE)


# ------------------------------------------------------------------ passages


def passages() -> Iterator[tuple[str, URIRef | BNode]]:
    """Every passage of the founding case: annotation targets and essaim:evidence (the
    passages of other case documents, such as the UNDP experiments, are checked by their own
    tests)."""
    graph = kb_graph()

    def founding(target: URIRef | BNode) -> bool:
        return graph.value(target, OA.hasSource) == document()

    for ann in sorted(graph.subjects(RDF.type, OA.Annotation)):
        for target in graph.objects(ann, OA.hasTarget):
            if founding(target):
                yield local(ann), target
    for subject in sorted(set(graph.subjects(ESSAIM.evidence))):
        targets = sorted(filter(founding, graph.objects(subject, ESSAIM.evidence)), key=span)
        for n, target in enumerate(targets, start=1):
            yield f"{local(subject)}#evidence{n}", target


def selector(target: URIRef | BNode, kind: URIRef) -> URIRef | BNode:
    graph = kb_graph()
    found = [s for s in graph.objects(target, OA.hasSelector) if (s, RDF.type, kind) in graph]
    assert len(found) == 1, f"{kind} selectors: {len(found)}"
    return found[0]


def span(target: URIRef | BNode) -> tuple[int, int]:
    graph = kb_graph()
    pos = selector(target, OA.TextPositionSelector)
    start, end = graph.value(pos, OA.start), graph.value(pos, OA.end)
    assert isinstance(start, Literal) and isinstance(end, Literal)
    assert start.datatype == XSD.nonNegativeInteger
    assert end.datatype == XSD.nonNegativeInteger
    return int(start), int(end)


PASSAGES = list(passages())


def spans_of(subject: URIRef) -> list[tuple[int, int]]:
    return [span(t) for t in kb_graph().objects(subject, ESSAIM.evidence)]


def annotation_spans(concept_scheme: str | None) -> list[tuple[int, int]]:
    """Passages of the initiative's coding annotations (of one scheme, or of all)."""
    graph = kb_graph()
    out = []
    for ann in graph.subjects(ESSAIM.initiative, initiative()):
        body = str(graph.value(ann, OA.hasBody))
        if concept_scheme is None or body.startswith(CB + concept_scheme + "/"):
            out += [span(t) for t in graph.objects(ann, OA.hasTarget)]
    return out


# ------------------------------------------------------------------ the text file


def test_every_case_text_has_a_registered_sha256() -> None:
    texts = sorted(p.name for p in (KB / "cases").glob("*.txt"))
    assert texts == sorted(CASE_SHA256)


@pytest.mark.parametrize("name", sorted(CASE_SHA256))
def test_case_text_is_byte_identical(name: str) -> None:
    raw = (KB / "cases" / name).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == CASE_SHA256[name]
    docs = list(kb_graph().subjects(ESSAIM.sourceFile, Literal(f"cases/{name}")))
    assert len(docs) == 1
    assert str(kb_graph().value(docs[0], ESSAIM.sha256)) == CASE_SHA256[name]


def test_full_text_is_the_file_text() -> None:
    full = kb_graph().value(document(), ESSAIM.fullText)
    assert isinstance(full, Literal)
    assert str(full) == case_text()
    assert NBSP in str(full)  # the non-breaking spaces survived the Turtle round trip


def test_document_metadata() -> None:
    graph, doc = kb_graph(), document()
    assert (doc, RDF.type, ESSAIM.CaseDocument) in graph
    assert str(graph.value(doc, DCTERMS.title)) == case_text().split("\n", 1)[0]
    assert graph.value(doc, DCTERMS.creator) == graph.value(initiative(), ESSAIM.carrier)
    assert str(graph.value(doc, DCTERMS.language)) == "fr"
    assert "459" in " ".join(str(o) for o in graph.objects(doc, DCTERMS.source))
    rights = {o.language: str(o) for o in graph.objects(doc, DCTERMS.rights)}
    assert "attribution" in rights["en"]
    assert "licence" in rights["en"]


# ------------------------------------------------------------------ passages


def test_there_are_passages() -> None:
    assert len(PASSAGES) > 100


@pytest.mark.parametrize(("name", "target"), PASSAGES, ids=[p[0] for p in PASSAGES])
def test_passage_points_at_its_quote(name: str, target: URIRef | BNode) -> None:
    graph, text = kb_graph(), case_text()
    assert (target, RDF.type, OA.SpecificResource) in graph
    assert graph.value(target, OA.hasSource) == document()
    start, end = span(target)
    assert 0 <= start < end <= len(text)
    quote = selector(target, OA.TextQuoteSelector)
    assert text[start:end] == str(graph.value(quote, OA.exact))
    prefix, suffix = graph.value(quote, OA.prefix), graph.value(quote, OA.suffix)
    if start > 0:
        assert prefix is not None and len(prefix) > 0
    if prefix is not None:
        assert text[start - len(prefix) : start] == str(prefix)
    if end < len(text):
        assert suffix is not None and len(suffix) > 0
    if suffix is not None:
        assert text[end : end + len(suffix)] == str(suffix)


# ------------------------------------------------------------------ sections


def sections() -> list[tuple[int, int, int, str, URIRef]]:
    graph = kb_graph()
    out = []
    for sec in graph.objects(document(), ESSAIM.hasSection):
        out.append(
            (
                int(graph.value(sec, ESSAIM.order)),
                int(graph.value(sec, ESSAIM.startOffset)),
                int(graph.value(sec, ESSAIM.endOffset)),
                str(graph.value(sec, ESSAIM.heading)),
                sec,
            )
        )
    return sorted(out)


def section_text(section_type: str) -> tuple[int, str]:
    """The start offset and text of the (single) section of that type, heading included."""
    graph = kb_graph()
    found = [
        (start, case_text()[start:end])
        for _, start, end, _, sec in sections()
        if graph.value(sec, ESSAIM.sectionType) == URIRef(CB + "section-type/" + section_type)
    ]
    assert len(found) == 1, section_type
    return found[0]


def test_sections_cover_the_template_in_order() -> None:
    text, secs = case_text(), sections()
    assert [s[0] for s in secs] == list(range(1, len(secs) + 1))
    assert len(secs) == 16
    previous_end = 0
    for _, start, end, heading, sec in secs:
        assert previous_end <= start < end <= len(text)
        assert text[start:].startswith(heading)
        assert start == 0 or text[start - 1] == "\n"  # a heading starts a line
        assert kb_graph().value(sec, ESSAIM.sectionType) is not None
        previous_end = end
    assert secs[-1][2] == len(text.rstrip())


def test_every_template_heading_is_a_section() -> None:
    headings = {norm(s[3]) for s in sections()}
    for expected in [
        "Argumentaire",
        "Conditions du développement",
        "Freins :",
        "Changement d'échelle possible",
        "Facteurs de succès",
        "Impacts de l'initiative",
        "L'organisation",
        "La structure, porteuse de l'initiative",
        "Les acteurs (Qui ?)",
        "Les jeunes",
        "Proposition pour influencer les décideurs",
        "Propositions pour convaincre l'opinion",
        "Présentation de l'initiative (Quoi ?)",
        "Ressources, financements et moyens utilisés",
        "Synthèse de mon indignation en une seule phrase",
    ]:
        assert norm(expected) in headings


# ------------------------------------------------------------------ actors


def listed_actors() -> list[tuple[str, str]]:
    """(name, family concept) for every actor of « Les acteurs (Qui ?) », read from the text."""
    _, text = section_text("actors")
    out: list[tuple[str, str]] = []
    pattern = re.compile(r"^(" + "|".join(FAMILIES) + r")\s*:\s*(.+)$", re.MULTILINE)
    for family, names in pattern.findall(text):
        for item in names.split(","):
            for name in item.split(" puis "):
                clean = name.strip(" .…" + NBSP)
                if clean and (clean, FAMILIES[family]) not in out:
                    out.append((clean, FAMILIES[family]))
    return out


def project_group() -> list[str]:
    found = re.findall(r"groupe projet \(([^)]*)\)", case_text())
    assert len(found) == 1
    return [name.strip() for name in found[0].split(",")]


LISTED = listed_actors()
GROUP = project_group()


def test_the_text_lists_the_expected_number_of_actors() -> None:
    # 9 associations (one listed twice), 3 cooperatives, 3 mutuals, 4 institutional partners
    assert len(LISTED) == 19
    assert len(GROUP) == 4


def actor_named(name: str) -> URIRef:
    graph = kb_graph()
    found = {
        actor
        for actor in set(graph.subjects(RDF.type, ESSAIM.Organisation))
        | set(graph.subjects(RDF.type, ESSAIM.Actor))
        for label in [*graph.objects(actor, SKOS.prefLabel), *graph.objects(actor, SKOS.altLabel)]
        if norm(str(label)) == norm(name)
    }
    assert len(found) == 1, f"{name!r} matches {sorted(found)}"
    actor = found.pop()
    assert isinstance(actor, URIRef)
    return actor


def participation_of(actor: URIRef) -> URIRef:
    """The participation of the actor, or of its local branch (org:subOrganizationOf it)."""
    graph = kb_graph()
    found = [
        p
        for p in graph.objects(initiative(), ESSAIM.hasParticipation)
        if graph.value(p, ESSAIM.participant) == actor
        or (graph.value(p, ESSAIM.participant), ORG.subOrganizationOf, actor) in graph
    ]
    assert len(found) == 1, f"participations of {actor}: {found}"
    assert isinstance(found[0], URIRef)
    return found[0]


@pytest.mark.parametrize(("name", "family"), LISTED, ids=[n for n, _ in LISTED])
def test_listed_actor_is_in_the_kb_with_its_family(name: str, family: str) -> None:
    graph = kb_graph()
    actor = actor_named(name)
    assert list(graph.objects(actor, ESSAIM.actorType))
    assert graph.value(actor, ESSAIM.territory) is not None
    part = participation_of(actor)
    assert set(graph.objects(part, ESSAIM.listedAs)) == {URIRef(CB + "actor-type/" + family)}
    assert list(graph.objects(part, ESSAIM.role))
    # the participation's passage names the actor as the text spells it
    quotes = [norm(case_text()[s:e]) for s, e in spans_of(part)]
    assert any(norm(name) in q for q in quotes)


@pytest.mark.parametrize("name", GROUP)
def test_project_group_member_is_in_the_kb(name: str) -> None:
    graph = kb_graph()
    actor = actor_named(name)
    assert list(graph.objects(actor, ESSAIM.actorType))
    part = participation_of(actor)
    assert URIRef(CB + "role/project-group-member") in set(graph.objects(part, ESSAIM.role))


def test_carrier_is_the_structure_named_by_the_text() -> None:
    graph = kb_graph()
    _, text = section_text("carrier-structure")
    name = text.split("\n")[2].strip()
    actor = actor_named(name)
    assert graph.value(initiative(), ESSAIM.carrier) == actor
    roles = set(graph.objects(participation_of(actor), ESSAIM.role))
    assert {URIRef(CB + "role/carrier"), URIRef(CB + "role/coordinator")} <= roles


def test_students_are_volunteers_counted_and_young() -> None:
    # L87: « trois jeunes étudiants de l'IUP Charles Gide se sont mobilisés en tant que
    # bénévole »: the students volunteer, not the institute.
    graph = kb_graph()
    _, text = section_text("youth")
    match = re.search(r"(\w+) jeunes étudiants de l’(IUP [^,]+?) se sont mobilisés", text)
    assert match is not None
    institute = actor_named(match.group(2))
    assert not [
        p
        for p in graph.objects(initiative(), ESSAIM.hasParticipation)
        if graph.value(p, ESSAIM.participant) == institute
    ], "the institute itself takes no part"
    students = [s for s in graph.subjects(ORG.memberOf, institute)]
    assert len(students) == 1
    assert graph.value(students[0], ESSAIM.actorType) == URIRef(CB + "actor-type/informal-group")
    part = participation_of(students[0])
    assert int(graph.value(part, ESSAIM.participantCount)) == NUMBER_WORDS[match.group(1)]
    assert graph.value(part, ESSAIM.involvesYouth) == Literal(True)
    assert URIRef(CB + "role/volunteer") in set(graph.objects(part, ESSAIM.role))


def test_ddjs_was_succeeded_by_ddcs() -> None:
    graph = kb_graph()
    assert (actor_named("DDJS"), ESSAIM.succeededBy, actor_named("DDCS")) in graph


def test_credit_mutuel_is_a_cooperative_listed_as_mutual() -> None:
    graph = kb_graph()
    actor = actor_named("Crédit Mutuel")
    assert URIRef(CB + "actor-type/cooperative") in set(graph.objects(actor, ESSAIM.actorType))
    part = participation_of(actor)
    assert graph.value(part, ESSAIM.listedAs) == URIRef(CB + "actor-type/mutual-society")


def test_every_participation_is_complete() -> None:
    graph = kb_graph()
    parts = list(graph.objects(initiative(), ESSAIM.hasParticipation))
    assert len(parts) >= len({actor_named(n) for n, _ in LISTED} | {actor_named(n) for n in GROUP})
    for part in parts:
        actor = graph.value(part, ESSAIM.participant)
        assert graph.value(actor, SKOS.prefLabel) is not None, actor
        assert list(graph.objects(actor, ESSAIM.actorType)), actor
        assert list(graph.objects(part, ESSAIM.role)), part
        assert spans_of(part), part


# ------------------------------------------------------------------ actions


def year_headers() -> list[tuple[str, int, int]]:
    """(kind, year, number of actions) for each dated block of « L'organisation »."""
    _, text = section_text("organisation")
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        header = re.match(r"^(En|Depuis) (\d{4})\s*:\s*$", line)
        if header:
            count = 0
            for following in lines[i + 1 :]:
                if following.startswith("  • "):
                    count += 1
                elif following.strip():
                    break
            out.append(("year" if header.group(1) == "En" else "startYear", int(header[2]), count))
        elif re.match(r"^Depuis (\d{4}),", line):
            out.append(("startYear", int(line[7:11]), 1))
    return out


YEARS = year_headers()


def test_the_text_dates_its_actions() -> None:
    assert [(k, y) for k, y, _ in YEARS] == [
        ("year", 2006),
        ("year", 2007),
        ("startYear", 2008),
        ("startYear", 2004),
    ]


def actions_and_prior_activities() -> list[URIRef]:
    graph = kb_graph()
    found = [*graph.objects(initiative(), ESSAIM.hasAction)]
    found += graph.objects(initiative(), ESSAIM.priorActivity)
    return [a for a in found if isinstance(a, URIRef)]


@pytest.mark.parametrize(("kind", "year", "count"), YEARS, ids=[str(y[1]) for y in YEARS])
def test_each_dated_action_is_in_the_kb(kind: str, year: int, count: int) -> None:
    graph = kb_graph()
    actions = [
        a
        for a in actions_and_prior_activities()
        if graph.value(a, ESSAIM[kind]) == Literal(str(year), datatype=XSD.gYear)
    ]
    assert len(actions) == count


def test_every_action_is_complete() -> None:
    graph = kb_graph()
    actions = actions_and_prior_activities()
    assert len(actions) == sum(c for _, _, c in YEARS) + 1  # + the undated research-action
    for action in actions:
        assert {lab.language for lab in graph.objects(action, RDFS.label)} >= {"fr", "en"}
        assert list(graph.objects(action, ESSAIM.actionType)), action
        assert spans_of(action), action


def test_support_role_is_a_prior_activity_within_schemes() -> None:
    # L65: « Depuis 2004, le CEAS Sarthe est également « support » de dispositifs... »: an
    # earlier, separate activity, not an action of the initiative (which starts in 2006).
    graph = kb_graph()
    line = next(x for x in case_text().split("\n") if x.startswith("Depuis 2004,"))
    assert "également" in line
    assert str(graph.value(initiative(), ESSAIM.startYear)) == "2006"
    assert not [
        a
        for a in graph.objects(initiative(), ESSAIM.hasAction)
        if graph.value(a, ESSAIM.startYear) == Literal("2004", datatype=XSD.gYear)
    ]
    support = [
        a
        for a in graph.objects(initiative(), ESSAIM.priorActivity)
        if graph.value(a, ESSAIM.startYear) == Literal("2004", datatype=XSD.gYear)
    ]
    assert len(support) == 1
    schemes = set(graph.objects(support[0], ESSAIM.withinScheme))
    assert len(schemes) == 2
    runners = {graph.value(s, ESSAIM.runBy) for s in schemes} - {None}
    cress = actor_named("CRESS Pays de la Loire")
    assert runners == {cress}
    # the text does not make the CRESS a participant of the initiative
    participants = {
        graph.value(p, ESSAIM.participant)
        for p in graph.objects(initiative(), ESSAIM.hasParticipation)
    }
    assert cress not in participants
    ceas = participation_of(actor_named("CEAS 72"))
    assert URIRef(CB + "role/support-provider") not in set(graph.objects(ceas, ESSAIM.role))


# ------------------------------------------------------------------ findings and proposals


def bullet_lines(section_type: str) -> list[tuple[int, int]]:
    start, text = section_text(section_type)
    out, offset = [], start
    for line in text.split("\n"):
        if line.startswith("  • ") or re.match(r"^\d\. ", line):
            out.append((offset, offset + len(line)))
        offset += len(line) + 1
    return out


def content_lines(section_type: str) -> list[tuple[int, int]]:
    """Non-empty lines of a section, heading excluded."""
    start, text = section_text(section_type)
    out, offset = [], start
    for i, line in enumerate(text.split("\n")):
        if i > 0 and line.strip():
            out.append((offset, offset + len(line)))
        offset += len(line) + 1
    return out


def covered(line: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s < line[1] and e > line[0] for s, e in spans)


def findings(kind: str) -> list[URIRef]:
    graph = kb_graph()
    return [
        f
        for f in graph.objects(initiative(), ESSAIM.hasFinding)
        if graph.value(f, ESSAIM.findingKind) == URIRef(CB + "finding-kind/" + kind)
    ]


def test_finding_counts() -> None:
    assert len(findings("diagnosis")) == 11
    # the three perspective bullets: one states the actors' motivations (a kind of perspective)
    assert len(findings("perspective")) + len(findings("motivation")) == 3
    assert len(findings("common-interest")) == 2
    assert len(findings("argument")) >= 1


def test_every_bullet_of_the_presentation_is_a_finding() -> None:
    graph = kb_graph()
    spans = [s for f in graph.objects(initiative(), ESSAIM.hasFinding) for s in spans_of(f)]
    bullets = bullet_lines("presentation")
    assert len(bullets) == 16
    for line in bullets:
        assert covered(line, spans), case_text()[line[0] : line[1]]


def test_every_finding_has_a_french_statement() -> None:
    graph = kb_graph()
    for finding in graph.objects(initiative(), ESSAIM.hasFinding):
        assert "fr" in {s.language for s in graph.objects(finding, ESSAIM.statement)}
        assert spans_of(finding)


@pytest.mark.parametrize(
    ("section_type", "audience"),
    [
        ("proposals-decision-makers", "decision-makers"),
        ("proposals-public-opinion", "public-opinion"),
    ],
)
def test_every_proposal_line_is_a_proposal(section_type: str, audience: str) -> None:
    graph = kb_graph()
    proposals = list(graph.objects(initiative(), ESSAIM.hasProposal))
    lines = content_lines(section_type)
    for line in lines:
        matching = [p for p in proposals if covered(line, spans_of(p))]
        assert matching, case_text()[line[0] : line[1]]
        audiences = {str(a) for p in matching for a in graph.objects(p, ESSAIM.audience)}
        assert CB + "audience/" + audience in audiences
        for proposal in matching:
            assert "fr" in {s.language for s in graph.objects(proposal, ESSAIM.statement)}


def test_school_internship_proposal_targets_pupils() -> None:
    graph = kb_graph()
    start = case_text().index("proposition de stage aux 3èmes")
    matching = [
        p
        for p in graph.objects(initiative(), ESSAIM.hasProposal)
        if any(s <= start < e for s, e in spans_of(p))
    ]
    audiences = {a for p in matching for a in graph.objects(p, ESSAIM.audience)}
    assert URIRef(CB + "audience/schools-pupils") in audiences


# ------------------------------------------------------------------ resources, statistic


def test_resources_are_volunteer_commitment() -> None:
    graph = kb_graph()
    resources = list(graph.objects(initiative(), ESSAIM.usesResource))
    assert len(resources) == 1
    types = set(graph.objects(resources[0], ESSAIM.resourceType))
    # L149: « exclusivement appuyée sur un engagement volontaire et bénévole »
    _, text = section_text("resources")
    assert "exclusivement" in text and "bénévole" in text
    assert types == {URIRef(CB + "resource-type/volunteer-commitment")}
    instruments = set(graph.objects(resources[0], ESSAIM.fundingInstrument))
    assert instruments == {URIRef(CB + "funding-instrument/volunteer-time-only")}
    lines = content_lines("resources")
    assert all(covered(line, spans_of(resources[0])) for line in lines)


def test_employment_statistic_matches_the_text() -> None:
    graph = kb_graph()
    match = re.search(r"plus de (\d+)\s*% de l’emploi sarthois", case_text())
    assert match is not None
    stats = list(graph.objects(initiative(), ESSAIM.hasStatistic))
    assert len(stats) == 1
    stat = stats[0]
    value = graph.value(stat, ESSAIM.value)
    assert isinstance(value, Literal)
    assert value.datatype == XSD.decimal
    assert value.toPython() == int(match.group(1))
    assert str(graph.value(stat, ESSAIM.comparator)) == ">"
    assert graph.value(stat, ESSAIM.unit) == URIRef("http://qudt.org/vocab/unit/PERCENT")
    assert graph.value(stat, ESSAIM.territory) == graph.value(initiative(), ESSAIM.territory)
    assert graph.value(stat, DCTERMS.source) == document()
    # the text gives no year: said, not left silent
    assert graph.value(stat, ESSAIM.year) is None
    assert graph.value(stat, ESSAIM.undatedInSource) == Literal(True)
    assert graph.value(stat, ESSAIM.indicator) == URIRef(CB + "indicator/employment-share")
    assert any(s <= match.start(1) < e for s, e in spans_of(stat))


def test_initiative_core() -> None:
    graph, ini = kb_graph(), initiative()
    assert {t.language for t in graph.objects(ini, DCTERMS.title)} >= {"fr", "en"}
    assert str(graph.value(ini, ESSAIM.startYear)) == "2006"
    assert "Coopérer / Mutualiser" in {str(e) for e in graph.objects(ini, ESSAIM.entry)}
    summary = {s.language: str(s) for s in graph.objects(ini, ESSAIM.summary)}
    assert "économie sociale et solidaire" in summary["fr"].casefold()
    assert "peu développées" in summary["fr"]
    assert graph.value(ini, ESSAIM.scalingPotential) is not None
    mentions = list(graph.objects(ini, ESSAIM.mentionsSimilarInitiatives))
    assert len(mentions) == 1
    assert "départements voisins" in {str(s) for s in graph.objects(mentions[0], ESSAIM.scope)}


# ------------------------------------------------------------------ coded facts


@cache
def coded_properties() -> frozenset[URIRef]:
    """Sub-properties of essaim:codedFact, plus sector and scaling outcome (also coded here)."""
    onto = ontology_graph()
    props = {
        p
        for p in onto.transitive_subjects(RDFS.subPropertyOf, ESSAIM.codedFact)
        if isinstance(p, URIRef) and p != ESSAIM.codedFact
    }
    assert props
    return frozenset(props | {ESSAIM.sector, ESSAIM.scalingOutcome})


def coded_facts() -> set[tuple[URIRef, URIRef]]:
    graph, ini = kb_graph(), initiative()
    return {
        (p, o) for p in coded_properties() for o in graph.objects(ini, p) if isinstance(o, URIRef)
    }


def annotated() -> dict[URIRef, list[URIRef]]:
    graph, ini = kb_graph(), initiative()
    out: dict[URIRef, list[URIRef]] = {}
    for ann in graph.subjects(ESSAIM.initiative, ini):
        body = graph.value(ann, OA.hasBody)
        assert isinstance(body, URIRef) and isinstance(ann, URIRef)
        out.setdefault(body, []).append(ann)
    return out


def qualified_facts() -> list[URIRef]:
    graph = kb_graph()
    return [f for f in graph.objects(initiative(), ESSAIM.hasCodedFact) if isinstance(f, URIRef)]


def mode(fact: URIRef) -> str:
    return str(kb_graph().value(fact, ESSAIM.statementMode)).rsplit("/", 1)[-1]


def test_every_coded_fact_has_an_annotation_and_back() -> None:
    graph = kb_graph()
    facts = qualified_facts()
    assert len(facts) >= 40
    cited: set[URIRef] = set()
    for fact in facts:
        anns = set(graph.objects(fact, ESSAIM.hasAnnotation))
        assert anns, fact
        assert {graph.value(a, OA.hasBody) for a in anns} == {graph.value(fact, ESSAIM.concept)}
        assert graph.value(fact, ESSAIM.codingStatus) == URIRef(CB + "coding-status/curated")
        cited |= {a for a in anns if isinstance(a, URIRef)}
    assert cited == {a for anns in annotated().values() for a in anns}
    # every shortcut is carried by a qualified fact in a mode the shortcut carries
    onto = ontology_graph()
    for prop, concept in coded_facts():
        carried = set(onto.objects(prop, ESSAIM.shortcutMode))
        assert carried, prop
        assert any(
            graph.value(f, ESSAIM.concept) == concept
            and graph.value(f, ESSAIM.statementMode) in carried
            for f in facts
        ), (prop, concept)


def test_annotations_are_web_annotations() -> None:
    graph = kb_graph()
    for anns in annotated().values():
        for ann in anns:
            assert (ann, RDF.type, OA.Annotation) in graph
            assert graph.value(ann, OA.motivatedBy) == OA.classifying
            creator = graph.value(ann, DCTERMS.creator)
            assert (creator, RDF.type, PROV.Agent) in graph
            assert graph.value(creator, RDFS.label) is not None
            created = graph.value(ann, DCTERMS.created)
            assert isinstance(created, Literal) and created.datatype == XSD.dateTime


@pytest.mark.parametrize(
    ("section_type", "scheme"),
    [
        ("barriers", "barrier"),
        ("success-factors", "success-factor"),
        ("impacts", "impact"),
        ("development-conditions", "condition"),
        ("possible-scaling", None),
        ("one-sentence-summary", None),
    ],
)
def test_every_line_of_a_coded_section_is_coded(section_type: str, scheme: str | None) -> None:
    spans = annotation_spans(scheme)
    lines = content_lines(section_type)
    assert lines
    for line in lines:
        assert covered(line, spans), case_text()[line[0] : line[1]]


def test_values_of_the_argument_are_coded() -> None:
    text = case_text()
    spans = annotation_spans("value")
    for word in ("démocratie", "liberté", "solidarité"):
        start = text.index(word, text.index("valeurs communes de"))
        assert any(s <= start < e for s, e in spans), word


# ------------------------------------------------------------------ codebook


def kb_concepts() -> set[URIRef]:
    graph = kb_graph()
    return {o for o in graph.objects() if isinstance(o, URIRef) and str(o).startswith(CB)}


@pytest.mark.data("codebook")
def test_every_concept_used_is_in_the_codebook() -> None:
    codebook = codebook_graph()
    assert codebook is not None
    used = kb_concepts()
    assert len(used) > 50
    for concept in sorted(used):
        scheme = str(concept).removeprefix(CB).split("/")[0]
        assert (concept, RDF.type, SKOS.Concept) in codebook, concept
        assert (concept, SKOS.inScheme, URIRef(CB + scheme)) in codebook, concept


# ------------------------------------------------------------------ territories


@cache
def source_records() -> dict[str, dict[str, dict[str, object]]]:
    """Official codes → records, per territory level, from the copies in kb/sources/."""
    folder = SOURCES / "fr-insee-cog"

    def by_code(name: str) -> dict[str, dict[str, object]]:
        records = json.loads((folder / name).read_text(encoding="utf-8"))
        return {r["code"]: r for r in records}

    with (SOURCES / "essglobal" / "iso-countries.tsv").open(encoding="utf-8", newline="") as f:
        countries = {
            r["ISO-Code"]: {"code": r["ISO-Code"], "nom": r["ISO-Name"]}
            for r in csv.DictReader(f, delimiter="\t")
        }
    return {
        "country": countries,
        "region": by_code("regions.json"),
        "departement": by_code("departements.json"),
        "epci": by_code("epci-72.DERIVED.json"),
        "commune": by_code("communes-72.DERIVED.json"),
    }


def territories() -> list[URIRef]:
    """The territories written by hand or minted by the UNDP importer: the generated COG 2026
    (``territory:fr-…``) and UK areas (``territory:gb-area-…``) are checked against their full
    extracts by tests/test_sources_corpus.py."""
    generated = (KB_TERRITORY + "fr-", KB_TERRITORY + "gb-area-")
    return sorted(
        t
        for t in kb_graph().subjects(RDF.type, ESSAIM.Territory)
        if not str(t).startswith(generated)
    )


def level(territory: URIRef) -> str:
    return str(kb_graph().value(territory, ESSAIM.territoryLevel)).rsplit("/", 1)[-1]


def record(territory: URIRef) -> dict[str, object]:
    code = str(kb_graph().value(territory, ESSAIM.officialCode))
    records = source_records()[level(territory)]
    assert code in records, f"{territory}: code {code} not in the {level(territory)} source"
    return records[code]


def territory_named(name: str) -> URIRef:
    found = [t for t in territories() if str(kb_graph().value(t, SKOS.prefLabel)) == name]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("territory", territories(), ids=local)
def test_territory_code_is_official(territory: URIRef) -> None:
    graph = kb_graph()
    rec = record(territory)
    names = {
        norm(str(label))
        for label in [
            *graph.objects(territory, SKOS.prefLabel),
            *graph.objects(territory, SKOS.altLabel),
        ]
    }
    assert norm(str(rec["nom"])) in names
    assert graph.value(territory, ESSAIM.codeScheme) is not None
    assert {lab.language for lab in graph.objects(territory, SKOS.prefLabel)} >= {"fr", "en"}


@pytest.mark.parametrize("territory", territories(), ids=local)
def test_territory_part_of_agrees_with_the_source(territory: URIRef) -> None:
    graph = kb_graph()
    parent = graph.value(territory, ESSAIM.partOf)
    if level(territory) == "country":
        assert parent is None
        return
    assert isinstance(parent, URIRef)
    rec, parent_code = record(territory), str(graph.value(parent, ESSAIM.officialCode))
    match level(territory), level(parent):
        case "region", "country":
            assert parent_code == "FR"
        case "departement", "region":
            assert rec["region"] == parent_code
        case "epci", "departement":
            members = rec["membres"]
            assert isinstance(members, list)
            assert any(str(m["code"]).startswith(parent_code) for m in members)
        case "commune", "epci":
            members = record(parent)["membres"]
            assert isinstance(members, list)
            assert rec["code"] in {m["code"] for m in members}
        case pair:
            pytest.fail(f"unexpected partOf between levels {pair}")


def test_part_of_chain_reaches_france() -> None:
    graph = kb_graph()
    chain = [territory_named("Le Mans")]
    while (parent := graph.value(chain[-1], ESSAIM.partOf)) is not None:
        chain.append(parent)
    assert [str(graph.value(t, SKOS.prefLabel)) for t in chain] == [
        "Le Mans",
        "Le Mans Métropole",
        "Sarthe",
        "Pays de la Loire",
        "France",
    ]
    assert graph.value(initiative(), ESSAIM.territory) == territory_named("Sarthe")


def test_every_referenced_kb_resource_is_described() -> None:
    graph = kb_graph()
    for kind in ("actor", "territory"):
        base = KB_BASE + kind + "/"
        used = {o for o in graph.objects() if isinstance(o, URIRef) and str(o).startswith(base)}
        for resource in used:
            assert graph.value(resource, SKOS.prefLabel) is not None, resource


# ------------------------------------------------------------------ the re-reading (issue 10)
# Each correction of the founding case, checked against its passage of the text (the copy in
# kb/cases/, byte-identical to the seed text as the sha256 test above proves).


def text_line(number: int) -> tuple[int, str]:
    """The start offset and text of a line of the case text, numbered from 1."""
    lines = case_text().split("\n")
    return sum(len(line) + 1 for line in lines[: number - 1]), lines[number - 1]


def facts_on(start: int, end: int) -> list[URIRef]:
    """The qualified facts with an annotation overlapping the span."""
    graph = kb_graph()
    return [
        f
        for f in qualified_facts()
        for a in graph.objects(f, ESSAIM.hasAnnotation)
        for target in graph.objects(a, OA.hasTarget)
        if span(target)[0] < end and span(target)[1] > start
    ]


def concepts_on(start: int, end: int) -> set[str]:
    graph = kb_graph()
    return {str(graph.value(f, ESSAIM.concept)).removeprefix(CB) for f in facts_on(start, end)}


def test_l23_similar_initiatives_are_no_dissemination_but_local_fit() -> None:
    start, line = text_line(23)
    assert line.startswith("De nombreuses initiatives similaires ont pu être prises sur d’autres")
    concepts = concepts_on(start, start + len(line))
    assert not {c for c in concepts if c.startswith("scaling-strategy/")}
    second = start + line.index("Le format et le type d’action sont cependant différents")
    assert "selon les sensibilités et dynamiques locales" in line
    assert {"condition/local-fit", "success-factor/local-adaptation"} <= concepts_on(
        second, start + len(line)
    )


def test_l67_research_action_stimulates_reflection_and_its_student_is_an_agent() -> None:
    graph = kb_graph()
    start, line = text_line(67)
    assert line.startswith("Ces initiatives poussent à orienter les réflexions")
    end = start + line.index(". Dans cette perspective")
    assert "impact/reflection-stimulated" in concepts_on(start, end)
    assert (initiative(), ESSAIM.hasImpact, URIRef(CB + "impact/reflection-stimulated")) in graph
    assert "menée par une étudiante en formation continue" in line
    research = [
        a
        for a in graph.objects(initiative(), ESSAIM.hasAction)
        if graph.value(a, ESSAIM.actionType) == URIRef(CB + "action-type/research-action")
    ]
    assert len(research) == 1
    people = [
        p
        for p in graph.objects(research[0], ESSAIM.actionPartner)
        if (p, ESSAIM.actorType, URIRef(CB + "actor-type/person")) in graph
    ]
    assert len(people) == 1
    assert "étudiante" in str(graph.value(people[0], SKOS.prefLabel)).casefold()


@pytest.mark.parametrize("number", [77, 79, 81])
def test_l77_81_actor_lists_are_incomplete(number: int) -> None:
    _, line = text_line(number)
    assert line.rstrip(" .").endswith("…")
    assert kb_graph().value(initiative(), ESSAIM.actorListComplete) == Literal(False)


def test_l135_will_and_defence_of_common_values_are_two_items() -> None:
    graph = kb_graph()
    start, line = text_line(135)
    will = start + line.index("la volonté et la défense de valeurs communes")
    defence = start + line.index("la défense de valeurs communes")
    assert concepts_on(will, will + len("la volonté")) == {"success-factor/local-actor-commitment"}
    assert concepts_on(defence, defence + len("la défense de valeurs communes")) == {
        "success-factor/shared-values"
    }
    perspective = [f for f in findings("motivation") if covered((will, will + 1), spans_of(f))]
    assert len(perspective) == 1
    statement = {s.language: str(s) for s in graph.objects(perspective[0], ESSAIM.statement)}
    assert "la volonté, la défense de valeurs communes" in statement["fr"]


@pytest.mark.parametrize("number", [91, 93])
def test_l91_93_proposals_are_wishes_coded_once(number: int) -> None:
    graph = kb_graph()
    start, line = text_line(number)
    assert line.startswith("Par ")
    facts = [f for f in facts_on(start, start + len(line))]
    strategies = [
        f for f in facts if str(graph.value(f, ESSAIM.concept)).startswith(CB + "scaling")
    ]
    assert strategies
    assert {mode(f) for f in strategies} == {"proposed"}
    concepts = [graph.value(f, ESSAIM.concept) for f in strategies]
    # no concept is coded together with one of its broader concepts (counted twice in roll-ups)
    codebook = codebook_graph()
    assert codebook is not None
    for concept in concepts:
        broader = set(codebook.transitive_objects(concept, SKOS.broader)) - {concept}
        assert not broader & set(concepts), concept
        assert (initiative(), ESSAIM.hasScalingStrategy, concept) not in graph


def test_diagnosis_and_argument_barriers_are_needs_addressed() -> None:
    graph = kb_graph()
    text = case_text()
    diagnosis = (text.index("Dès 2006, le CEAS de la Sarthe formulait"), text.index("Toutefois,"))
    argument_start, argument = text_line(7)
    for start, end in [diagnosis, (argument_start, argument_start + len(argument))]:
        barriers = [
            f
            for f in facts_on(start, end)
            if str(graph.value(f, ESSAIM.concept)).startswith(CB + "barrier/")
        ]
        assert barriers
        assert {mode(f) for f in barriers} == {"addressed-need"}
    # L131: earlier top-down attempts, the very reason for this initiative
    start, line = text_line(131)
    assert "le plus souvent dans une logique descendante" in line
    [top_down] = [
        f
        for f in facts_on(start, start + len(line))
        if graph.value(f, ESSAIM.concept) == URIRef(CB + "barrier/top-down-network-initiatives")
    ]
    assert mode(top_down) == "addressed-need"
    assert (initiative(), ESSAIM.hasBarrier, graph.value(top_down, ESSAIM.concept)) not in graph
    # « Freins » lines are obstacles met: the only ones the shortcut carries, with L153
    _, freins = section_text("barriers")
    shortcut = set(graph.objects(initiative(), ESSAIM.hasBarrier))
    assert len(shortcut) == len(content_lines("barriers")) + 1
    assert "freins" in norm(freins)


def test_l135_motivations_are_anticipated() -> None:
    graph = kb_graph()
    start, line = text_line(135)
    assert line.startswith("  • Des motivations au travail partenarial")
    facts = facts_on(start, start + len(line))
    assert len(facts) >= 4
    assert {mode(f) for f in facts} == {"anticipated"}
    for fact in facts:
        concept = graph.value(fact, ESSAIM.concept)
        if mode(fact) == "anticipated" and str(concept).startswith(CB + "success-factor/"):
            # not carried by hasSuccessFactor unless met elsewhere in the text
            met = [
                f
                for f in qualified_facts()
                if graph.value(f, ESSAIM.concept) == concept and mode(f) == "encountered"
            ]
            assert ((initiative(), ESSAIM.hasSuccessFactor, concept) in graph) == bool(met)


@pytest.mark.parametrize(
    "name", ["ADMR", "Mutualité Française", "France Bénévolat", "MAIF", "Crédit Mutuel"]
)
def test_national_networks_take_part_through_their_presence_in_sarthe(name: str) -> None:
    graph = kb_graph()
    assert name in text_line(77)[1] + text_line(81)[1]
    national = actor_named(name)
    assert graph.value(national, ESSAIM.territory) == territory_named("France")
    local = graph.value(participation_of(national), ESSAIM.participant)
    assert local != national
    assert (local, ORG.subOrganizationOf, national) in graph
    assert graph.value(local, ESSAIM.territory) == territory_named("Sarthe")


def test_sectors_inferred_from_names_are_not_stated_as_facts() -> None:
    graph = kb_graph()
    for name in ["Aide à Domicile", "Pain contre la Faim", "FJT Le Flore", "GEIQ BTP"]:
        actor = actor_named(name)
        assert graph.value(actor, ESSAIM.sector) is None, name
        assert graph.value(actor, ESSAIM.inferredSector) is not None, name


def test_codebook_needs_definitions_are_not_copied() -> None:
    codebook = codebook_graph()
    assert codebook is not None
    for lang in ("fr", "en"):
        barrier = {
            str(d)
            for d in codebook.objects(URIRef(CB + "barrier/needs"), SKOS.definition)
            if d.language == lang
        }
        factor = {
            str(d)
            for d in codebook.objects(URIRef(CB + "success-factor/needs"), SKOS.definition)
            if d.language == lang
        }
        assert barrier and factor
        # the lists after the colon (what the dimension covers) were copied from the barriers
        assert {d.split(":", 1)[-1] for d in barrier}.isdisjoint(
            {d.split(":", 1)[-1] for d in factor}
        )


def test_ddjs_to_ddcs_change_is_dated() -> None:
    graph = kb_graph()
    ddjs, ddcs = actor_named("DDJS"), actor_named("DDCS")
    assert "DDJS puis DDCS" in text_line(83)[1]
    end, start = graph.value(ddjs, ESSAIM.endYear), graph.value(ddcs, ESSAIM.startYear)
    assert end is not None and start is not None
    assert int(str(end)) < int(str(start))


@pytest.mark.parametrize("territory", territories(), ids=local)
def test_territory_names_the_vintage_of_its_code(territory: URIRef) -> None:
    scheme = str(kb_graph().value(territory, ESSAIM.codeScheme))
    if level(territory) != "country":
        # the reference and its vintage: "INSEE COG 2026", or the DGCL list of a year for EPCIs
        assert re.search(r"\b(COG|DGCL)\b.*\b20\d{2}\b", scheme), scheme
