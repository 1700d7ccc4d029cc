"""The classifier trained on coded facts (essaim.annotation.classifier): it learns the concepts
that have enough passages, predicts the right one on a passage it never saw, leaves the others
out (and says so), refuses to train without enough; through the API its suggestions are the
classifier's (a software agent with essaim's and scikit-learn's versions), status suggested,
and never count in agreement. In process against a real node and store."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from essaim.annotation.agreement import codings_of
from essaim.annotation.classifier import (
    ADJUDICATED,
    CLASSIFIER,
    ClassifierError,
    Example,
    train,
    training_examples,
)
from essaim.annotation.model import SUGGESTED, coder_graph
from essaim.loading import load
from essaim.namespaces import CODEBOOK, ESSAIM, KB, OA, OWL, RDF
from essaim.resources import bundled_data
from essaim_app_fixtures import EssaimApp, open_app

DOC = KB + "document/sarthe-ceas72-mise-en-reseau-ess"
LOW_AWARENESS = CODEBOOK + "barrier/low-awareness-of-ess"
LACK_OF_TIME = CODEBOOK + "barrier/lack-of-time"
DIVERGENT = CODEBOOK + "barrier/divergent-interests"
RARE = CODEBOOK + "barrier/resistance-to-change"
#: Words each concept's synthetic passages draw from (the load is made for the test).
VOCABULARY = {
    LOW_AWARENESS: "méconnaissance notion économie sociale acteurs partenaires ignorent "
    "collectivités connaissent mal ESS définition",
    LACK_OF_TIME: "temps bénévoles disponibilité manquent heures surcharge agenda réunions "
    "épuisement calendrier",
    DIVERGENT: "intérêts divergents conflits concurrence désaccord priorités opposées "
    "rivalités objectifs tensions",
    RARE: "résistance changement habitudes routine refus nouveauté inertie",
}
FILLER = [
    "le",
    "projet",
    "du",
    "réseau",
    "dans",
    "le",
    "territoire",
    "avec",
    "la",
    "structure",
    "pour",
    "la",
    "mise",
    "en",
    "place",
]


def passages(concept: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = VOCABULARY[concept].split()
    return [
        " ".join(rng.sample(words, 4) + rng.sample(FILLER, 5)).capitalize() + "."
        for _ in range(count)
    ]


def fixture_examples(seed: int = 1) -> list[Example]:
    examples = []
    for i, (concept, count) in enumerate(
        ((LOW_AWARENESS, 22), (LACK_OF_TIME, 22), (DIVERGENT, 22), (RARE, 5))
    ):
        examples += [Example(t, frozenset({concept})) for t in passages(concept, count, seed + i)]
    return examples


def test_trains_above_the_threshold_and_predicts_a_held_out_passage() -> None:
    trained = train(fixture_examples(), min_examples=20)
    assert trained.concepts == sorted([LOW_AWARENESS, LACK_OF_TIME, DIVERGENT])
    assert trained.untrained == {RARE: 5}
    held_out = [
        "La méconnaissance de la notion d’Economie Sociale par ses acteurs et les partenaires",
        "Les bénévoles manquent de temps et de disponibilité",
        "Des intérêts divergents et des conflits entre partenaires",
        "Une résistance au changement et des habitudes",
    ]
    found = trained.predict(held_out)
    assert [f[0].concept for f in found[:3]] == [LOW_AWARENESS, LACK_OF_TIME, DIVERGENT], found
    # A concept under the threshold is never predicted, even on its own words.
    assert all(p.concept != RARE for f in found for p in f)
    summary = trained.summary()
    assert summary["untrained"] == {RARE: 5} and "not predicted" in str(summary["note"])


def test_refuses_to_train_under_the_threshold() -> None:
    with pytest.raises(ClassifierError, match="no concept has 30 passages"):
        train(fixture_examples(), min_examples=30)
    with pytest.raises(ClassifierError, match="no concept has 20"):
        train([], min_examples=20)


def coded_facts_update(examples: list[Example]) -> str:
    """The coded facts an adjudication would publish, with their annotations' quotes."""
    lines = []
    for i, example in enumerate(examples):
        (concept,) = example.concepts
        fact, annotation = f"<{KB}coded-fact/test-{i}>", f"<{KB}annotation/test-{i}>"
        lines += [
            f"{fact} a <{ESSAIM}CodedFact> ; <{ESSAIM}concept> <{concept}> ; "
            f"<{ESSAIM}codingStatus> <{ADJUDICATED}> ; <{ESSAIM}hasAnnotation> {annotation} .",
            f"{annotation} <{OA}hasTarget> _:t{i} . _:t{i} <{OA}hasSelector> _:q{i} . "
            f"_:q{i} a <{OA}TextQuoteSelector> ; <{OA}exact> {ox.Literal(example.text)} .",
        ]
    return f"INSERT DATA {{ GRAPH <{KB}test-adjudication> {{ {' '.join(lines)} }} }}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        node_app = open_app(stack, tmp_path_factory.mktemp("classifier"), load_on_start=False)
        data = bundled_data()
        case = data.kb / "cases" / "sarthe-ceas72-mise-en-reseau-ess.ttl"
        load(node_app.node.store, [data.ontology, case], base=data.root, trusted=True)
        assert node_app.node.snapshots is not None
        node_app.node.snapshots.publish()
        yield node_app


