"""The canned comparative queries of ``queries/``: one API operation per file,
``GET /api/queries/<name>``, with the file's typed parameters in the OpenAPI document, results
in every SPARQL results format (and as a download); and a page per query with a form and a
results table.

Parameters are bound as RDF terms (``essaim.canned.bind``), never spliced into the text. Answers
are cached until the next write (``Node.generation``); over a remote store only when
``ESSAIM_CACHE_REMOTE`` says nobody else writes it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Optional

from fastapi import APIRouter, FastAPI, Query, Request
from starlette.responses import FileResponse, JSONResponse, Response

from essaim.canned import CannedQuery, ParameterError, bind, check_classes, in_language
from essaim.chart_specs import ChartView, build
from essaim.execution import Overloaded, QueryFailed, QueryStream, QueryTimeout
from essaim.federation.fanout import endpoints
from essaim.store.base import Term
from essaim.web.access import reader
from essaim.web.caches import BoundedCache
from essaim.web.node import Node, node_of
from essaim.web.pages import federated
from essaim.web.pages.i18n import language_of
from essaim.web.pages.pickers import parameter_form
from essaim.web.pages.tables import Table, table
from essaim.web.pages.templating import json_ld, render
from essaim.web.problems import Problem
from essaim.web.protocols.formats import BadFormat, formats_for, with_charset
from essaim.web.protocols.results import StreamedResults, run_query, time_limit

router = APIRouter(include_in_schema=False)

#: The chart's spec as ``format=`` asks for it.
VEGA_LITE = "vega-lite"
#: The Vega files the pages load, under ``/vega/``, by name.
VEGA_FILES = {
    "vega.min.js": "vega/build/vega.min.js",
    "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
}
#: Answers larger than this are not cached.
CACHE_LIMIT = 4 * 1024 * 1024
_PYTHON_TYPES: dict[str, Any] = {"integer": int, "year": int}


@dataclass
class _Cached:
    generation: int
    media_type: str
    body: bytes


class AnswerCache:
    """Canned answers until the next write, bounded by ``entries`` and ``max_bytes``."""

    def __init__(self, entries: int = 512, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.answers: BoundedCache[tuple[Any, ...], _Cached] = BoundedCache(
            entries, max_bytes, size=lambda cached: len(cached.body)
        )
        self.hits = 0

    def get(self, key: tuple[Any, ...], generation: int) -> _Cached | None:
        found = self.answers.get(key)
        if found is not None and found.generation == generation:
            self.hits += 1
            return found
        return None

    def put(self, key: tuple[Any, ...], value: _Cached) -> None:
        self.answers.put(key, value)


def _bindings(
    node: Node, query: CannedQuery, values: dict[str, str], *, check: bool = True
) -> dict[str, Term]:
    try:
        bindings = bind(query, values)
        if check:  # over the network, an IRI may name a resource of a peer only
            check_classes(node.store, query, bindings)
    except ParameterError as exc:
        raise Problem(
            422, str(exc), extra={"errors": [{"parameter": exc.parameter, "message": str(exc)}]}
        ) from None
    return bindings


async def answer(request: Request, query: CannedQuery, values: dict[str, str]) -> Response:
    node = node_of(request)
    await reader(request, node)
    import asyncio

    network = federated.scope_of(request.query_params.get("scope")) == "network"
    bindings = await asyncio.to_thread(_bindings, node, query, values, check=not network)
    format_param = request.query_params.get("format")
    if format_param == VEGA_LITE:
        return await _chart_spec(request, node, query, values, bindings)
    accept = request.headers.get("accept")
    timeout = request.query_params.get("timeout")
    download = request.query_params.get("download") not in (None, "", "0", "false")
    try:
        formats = formats_for(accept, format_param)
    except BadFormat as exc:
        raise Problem(400, str(exc)) from None
    if network:
        response = await federated.network_response(
            node, query, bindings, formats.get("solutions"), timeout_s=time_limit(node, timeout)
        )
        if download:
            response.headers["Content-Disposition"] = _attachment(
                query, response.headers["content-type"]
            )
        return response
    key = (query.name, tuple(sorted(values.items())), tuple(sorted(formats.items())), download)
    cache: AnswerCache = request.app.state.answers
    generation = node.generation
    if node.cacheable:
        cached = cache.get(key, generation)
        if cached is not None:
            return _response(cached.body, cached.media_type, query, download)
    response = await run_query(
        node, query.text, accept=accept, format_param=format_param, timeout_param=timeout,
        substitutions=bindings,
    )  # fmt: skip
    body = getattr(response, "body", None)
    if node.cacheable and isinstance(response, StreamedResults):
        response, body = await _gather(response)
    if (
        node.cacheable
        and isinstance(body, bytes)
        and len(body) <= CACHE_LIMIT
        and node.generation == generation
        and not node.writing
    ):
        media = response.headers["content-type"]
        cache.put(key, _Cached(generation, media, body))
        return _response(body, media, query, download, cache="miss")
    if download:
        response.headers["Content-Disposition"] = _attachment(
            query, response.headers["content-type"]
        )
    return response


def _rows(results: Table) -> list[dict[str, str | None]]:
    """A table's rows as the chart reads them: each column's cell text, or None."""
    return [
        {column: (cell.text if cell is not None else None)
         for column, cell in zip(results.columns, row, strict=False)}
        for row in results.rows
    ]  # fmt: skip


def chart_language(request: Request, query: CannedQuery, values: dict[str, str]) -> str:
    """The language of a chart's words: the query's language parameter (given, else its
    default), else the page's."""
    for parameter in query.parameters:
        if parameter.type == "language" and (values.get(parameter.name) or parameter.default):
            return values.get(parameter.name) or parameter.default or ""
    return language_of(request)


