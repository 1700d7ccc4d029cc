"""The annotation API (/api/annotations) with real tokens, a real node and its real stores: the
ontology, the codebook and the founding case loaded (not the generated corpus), coders' work in
the node's private annotation store. Also re-anchoring, on its own and after a text change made
through SPARQL Update."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from conftest import require
from essaim.annotation.anchoring import reanchor, reanchor_document
from essaim.annotation.jsonld import MEDIA_TYPE, expanded_context, local_context
from essaim.annotation.model import (
    ANNOTATION_BASE,
    CODED,
    STATEMENT_MODE,
    Annotation,
    coder_graph,
    new_annotation_iri,
)
from essaim.annotation.storage import AnnotationStore
from essaim.loading import load
from essaim.namespaces import CODEBOOK, GRAPH, KB
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore
from essaim.users import Role
from essaim_app_fixtures import EssaimApp, open_app

DOC = KB + "document/sarthe-ceas72-mise-en-reseau-ess"
BARRIER = CODEBOOK + "barrier/low-awareness-of-ess"
#: The founding case's first barrier, at code points 806–924.
QUOTE = (
    "La méconnaissance de la notion d’Economie Sociale par ses acteurs et les partenaires "
    "(notamment collectivités locales)"
)
#: A tiny case document with a character outside the Basic Multilingual Plane.
TINY = KB + "document/test-tiny-bee"
TINY_GRAPH = GRAPH + "test/tiny"
TINY_TEXT = "🐝 Essaimer : le manque de temps des bénévoles freine la mise en réseau."
TINY_QUOTE = "le manque de temps des bénévoles"
DEPRECATED = CODEBOOK + "barrier/test-deprecated-concept"
CONTAINER = "/api/annotations/"
pytestmark = [  # rdflib 7 uses its own deprecated ConjunctiveGraph API
    pytest.mark.filterwarnings("ignore:.*ConjunctiveGraph is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        node_app = open_app(stack, tmp_path_factory.mktemp("annotations"), load_on_start=False)
        node = node_app.node
        data = bundled_data()
        case = data.kb / "cases" / "sarthe-ceas72-mise-en-reseau-ess.ttl"
        load(node.store, [data.ontology, case], base=data.root, trusted=True)
        node.store.update(
            f"""PREFIX essaim: <https://w3id.org/essaim/ontology#>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            PREFIX owl: <http://www.w3.org/2002/07/owl#>
            INSERT DATA {{ GRAPH <{TINY_GRAPH}> {{
              <{TINY}> a essaim:CaseDocument ; essaim:fullText {ox.Literal(TINY_TEXT)} .
              <{DEPRECATED}> a skos:Concept ; skos:inScheme <{CODEBOOK}barrier> ;
                  owl:deprecated true .
            }} }}"""
        )
        assert node.snapshots is not None
        node.snapshots.publish()
        for name in ("coder1", "coder2"):
            node_app.tokens[name] = node.users.add(name, Role.ANNOTATOR)[1]
        yield node_app


def annotation_json(
    *,
    source: str = DOC,
    concept: str = BARRIER,
    start: int = 806,
    end: int = 924,
    exact: str | None = QUOTE,
    memo: str | None = None,
) -> dict[str, Any]:
    selectors: list[dict[str, Any]] = [{"type": "TextPositionSelector", "start": start, "end": end}]
    if exact is not None:
        selectors.append({"type": "TextQuoteSelector", "exact": exact})
    body: Any = concept
    if memo is not None:
        body = [concept, {"type": "TextualBody", "value": memo, "purpose": "commenting"}]
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "classifying",
        "body": body,
        "target": {"source": source, "selector": selectors},
        "statementMode": "encountered",
    }


def post(app: EssaimApp, user: str, document: dict[str, Any]) -> Any:
    return app.post(
        CONTAINER,
        content=json.dumps(document),
        headers={**app.auth(user), "Content-Type": MEDIA_TYPE},
    )


def path_of(response: Any) -> str:
    return str(response.headers["location"]).removeprefix(app_url())


def app_url() -> str:
    return "http://testserver"


def test_create_read_update_delete(app: EssaimApp) -> None:
    created = post(app, "coder1", annotation_json(memo="first reading"))
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == MEDIA_TYPE
    location = path_of(created)
    assert location.startswith(CONTAINER)
    body = created.json()
    assert body["id"] == created.headers["location"]
    assert body["canonical"].startswith(ANNOTATION_BASE)
    assert body["body"][0] == BARRIER
    assert body["body"][1] == {
        "type": "TextualBody",
        "value": "first reading",
        "purpose": "commenting",
    }
    assert body["statementMode"] == STATEMENT_MODE + "encountered"
    assert body["codingStatus"] == CODED
    assert body["creator"] == app.node.users.get("coder1").iri  # type: ignore[union-attr]
    assert body["initiative"] == KB + "initiative/sarthe-ceas72-mise-en-reseau-ess"
    quote = body["target"]["selector"][0]
    assert quote["exact"] == QUOTE and quote["prefix"].endswith("Freins\u00a0:\n\n")

    read = app.get(location, headers=app.auth("coder1"))
    assert read.status_code == 200 and read.json() == body
    assert read.headers["etag"] == created.headers["etag"]

    listed = app.get(CONTAINER, params={"document": DOC}, headers=app.auth("coder1")).json()
    assert listed["type"] == ["BasicContainer", "AnnotationCollection"]
    assert body["id"] in [item["id"] for item in listed["first"]["items"]]

    prefer = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'
    iris = app.get(
        CONTAINER, params={"document": DOC}, headers={**app.auth("coder1"), "Prefer": prefer}
    )
    assert body["id"] in iris.json()["first"]["items"]
    minimal = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
    bare = app.get(CONTAINER, headers={**app.auth("coder1"), "Prefer": minimal}).json()
    assert isinstance(bare["first"], str) and bare["total"] >= 1
    assert (
        app.get(bare["first"].removeprefix(app_url()), headers=app.auth("coder1")).json()["type"]
        == "AnnotationPage"
    )

    changed = annotation_json(memo="second reading")
    no_tag = app.put(
        location,
        content=json.dumps(changed),
        headers={**app.auth("coder1"), "Content-Type": MEDIA_TYPE},
    )
    assert no_tag.status_code == 428
    stale = app.put(
        location,
        content=json.dumps(changed),
        headers={**app.auth("coder1"), "Content-Type": MEDIA_TYPE, "If-Match": '"0"'},
    )
    assert stale.status_code == 412
    updated = app.put(
        location,
        content=json.dumps(changed),
        headers={
            **app.auth("coder1"),
            "Content-Type": MEDIA_TYPE,
            "If-Match": read.headers["etag"],
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["body"][1]["value"] == "second reading"
    assert updated.json()["created"] == body["created"]
    assert updated.headers["etag"] != read.headers["etag"]

    head = app.head(location, headers=app.auth("coder1"))
    assert head.status_code == 200 and head.headers["etag"] == updated.headers["etag"]
    options = app.options(CONTAINER)
    assert options.status_code == 204 and "POST" in options.headers["allow"]
    assert options.headers["accept-post"] == MEDIA_TYPE
    assert "PUT" in app.options(location).headers["allow"]

    assert app.delete(location, headers=app.auth("coder1")).status_code == 204
    assert app.get(location, headers=app.auth("coder1")).status_code == 404


def test_the_stored_json_ld_reads_as_the_stored_rdf(app: EssaimApp) -> None:
    """What the API serves, read by rdflib with the shipped context (nothing fetched), is the
    annotation's RDF."""
    import rdflib

    created = post(app, "coder1", annotation_json(memo="note"))
    served = created.json()
    annotation = app.node.annotations.get(served["canonical"])
    assert annotation is not None
    graph = rdflib.Graph().parse(data=json.dumps(expanded_context(served)), format="json-ld")
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    subject = rdflib.URIRef(served["id"])
    assert (subject, oa.motivatedBy, oa.classifying) in graph
    assert (subject, oa.hasBody, rdflib.URIRef(BARRIER)) in graph
    assert (subject, oa.canonical, rdflib.URIRef(annotation.iri)) in graph
    exact = next(graph.objects(None, oa.exact))
    assert str(exact) == QUOTE
    assert local_context()["@context"]["body"] == {"@type": "@id", "@id": "oa:hasBody"}
    app.delete(path_of(created), headers=app.auth("coder1"))


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (annotation_json(exact=QUOTE[:-1] + "X"), "target.selector.exact"),
        (annotation_json(start=807, end=925), "target.selector.exact"),
        (annotation_json(concept=CODEBOOK + "barrier/no-such-barrier"), "body"),
        (annotation_json(concept=DEPRECATED), "body"),
        (annotation_json(concept=CODEBOOK + "section-type/barriers"), "body"),
        (annotation_json(source=KB + "document/no-such-document"), "target.source"),
        (annotation_json(end=10**7, exact=None), "target.selector.end"),
        ({**annotation_json(), "@context": "https://example.org/remote.jsonld"}, "@context"),
        ({**annotation_json(), "statementMode": "wished"}, "statementMode"),
    ],
    ids=[
        "quote",
        "position",
        "unknown-concept",
        "deprecated-concept",
        "not-codable-scheme",
        "unknown-document",
        "past-the-end",
        "remote-context",
        "mode",
    ],
)
def test_refusals_name_the_field_and_write_nothing(
    app: EssaimApp, document: dict[str, Any], field: str
) -> None:
    before = len(app.node.annotations.raw)
    refused = post(app, "coder1", document)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert len(app.node.annotations.raw) == before


