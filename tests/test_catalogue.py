"""What a node publishes of itself: the DCAT catalogue (checked by essaim's own catalogue shapes),
the gzipped N-Quads dumps it lists (checksums that hold, strong ETags, 304 on If-None-Match,
made once per store generation), the JSON-LD context, and the VoID description's links to them.
In process, on the node of ``essaim serve`` over a real store (``essaim_app_fixtures``)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.federation.catalogue import NO_LICENCE
from essaim.validation import validate
from essaim.validation.shapes import ShapesGraph
from essaim_app_fixtures import EssaimApp

REPO = Path(__file__).resolve().parents[1]
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
RDF_TYPE = ox.NamedNode(ns.RDF + "type")
UNDP = "https://w3id.org/essaim/graph/kb/actors/undp-accelerator-labs"


def catalogue_store(app: EssaimApp, **headers: str) -> ox.Store:
    response = app.get("/catalog", headers={"Accept": "text/turtle", **headers})
    assert response.status_code == 200, response.text
    store = ox.Store()
    store.load(response.content, format=ox.RdfFormat.TURTLE)
    return store


def objects(store: ox.Store, subject: str, predicate: str) -> list[ox.NamedNode | ox.Literal]:
    found = store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
    return [q.object for q in found]  # type: ignore[misc]


def datasets(store: ox.Store) -> set[str]:
    found = store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"))
    return {q.subject.value for q in found}  # type: ignore[union-attr]


def checksum(store: ox.Store, distribution: str) -> tuple[int, str]:
    size = objects(store, distribution, DCAT + "byteSize")[0].value
    (node,) = objects(store, distribution, SPDX + "checksum")
    found = store.quads_for_pattern(node, ox.NamedNode(SPDX + "checksumValue"), None)
    return int(size), next(iter(found)).object.value


@pytest.fixture(scope="module")
def catalogue_shapes() -> ShapesGraph:
    return ShapesGraph.from_file(REPO / "ontology" / "catalogue-shapes.ttl")


def test_the_catalogue_lists_every_published_graph_and_conforms_to_its_shapes(
    kb_app: EssaimApp, catalogue_shapes: ShapesGraph
) -> None:
    store = catalogue_store(kb_app)
    report = validate(store, shapes=catalogue_shapes)
    assert report.conforms, report.results[:5]
    graphs = set(kb_app.store.named_graphs())
    assert datasets(store) == graphs - {ns.META_GRAPH}, "one dataset per graph, metadata aside"
    # the graph's own provenance: its licence, rights holder and source
    assert ox.NamedNode("https://opensource.org/license/mit") in objects(
        store, UNDP, ns.DCTERMS + "license"
    )
    assert objects(store, UNDP, ns.DCTERMS + "rightsHolder") == [
        ox.NamedNode(ns.KB + "actor/undp-accelerator-labs")
    ]
    assert objects(store, UNDP, ns.PROV + "wasDerivedFrom")
    service = objects(store, f"{kb_app.url}/catalog", DCAT + "service")
    assert service == [ox.NamedNode(kb_app.sparql)]
    assert ox.NamedNode(UNDP) in objects(store, kb_app.sparql, DCAT + "servesDataset"), (
        "the endpoint serves each dataset"
    )


def test_the_shapes_refuse_a_dataset_without_licence_or_checksum(
    kb_app: EssaimApp, catalogue_shapes: ShapesGraph
) -> None:
    """The conformance check above has teeth; and a graph that states no licence (the founding
    case's actors) gets no invented one: its rights say so."""
    store = catalogue_store(kb_app)
    sarthe = "https://w3id.org/essaim/graph/kb/actors/sarthe"
    assert not objects(store, sarthe, ns.DCTERMS + "license")
    assert objects(store, sarthe, ns.DCTERMS + "rights") == [NO_LICENCE]
    store.update(f"DELETE WHERE {{ <{sarthe}> <{ns.DCTERMS}rights> ?r }}")
    whole = f"{kb_app.url}/dumps/all.nq.gz"
    store.update(f"DELETE WHERE {{ <{whole}> <{SPDX}checksum> ?c . ?c <{SPDX}checksumValue> ?v }}")
    report = validate(store, shapes=catalogue_shapes)
    assert {(r.focus, r.constraint.rsplit("#", 1)[-1]) for r in report.results} == {
        (sarthe, "OrConstraintComponent"),
        (whole, "MinCountConstraintComponent"),
    }


def test_dumps_hold_what_the_catalogue_says_with_strong_etags(kb_app: EssaimApp) -> None:
    store = catalogue_store(kb_app)
    whole = f"{kb_app.url}/dumps/all.nq.gz"
    size, digest = checksum(store, whole)
    response = kb_app.get("/dumps/all.nq.gz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/gzip"
    assert response.headers["etag"] == f'"{digest}"'
    assert len(response.content) == size
    assert hashlib.sha256(response.content).hexdigest() == digest
    quads = list(ox.parse(gzip.decompress(response.content), format=ox.RdfFormat.N_QUADS))
    total = int(objects(store, f"{kb_app.url}/catalog", ns.VOID + "triples")[0].value)
    assert len(quads) == total
    assert not [q for q in quads if q.graph_name == ox.NamedNode(ns.META_GRAPH)]

    again = kb_app.get("/dumps/all.nq.gz", headers={"If-None-Match": f'W/"x", "{digest}"'})
    assert again.status_code == 304 and not again.content
    assert kb_app.get("/dumps/all.nq.gz", headers={"If-None-Match": '"other"'}).status_code == 200
    head = kb_app.head("/dumps/all.nq.gz")
    assert (head.status_code, head.headers["etag"], head.content) == (200, f'"{digest}"', b"")

    one = kb_app.get(f"/dumps/graph.nq.gz?graph={quote(UNDP, safe='')}")
    size, digest = checksum(store, f"{kb_app.url}/dumps/graph.nq.gz?graph={quote(UNDP, safe='')}")
    assert hashlib.sha256(one.content).hexdigest() == digest == one.headers["etag"].strip('"')
    graph_quads = list(ox.parse(gzip.decompress(one.content), format=ox.RdfFormat.N_QUADS))
    assert {q.graph_name for q in graph_quads} == {ox.NamedNode(UNDP)}
    assert len(graph_quads) == int(objects(store, UNDP, ns.VOID + "triples")[0].value)


def test_the_metadata_graph_and_unknown_graphs_have_no_dump(kb_app: EssaimApp) -> None:
    for graph in (ns.META_GRAPH, "https://example.org/none"):
        response = kb_app.get(f"/dumps/graph.nq.gz?graph={quote(graph, safe='')}")
        assert response.status_code == 404
        assert "no published graph" in response.json()["detail"]


def test_the_catalogue_negotiates_and_answers_304(kb_app: EssaimApp) -> None:
    first = kb_app.get("/catalog", headers={"Accept": "application/ld+json"})
    assert first.headers["content-type"].startswith("application/ld+json")
    assert json.loads(first.content)
    etag = first.headers["etag"]
    unchanged = kb_app.get(
        "/catalog", headers={"Accept": "application/ld+json", "If-None-Match": etag}
    )
    assert unchanged.status_code == 304
    triples = kb_app.get(
        "/catalog", headers={"Accept": "application/n-triples", "If-None-Match": etag}
    )
    assert triples.status_code == 200, "another format is another representation"
    void = kb_app.get("/.well-known/void", headers={"Accept": "application/n-triples"}).text
    assert f"<{kb_app.url}/catalog>" in void and f"<{kb_app.url}/dumps/all.nq.gz>" in void


def test_the_json_ld_context_maps_the_ontology(kb_app: EssaimApp) -> None:
    response = kb_app.get("/context.jsonld")
    assert response.headers["content-type"] == "application/ld+json"
    context = response.json()["@context"]
    assert context["essaim"] == ns.ESSAIM
    assert context["carrier"] == {"@id": "essaim:carrier", "@type": "@id"}
    # a document written with it expands to the ontology's IRIs
    document = {
        "@context": context,
        "id": ns.KB + "initiative/x",
        "type": "Initiative",
        "title": {"fr": "x"},
        "carrier": ns.KB + "actor/y",
    }
    store = ox.Store()
    store.load(json.dumps(document).encode(), format=ox.RdfFormat.JSON_LD)
    assert (
        ox.Quad(
            ox.NamedNode(ns.KB + "initiative/x"),
            ox.NamedNode(ns.ESSAIM + "carrier"),
            ox.NamedNode(ns.KB + "actor/y"),
        )
        in store
    )


LICENSED = b"""
<https://example.org/g> <http://purl.org/dc/terms/title> "a test graph"@en ;
    <http://purl.org/dc/terms/license> <https://creativecommons.org/licenses/by/4.0/> .
"""


def test_dumps_are_made_once_per_generation(start_app: Callable[..., EssaimApp]) -> None:
    app = start_app(load_on_start=False)
    graph = "https://example.org/g"
    put = app.put(
        f"/rdf-graphs?graph={quote(graph, safe='')}",
        content=LICENSED,
        headers={"Content-Type": "text/turtle", **app.auth("editor")},
    )
    assert put.status_code in (201, 204), put.text
    first = app.get("/catalog")
    assert app.get("/dumps/all.nq.gz").status_code == 200
    assert app.get("/catalog").headers["etag"] == first.headers["etag"]
    assert app.node.dumps.made == 1, "every request of one generation reuses the files"
    etag = app.get("/dumps/all.nq.gz").headers["etag"]

    app.post(
        f"/rdf-graphs?graph={quote(graph, safe='')}",
        content=b'<https://example.org/g> <http://www.w3.org/2000/01/rdf-schema#comment> "more" .',
        headers={"Content-Type": "text/turtle", **app.auth("editor")},
    ).raise_for_status()
    changed = app.get("/dumps/all.nq.gz", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert app.node.dumps.made == 2
    assert b"more" in gzip.decompress(changed.content)


def test_a_private_node_shows_its_catalogue_and_dumps_to_its_users_only(
    start_app: Callable[..., EssaimApp],
) -> None:
    app = start_app(load_on_start=False, public_reads=False)
    for path in ("/catalog", "/dumps/all.nq.gz"):
        assert app.get(path).status_code == 401
        assert app.get(path, headers=app.auth("annotator")).status_code == 200
