"""One query sent to every peer at once, each within its own time limit.

pyoxigraph's ``SERVICE`` calls its endpoints one after another and has no time limit of its own
(a peer that accepts the connection and never answers held a query over 75 s), so a federated
canned query is not a ``SERVICE`` query: essaim sends the query itself to each peer in parallel
(``httpx`` async, the SPARQL 1.1 Protocol: a ``POST`` of ``application/sparql-query`` asking
for ``application/sparql-results+json``), its parameters as a ``VALUES`` block as the remote store
sends them (:func:`essaim.store.values_clause.bind_values`), and waits for each peer at most
``timeout_s`` — connecting, sending, waiting and reading together. A peer that is down, slow,
answers an error or something that is not SPARQL JSON results is reported with the reason; the
others' rows answer. Redirects are not followed (a peer is the IRI on the allow-list).

Peers are the entries of ``ESSAIM_FEDERATION_PEERS`` that name an endpoint: an entry ending with
``/`` allows ``SERVICE`` calls under it but names no endpoint, so no fan-out goes to it.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import httpx
import pyoxigraph as ox

from essaim.namespaces import CODEBOOK, SKOS
from essaim.store.base import Term
from essaim.store.values_clause import VARIABLE_NAME, bind_values

#: The answer a peer may send, at most (bytes): more is reported as invalid.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: Connecting to a peer takes at most this (seconds), within its time limit.
CONNECT_TIMEOUT_S = 3.0
_REASON_LIMIT = 200
JSON_RESULTS = "application/sparql-results+json"

#: The links by which a node's own concepts (its codebook extension) point to the shared
#: codebook: each edge from a concept outside the shared codebook (:mod:`essaim.federation.merge`
#: follows them to roll counts up).
LINKS_QUERY = f"""PREFIX skos: <{SKOS}>
SELECT DISTINCT ?concept ?relation ?target WHERE {{
  VALUES ?relation {{ skos:exactMatch skos:closeMatch skos:broader }}
  ?concept ?relation ?target .
  FILTER (isIRI(?concept) && isIRI(?target) && !STRSTARTS(STR(?concept), "{CODEBOOK}"))
}}
LIMIT 100000"""


#: A term as SPARQL 1.1 JSON results write it: ``type``, ``value``, ``xml:lang`` or ``datatype``.
Binding: TypeAlias = dict[str, str]
#: A row of an answer: the terms bound, by variable name.
Row: TypeAlias = dict[str, Binding]


class InvalidAnswer(ValueError):
    """What a node sent is not SPARQL JSON results of a SELECT query."""


@dataclass(frozen=True)
class Answer:
    """What one node answered: ``status`` is ``ok``, ``unreachable`` (no connection),
    ``timeout`` (no whole answer within the limit), ``error`` (an HTTP error status) or
    ``invalid`` (not SELECT results); ``reason`` says more when it is not ``ok``."""

    node: str
    status: str
    reason: str = ""
    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    #: The node's concept links (concept, relation IRI, target), when asked for.
    links: tuple[tuple[str, str, str], ...] = ()
    seconds: float = 0.0
    endpoint: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def endpoints(peers: Sequence[str]) -> tuple[str, ...]:
    """The allow-list's entries that name an endpoint (not a prefix ending with ``/``).

    >>> endpoints(("https://a.example/sparql", "https://b.example/", "http://c.example/query"))
    ('https://a.example/sparql', 'http://c.example/query')
    """
    return tuple(peer for peer in peers if not peer.endswith("/"))


def solutions(body: bytes) -> tuple[tuple[str, ...], tuple[Row, ...]]:
    """The variables and rows of SPARQL 1.1 JSON results, each term kept as the JSON object
    that writes it (only its ``type``, ``value`` and ``xml:lang`` or ``datatype``; the old
    ``typed-literal`` read as ``literal``); :class:`InvalidAnswer` otherwise. Read with the
    standard library's JSON parser: building pyoxigraph terms for every cell took 0.3 s for 700
    rows of ten columns, and a merged answer is written back as JSON.

    >>> row = b'{"n":{"type":"literal","value":"1","datatype":"http://x/int","extra":"dropped"}}'
    >>> solutions(b'{"head":{"vars":["n"]},"results":{"bindings":[' + row + b']}}')
    (('n',), ({'n': {'type': 'literal', 'value': '1', 'datatype': 'http://x/int'}},))
    >>> solutions(b'{"head":{},"boolean":true}')
    Traceback (most recent call last):
    ...
    essaim.federation.fanout.InvalidAnswer: a boolean, not rows: the query must be a SELECT
    """
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidAnswer(f"not SPARQL JSON results: {_short(str(exc))}") from None
    if isinstance(document, dict) and "boolean" in document:
        raise InvalidAnswer("a boolean, not rows: the query must be a SELECT")
    head = document.get("head") if isinstance(document, dict) else None
    results = document.get("results") if isinstance(document, dict) else None
    names = head.get("vars") if isinstance(head, dict) else None
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(names, list) or not isinstance(bindings, list):
        raise InvalidAnswer("not SPARQL JSON results: no head.vars and results.bindings")
    for name in names:
        if not isinstance(name, str) or VARIABLE_NAME.fullmatch(name) is None:
            raise InvalidAnswer(f"not SPARQL JSON results: {_short(repr(name))} is not a variable")
    variables = tuple(names)
    known = set(variables)
    for binding in bindings:
        if not isinstance(binding, dict):
            raise InvalidAnswer("not SPARQL JSON results: a row that is not an object")
        for name, term in binding.items():  # each row kept, its terms replaced where needed
            if name not in known:
                raise InvalidAnswer(f"not SPARQL JSON results: ?{_short(name)} is not in head.vars")
            if not _plain(term):
                binding[name] = _checked(term)
    return variables, tuple(bindings)


#: A term kept as it is when it has these keys in this order (as pyoxigraph writes them), the
#: type one of these, and text values; any other is rewritten by :func:`_checked`.
_PLAIN: dict[tuple[str, ...], tuple[str, ...]] = {
    ("type", "value"): ("uri", "literal", "bnode"),
    ("type", "value", "datatype"): ("literal",),
    ("type", "value", "xml:lang"): ("literal",),
}


def _plain(term: object) -> bool:
    if type(term) is not dict:
        return False
    keys = tuple(term)
    kinds = _PLAIN.get(keys)
    return (
        kinds is not None
        and term["type"] in kinds
        and type(term["value"]) is str
        and (len(keys) == 2 or type(term[keys[2]]) is str)
    )


def _checked(term: object) -> Binding:
    if not isinstance(term, dict) or not isinstance(term.get("value"), str):
        raise InvalidAnswer("not SPARQL JSON results: a term without a value")
    kind = term.get("type")
    if kind == "typed-literal":
        kind = "literal"
    if kind not in ("uri", "literal", "bnode"):
        raise InvalidAnswer(f"not SPARQL JSON results: a term of type {_short(repr(kind))}")
    out: Binding = {"type": kind, "value": term["value"]}
    if kind == "literal":
        for key in ("xml:lang", "datatype"):
            if isinstance(term.get(key), str):
                out[key] = term[key]
                break
    return out


def term_of(binding: Binding) -> Term:
    """The pyoxigraph term a JSON term writes (a literal of its text when it is not a valid
    IRI or blank node)."""
    value = binding["value"]
    try:
        if binding["type"] == "uri":
            return ox.NamedNode(value)
        if binding["type"] == "bnode":
            return ox.BlankNode(value)
        if "xml:lang" in binding:
            return ox.Literal(value, language=binding["xml:lang"])
        if "datatype" in binding:
            return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    except ValueError:
        pass
    return ox.Literal(value)


def links_of(rows: Sequence[Row]) -> tuple[tuple[str, str, str], ...]:
    """The (concept, relation, target) IRIs of :data:`LINKS_QUERY`'s rows."""
    found = []
    for row in rows:
        terms = [row.get(name) for name in ("concept", "relation", "target")]
        if all(t is not None and t["type"] == "uri" for t in terms):
            found.append(tuple(t["value"] for t in terms if t is not None))
    return tuple((c, r, t) for c, r, t in found)