def test_section_type_concept_exists_but_is_not_codable(app: EssaimApp) -> None:
    """The refusal above is for the scheme, not an unknown concept."""
    refused = post(app, "coder1", annotation_json(concept=CODEBOOK + "section-type/barriers"))
    assert "does not code passages" in refused.json()["detail"]


def test_another_coders_annotation_is_untouchable(app: EssaimApp) -> None:
    created = post(app, "coder1", annotation_json())
    location, tag = path_of(created), created.headers["etag"]
    coder1 = created.json()["creator"]
    headers = {**app.auth("coder2"), "Content-Type": MEDIA_TYPE, "If-Match": tag}
    assert app.get(location, headers=app.auth("coder2")).status_code == 403
    assert (
        app.put(location, content=json.dumps(annotation_json()), headers=headers).status_code == 403
    )
    assert app.delete(location, headers=app.auth("coder2")).status_code == 403
    assert (
        app.get(CONTAINER, params={"coder": coder1}, headers=app.auth("coder2")).status_code == 403
    )
    own = app.get(CONTAINER, params={"document": DOC}, headers=app.auth("coder2")).json()
    assert own["total"] == 0
    # Editors read everyone's, and change nobody's.
    assert app.get(location, headers=app.auth("editor")).status_code == 200
    everyone = app.get(CONTAINER, params={"coder": coder1}, headers=app.auth("editor")).json()
    assert created.json()["id"] in [item["id"] for item in everyone["first"]["items"]]
    editor_put = {**headers, **app.auth("editor")}
    assert (
        app.put(location, content=json.dumps(annotation_json()), headers=editor_put).status_code
        == 403
    )
    # Nobody anonymous.
    assert app.get(location).status_code == 401
    assert app.get(CONTAINER).status_code == 401
    assert app.post(CONTAINER, json=annotation_json()).status_code == 401
    assert app.get(location, headers=app.auth("coder1")).status_code == 200
    app.delete(location, headers=app.auth("coder1"))


