"""Case documents in, over the web: the upload form for editors (``/ingest``, linked from
``/graphs``) and the API operation ``POST /api/ingest``. Both call
:func:`essaim.ingest.ingester.ingest`, as ``essaim ingest`` does.

Editors and admins only (an editor limited to graphs may write only case graphs under them):
a bearer token, or a signed-in session with its CSRF token. A multipart body with ``file``
(one or more case documents: .txt, .md, .docx), optional ``template``, ``territory`` and
``dry_run`` (``true``: nothing is loaded; the API answers the Turtle too). A refused document
answers 422 with one sentence naming the problem (and the contract's violations when the graph
would break it); nothing is written.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from essaim.ingest.ingester import IngestResult, ingest
from essaim.ingest.readers import IngestError
from essaim.ingest.templates import TemplateError, bundled_templates, templates_dir
from essaim.loading import LoadError, SourceInvalid
from essaim.web.access import graph_scope_check, require_editor, writer
from essaim.web.node import Node, node_of
from essaim.web.pages.i18n import language_of, words
from essaim.web.pages.templating import render
from essaim.web.problems import Problem
from essaim.web.session_cookie import CSRF_FIELD
from essaim.web.signin import error_page, field, read_form

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["ingest"])

#: Files one request may carry.
MAX_FILES = 20


async def _files(form: FormData) -> list[tuple[str, bytes]]:
    uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not uploads:
        raise Problem(400, "choose a case document to ingest (field 'file')")
    return [(u.filename or "document.txt", await u.read()) for u in uploads]


async def _run(request: Request, node: Node) -> tuple[IngestResult, bool]:
    """Read the form, check the user, ingest; Problem for every refusal."""
    form = await read_form(request, max_files=MAX_FILES)
    try:
        user = await writer(request, node, csrf=field(form, CSRF_FIELD))
        require_editor(user, "ingest case documents")
        files = await _files(form)
    finally:
        await form.close()
    dry_run = field(form, "dry_run").lower() in ("true", "1", "on", "yes")
    template = field(form, "template").strip() or None
    templates = bundled_templates()
    if template is not None and template not in templates:  # a name, never a path on the node
        known = ", ".join(sorted(templates))
        raise Problem(422, f"no template is named {template!r} (known: {known})")
    options: dict[str, Any] = {
        "template": template,
        "territory": field(form, "territory").strip() or None,
        "dry_run": dry_run,
        "authorise": graph_scope_check(user),
        "user": user.iri,
        "base": node.settings.server.resource_base,
        "graph_base": node.settings.server.graph_base,
    }
    try:
        if dry_run:
            result = await asyncio.to_thread(ingest, node.store, files, **options)
        else:
            result = await node.write(lambda: ingest(node.store, files, **options))
    except SourceInvalid as exc:
        violations = [
            f"{r.focus}{' — ' + r.path if r.path else ''}: {r.message('en')}"
            for report in exc.reports.values()
            for r in report.results
        ]
        raise Problem(422, str(exc), extra={"violations": violations}) from None
    except (IngestError, TemplateError, LoadError) as exc:
        raise Problem(422, str(exc)) from None
    return result, dry_run


def _payload(result: IngestResult) -> dict[str, Any]:
    cases = []
    for case in result.cases:
        entry = case.to_json()
        if result.dry_run:
            entry["turtle"] = case.turtle
        cases.append(entry)
    return {
        "dry_run": result.dry_run,
        "cases": cases,
        "loaded": [
            {"graph": o.graph, "status": o.status, "triples": o.triples} for o in result.loaded
        ],
        "validation": {
            name: {"conforms": r.conforms, "violations": len(r.results)}
            for name, r in result.reports.items()
        },
    }


#: The media types a case document may be sent as (the reader goes by the file name's suffix).
DOCUMENT_TYPES = (
    "text/plain, text/markdown, "
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document, "
    "application/octet-stream"
)

#: ``POST /api/ingest``'s body as the OpenAPI document describes it (the route reads the
#: multipart form itself, so that the CSRF token and the user are checked before any file is).
INGEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "minItems": 1,
                        "maxItems": MAX_FILES,
                        "description": (
                            "One or more case documents (repeat the field): .txt or .md "
                            "(UTF-8), or .docx; the file name's suffix says which, and its stem "
                            "names the case's graph (graph/ingested/{slug})."
                        ),
                    },
                    "template": {
                        "type": "string",
                        "enum": sorted(p.stem for p in templates_dir().glob("*.toml")),
                        "description": (
                            "A template of kb/templates/ by name; absent or empty: the "
                            "template that fits the document best."
                        ),
                    },
                    "territory": {
                        "type": "string",
                        "description": (
                            "The case's territory: an official code such as 72, or the last "
                            "part of a territory's IRI (sarthe); needed when the template "
                            "names no territory."
                        ),
                        "examples": ["72"],
                    },
                    "dry_run": {
                        "type": "boolean",
                        "default": False,
                        "description": (
                            "true: validate and answer the report with each case's Turtle; "
                            "nothing is loaded."
                        ),
                    },
                    CSRF_FIELD: {
                        "type": "string",
                        "description": (
                            "The session's CSRF token, when signed in with a browser session "
                            "rather than a bearer token."
                        ),
                    },
                },
            },
            "encoding": {"file": {"contentType": DOCUMENT_TYPES}},
        }
    },
}

_PROBLEM: dict[str, Any] = {"application/problem+json": {"schema": {"type": "object"}}}


@api.post(
    "/api/ingest",
    summary="Ingest case documents",
    description=(
        "A multipart/form-data body: `file` (one or more case documents: .txt, .md or .docx), "
        "optional `template`, `territory` and `dry_run` (see the request body's schema). "
        "Editors and admins: a bearer token, or a signed-in session with its CSRF token (field "
        "csrf_token). A refusal names the problem; nothing is written."
    ),
    status_code=201,
    openapi_extra={"requestBody": INGEST_BODY},
    responses={
        200: {"description": "Dry run: what would be loaded, with each case's Turtle"},
        201: {"description": "Loaded: one graph per case, and the report"},
        400: {"description": "No file in the field 'file'", "content": _PROBLEM},
        401: {"description": "No valid token or session", "content": _PROBLEM},
        403: {"description": "Not an editor or admin, or not this user's graphs",
              "content": _PROBLEM},
        413: {"description": "The form is too large", "content": _PROBLEM},
        422: {"description": "Refused (the sentence, and the contract's violations)",
              "content": _PROBLEM},
    },
)  # fmt: skip
async def ingest_api(request: Request) -> Response:
    node = node_of(request)
    result, dry_run = await _run(request, node)
    status = 200 if dry_run else 201
    return JSONResponse(_payload(result), status_code=status)


@router.get("/ingest")
async def ingest_form(request: Request) -> Response:
    return render(
        request, "ingest.html", templates=sorted(bundled_templates()), report=None, result=None
    )


@router.post("/ingest")
async def ingest_upload(request: Request) -> Response:
    node = node_of(request)
    lang = language_of(request)
    t = words(lang)
    try:
        result, _dry_run = await _run(request, node)
    except Problem as exc:
        if exc.status != 422:
            return error_page(request, exc)
        items = exc.extra.get("violations", []) if exc.extra else []
        return render(
            request, "message.html", status=422, lang=lang, heading=t["ingest_refused"],
            message=exc.detail, items=items, back="/ingest",
        )  # fmt: skip
    return render(
        request, "ingest.html", templates=sorted(bundled_templates()), result=result,
        report=[line for case in result.cases for line in case.lines()],
    )  # fmt: skip