async def _chart_spec(
    request: Request, node: Node, query: CannedQuery, values: dict[str, str],
    bindings: dict[str, Term],
) -> Response:  # fmt: skip
    if query.chart is None:
        raise Problem(
            400,
            f"query {query.name!r} declares no chart (no '# chart:' line in its header): "
            "ask for json, xml, csv or tsv",
        )
    results = await table(
        node, query.text, limit=node.settings.server.html_rows,
        timeout_s=time_limit(node, request.query_params.get("timeout")), substitutions=bindings,
    )  # fmt: skip
    lang = chart_language(request, query, values)
    view = build(query.chart, query.title, _rows(results), lang, truncated=results.truncated)
    return JSONResponse(view.spec, headers={"Vary": "Accept-Language"})


class _Resumed:
    """A stream whose first part was read already: that part, then the rest as it comes."""

    def __init__(self, stream: QueryStream, head: bytes, rest: AsyncIterator[bytes]) -> None:
        self.kind, self.media_type, self.head = stream.kind, stream.media_type, head
        self.complete = False
        self._stream, self._rest = stream, rest

    def rest(self) -> AsyncIterator[bytes]:
        return self._rest

    async def aclose(self) -> None:
        await self._stream.aclose()


async def _gather(response: StreamedResults) -> tuple[Response, bytes | None]:
    """Read a streamed answer whole when it fits the cache (answers over the worker's first
    chunk arrive streamed); else go on streaming what remains."""
    stream = response.stream
    buffered = bytearray(stream.head)
    rest = stream.rest()
    try:
        async for chunk in rest:
            buffered += chunk
            if len(buffered) > CACHE_LIMIT:
                resumed = _Resumed(stream, bytes(buffered), rest)
                headers = {
                    k.decode(): v.decode() for k, v in response.raw_headers if k != b"content-type"
                }
                return StreamedResults(resumed, response.media_type or "", headers), None
    except (QueryTimeout, QueryFailed, Overloaded) as exc:
        raise Problem(503, str(exc), headers={"Retry-After": "10"}) from None
    media = response.media_type or ""
    return Response(bytes(buffered), media_type=media, headers={"Vary": "Accept"}), bytes(buffered)


def _attachment(query: CannedQuery, media_type: str) -> str:
    extensions = {"text/csv": "csv", "text/tab-separated-values": "tsv",
                  "application/sparql-results+xml": "srx"}  # fmt: skip
    extension = extensions.get(media_type.split(";")[0], "json")
    return f'attachment; filename="{query.name}.{extension}"'


def _response(
    body: bytes, media_type: str, query: CannedQuery, download: bool, cache: str = "hit"
) -> Response:
    headers = {"Vary": "Accept", "X-Essaim-Cache": cache}
    if download:
        headers["Content-Disposition"] = _attachment(query, media_type)
    return Response(body, media_type=with_charset(media_type.split(";")[0]), headers=headers)


def _endpoint(query: CannedQuery) -> Callable[..., Awaitable[Response]]:
    async def endpoint(request: Request, **params: Any) -> Response:
        values = {
            query.parameters[int(name[1:])].name: str(value)
            for name, value in params.items()
            if value is not None and name.startswith("p") and name[1:].isdigit()
        }
        return await answer(request, query, values)

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    ]
    for index, parameter in enumerate(query.parameters):
        kind = _PYTHON_TYPES.get(parameter.type, str)
        extra: dict[str, Any] = {}
        if parameter.type == "year":
            extra = {"ge": 1000, "le": 2999}
        elif parameter.type == "language":
            extra = {"pattern": r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"}
        description = in_language(parameter.description, "en")
        if parameter.class_iri:
            description += f" (an IRI of a {parameter.class_iri})"
        if parameter.default is not None:
            description += f" Default: {parameter.default}."
        annotation = Annotated[
            Optional[kind],  # type: ignore[valid-type]  # noqa: UP045 (a type made at run time)
            Query(alias=parameter.name, description=description, **extra),
        ]
        parameters.append(
            inspect.Parameter(
                f"p{index}",
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if parameter.required else None,
                annotation=annotation,
            )
        )
    for name, description in (
        (
            "format",
            "json, xml, csv, tsv or a media type (else the Accept header); vega-lite: "
            "the chart's Vega-Lite spec, for a query whose header declares a chart",
        ),
        ("timeout", "Seconds, at most the node's limit"),
        ("download", "Present: answer as a file to save"),
        (
            "scope",
            "node (this node, the default) or network (this node and its federation "
            "peers, merged: JSON, CSV or TSV)",
        ),
    ):
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=Annotated[str | None, Query(description=description)])
        )  # fmt: skip
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = "query_" + query.name.replace("-", "_")
    return endpoint