def test_public_paths_cannot_see_coders_annotations(app: EssaimApp) -> None:
    """Blind coding: /sparql and the Graph Store never reach the private store."""
    created = post(app, "coder1", annotation_json())
    iri = created.json()["canonical"]
    graph = coder_graph(created.json()["creator"])

    def ask(query: str) -> bool:
        answer = app.get(
            "/sparql",
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["boolean"])

    founding = KB + "annotation/sarthe-ceas72-barrier-low-awareness-of-ess-1"
    assert ask(f"ASK {{ <{founding}> ?p ?o }}")  # the public one is there: the query works
    assert not ask(f"ASK {{ <{iri}> ?p ?o }}")
    assert not ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert not ask(f"ASK {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}")
    as_editor = app.get(
        "/sparql",
        params={"query": f"ASK {{ <{iri}> ?p ?o }}"},
        headers={**app.auth("editor"), "Accept": "application/sparql-results+json"},
    )
    assert as_editor.json()["boolean"] is False
    assert (
        app.get("/rdf-graphs", params={"graph": graph}, headers=app.auth("editor")).status_code
        == 404
    )
    dump = app.get(
        "/rdf-graphs", params={"default": ""}, headers={"Accept": "application/n-triples"}
    )
    assert dump.status_code == 200 and iri not in dump.text
    app.delete(path_of(created), headers=app.auth("coder1"))


