"""The W3C SPARQL 1.1 Protocol and Graph Store Protocol manifests, read and replayed over HTTP.

The manifests (``tests/w3c/``) describe each test as HTTP requests in RDF (the W3C HTTP
vocabulary ``ht:``, bodies as ``cnt:chars``) with the response each must get: a status code or
class (``mf:expectedStatus``), a boolean (``mf:expectedBoolean``), a kind of result
(``mf:expectedFormat``), headers and a body (``ht:headers``, ``ht:body``), and a ``Location``
to remember as a template variable (``mf:expectedLocation``).

The requests name the host ``www.example``; ``/sparql/`` and ``/gsp`` are the endpoints. They
map onto a server under test as ``/sparql`` and ``/rdf-graphs``, and a ``Location`` that server
answers maps back the other way (``<server>/rdf-graphs/x`` ↔ ``http://www.example/gsp/x``) so
that a later request can name the new graph as the manifest does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

#: The host the manifests' requests address, and their two endpoints there.
W3C_HOST = "www.example"
SPARQL_PATH = "/sparql/"
GSP_PATH = "/gsp"
#: Where those endpoints are on an essaim server.
ESSAIM_SPARQL = "/sparql"
ESSAIM_GSP = "/rdf-graphs"
#: The IRI a graph named directly as ``/gsp/<path>`` has in the manifests: the server under
#: test is told to name ``/rdf-graphs/<path>`` so (ESSAIM_GRAPH_BASE).
GSP_GRAPH_BASE = f"http://{W3C_HOST}{GSP_PATH}/"

#: The status codes the manifests name (http://www.w3.org/2011/http-statusCodes#).
STATUS_CODES = {
    "OK": 200,
    "Created": 201,
    "Accepted": 202,
    "NoContent": 204,
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "NotAcceptable": 406,
    "UnsupportedMediaType": 415,
}

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
#: What each ``mf:expectedFormat`` admits, as the tests' names spell it out ("expect one of:
#: XML, JSON" for ASK; "XML, JSON, CSV, TSV" for SELECT; "RDF/XML, Turtle, N-Triples, RDFa").
EXPECTED_FORMATS: Mapping[str, frozenset[str]] = {
    "boolean": frozenset({SPARQL_JSON, SPARQL_XML}),
    "tabular": frozenset({SPARQL_JSON, SPARQL_XML, "text/csv", "text/tab-separated-values"}),
    "RDF": frozenset(
        {"application/rdf+xml", "text/turtle", "application/n-triples", "application/xhtml+xml"}
    ),
}


@dataclass(frozen=True)
class Expected:
    statuses: tuple[str, ...]
    boolean: bool | None = None
    format: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    location_variable: str | None = None

    def status_matches(self, status: int) -> bool:
        return any(_status_matches(name, status) for name in self.statuses)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: str | None
    encoding: str
    expected: Expected

    def content(self, variables: Mapping[str, str]) -> bytes | None:
        if self.body is None:
            return None
        return substitute(self.body, variables).encode(self.encoding)


@dataclass(frozen=True)
class W3CTest:
    iri: str
    name: str
    manifest: Path
    requests: tuple[Request, ...]
    #: (file, graph IRI): data to load into named graphs before the test (``ut:graphData``).
    graph_data: tuple[tuple[Path, str], ...] = ()
    #: False for a test the file holds but its ``mf:entries`` do not list.
    listed: bool = True


def _status_matches(name: str, status: int) -> bool:
    if name.startswith("StatusCode") and name.endswith("xx"):
        return status // 100 == int(name.removeprefix("StatusCode")[0])
    if name not in STATUS_CODES:
        raise ValueError(f"the manifest names a status this runner does not know: hts:{name}")
    return STATUS_CODES[name] == status


def substitute(text: str, variables: Mapping[str, str]) -> str:
    for name, value in variables.items():
        text = text.replace(name, value)
    return text


def manifests(root: Path) -> list[Path]:
    """The manifest files under ``root``, each ``mf:include`` replaced by the files it names."""
    found: list[Path] = []
    for path in sorted(root.glob("*/manifest.ttl")):
        graph = _parse(path)
        manifest = next(graph.subjects(RDF.type, MF.Manifest))
        included = graph.value(manifest, MF.include)
        if included is None:
            found.append(path)
        else:
            found += [_file(item) for item in Collection(graph, included)]
    return found


def load(path: Path) -> list[W3CTest]:
    """The tests of one manifest file, in the order of its ``mf:entries``; tests that the file
    describes but does not list come last (``listed=False``)."""
    graph = _parse(path)
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = graph.value(manifest, MF.entries)
    listed = list(Collection(graph, entries)) if entries is not None else []
    described = sorted(
        {
            test
            for kind in (MF.ProtocolTest, MF.GraphStoreProtocolTest)
            for test in graph.subjects(RDF.type, kind)
        }
        - set(listed),
        key=str,
    )
    return [_test(graph, path, test, test in listed) for test in [*listed, *described]]


def _parse(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())


def _file(iri: Any) -> Path:
    return Path(unquote(urlsplit(str(iri)).path))


def _test(graph: rdflib.Graph, manifest: Path, test: Any, listed: bool) -> W3CTest:
    action = graph.value(test, MF.action)
    requests = graph.value(action, HT.requests)
    data = [
        (_file(graph.value(node, UT.graph)), str(graph.value(node, RDFS.label)))
        for node in graph.objects(test, UT.graphData)
    ]
    return W3CTest(
        iri=str(test),
        name=str(graph.value(test, MF.name)),
        manifest=manifest,
        requests=tuple(_request(graph, node) for node in Collection(graph, requests)),
        graph_data=tuple(sorted(data, key=lambda item: item[1])),
        listed=listed,
    )


def _headers(graph: rdflib.Graph, node: Any) -> tuple[tuple[str, str], ...]:
    items = graph.value(node, HT.headers)
    if items is None:
        return ()
    return tuple(
        (str(graph.value(h, HT.fieldName)).lower(), str(graph.value(h, HT.fieldValue)))
        for h in Collection(graph, items)
    )


def _body(graph: rdflib.Graph, node: Any) -> tuple[str | None, str]:
    body = graph.value(node, HT.body)
    if body is None:
        return None, "utf-8"
    encoding = graph.value(body, CNT.characterEncoding)
    return str(graph.value(body, CNT.chars)), str(encoding or "UTF-8")


def _request(graph: rdflib.Graph, node: Any) -> Request:
    response = graph.value(node, HT.resp)
    statuses = sorted(
        str(s).removeprefix(str(HTS)) for s in graph.objects(response, MF.expectedStatus)
    )
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    location = graph.value(response, MF.expectedLocation)
    expected_body, _ = _body(graph, response)
    body, encoding = _body(graph, node)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=_headers(graph, node),
        body=body,
        encoding=encoding,
        expected=Expected(
            statuses=tuple(statuses),
            boolean=None if boolean is None else bool(boolean.toPython()),
            format=None if fmt is None else str(fmt),
            headers=_headers(graph, response),
            body=expected_body,
            location_variable=None if location is None else str(location),
        ),
    )


# --- Mapping the manifests' addresses onto a server ------------------------------------------


def target(path: str) -> str:
    """The path and query on an essaim server for a manifest's ``ht:absolutePath``."""
    if path.startswith(SPARQL_PATH):
        return ESSAIM_SPARQL + path.removeprefix(SPARQL_PATH)
    if path == GSP_PATH or path.startswith((GSP_PATH + "/", GSP_PATH + "?")):
        return ESSAIM_GSP + path.removeprefix(GSP_PATH)
    raise ValueError(f"the manifest addresses {path!r}, neither {SPARQL_PATH} nor {GSP_PATH}")