async def fan_out(
    peers: Sequence[str],
    query: str,
    substitutions: Mapping[str, Term] | None = None,
    *,
    timeout_s: float,
    links: bool = False,
    client: httpx.AsyncClient | None = None,
) -> list[Answer]:
    """Every peer's answer to ``query`` (its parameters bound by a ``VALUES`` block), in the
    order of ``peers``; with ``links``, each peer's concept links too (:data:`LINKS_QUERY`, sent
    alongside, within the same limit). Never raises for a peer: its answer says what failed.
    ``client``: the HTTP client to send with (default: :func:`shared_client`)."""
    return list(
        await asyncio.gather(
            *asking(peers, query, substitutions, timeout_s=timeout_s, links=links, client=client)
        )
    )


def asking(
    peers: Sequence[str],
    query: str,
    substitutions: Mapping[str, Term] | None = None,
    *,
    timeout_s: float,
    links: bool = False,
    client: httpx.AsyncClient | None = None,
) -> list[Coroutine[None, None, Answer]]:
    """:func:`fan_out`'s questions, one per peer, not yet awaited: to handle each answer as it
    arrives (``asyncio.gather`` them, each wrapped)."""
    text = bind_values(query, dict(substitutions or {}))
    sender = client or shared_client()
    return [_ask(sender, peer, text, timeout_s, links) for peer in endpoints(peers)]