def test_positions_count_code_points_outside_the_bmp(app: EssaimApp) -> None:
    start = TINY_TEXT.index(TINY_QUOTE)
    assert start == 13  # 🐝 is one code point (two UTF-16 units)
    created = post(
        app,
        "coder2",
        annotation_json(
            source=TINY,
            concept=CODEBOOK + "barrier/lack-of-time",
            start=start,
            end=start + len(TINY_QUOTE),
            exact=TINY_QUOTE,
        ),
    )
    assert created.status_code == 201, created.text
    assert created.json()["target"]["selector"][0]["prefix"] == "🐝 Essaimer : "

    # The text changes through SPARQL Update (an editor): the annotation re-anchors.
    new_text = "🐝🐝 Préambule. " + TINY_TEXT
    update = f"""PREFIX essaim: <https://w3id.org/essaim/ontology#>
    DELETE {{ GRAPH <{TINY_GRAPH}> {{ <{TINY}> essaim:fullText ?t }} }}
    INSERT {{ GRAPH <{TINY_GRAPH}> {{ <{TINY}> essaim:fullText {ox.Literal(new_text)} }} }}
    WHERE {{ GRAPH <{TINY_GRAPH}> {{ <{TINY}> essaim:fullText ?t }} }}"""
    changed = app.post(
        "/sparql",
        content=update.encode(),
        headers={**app.auth("editor"), "Content-Type": "application/sparql-update"},
    )
    assert changed.status_code in (200, 204), changed.text
    moved = app.get(path_of(created), headers=app.auth("coder2")).json()
    position = moved["target"]["selector"][1]
    assert position["start"] == new_text.index(TINY_QUOTE) == start + len("🐝🐝 Préambule. ")
    assert moved["anchored"] is True
    app.delete(path_of(created), headers=app.auth("coder2"))


def _annotation(text: str, quote: str, *, occurrence: int = 0) -> Annotation:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    end = start + len(quote)
    return Annotation(
        iri=new_annotation_iri(),
        document=TINY,
        concept=BARRIER,
        start=start,
        end=end,
        exact=quote,
        prefix=text[max(0, start - 32) : start],
        suffix=text[end : end + 32],
        creator="https://w3id.org/essaim/user/" + "0" * 32,
    )


def test_reanchoring_moves_picks_by_context_and_flags() -> None:
    text = "𝔄 un frein : manque de temps. 🐝 Un autre frein : manque de temps, encore."
    second = _annotation(text, "manque de temps", occurrence=1)
    edited = "Préface 𝔅𝔅. " + text
    moved = reanchor(second, edited)
    assert moved.anchored and edited[moved.start : moved.end] == "manque de temps"
    assert moved.start == second.start + len("Préface 𝔅𝔅. ")  # the second, by its context
    assert reanchor(second, text) is second  # unchanged text: nothing to do
    gone = reanchor(second, "Un texte tout autre 🐝.")
    assert not gone.anchored and (gone.start, gone.end) == (second.start, second.end)
    back = reanchor(gone, edited)
    assert back.anchored and back.start == moved.start

    store = AnnotationStore()
    kept = _annotation(text, "𝔄 un frein")
    store.put_all([second, kept])
    report = reanchor_document(store, TINY, "Plus rien de ce qui était là 🐝.")
    assert sorted(report.flagged) == sorted([second.iri, kept.iri])
    flagged = store.get(second.iri)
    assert flagged is not None and not flagged.anchored  # flagged, not dropped
    report = reanchor_document(store, TINY, edited)
    assert sorted(report.restored) == sorted([second.iri, kept.iri])


def test_the_page_shows_the_text_and_codes_without_javascript(app: EssaimApp) -> None:
    xss = "<script>alert(1)</script>"
    created = post(app, "coder1", annotation_json(memo=xss))
    page = app.get("/annotate/document", params={"iri": DOC}, headers=app.auth("coder1"))
    assert page.status_code == 200, page.text
    html = page.text
    assert xss not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="code family-barrier" data-codes="0" title="' in html
    # The highlighted passage is the quote, whole, inside one mark (escaped as HTML text).
    assert f">{QUOTE}</mark>" in html
    assert 'data-annotations="1"' in html
    assert "Freins" in html  # the text around the codes, and the sections in the margin
    # Another coder, who has not submitted, sees the text and none of coder1's codes.
    other = app.get("/annotate/document", params={"iri": DOC}, headers=app.auth("coder2"))
    assert other.status_code == 200 and 'data-annotations="0"' in other.text
    assert "&lt;script&gt;" not in other.text
    # No session, no page: sign in first.
    anonymous = app.get("/annotate/document", params={"iri": DOC})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    app.delete(path_of(created), headers=app.auth("coder1"))


