"""The API's documentation at ``/docs``: Swagger UI (the ``swagger-ui-dist`` bundle from the npm
registry, installed by ``make setup`` into the git-ignored ``.swagger-ui/``, served from this
node under ``/swagger-ui/``, never from a CDN) on the node's ``/openapi.json``, started by a
static script so that the Content-Security-Policy holds. Without the bundle, the page says how
to install it and links to the OpenAPI document. ``/redoc`` (FastAPI's other page, which
needs inline styles) leads here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from essaim.web.pages.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def docs(request: Request) -> Response:
    return render(
        request, "docs.html", swagger=request.app.state.swagger_ui is not None,
        openapi=request.app.openapi_url,
    )  # fmt: skip


@router.get("/redoc")
async def redoc() -> Response:
    return RedirectResponse("/docs", status_code=308)