#: One client per event loop: making one costs more than a small query (its TLS context,
#: about 0.1 s here), and its connections to the peers are kept alive between queries.
_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def shared_client() -> httpx.AsyncClient:
    """The fan-out's HTTP client for the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        _CLIENTS[loop] = client
    return client


async def _ask(
    client: httpx.AsyncClient, endpoint: str, text: str, timeout_s: float, links: bool
) -> Answer:
    started = time.perf_counter()
    timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))

    def failed(status: str, reason: str) -> Answer:
        return Answer(
            endpoint, status, reason, seconds=time.perf_counter() - started, endpoint=endpoint
        )

    try:
        async with asyncio.timeout(timeout_s):
            if links:
                body, link_body = await asyncio.gather(
                    _post(client, endpoint, text, timeout),
                    _post(client, endpoint, LINKS_QUERY, timeout),
                )
            else:
                body, link_body = await _post(client, endpoint, text, timeout), None
            variables, rows = await asyncio.to_thread(solutions, body)
            link_rows = (await asyncio.to_thread(solutions, link_body))[1] if link_body else ()
    except TimeoutError:
        return failed("timeout", f"no whole answer within {timeout_s:g} s")
    except httpx.TimeoutException:
        return failed("timeout", f"no whole answer within {timeout_s:g} s")
    except httpx.ConnectError as exc:
        return failed("unreachable", f"cannot connect: {_short(str(exc)) or type(exc).__name__}")
    except httpx.TransportError as exc:
        return failed("unreachable", f"{type(exc).__name__}: {_short(str(exc))}")
    except _HttpError as exc:
        return failed("error", str(exc))
    except InvalidAnswer as exc:
        return failed("invalid", str(exc))
    return Answer(
        endpoint,
        "ok",
        variables=variables,
        rows=rows,
        links=links_of(link_rows),
        seconds=time.perf_counter() - started,
        endpoint=endpoint,
    )


class _HttpError(Exception):
    pass


async def _post(
    client: httpx.AsyncClient, endpoint: str, text: str, timeout: httpx.Timeout
) -> bytes:
    headers = {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}
    async with client.stream(
        "POST", endpoint, content=text.encode(), headers=headers, timeout=timeout
    ) as reply:
        body = bytearray()
        async for chunk in reply.aiter_bytes():
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise InvalidAnswer(f"an answer over {MAX_ANSWER_BYTES // (1024 * 1024)} MB")
        if reply.status_code != 200:
            detail = _short(body.decode("utf-8", "replace").strip())
            raise _HttpError(f"HTTP {reply.status_code}" + (f": {detail}" if detail else ""))
        media = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in (JSON_RESULTS, "application/json"):
            raise InvalidAnswer(f"answered {media or 'no content type'}, not {JSON_RESULTS}")
        return bytes(body)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"