def as_manifest_url(location: str, server_url: str) -> str:
    """A ``Location`` from the server as the manifests would name it, on ``www.example``."""
    absolute = str(httpx.URL(server_url).join(location))
    gsp = server_url.rstrip("/") + ESSAIM_GSP
    if absolute == gsp or absolute.startswith((gsp + "/", gsp + "?")):
        return f"http://{W3C_HOST}{GSP_PATH}" + absolute.removeprefix(gsp)
    return absolute


# --- Checking a response ---------------------------------------------------------------------


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _normal_content_type(value: str) -> tuple[str, frozenset[tuple[str, str]]]:
    main, *params = value.split(";")
    pairs = set()
    for param in params:
        key, _, val = param.partition("=")
        pairs.add((key.strip().lower(), val.strip().strip('"').lower()))
    return main.strip().lower(), frozenset(pairs)


def header_problems(expected: Sequence[tuple[str, str]], response: httpx.Response) -> list[str]:
    problems = []
    for name, value in expected:
        actual = response.headers.get(name)
        if name == "content-type" and actual is not None:
            same = _normal_content_type(actual) == _normal_content_type(value)
        else:
            same = actual == value
        if not same:
            problems.append(f"header {name}: expected {value!r}, got {actual!r}")
    return problems


def boolean_result(response: httpx.Response) -> bool:
    """The answer of an ASK, read from SPARQL results in JSON or XML."""
    media = media_type(response.headers.get("content-type"))
    if media in (SPARQL_JSON, "application/json"):
        value = json.loads(response.content)["boolean"]
        assert isinstance(value, bool), f"the boolean is not a JSON boolean: {value!r}"
        return value
    if media in (SPARQL_XML, "application/xml", "text/xml"):
        root = ElementTree.fromstring(response.content)  # noqa: S314 -- our own server's answer
        element = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
        assert element is not None and element.text in ("true", "false"), response.text
        return element.text == "true"
    raise AssertionError(f"a boolean result came as {media!r}, not SPARQL results JSON or XML")


