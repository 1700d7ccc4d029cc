"""The founding case, ingested from its text, gives the hand-modelled skeleton.

The bundled knowledge base (with the hand model, kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl)
is loaded into a real store; the case's text (kb/cases/….txt) is ingested into a graph of its
own; the two graphs are compared on the facts the template states: sections, title, entry,
summary, carrier, actors with the family the case lists them under (by normalised names, and by
passage), action years, proposals and their audiences, resources, youth involvement and the
incomplete actor list.

Where they differ, for a reason:
- « DDJS puis DDCS »: the hand model cites the whole phrase for DDJS; the ingester splits on
  "puis" (two successive organisations) and cites « DDJS » — the same actor, a narrower passage.
- Actors the case names outside its lists (Sarthe Educ Environnement, Agence Avec, the IUP
  students, the research-action student) are coders' reading of prose: not extracted.
- The 2004 support activity (« Depuis 2004, … » in prose: a prior activity) and the
  research-action (no year) are told in prose: not extracted as actions.
- The hand model splits « (notamment au sein des écoles : proposition de stage aux 3èmes dans
  l'ESS) » out of the first public-opinion proposal: a coder's reading; the ingester keeps the
  paragraph whole, so the hand proposal lies within it.
- Youth: the hand model codes the students' participation (involvesYouth); the ingester keeps
  what « Les jeunes » says as a finding (youth-involvement) whose passage holds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pyoxigraph as ox
import pytest

from essaim.ingest.headings import normalise
from essaim.ingest.ingester import CaseReport, ingest
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore
from loaded_kb_fixtures import LoadedKb

pytestmark = pytest.mark.data("kb")

GRAPH = "https://w3id.org/essaim/graph/"
HAND = GRAPH + "kb/cases/sarthe-ceas72-mise-en-reseau-ess"
TEXT = bundled_data().kb / "cases" / "sarthe-ceas72-mise-en-reseau-ess.txt"
PREFIXES = (
    "PREFIX essaim: <https://w3id.org/essaim/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#> "
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "PREFIX dcterms: <http://purl.org/dc/terms/> "
)
#: Where the actor lists are (the « Les acteurs (Qui ?) » section of the hand model).
ACTORS_SECTION = (3830, 4345)


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, loaded_kb: LoadedKb
) -> Iterator[tuple[EmbeddedStore, CaseReport]]:
    store = loaded_kb.store_in(tmp_path_factory.mktemp("founding"))
    result = ingest(store, [(TEXT.name, TEXT.read_bytes())], territory="72")
    yield store, result.cases[0]
    store.close()


def rows(store: EmbeddedStore, graph: str, query: str) -> list[dict[str, str]]:
    """SELECT over one graph; every value as a string."""
    found = store.query(PREFIXES + query, default_graphs=[graph])
    out = []
    for row in cast(ox.QuerySolutions, found):
        out.append({v.value: cast(ox.Literal, row[v]).value for v in found.variables  # type: ignore[union-attr]
                    if row[v] is not None})  # fmt: skip
    return out


PASSAGES = """
SELECT ?fact ?start ?end WHERE {
  ?fact essaim:evidence ?e . ?e oa:hasSelector ?p .
  ?p oa:start ?start ; oa:end ?end .
}
"""


def passages(store: EmbeddedStore, graph: str) -> dict[str, list[tuple[int, int]]]:
    by_fact: dict[str, list[tuple[int, int]]] = {}
    for row in rows(store, graph, PASSAGES):
        by_fact.setdefault(row["fact"], []).append((int(row["start"]), int(row["end"])))
    return by_fact


def within(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def test_the_same_sections(both: tuple[EmbeddedStore, CaseReport]) -> None:
    store, case = both
    query = (
        "SELECT ?type ?start ?end WHERE { ?s a essaim:Section ; essaim:sectionType ?type ;"
        " essaim:startOffset ?start ; essaim:endOffset ?end }"
    )

    def sections(graph: str) -> set[tuple[str, str, str]]:
        return {(r["type"], r["start"], r["end"]) for r in rows(store, graph, query)}

    assert sections(case.graph) == sections(HAND)
    assert len(sections(HAND)) == 16


def test_the_same_text_title_entry_and_summary(both: tuple[EmbeddedStore, CaseReport]) -> None:
    store, case = both
    digest = "SELECT ?sha WHERE { ?d a essaim:CaseDocument ; essaim:sha256 ?sha }"
    assert rows(store, case.graph, digest) == rows(store, HAND, digest)
    initiative = "SELECT ?i WHERE { ?i a essaim:Initiative }"
    hand_initiative = rows(store, HAND, initiative)[0]["i"]
    ours = passages(store, case.graph)[rows(store, case.graph, initiative)[0]["i"]]
    theirs = passages(store, HAND)[hand_initiative]
    # title (0-127), entry (the hand cites the whole entry line; ours is the entry inside it),
    # summary (8528-8692)
    assert (0, 127) in ours and (0, 127) in theirs
    assert (8528, 8692) in ours and (8528, 8692) in theirs
    entry = [p for p in ours if p not in ((0, 127), (8528, 8692))]
    assert len(entry) == 1 and within(entry[0], (129, 172))
    complete = "SELECT ?c WHERE { ?i essaim:actorListComplete ?c }"
    assert rows(store, case.graph, complete) == rows(store, HAND, complete) == [{"c": "false"}]


LISTED = """
SELECT ?p ?actor ?family WHERE {
  ?i essaim:hasParticipation ?p . ?p essaim:participant ?actor ; essaim:listedAs ?family .
}
"""


def test_the_same_actors_with_the_same_families(both: tuple[EmbeddedStore, CaseReport]) -> None:
    store, case = both
    text = TEXT.read_text(encoding="utf-8")
    ours_passages, hand_passages = passages(store, case.graph), passages(store, HAND)

    def listed(
        graph: str, cited: dict[str, list[tuple[int, int]]]
    ) -> set[tuple[str, str, int, int]]:
        found = set()
        for row in rows(store, graph, LISTED):
            for start, end in cited[row["p"]]:
                if within((start, end), ACTORS_SECTION):
                    found.add((row["family"].rsplit("/", 1)[-1], row["p"], start, end))
        return found

    ours, hand = listed(case.graph, ours_passages), listed(HAND, hand_passages)
    # by normalised names: the names the lists give, with their families
    names = lambda found: Counter((f, normalise(text[s:e])) for f, _p, s, e in found)  # noqa: E731
    expected = names(hand)
    expected -= Counter({("public-body", "ddjs puis ddcs"): 1})
    expected += Counter({("public-body", "ddjs"): 1})  # see the module docstring
    assert names(ours) == expected
    assert len(names(ours)) == 19
    # by passage: each extracted name lies within a passage the hand model cites for an actor
    # listed under the same family, and the other way round
    for family, _p, start, end in ours:
        assert any(f == family and within((start, end), (s, e)) for f, _q, s, e in hand)
    for family, _p, start, end in hand:
        assert any(f == family and within((s, e), (start, end)) for f, _q, s, e in ours)


def test_the_same_carrier(both: tuple[EmbeddedStore, CaseReport]) -> None:
    store, case = both
    carrier = "SELECT ?c WHERE { ?i essaim:carrier ?c }"
    assert rows(store, case.graph, carrier) == rows(store, HAND, carrier)
    assert rows(store, HAND, carrier) == [{"c": "https://w3id.org/essaim/kb/actor/ceas-72"}]


ACTIONS = """
SELECT ?a ?year ?since WHERE {
  ?i essaim:hasAction ?a .
  OPTIONAL { ?a essaim:year ?year } OPTIONAL { ?a essaim:startYear ?since }
}
"""


def test_the_same_action_years(both: tuple[EmbeddedStore, CaseReport]) -> None:
    store, case = both

    def years(graph: str) -> Counter[tuple[str, str]]:
        return Counter(
            (r.get("year", ""), r.get("since", ""))
            for r in rows(store, graph, ACTIONS)
            if "year" in r or "since" in r
        )

    assert years(case.graph) == years(HAND)
    assert years(HAND) == Counter({("2006", ""): 4, ("2007", ""): 2, ("", "2008"): 2})
    # the same passages: each dated hand action cites the bullet the ingester cites
    ours = {tuple(sorted(p)) for p in passages(store, case.graph).values()}
    dated_hand = {r["a"] for r in rows(store, HAND, ACTIONS) if "year" in r or "since" in r}
    hand = passages(store, HAND)
    for action in dated_hand:
        assert tuple(sorted(hand[action])) in ours
    # not extracted (module docstring): the undated research-action; the 2004 prior activity
    # is not an essaim:hasAction of the hand model either
    undated = [r for r in rows(store, HAND, ACTIONS) if "year" not in r and "since" not in r]
    assert len(undated) == 1


PROPOSALS = "SELECT ?p ?audience WHERE { ?i essaim:hasProposal ?p . ?p essaim:audience ?audience }"
AUDIENCE = "https://w3id.org/essaim/codebook/audience/"
#: The two proposal sections of the hand model, and the audience each addresses.
PROPOSAL_SECTIONS = {(4609, 4945): "decision-makers", (4947, 5391): "public-opinion"}


def test_the_same_proposals_and_audiences(both: tuple[EmbeddedStore, CaseReport]) -> None:
    store, case = both
    ours_cited, hand_cited = passages(store, case.graph), passages(store, HAND)
    ours = [
        (r["audience"].removeprefix(AUDIENCE), *ours_cited[r["p"]][0])
        for r in rows(store, case.graph, PROPOSALS)
    ]
    assert Counter(a for a, *_ in ours) == Counter({"decision-makers": 3, "public-opinion": 4})
    hand: dict[str, set[str]] = {}
    for r in rows(store, HAND, PROPOSALS):
        hand.setdefault(r["p"], set()).add(r["audience"].removeprefix(AUDIENCE))
    assert len(hand) == 8  # the hand model splits one paragraph in two (module docstring)
    for proposal, audiences in hand.items():
        start, end = hand_cited[proposal][0]
        section = next(a for span, a in PROPOSAL_SECTIONS.items() if within((start, end), span))
        # the hand model's audiences include the section's, except the school internships it
        # split out, addressed to pupils (a finer reading of the same public-opinion paragraph)
        assert section in audiences or audiences == {"schools-pupils"}
        assert any(a == section and within((start, end), (s, e)) for a, s, e in ours)
    for audience, start, end in ours:
        assert any(
            within((s, e), (start, end)) and audience in a
            for p, a in hand.items()
            for s, e in hand_cited[p][:1]
        )


def test_the_same_resources_and_youth(both: tuple[EmbeddedStore, CaseReport]) -> None:
    store, case = both
    ours, hand = passages(store, case.graph), passages(store, HAND)
    resources = "SELECT ?r WHERE { ?i essaim:usesResource ?r }"
    assert [ours[r["r"]] for r in rows(store, case.graph, resources)] == [
        hand[r["r"]] for r in rows(store, HAND, resources)
    ]
    youth = (
        "SELECT ?f WHERE { ?f essaim:findingKind ?k FILTER(STRENDS(STR(?k), 'youth-involvement')) }"
    )
    ours_youth = [ours[r["f"]][0] for r in rows(store, case.graph, youth)]
    young = "SELECT ?p WHERE { ?p essaim:involvesYouth true }"
    hand_youth = [hand[r["p"]][0] for r in rows(store, HAND, young)]
    assert len(ours_youth) == 1 and len(hand_youth) == 1
    assert within(hand_youth[0], ours_youth[0])


def test_the_ingested_graph_holds_no_interpretation(
    both: tuple[EmbeddedStore, CaseReport], tmp_path: Path
) -> None:
    """Barriers, success factors, conditions, impacts and coded facts are left to coders."""
    store, case = both
    coded = (
        "ASK { { ?i essaim:hasCodedFact ?f } UNION { ?i essaim:hasBarrier ?b }"
        " UNION { ?i essaim:hasSuccessFactor ?s } UNION { ?i essaim:hasImpact ?m }"
        " UNION { ?a a oa:Annotation } }"
    )
    assert not bool(store.query(PREFIXES + coded, default_graphs=[case.graph]))
    assert bool(store.query(PREFIXES + coded, default_graphs=[HAND]))