def test_assignments_progress_and_blind_coding_until_submitted(app: EssaimApp) -> None:
    editor, coder1, coder2 = app.auth("editor"), app.auth("coder1"), app.auth("coder2")
    made = app.post(
        "/api/assignments", json={"document": DOC, "coders": ["coder1", "coder2"]}, headers=editor
    )
    assert made.status_code == 201, made.text
    assert {row["name"] for row in made.json()["assignments"]} == {"coder1", "coder2"}
    refused = app.post(
        "/api/assignments", json={"document": DOC, "coders": ["coder2"]}, headers=coder1
    )
    assert refused.status_code == 403
    nobody = app.post(
        "/api/assignments", json={"document": DOC, "coders": ["nobody"]}, headers=editor
    )
    assert nobody.status_code == 422 and nobody.json()["field"] == "coders"
    no_doc = app.post(
        "/api/assignments",
        json={"document": KB + "document/none", "coders": ["coder1"]},
        headers=editor,
    )
    assert no_doc.status_code == 422 and no_doc.json()["field"] == "document"

    first = post(app, "coder1", annotation_json())
    second = post(app, "coder2", annotation_json(concept=CODEBOOK + "barrier/low-recognition"))
    assert first.status_code == second.status_code == 201
    coder1_iri = first.json()["creator"]

    queue = app.get("/api/assignments", headers=coder2).json()["assignments"]
    assert [(r["document"], r["annotations"], r["submitted"]) for r in queue] == [(DOC, 1, None)]
    assert "name" not in queue[0]  # a coder's queue names nobody
    assert app.get(path_of(first), headers=coder2).status_code == 403
    blind = app.get(CONTAINER, params={"document": DOC, "coder": coder1_iri}, headers=coder2)
    assert blind.status_code == 403

    submitted = app.post("/api/assignments/submit", json={"document": DOC}, headers=coder2)
    assert submitted.status_code == 200 and submitted.json()["assignment"]["submitted"]
    assert app.get(path_of(first), headers=coder2).status_code == 200
    both = app.get(CONTAINER, params={"document": DOC}, headers=coder2).json()
    assert {i["id"] for i in both["first"]["items"]} == {first.json()["id"], second.json()["id"]}
    page = app.get("/annotate/document", params={"iri": DOC}, headers=coder2)
    assert 'data-annotations="2"' in page.text
    # coder1 has not submitted: still blind; and nobody changes another's code after seeing it.
    assert app.get(path_of(second), headers=coder1).status_code == 403
    assert app.delete(path_of(first), headers=coder2).status_code == 403

    progress = app.get("/api/assignments/progress", headers=editor).json()
    by_document = {row["document"]: row for row in progress["by_document"]}
    assert by_document[DOC] == {"document": DOC, "coders": 2, "submitted": 1, "annotations": 2}
    by_coder = {row["name"]: row for row in progress["by_coder"]}
    assert by_coder["coder2"]["submitted"] == 1 and by_coder["coder1"]["submitted"] == 0
    assert app.get("/api/assignments/progress", headers=coder1).status_code == 403
    assert app.get("/assignments", headers=editor).status_code == 200
    assert app.get("/assignments", headers=coder1).status_code == 403
    queue_page = app.get("/annotate", headers=coder1)
    assert queue_page.status_code == 200 and "/annotate/submit" in queue_page.text

    # The work queue is private too.
    ask = app.get(
        "/sparql",
        params={"query": "ASK { ?a a <https://w3id.org/essaim/ontology#CodingAssignment> }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert ask.json()["boolean"] is False

    for response, user in ((first, "coder1"), (second, "coder2")):
        assert app.delete(path_of(response), headers=app.auth(user)).status_code == 204
    for name in ("coder1", "coder2"):
        gone = app.delete(
            "/api/assignments", params={"document": DOC, "coder": name}, headers=editor
        )
        assert gone.status_code == 204


def test_the_command_line_reanchors_and_lists_what_it_flags(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from essaim.cli import app as cli

    store = EmbeddedStore(tmp_path / "store")
    text = "🐝 Un frein : le manque de temps. Et encore."
    store.update(
        f"INSERT DATA {{ GRAPH <{TINY_GRAPH}> {{ <{TINY}> a "
        f"<https://w3id.org/essaim/ontology#CaseDocument> ; "
        f"<https://w3id.org/essaim/ontology#fullText> {ox.Literal('Préface 🐝. ' + text)} }} }}"
    )
    store.close()
    annotations = AnnotationStore(tmp_path / "annotations")
    moved, lost = _annotation(text, "le manque de temps"), _annotation(text, "Et encore")
    lost = Annotation(**{**lost.__dict__, "exact": "ne figure plus"})
    annotations.put_all([moved, lost])
    annotations.close()
    del annotations
    gc.collect()  # pyoxigraph releases the store's lock when the object goes

    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "annotations", "reanchor"])
    assert result.exit_code == 0, result.output
    assert "0 in place, 1 moved, 0 anchored again, 1 flagged" in result.output
    assert f"flagged (quote not found): {lost.iri}" in result.output
    after = AnnotationStore(tmp_path / "annotations")
    found = after.get(moved.iri)
    assert found is not None and found.start == moved.start + len("Préface 🐝. ")
    flagged = after.get(lost.iri)
    assert flagged is not None and not flagged.anchored


def test_a_signed_in_browser_codes_with_its_csrf_token(app: EssaimApp) -> None:
    from essaim.sessions import Sessions

    Sessions(app.node.users).set_password("coder1", "a long enough password 42")
    with app.client() as browser:
        signed = browser.post(
            "/login", data={"name": "coder1", "password": "a long enough password 42"}
        )
        assert signed.status_code == 303, signed.text
        queue = browser.get("/annotate")
        match = re.search(r'name="csrf_token" value="([^"]+)"', queue.text)
        assert queue.status_code == 200 and match
        headers = {"Content-Type": MEDIA_TYPE}
        forged = browser.post(CONTAINER, content=json.dumps(annotation_json()), headers=headers)
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        made = browser.post(
            CONTAINER,
            content=json.dumps(annotation_json()),
            headers={**headers, "X-CSRF-Token": match.group(1)},
        )
        assert made.status_code == 201, made.text
        submit = browser.post("/annotate/submit", data={"document": DOC})
        assert submit.status_code == 403
        submit = browser.post(
            "/annotate/submit", data={"document": DOC, "csrf_token": match.group(1)}
        )
        assert submit.status_code == 303 and submit.headers["location"] == "/annotate"
        assert (
            browser.delete(path_of(made), headers={"X-CSRF-Token": match.group(1)}).status_code
            == 204
        )
    work = app.get("/api/assignments", params={"document": DOC}, headers=app.auth("coder1")).json()
    assert work["assignments"][0]["submitted"]


def _embedded(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="annotate-config">(.*?)</script>', html, re.S
    )
    assert found, "the page carries no configuration for its script"
    return dict(json.loads(found.group(1)))


def test_the_page_embeds_the_codes_its_reader_may_see(app: EssaimApp) -> None:
    """The page hands its script the annotations to draw (no request before drawing): the same
    items the container lists for the reader, blind coding kept (a coder who has not submitted
    gets none of another coder's), a hostile memo unable to close the script element."""
    from essaim.sessions import Sessions

    if "coder3" not in app.tokens:  # a coder of their own: no earlier test submitted for them
        app.tokens["coder3"] = app.node.users.add("coder3", Role.ANNOTATOR)[1]
    Sessions(app.node.users).set_password("coder3", "a long enough password 42")
    hostile = "</script><script>alert(1)</script>"
    own = post(app, "coder3", annotation_json(memo=hostile))
    theirs = post(app, "coder2", annotation_json())
    assert own.status_code == 201 and theirs.status_code == 201, theirs.text
    try:
        with app.client() as browser:
            signed = browser.post(
                "/login", data={"name": "coder3", "password": "a long enough password 42"}
            )
            assert signed.status_code == 303, signed.text
            page = browser.get("/annotate/document", params={"iri": DOC})
            assert page.status_code == 200, page.text
            require("annotate-config" in page.text, "the text annotator bundle (make setup)")
            config = _embedded(page.text)
        listed = app.get(CONTAINER, params={"document": DOC}, headers=app.auth("coder3"))
        items = listed.json()["first"]["items"]
        assert config["annotations"] == items and len(items) == 1
        assert config["annotations"][0]["id"].endswith(path_of(own))
        assert config["annotations"][0]["body"][1]["value"] == hostile
        assert hostile not in page.text and "alert(1)" in page.text
    finally:
        app.delete(path_of(own), headers=app.auth("coder3"))
        app.delete(path_of(theirs), headers=app.auth("coder2"))
