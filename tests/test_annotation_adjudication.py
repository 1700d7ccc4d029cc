"""Adjudication: the coders' agreed codes and the editor's decisions become coded facts in a
graph of their own, through the validated load; the shapes accept them and the canned queries
count them."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pyoxigraph as ox
import pytest

from annotation_data import (
    ALICE,
    BOB,
    DOCUMENT,
    EDITOR,
    ENCOUNTERED,
    INITIATIVE,
    LACK_OF_TIME,
    LOW_RECOGNITION,
    TERRITORY,
    annotation_store,
    public_store,
)
from essaim import canned
from essaim import namespaces as ns
from essaim.annotation import adjudication
from essaim.annotation.adjudication import (
    ADJUDICATED,
    AGREED,
    AdjudicationError,
    Decision,
    adjudicate,
    adjudication_graph,
    disagreements,
    fact_iri,
    items,
    read_decisions,
)
from essaim.loading import SourceInvalid
from essaim.metadata import read_records
from essaim.store import EmbeddedStore
from essaim.validation import validate

CONDITION = ns.CODEBOOK + "condition/dedicated-facilitation-resources"
ANTICIPATED = ns.CODEBOOK + "statement-mode/anticipated"


def _facts(store: EmbeddedStore) -> dict[str, tuple[str, str]]:
    rows = store.query(
        f"SELECT ?concept ?status ?mode WHERE {{ GRAPH <{adjudication_graph(INITIATIVE)}> {{"
        f" <{INITIATIVE}> <{ns.ESSAIM}hasCodedFact> ?f . ?f <{ns.ESSAIM}concept> ?concept ;"
        f" <{ns.ESSAIM}codingStatus> ?status ; <{ns.ESSAIM}statementMode> ?mode }} }}"
    )
    return {
        cast(ox.NamedNode, r["concept"]).value: (
            cast(ox.NamedNode, r["status"]).value,
            cast(ox.NamedNode, r["mode"]).value,
        )
        for r in cast(ox.QuerySolutions, rows)
    }


def _units(public: EmbeddedStore, annotations: ox.Store) -> list[tuple[int, int]]:
    return [
        (i.unit.start, i.unit.end) for i in disagreements(items(public, annotations, [DOCUMENT]))
    ]


def test_agreed_units_alone_make_agreed_facts(tmp_path: Path) -> None:
    public, annotations = public_store(tmp_path), annotation_store()
    outcome = adjudicate(public, annotations, INITIATIVE, [], EDITOR)
    assert outcome.pending == 3 and outcome.graph == adjudication_graph(INITIATIVE)
    assert _facts(public) == {LACK_OF_TIME: (AGREED, ENCOUNTERED)}
    # the agreed fact cites the two annotations of section 0 (section 1 has a second code)
    fact = ox.NamedNode(fact_iri(INITIATIVE, LACK_OF_TIME, ENCOUNTERED))
    cited = list(public.query(f"SELECT ?a WHERE {{ {fact} <{ns.ESSAIM}hasAnnotation> ?a }}"))
    derived = list(public.query(f"SELECT ?a WHERE {{ {fact} <{ns.PROV}wasDerivedFrom> ?a }}"))
    assert len(cited) == len(derived) == 2
    attributed = {
        cast(ox.NamedNode, r["who"]).value
        for r in cast(
            ox.QuerySolutions,
            public.query(f"SELECT ?who WHERE {{ {fact} <{ns.PROV}wasAttributedTo> ?who }}"),
        )
    }
    assert attributed == {ALICE, BOB}
    # the record names the editor as the author of the write
    assert read_records(public)[outcome.graph].user == EDITOR


def test_decisions_make_adjudicated_facts_the_shapes_accept_and_queries_count(
    tmp_path: Path,
) -> None:
    public, annotations = public_store(tmp_path), annotation_store()
    units = _units(public, annotations)
    assert len(units) == 3
    (s1, e1), (s2, e2), (s3, e3) = units
    decisions = [
        Decision(DOCUMENT, s1, e1, "all", adjudicator=EDITOR),  # both: Bob's low recognition
        Decision(DOCUMENT, s2, e2, "neither", adjudicator=EDITOR),
        Decision(DOCUMENT, s3, e3, "new", concept=CONDITION, mode=ANTICIPATED, adjudicator=EDITOR),
    ]
    outcome = adjudicate(public, annotations, INITIATIVE, decisions, EDITOR)
    assert outcome.pending == 0
    facts = _facts(public)
    assert facts == {
        LACK_OF_TIME: (ADJUDICATED, ENCOUNTERED),  # section 1 needed a decision
        LOW_RECOGNITION: (ADJUDICATED, ENCOUNTERED),
        CONDITION: (ADJUDICATED, ANTICIPATED),
    }
    graph = adjudication_graph(INITIATIVE)
    # the whole graph passes the contract again, in the context of the store
    report = validate(cast(ox.Store, public._store), focus_graph=graph)
    assert report.conforms, [r.message("en") for r in report.results]
    # adjudicated facts are attributed to the editor; the new code is the editor's annotation
    fact = ox.NamedNode(fact_iri(INITIATIVE, CONDITION, ANTICIPATED))
    rows = list(
        cast(
            ox.QuerySolutions,
            public.query(
                f"SELECT ?who ?creator WHERE {{ {fact} <{ns.PROV}wasAttributedTo> ?who ;"
                f" <{ns.ESSAIM}hasAnnotation>/<{ns.DCTERMS}creator> ?creator }}"
            ),
        )
    )
    assert [(r["who"], r["creator"]) for r in rows] == [(ox.NamedNode(EDITOR),) * 2]
    # the canned query counts the initiative under the barrier, with its passages
    query = canned.bundled_queries()["barriers-by-territory"]
    result = canned.run(public, query, {"territory": TERRITORY})
    counts = {
        cast(ox.NamedNode, r["barrier"]).value: (
            int(cast(ox.Literal, r["initiatives"]).value),
            int(cast(ox.Literal, r["passages"]).value),
        )
        for r in cast(ox.QuerySolutions, result)
        if r["territory"] == ox.NamedNode(TERRITORY)
    }
    assert counts == {LACK_OF_TIME: (1, 4), LOW_RECOGNITION: (1, 1)}
    # decisions are remembered privately: the next adjudication keeps them
    assert len(read_decisions(annotations)) == 3
    again = adjudicate(public, annotations, INITIATIVE, [], EDITOR)
    assert again.facts == 3 and again.pending == 0
    assert not list(annotations.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def test_choosing_one_coder(tmp_path: Path) -> None:
    public, annotations = public_store(tmp_path), annotation_store()
    (s1, e1), _, _ = _units(public, annotations)
    adjudicate(public, annotations, INITIATIVE, [Decision(DOCUMENT, s1, e1, "coder", coder=ALICE,
               adjudicator=EDITOR)], EDITOR)  # fmt: skip
    assert _facts(public) == {LACK_OF_TIME: (ADJUDICATED, ENCOUNTERED)}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"choice": "coder", "coder": "https://w3id.org/essaim/user/" + "c" * 32},
         "did not code this document"),
        ({"choice": "new", "concept": ns.CODEBOOK + "section-type/argument"},
         "not a concept that can code a passage"),
        ({"choice": "all", "mode": ns.CODEBOOK + "barrier/lack-of-time"}, "not a statement mode"),
        ({"choice": "maybe"}, "unknown choice 'maybe'"),
        ({"choice": "all", "start": 1, "end": 2}, "is no unit two coders coded"),
    ],
)  # fmt: skip
def test_refused_decisions_change_nothing(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    public, annotations = public_store(tmp_path), annotation_store()
    (s1, e1), _, _ = _units(public, annotations)
    fields: dict[str, object] = {"start": s1, "end": e1, "adjudicator": EDITOR, **change}
    decision = Decision(document=DOCUMENT, **fields)  # type: ignore[arg-type]
    with pytest.raises(AdjudicationError, match=message):
        adjudicate(public, annotations, INITIATIVE, [decision], EDITOR)
    assert adjudication_graph(INITIATIVE) not in public.named_graphs()
    assert read_decisions(annotations) == []


def test_an_agreed_unit_needs_no_decision(tmp_path: Path) -> None:
    public, annotations = public_store(tmp_path), annotation_store()
    first = items(public, annotations, [DOCUMENT])[0]
    assert first.agreed
    with pytest.raises(AdjudicationError, match="the coders agree there"):
        adjudicate(public, annotations, INITIATIVE,
                   [Decision(DOCUMENT, first.unit.start, first.unit.end, "neither",
                             adjudicator=EDITOR)], EDITOR)  # fmt: skip


def test_a_graph_the_contract_refuses_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, annotations = public_store(tmp_path), annotation_store()
    (s1, e1), _, _ = _units(public, annotations)
    # a concept whose scheme cannot code a passage, let through by skipping the decision's
    # check: the validated load refuses the graph, and no decision is remembered
    decision = Decision(DOCUMENT, s1, e1, "new", concept=ns.CODEBOOK + "section-type/argument",
                        mode=ENCOUNTERED, adjudicator=EDITOR)  # fmt: skip
    monkeypatch.setattr(adjudication, "_check", lambda *args: None)
    with pytest.raises(SourceInvalid, match="nothing was loaded"):
        adjudicate(public, annotations, INITIATIVE, [decision], EDITOR)
    assert adjudication_graph(INITIATIVE) not in public.named_graphs()
    assert read_decisions(annotations) == []
