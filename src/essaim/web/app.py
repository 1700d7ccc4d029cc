"""The FastAPI application of ``essaim serve``: the SPARQL 1.1 Protocol, the Graph Store
Protocol, the node's descriptions and a health probe, behind a thin ASGI edge (CORS, body size
limit, problem+json for anything unexpected)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from essaim import __version__
from essaim.canned import bundled_queries
from essaim.config import Settings
from essaim.store import Dataset
from essaim.web import signin
from essaim.web.edge import Edge
from essaim.web.node import Node, node_of
from essaim.web.pages import (
    agreement_pages,
    annotate,
    canned_api,
    csv_pages,
    docs,
    editor,
    harvest_pages,
    ingest_pages,
    notebook_pages,
    pictures,
    routes,
    search_pages,
    territory_pages,
    uploads,
)
from essaim.web.pages.bundles import RECOGITO, SWAGGER_UI, VEGA
from essaim.web.pages.canned_api import add_query_routes
from essaim.web.pages.templating import ResourceBase
from essaim.web.problems import (
    Problem,
    on_http_exception,
    on_problem,
    on_unexpected,
    on_validation_error,
)
from essaim.web.protocols import annotations as annotation_api
from essaim.web.protocols import catalogue, description, graph_store, harvest, sparql
from essaim.web.protocols import suggestions as suggestion_api
from essaim.web.protocols.fast_path import FastPath
from essaim.web.session_cookie import SessionReader

STATIC = Path(__file__).parent / "pages" / "static"


def create_app(settings: Settings, store: Dataset | None = None) -> FastAPI:
    """The app for these settings; ``store`` overrides the one the settings name (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        node = Node(settings, store)
        app.state.node = node
        schedule = harvest.HarvestSchedule(node)
        app.state.harvests = schedule
        try:
            await node.start()
            schedule.start()  # ESSAIM_HARVEST
            yield
        finally:
            await schedule.stop()
            await node.close()

    app = FastAPI(
        title="essaim",
        version=__version__,
        summary=(
            "A linked-data knowledge base on social innovation in the social and solidarity economy"
        ),
        description=(
            "SPARQL 1.1 Protocol at `/sparql`, Graph Store Protocol at `/rdf-graphs`, dataset "
            "description at `/.well-known/void`, DCAT catalogue at `/catalog` (with gzipped "
            "N-Quads dumps under `/dumps/`). Reads are public unless the node is private; "
            "writes need `Authorization: Bearer <token>` (`essaim user add`), or a browser signed "
            "in at `/login` whose writes carry the session's CSRF token (`X-CSRF-Token`). "
            "Errors are `application/problem+json`."
        ),
        lifespan=lifespan,
        docs_url=None,  # essaim.web.pages.docs: Swagger UI from this node, not from a CDN
        redoc_url=None,
    )
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
    app.include_router(sparql.router)
    app.include_router(graph_store.router)
    app.include_router(annotation_api.router)
    app.include_router(suggestion_api.router)
    app.include_router(annotate.api)
    app.include_router(annotate.router)
    app.include_router(description.router)
    app.include_router(catalogue.router)
    app.include_router(harvest.router)
    app.include_router(routes.router)
    app.include_router(canned_api.router)
    app.include_router(editor.router)
    app.include_router(pictures.router)
    app.include_router(territory_pages.router)
    app.include_router(search_pages.router)
    app.include_router(docs.router)
    app.include_router(notebook_pages.router)
    app.include_router(signin.router)
    app.include_router(uploads.router)
    app.include_router(ingest_pages.router)
    app.include_router(ingest_pages.api)
    app.include_router(csv_pages.router)
    app.include_router(csv_pages.api)
    app.include_router(harvest_pages.router)
    app.include_router(agreement_pages.router)
    app.include_router(agreement_pages.api)
    app.add_middleware(SessionReader)
    app.add_middleware(ResourceBase, base=settings.server.resource_base)
    queries = bundled_queries()  # a malformed header stops the start here, naming file and line
    app.state.queries = queries
    add_query_routes(app, queries)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.yasgui = editor.yasgui_folder()
    if app.state.yasgui is not None:
        app.mount("/yasgui", StaticFiles(directory=app.state.yasgui), name="yasgui")
    app.state.recogito = RECOGITO.find()
    if app.state.recogito is not None:
        app.mount("/recogito", StaticFiles(directory=app.state.recogito), name="recogito")
    app.state.vega = VEGA.find()  # the canned queries' charts: served by canned_api.vega_file
    app.state.swagger_ui = SWAGGER_UI.find()
    if app.state.swagger_ui is not None:
        app.mount("/swagger-ui", StaticFiles(directory=app.state.swagger_ui), name="swagger-ui")

    @app.get("/healthz", tags=["Operations"])
    async def healthz(request: Request) -> Response:
        """Liveness and readiness: 200 once the store is open and the query workers run."""
        node = node_of(request)
        body: dict[str, object] = {
            "status": "ok",
            "store": node.store.kind,
            "version": __version__,
            "modified": node.modified.isoformat(),
        }
        if node.replica is not None:
            body["replica"] = node.replica.status()
        return JSONResponse(body)  # fmt: skip

    return app


def wrap(app: FastAPI, settings: Settings) -> ASGIApp:
    """The app behind its edge: what uvicorn serves."""
    server = settings.server
    return Edge(FastPath(app), origins=server.cors_origins, max_body_bytes=server.max_body_bytes)


def asgi(settings: Settings, store: Dataset | None = None) -> ASGIApp:
    return wrap(create_app(settings, store), settings)