def post(app: EssaimApp, user: str, path: str, body: dict[str, Any]) -> Any:
    return app.post(
        path,
        content=json.dumps(body),
        headers={**app.auth(user), "Content-Type": "application/json"},
    )


def test_classifier_suggestions_through_the_api(app: EssaimApp) -> None:
    node = app.node
    refused = post(app, "editor", "/api/classifier/train", {})
    assert refused.status_code == 422 and refused.json()["field"] == "classifier", refused.text
    assert app.get("/api/classifier", headers=app.auth("editor")).status_code == 404
    node.store.update(coded_facts_update(fixture_examples()))
    assert len(training_examples(node.store)) == 71
    assert post(app, "annotator", "/api/classifier/train", {}).status_code == 403
    trained = post(app, "editor", "/api/classifier/train", {})
    assert trained.status_code == 200, trained.text
    assert trained.json()["untrained"] == {RARE: 5}
    assert sorted(trained.json()["concepts"]) == sorted([LOW_AWARENESS, LACK_OF_TIME, DIVERGENT])

    made = post(app, "annotator", "/api/suggestions", {"document": DOC, "start": 806, "end": 924})
    assert made.status_code == 201, made.text
    answer = made.json()
    assert answer["classifier"]["untrained"] == {RARE: 5}
    mine = [s for s in answer["suggestions"] if s["creator"] == CLASSIFIER]
    assert mine and all(s["probability"] >= 0.5 for s in mine), answer
    assert all(RARE not in json.dumps(s) for s in mine)

    stored = node.annotations.list(document=DOC, creator=CLASSIFIER)
    assert stored and all(a.status == SUGGESTED for a in stored)
    assert LOW_AWARENESS in {a.concept for a in stored}
    assert codings_of(stored) == []  # never in agreement
    agent = list(
        node.annotations.raw.quads_for_pattern(
            ox.NamedNode(CLASSIFIER), None, None, ox.NamedNode(coder_graph(CLASSIFIER))
        )
    )
    described = {q.predicate.value: q.object.value for q in agent}
    assert described[RDF + "type"].endswith("SoftwareAgent")
    assert "scikit-learn" in described[OWL + "versionInfo"]
    counts = app.get("/api/suggestions/counts", headers=app.auth("editor")).json()
    assert any(c["concept"] == LOW_AWARENESS and c["suggested"] >= 1 for c in counts["concepts"])


def test_the_command_line_trains_and_refuses(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from essaim.annotation.classifier import ClassifierHolder, model_path
    from essaim.cli import app as cli
    from essaim.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "store")
    store.update(coded_facts_update(fixture_examples()))
    store.close()
    command = ["--data-dir", str(tmp_path), "annotations", "train"]
    refused = CliRunner().invoke(cli, [*command, "--min-examples", "30"])
    assert refused.exit_code == 1
    assert "no concept has 30 passages" in refused.output
    assert not model_path(tmp_path).exists()
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "3 concepts learned, 1 left out (fewer than 20 passages)" in result.output
    assert f"not predicted {RARE} (5)" in result.output
    trained = ClassifierHolder(tmp_path).current()  # what a node reads back
    assert trained is not None and trained.untrained == {RARE: 5}
    found = trained.predict(["Les bénévoles manquent de temps"])
    assert found[0][0].concept == LACK_OF_TIME


def test_the_page_runs_the_classifier_and_shows_its_suggestions_apart(app: EssaimApp) -> None:
    # After the API test's training: the page's "Suggest codes" form runs it on every section.
    before = len(app.node.annotations.list(document=DOC, creator=CLASSIFIER))
    done = app.post(
        "/annotate/suggest",
        data={"iri": DOC},
        headers=app.auth("annotator"),
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    after = app.node.annotations.list(document=DOC, creator=CLASSIFIER)
    assert len(after) > before
    page = app.get("/annotate/document", params={"iri": DOC}, headers=app.auth("annotator"))
    assert page.status_code == 200
    suggestions = page.text.split('id="suggestion-list"', 1)[1].split("</ol>", 1)[0]
    assert "classifier (p " in suggestions and "suggested (score " in suggestions
    codes = page.text.split('id="suggestion-list"', 1)[0]
    assert "classifier (p " not in codes  # apart from the codes
