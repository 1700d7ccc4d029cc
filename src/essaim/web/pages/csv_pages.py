"""CSV files in, over the web: the upload form for editors (``/import-csv``, linked from
``/graphs``) and the API operation ``POST /api/import-csv``. Both call
:func:`essaim.publishing.importer.import_csv`, as ``essaim import-csv`` does.

Editors and admins only (an editor limited to graphs may write only the batch graph under
them): a bearer token, or a signed-in session with its CSRF token. A multipart body with
``file`` (the template's CSV files, SEA standard CSV files, or a .zip of them), optional
``name`` (the batch: its graph is ``graph/csv/<name>``; default the zip's or first file's
name), ``territory`` and ``dry_run``. A refused batch answers 422 with every problem (file, row,
column, what to fix) in the request's language; nothing is written.
"""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from essaim.loading import LoadError
from essaim.publishing.importer import MAX_FILES, ImportResult, import_csv
from essaim.publishing.problems import CsvRefused
from essaim.web.access import graph_scope_check, require_editor, writer
from essaim.web.node import Node, node_of
from essaim.web.pages.i18n import language_of, words
from essaim.web.pages.templating import render
from essaim.web.problems import Problem
from essaim.web.session_cookie import CSRF_FIELD
from essaim.web.signin import error_page, field, read_form

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["ingest"])


async def _files(form: FormData) -> list[tuple[str, bytes]]:
    uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not uploads:
        raise Problem(400, "choose the CSV files (or a .zip) to import (field 'file')")
    return [(u.filename or "upload.csv", await u.read()) for u in uploads]


async def _run(request: Request, node: Node, lang: str) -> ImportResult:
    """Read the form, check the user, import; Problem for every refusal."""
    form = await read_form(request, max_files=MAX_FILES)
    try:
        user = await writer(request, node, csrf=field(form, CSRF_FIELD))
        require_editor(user, "import CSV files")
        files = await _files(form)
    finally:
        await form.close()
    dry_run = field(form, "dry_run").lower() in ("true", "1", "on", "yes")
    name = field(form, "name").strip() or PurePosixPath(files[0][0]).stem
    options: dict[str, Any] = {
        "name": name,
        "territory": field(form, "territory").strip() or None,
        "dry_run": dry_run,
        "authorise": graph_scope_check(user),
        "user": user.iri,
        "base": node.settings.server.resource_base,
        "graph_base": node.settings.server.graph_base,
    }
    try:
        if dry_run:
            return await asyncio.to_thread(import_csv, node.store, files, **options)
        return await node.write(lambda: import_csv(node.store, files, **options))
    except CsvRefused as exc:
        raise Problem(
            422, exc.summary(lang), extra={"problems": [p.to_json(lang) for p in exc.problems]}
        ) from None
    except LoadError as exc:
        raise Problem(422, str(exc)) from None


@api.post(
    "/api/import-csv",
    summary="Import initiatives from CSV files",
    description=(
        "Multipart form: `file` (the CSV template's files — initiatives.csv, actors.csv, "
        "participations.csv, actions.csv, documents.csv, coded-facts.csv — or SEA/ESSGlobal "
        "standard CSV files, or a .zip of them), optional `name` (the batch; its graph is "
        "graph/csv/NAME), `territory` (an official code such as 72, or a territory's name) and "
        "`dry_run` (true: validate and answer the Turtle, load nothing). Editors and admins: a "
        "bearer token, or a signed-in session with its CSRF token (field csrf_token). 422 lists "
        "every problem with its file, row and column, in the language asked (Accept-Language "
        "or ?lang=fr|en); nothing is written."
    ),
    status_code=201,
    responses={
        200: {"description": "Dry run: what would be loaded"},
        422: {"description": "Refused"},
    },
)
async def import_csv_api(request: Request) -> Response:
    node = node_of(request)
    lang = language_of(request)
    result = await _run(request, node, lang)
    payload = result.to_json(lang)
    if result.dry_run:
        payload["turtle"] = result.turtle
    return JSONResponse(payload, status_code=200 if result.dry_run else 201)


@router.get("/import-csv")
async def import_csv_form(request: Request) -> Response:
    return render(request, "import_csv.html", result=None, report=None)


@router.post("/import-csv")
async def import_csv_upload(request: Request) -> Response:
    node = node_of(request)
    lang = language_of(request)
    t = words(lang)
    try:
        result = await _run(request, node, lang)
    except Problem as exc:
        if exc.status != 422:
            return error_page(request, exc)
        items = [p["message"] for p in exc.extra.get("problems", [])] if exc.extra else []
        return render(
            request, "message.html", status=422, lang=lang, heading=t["csv_refused"],
            message=exc.detail, items=items, back="/import-csv",
        )  # fmt: skip
    return render(request, "import_csv.html", result=result, report=result.lines(lang))