def check_parses(kind: str, response: httpx.Response) -> None:
    """The body is a well-formed result of the kind ``mf:expectedFormat`` names."""
    media = media_type(response.headers.get("content-type"))
    if kind == "boolean":
        boolean_result(response)
    elif kind == "tabular":
        results_format = ox.QueryResultsFormat.from_media_type(media)
        assert results_format is not None, media
        solutions = ox.parse_query_results(response.content, format=results_format)
        assert isinstance(solutions, ox.QuerySolutions), type(solutions)
        list(solutions)
    else:
        rdf_graph(response.content, media)


def rdf_graph(data: bytes | str, media: str, base: str | None = None) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=media, publicID=base)


def body_problems(expected: Expected, response: httpx.Response) -> list[str]:
    """The response's body against ``ht:body``: RDF, compared by graph isomorphism."""
    if expected.body is None:
        return []
    declared = dict(expected.headers).get("content-type", "text/turtle")
    want = rdf_graph(expected.body, media_type(declared))
    media = media_type(response.headers.get("content-type"))
    try:
        got = rdf_graph(response.content, media)
    except Exception as exc:  # rdflib raises many kinds
        return [f"the body does not parse as {media!r}: {exc}"]
    if isomorphic(want, got):
        return []
    return [
        "the body is not isomorphic to the expected graph:\n--- expected\n"
        + want.serialize(format="nt")
        + "--- got\n"
        + got.serialize(format="nt")
    ]


def response_problems(request: Request, response: httpx.Response) -> list[str]:
    """What about ``response`` differs from what the manifest expects; empty when it passes."""
    expected = request.expected
    if not expected.status_matches(response.status_code):
        return [f"status {response.status_code}, expected one of {', '.join(expected.statuses)}"]
    problems = header_problems(expected.headers, response)
    if expected.format is not None:
        media = media_type(response.headers.get("content-type"))
        if media not in EXPECTED_FORMATS[expected.format]:
            problems.append(f"a {expected.format} result came as {media!r}")
        else:
            check_parses(expected.format, response)
    if expected.boolean is not None:
        actual = boolean_result(response)
        if actual != expected.boolean:
            problems.append(f"the boolean is {actual}, expected {expected.boolean}")
    if expected.location_variable is not None and "location" not in response.headers:
        problems.append("no Location header")
    if request.method != "HEAD":
        problems += body_problems(expected, response)
    return problems


def describe(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> str:
    shown = {k: ("Bearer …" if k.lower() == "authorization" else v) for k, v in headers.items()}
    text = f"{method} {url}\n" + "".join(f"{k}: {v}\n" for k, v in shown.items())
    return text + ("\n" + body.decode("utf-8", "replace") if body else "")


def describe_response(response: httpx.Response) -> str:
    head = f"HTTP {response.status_code}\n" + "".join(
        f"{k}: {v}\n" for k, v in response.headers.items()
    )
    return head + "\n" + response.text[:2000]


def replay(test: W3CTest, client: httpx.Client, extra_headers: Mapping[str, str]) -> Iterator[str]:
    """Send the test's requests in order; yield a report for each that fails its expectations
    (and stop there: later requests depend on the earlier ones)."""
    variables: dict[str, str] = {}
    for number, request in enumerate(test.requests, start=1):
        url = substitute(target(request.path), variables)
        headers = {**dict(request.headers), **extra_headers}
        content = request.content(variables)
        response = client.request(request.method, url, headers=headers, content=content)
        problems = response_problems(request, response)
        if problems:
            yield (
                f"request {number} of {len(test.requests)}:\n"
                + describe(request.method, str(response.request.url), headers, content)
                + "\n--> "
                + describe_response(response)
                + "\n"
                + "\n".join(problems)
            )
            return
        if request.expected.location_variable is not None:
            variables[request.expected.location_variable] = as_manifest_url(
                response.headers["location"], str(client.base_url)
            )
