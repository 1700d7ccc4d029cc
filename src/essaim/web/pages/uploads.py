"""The graphs page's upload form: a signed-in editor or admin sends a file (Turtle, TriG,
N-Triples or JSON-LD) to replace a graph or merge into it. The write is the Graph Store
Protocol's (``graph_store.store_graph``): the user's graph scope, the SHACL contract, all or
nothing, recorded under the user's pseudonymous IRI. Success leads (303) to the graph's page;
a file that breaks the contract answers 422 with the violations listed, one that does not parse
400 naming the line, and nothing is written."""

from __future__ import annotations

import re
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from essaim.graph_upload import GraphInvalid
from essaim.loading import LoadError
from essaim.web.access import writer
from essaim.web.node import node_of
from essaim.web.pages.i18n import language_of, words
from essaim.web.pages.templating import render
from essaim.web.problems import Problem
from essaim.web.protocols.graph_store import store_graph
from essaim.web.session_cookie import CSRF_FIELD
from essaim.web.signin import error_page, field, read_form

router = APIRouter(include_in_schema=False)

#: The formats the form takes, by file extension.
FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json": ox.RdfFormat.JSON_LD,
}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def target_graph(graph_base: str, value: str) -> str:
    """The graph a form names: an absolute IRI, or a path under the node's graph base."""
    value = value.strip()
    if not value:
        raise Problem(400, "name the graph to write: an IRI, or a path under " + graph_base)
    iri = value if _SCHEME.match(value) else graph_base + value.lstrip("/")
    try:
        return ox.NamedNode(iri).value
    except ValueError:
        raise Problem(400, f"{iri[:200]!r} is not a valid IRI") from None


def file_format(upload: UploadFile) -> ox.RdfFormat:
    name = upload.filename or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    fmt = FORMATS.get(extension)
    if fmt is None:
        media = (upload.content_type or "").split(";")[0].strip().lower()
        by_type = ox.RdfFormat.from_media_type(media) if media else None
        fmt = by_type if by_type in FORMATS.values() else None
    if fmt is None:
        raise Problem(
            415,
            f"the file {name[:100]!r} is not Turtle (.ttl), TriG (.trig), N-Triples (.nt) or "
            "JSON-LD (.jsonld)",
        )
    return fmt


@router.post("/graphs/upload")
async def upload_graph(request: Request) -> Response:
    node = node_of(request)
    lang = language_of(request)
    t = words(lang)
    try:
        form = await read_form(request, max_files=1)
        try:
            user = await writer(request, node, csrf=field(form, CSRF_FIELD))
            target = target_graph(node.settings.server.graph_base, field(form, "graph"))
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Problem(400, "choose a file to upload")
            fmt = file_format(upload)
            data = await upload.read()
        finally:
            await form.close()
        merge = field(form, "mode") == "merge"
        existed, _ = await store_graph(node, user, target, data, fmt, merge)
    except GraphInvalid as exc:
        items = [
            f"{r.focus}{' — ' + r.path if r.path else ''}: {r.message(lang)}"
            for r in exc.report.results
        ]
        return render(
            request, "message.html", status=422, lang=lang, heading=t["upload_invalid"],
            message=str(exc), items=items, back="/graphs",
        )  # fmt: skip
    except LoadError as exc:
        return render(request, "message.html", status=400, lang=lang,
                      heading=t["upload_unreadable"], message=str(exc), back="/graphs")  # fmt: skip
    except Problem as exc:
        return error_page(request, exc)
    done = "merged" if merge and existed else "replaced" if existed else "created"
    return RedirectResponse(f"/graph?iri={quote(target, safe='')}&written={done}", status_code=303)
