"""The transparent suggester and coders' decisions on its suggestions, in process against a real
node (the ontology, the codebook and the founding case loaded) and its private annotation store:
suggestions are the suggester's annotations (a software agent of this essaim version, status
suggested), every coder sees them apart from the blind-coded work, an acceptance makes a coded
annotation of the coder's derived from the suggestion, a rejection is recorded, each coder decides
once, editors read the counts per concept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pyoxigraph as ox
import pytest

from essaim import __version__
from essaim.annotation.jsonld import MEDIA_TYPE
from essaim.annotation.model import CODED, SUGGESTED, coder_graph
from essaim.annotation.suggest import SUGGESTER, codebook_terms, fold, suggest
from essaim.loading import load
from essaim.namespaces import CODEBOOK, KB, PROV
from essaim.resources import bundled_data
from essaim.users import Role
from essaim_app_fixtures import EssaimApp, open_app

DOC = KB + "document/sarthe-ceas72-mise-en-reseau-ess"
LOW_AWARENESS = CODEBOOK + "barrier/low-awareness-of-ess"
LACK_OF_TIME = CODEBOOK + "barrier/lack-of-time"
#: The founding case's first barrier, at code points 806–924.
QUOTE = (
    "La méconnaissance de la notion d’Economie Sociale par ses acteurs et les partenaires "
    "(notamment collectivités locales)"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        node_app = open_app(stack, tmp_path_factory.mktemp("suggestions"), load_on_start=False)
        node = node_app.node
        data = bundled_data()
        case = data.kb / "cases" / "sarthe-ceas72-mise-en-reseau-ess.ttl"
        load(node.store, [data.ontology, case], base=data.root, trusted=True)
        assert node.snapshots is not None
        node.snapshots.publish()
        for name in ("coder1", "coder2"):
            node_app.tokens[name] = node.users.add(name, Role.ANNOTATOR)[1]
        yield node_app


def post(app: EssaimApp, user: str, path: str, body: dict[str, Any]) -> Any:
    return app.post(
        path,
        content=json.dumps(body),
        headers={**app.auth(user), "Content-Type": "application/json"},
    )


def test_the_suggester_matches_labels_without_accents_or_case(app: EssaimApp) -> None:
    terms = codebook_terms(app.node.store)
    assert fold("MÉCONNAISSANCE") == "meconnaissance"
    found = suggest(terms, QUOTE.upper())
    assert found[0].concept == LOW_AWARENESS
    assert "MÉCONNAISSANCE" in found[0].matched and found[0].score > 1
    time = suggest(terms, "Les benevoles manquent de temps")
    assert [s.concept for s in time][:1] == [LACK_OF_TIME], time
    assert "temps" in time[0].reason
    # Only schemes that code passages: no section-type, actor-type… concept is ever proposed.
    assert all(s.scheme.startswith(CODEBOOK) for s in time)
    assert not any("/section-type/" in t.concept for t in terms)
    assert suggest(terms, "zzz qqq") == []


def test_suggest_accept_and_reject_on_the_founding_case(app: EssaimApp) -> None:
    made = post(app, "coder1", "/api/suggestions", {"document": DOC, "start": 806, "end": 924})
    assert made.status_code == 201, made.text
    items = made.json()["suggestions"]
    first = items[0]
    assert first["body"][0] == LOW_AWARENESS and first["creator"] == SUGGESTER
    assert first["codingStatus"] == SUGGESTED and __version__ in SUGGESTER
    assert first["target"]["selector"][0]["exact"] == QUOTE
    assert "méconnaissance" in first["matched"] and first["score"] > 1
    assert "matched" in first["body"][1]["value"]  # the reason, as the suggestion's memo
    # Asking again stores nothing new: the same suggestions come back.
    again = post(app, "coder2", "/api/suggestions", {"document": DOC, "start": 806, "end": 924})
    assert [i["id"] for i in again.json()["suggestions"]] == [i["id"] for i in items]
    # The suggester is a software agent with its version, in its own graph of the private store.
    raw = app.node.annotations.raw
    agent = ox.NamedNode(SUGGESTER)
    assert (
        ox.Quad(
            agent,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(PROV + "SoftwareAgent"),
            ox.NamedNode(coder_graph(SUGGESTER)),
        )
        in raw
    )

    # Every coder sees suggestions, apart from (and without breaking) blind coding.
    listed = app.get("/api/annotations/", params={"document": DOC}, headers=app.auth("coder2"))
    statuses = {i["codingStatus"] for i in listed.json()["first"]["items"]}
    assert statuses == {SUGGESTED}
    assert app.get(first["id"].removeprefix(app.url), headers=app.auth("coder2")).status_code == 200

    accepted = post(
        app,
        "coder1",
        "/api/suggestions/accept",
        {"suggestion": first["id"], "statementMode": "encountered", "memo": "yes"},
    )
    assert accepted.status_code == 201, accepted.text
    mine = accepted.json()
    assert mine["creator"].startswith("https://w3id.org/essaim/user/")
    assert mine["codingStatus"] == CODED and mine["wasDerivedFrom"] == first["canonical"]
    assert mine["target"]["selector"][1] == {
        "type": "TextPositionSelector",
        "start": 806,
        "end": 924,
    }
    assert mine["body"] == [
        LOW_AWARENESS,
        {"type": "TextualBody", "value": "yes", "purpose": "commenting"},
    ]
    stored = app.get(mine["id"].removeprefix(app.url), headers=app.auth("coder1")).json()
    assert stored["wasDerivedFrom"] == first["canonical"]
    # Deciding twice is refused, naming the field; an annotation that is no suggestion too.
    twice = post(app, "coder1", "/api/suggestions/reject", {"suggestion": first["id"]})
    assert twice.status_code == 422 and twice.json()["field"] == "suggestion"
    assert "accepted this suggestion already" in twice.json()["detail"]
    not_one = post(app, "coder1", "/api/suggestions/accept", {"suggestion": mine["id"]})
    assert not_one.status_code == 422 and not_one.json()["field"] == "suggestion"
    # Another coder rejects the same suggestion; a coder's rejection leaves no annotation.
    rejected = post(app, "coder2", "/api/suggestions/reject", {"suggestion": first["id"]})
    assert rejected.status_code == 200, rejected.text
    coded2 = app.get(
        "/api/annotations/", params={"document": DOC, "status": "coded"}, headers=app.auth("coder2")
    ).json()
    assert coded2["total"] == 0
    # Counts per concept, for editors only.
    assert app.get("/api/suggestions/counts", headers=app.auth("coder1")).status_code == 403
    counts = app.get("/api/suggestions/counts", headers=app.auth("editor")).json()
    row = next(c for c in counts["concepts"] if c["concept"] == LOW_AWARENESS)
    assert (row["suggested"], row["accepted"], row["rejected"]) == (1, 1, 1)
    # Suggestions never count as coded work: the coded filter finds only the coder's own.
    coded = app.get(
        "/api/annotations/", params={"document": DOC, "status": "coded"}, headers=app.auth("editor")
    ).json()
    assert [i["creator"] for i in coded["first"]["items"]] == [mine["creator"]]


def test_section_suggestions_and_refusals(app: EssaimApp) -> None:
    made = post(app, "coder1", "/api/suggestions", {"document": DOC})
    assert made.status_code == 201
    items = made.json()["suggestions"]
    assert len({(i["target"]["selector"][1]["start"]) for i in items}) > 5  # several sections
    assert any(i["body"][0] == LOW_AWARENESS for i in items)
    unknown = post(app, "coder1", "/api/suggestions", {"document": KB + "document/nope"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "document"
    half = post(app, "coder1", "/api/suggestions", {"document": DOC, "start": 3})
    assert half.status_code == 422 and half.json()["field"] == "end"
    past = post(app, "coder1", "/api/suggestions", {"document": DOC, "start": 3, "end": 10**6})
    assert past.status_code == 422 and past.json()["field"] == "end"
    anonymous = app.post(
        "/api/suggestions",
        content=json.dumps({"document": DOC}),
        headers={"Content-Type": MEDIA_TYPE},
    )
    assert anonymous.status_code == 401


def test_the_page_shows_suggestions_apart_and_decides_without_javascript(app: EssaimApp) -> None:
    import re

    from essaim.sessions import Sessions

    Sessions(app.node.users).set_password("coder2", "a long enough password 42")
    page = "/annotate/document?iri=" + DOC
    with app.client() as browser:
        signed = browser.post(
            "/login", data={"name": "coder2", "password": "a long enough password 42"}
        )
        assert signed.status_code == 303, signed.text
        shown = browser.get(page)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', shown.text)
        assert shown.status_code == 200 and csrf
        assert browser.post("/annotate/suggest", data={"iri": DOC}).status_code == 403
        made = browser.post("/annotate/suggest", data={"iri": DOC, "csrf_token": csrf.group(1)})
        assert made.status_code == 303 and made.headers["location"].endswith("#suggestions")
        shown = browser.get(page).text
        codes = shown.split('id="code-list"')[1].split("</ol>")[0]
        suggestions = shown.split('id="suggestion-list"')[1].split("</ol>")[0]
        assert 'class="suggestion' not in codes  # apart from the coder's codes
        found = re.findall(r'<li class="suggestion[^"]*" data-annotation="([^"]+)"', suggestions)
        assert found and "matched" in suggestions
        pending = next(
            iri for iri in found if f'value="{iri}"><button type="submit" name="decision"' in shown
        )
        decided = browser.post("/annotate/decide", data={
            "iri": DOC, "suggestion": pending, "decision": "reject", "csrf_token": csrf.group(1),
        })  # fmt: skip
        assert decided.status_code == 303, decided.text
        after = browser.get(page).text
        item = after.split(f'data-annotation="{pending}"')[1].split("</li>")[0]
        assert 'class="decision">rejetée' in item and 'name="decision"' not in item
        bad = browser.post("/annotate/decide", data={
            "iri": DOC, "suggestion": pending, "decision": "maybe", "csrf_token": csrf.group(1),
        })  # fmt: skip
        assert bad.status_code == 422