def add_query_routes(app: FastAPI, queries: dict[str, CannedQuery]) -> None:
    """One GET operation per canned query, its parameters typed in the OpenAPI document."""
    app.state.answers = AnswerCache()
    for query in queries.values():
        endpoint = _endpoint(query)
        app.add_api_route(
            f"/api/queries/{query.name}",
            endpoint,
            methods=["GET"],
            name=f"query_{query.name}",
            operation_id=f"query_{query.name.replace('-', '_')}",
            summary=in_language(query.title, "en"),
            description=in_language(query.description, "en"),
            tags=["Canned queries"],
            responses={200: {"description": "SPARQL results (JSON, XML, CSV, TSV)"},
                       422: {"description": "A parameter value of the wrong type, named"}},
        )  # fmt: skip


# -- pages ------------------------------------------------------------------------------------


@router.get("/api/federation/linked-actors")
async def linked_actors(request: Request) -> Response:
    """Actors of this node and its peers that are one organisation (JSON)."""
    node = node_of(request)
    await reader(request, node)
    return await federated.linked_actors(node)


@router.get("/queries")
async def query_list(request: Request) -> Response:
    node = node_of(request)
    await reader(request, node)
    queries: dict[str, CannedQuery] = request.app.state.queries
    return render(request, "queries.html", queries=list(queries.values()), in_language=in_language)


@router.get("/queries/{name}")
async def query_page(request: Request, name: str) -> Response:
    node = node_of(request)
    await reader(request, node)
    queries: dict[str, CannedQuery] = request.app.state.queries
    query = queries.get(name)
    if query is None:
        raise Problem(404, f"no canned query named {name!r}")
    lang = language_of(request)
    values = {p.name: request.query_params.get(p.name, "") for p in query.parameters}
    for parameter in query.parameters:  # labels in the page's language unless asked otherwise
        if parameter.type == "language" and not values[parameter.name]:
            values[parameter.name] = lang
    form = await parameter_form(request, node, query, values, lang)
    given = {k: v for k, v in values.items() if v}
    results = None
    error = None
    chart: ChartView | None = None
    network = None
    peers = endpoints(node.settings.server.federation_peers)
    scope = request.query_params.get("scope") or "node"
    running = "run" in request.query_params and not form.searching
    if running and scope == "network":
        try:
            network = await federated.page_answer(node, query, given, node.settings.server)
        except Problem as exc:
            error = exc.detail
    elif running and scope != "node":
        error = f"scope={scope!r}: use scope=node (this node) or scope=network"
    elif running:
        try:
            import asyncio

            bindings = await asyncio.to_thread(_bindings, node, query, given)
            results = await table(
                node, query.text, limit=node.settings.server.html_rows,
                timeout_s=time_limit(node, None), substitutions=bindings,
            )  # fmt: skip
        except Problem as exc:
            error = exc.detail
    if results is not None and query.chart is not None and results.rows:
        lang_of_chart = chart_language(request, query, given)
        chart = build(query.chart, query.title, _rows(results), lang_of_chart,
                      truncated=results.truncated)  # fmt: skip
    from urllib.parse import urlencode

    api = f"/api/queries/{query.name}"
    query_string = urlencode({**given, **({"scope": "network"} if network else {})})
    return render(
        request, "query.html", lang=lang, query=query, values=values, form=form, results=results,
        error=error,
        api=api, query_string=query_string, in_language=in_language,
        limit=node.settings.server.html_rows, chart=chart,
        chart_spec=json_ld(chart.spec) if chart is not None else None,
        vega=request.app.state.vega is not None, peers=peers, scope=scope, network=network,
    )  # fmt: skip


@router.get("/vega/{name}")
async def vega_file(request: Request, name: str) -> Response:
    """The Vega, Vega-Lite and vega-embed bundles the charts use (``make setup`` installs them
    into ``.vega/``); 404 without them."""
    folder = request.app.state.vega
    if folder is None or name not in VEGA_FILES:
        raise Problem(404, f"no chart bundle named {name!r} on this node")
    return FileResponse(folder / VEGA_FILES[name], media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip
