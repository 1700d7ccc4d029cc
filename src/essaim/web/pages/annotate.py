"""Assignments and the annotation pages.

API (JSON; a bearer token or a signed-in session, whose writes carry the CSRF token):

- ``GET /api/assignments`` (``document``, ``coder`` filters): an editor sees every assignment,
  a coder their own queue; each with the coder's annotation count and whether it is submitted.
- ``POST /api/assignments`` (editors): ``{"document": IRI, "coders": [user name or IRI, …]}``.
- ``DELETE /api/assignments?document=&coder=`` (editors): the coder's annotations stay.
- ``POST /api/assignments/submit``: ``{"document": IRI}``, the caller submits their coding of
  the document; from then on they read the other coders' annotations on it (blind coding).
- ``GET /api/assignments/progress`` (editors): per coder and per document.

Pages (no JavaScript needed): ``/annotate`` (a coder's queue, with a submit button per
document), ``/annotate/document?iri=`` (the case text with the codes the reader may see
highlighted by family, sections in the margin), ``/assignments`` (editors: assign, progress).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from essaim.annotation import assignments as work
from essaim.annotation import decisions
from essaim.annotation.checks import case_text
from essaim.annotation.model import SUGGESTED, Annotation
from essaim.annotation.suggest import codebook_list
from essaim.annotation.views import (
    case_documents,
    document_view,
    family,
    segments,
    statement_modes,
)
from essaim.users import Role, User
from essaim.web.access import user_of, writer
from essaim.web.node import Node, node_of
from essaim.web.pages.templating import json_ld, render
from essaim.web.problems import Problem
from essaim.web.protocols.annotations import annotation_json
from essaim.web.protocols.suggestions import classifier_suggestions, decide, make_suggestions
from essaim.web.session_cookie import CSRF_FIELD, current_session

api = APIRouter(tags=["annotations"])
router = APIRouter(include_in_schema=False)


def pseudonym(iri: str) -> str:
    """A short label for a coder's pseudonymous IRI (no name: pages shown to other coders)."""
    return "coder-" + iri.rsplit("/", 1)[-1][:8]


def _editor(user: User) -> bool:
    return user.role in (Role.EDITOR, Role.ADMIN)


async def _signed_in(request: Request, node: Node) -> User:
    user = await user_of(request, node)
    if user is None:
        raise Problem(
            401,
            "annotation work is private: send a token or sign in at /login",
            headers={"WWW-Authenticate": 'Bearer realm="essaim"'},
        )
    return user


def _require_editor(user: User) -> None:
    if not _editor(user):
        raise Problem(403, f"assigning documents is for editors; {user.name} is an {user.role}")


def _iri_param(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise Problem(422, f"{field} must be an absolute http(s) IRI", extra={"field": field})
    if any(c in value for c in '<>"{}|\\^` \n\r\t') or len(value) > 2048:
        raise Problem(422, f"{field} is not a valid IRI", extra={"field": field})
    return value


async def _coder_iri(node: Node, value: object) -> str:
    users = await asyncio.to_thread(node.users.list)
    if isinstance(value, str):
        for user in users:
            if value == user.iri or value.casefold() == user.name.casefold():
                return user.iri
    shown = value[:60] if isinstance(value, str) else type(value).__name__
    raise Problem(422, f"there is no user {shown!r} on this node", extra={"field": "coders"})


async def _existing_document(node: Node, document: str) -> None:
    if await asyncio.to_thread(case_text, node.store, document) is None:
        raise Problem(
            422, f"{document} is not a case document of this node", extra={"field": "document"}
        )


def _progress_json(rows: list[work.Progress], names: dict[str, str] | None) -> list[dict[str, Any]]:
    return [
        {
            "document": p.assignment.document,
            "coder": p.assignment.coder,
            **({"name": names.get(p.assignment.coder)} if names is not None else {}),
            "assigned_by": p.assignment.assigned_by,
            "created": p.assignment.created.isoformat(),
            "submitted": p.assignment.submitted.isoformat() if p.assignment.submitted else None,
            "annotations": p.annotations,
        }
        for p in rows
    ]


async def _names(node: Node) -> dict[str, str]:
    """Users' names by IRI: for editors only (names never enter a graph)."""
    return {u.iri: u.name for u in await asyncio.to_thread(node.users.list)}


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise Problem(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise Problem(400, "the body must be a JSON object")
    return body


@api.get("/api/assignments", summary="Assignments: all (editors) or the caller's queue")
async def list_assignments(
    request: Request, document: str | None = None, coder: str | None = None
) -> Response:
    node = node_of(request)
    user = await _signed_in(request, node)
    if document is not None:
        _iri_param(document, "document")
    if not _editor(user):
        coder = user.iri
    elif coder is not None:
        coder = await _coder_iri(node, coder)
    rows = await asyncio.to_thread(work.progress, node.annotations, document=document, coder=coder)
    names = await _names(node) if _editor(user) else None
    return JSONResponse({"assignments": _progress_json(rows, names)})


@api.post("/api/assignments", summary="Assign a document to coders (editors)", status_code=201)
async def create_assignments(request: Request) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    _require_editor(user)
    body = await _json_body(request)
    document = _iri_param(body.get("document"), "document")
    coders = body.get("coders")
    if not isinstance(coders, list) or not coders:
        raise Problem(422, "coders must be a non-empty list of user names or IRIs",
                      extra={"field": "coders"})  # fmt: skip
    iris = [await _coder_iri(node, c) for c in coders]
    await _existing_document(node, document)
    made = [
        await asyncio.to_thread(work.assign, node.annotations, document, iri, user.iri)
        for iri in iris
    ]
    rows = await asyncio.to_thread(work.progress, node.annotations, document=document)
    chosen = {a.coder for a in made}
    names = await _names(node)
    return JSONResponse(
        {"assignments": _progress_json([r for r in rows if r.assignment.coder in chosen], names)},
        status_code=201,
    )


@api.delete("/api/assignments", summary="Withdraw an assignment (editors)", status_code=204)
async def delete_assignment(request: Request, document: str, coder: str) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    _require_editor(user)
    document = _iri_param(document, "document")
    iri = await _coder_iri(node, coder)
    if not await asyncio.to_thread(work.unassign, node.annotations, document, iri):
        raise Problem(404, "there is no such assignment")
    return Response(status_code=204)


@api.post("/api/assignments/submit", summary="Submit one's coding of a document")
async def submit_api(request: Request) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    body = await _json_body(request)
    document = _iri_param(body.get("document"), "document")
    await _existing_document(node, document)
    done = await asyncio.to_thread(work.submit, node.annotations, document, user.iri)
    rows = await asyncio.to_thread(
        work.progress, node.annotations, document=document, coder=user.iri
    )
    assert rows and rows[0].assignment == done
    return JSONResponse({"assignment": _progress_json(rows, None)[0]})


def progress_tables(
    rows: list[work.Progress], names: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Progress summed per coder and per document."""
    by_coder: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"assigned": 0, "submitted": 0, "annotations": 0}
    )
    by_document: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"coders": 0, "submitted": 0, "annotations": 0}
    )
    for p in rows:
        coder, document = by_coder[p.assignment.coder], by_document[p.assignment.document]
        coder["assigned"] += 1
        document["coders"] += 1
        coder["annotations"] += p.annotations
        document["annotations"] += p.annotations
        if p.submitted:
            coder["submitted"] += 1
            document["submitted"] += 1
    coders = [
        {"coder": iri, "name": names.get(iri), **counts} for iri, counts in sorted(by_coder.items())
    ]
    documents = [{"document": iri, **counts} for iri, counts in sorted(by_document.items())]
    return coders, documents


@api.get("/api/assignments/progress", summary="Progress per coder and per document (editors)")
async def progress_api(request: Request) -> Response:
    node = node_of(request)
    user = await _signed_in(request, node)
    _require_editor(user)
    rows = await asyncio.to_thread(work.progress, node.annotations)
    coders, documents = progress_tables(rows, await _names(node))
    return JSONResponse({"by_coder": coders, "by_document": documents})


# -- pages -------------------------------------------------------------------------------------


async def _page_user(request: Request, node: Node) -> User | None:
    return await user_of(request, node)


def _to_login(request: Request) -> Response:
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)


@router.get("/annotate")
async def queue_page(request: Request) -> Response:
    node = node_of(request)
    user = await _page_user(request, node)
    if user is None:
        return _to_login(request)
    rows = await asyncio.to_thread(work.progress, node.annotations, coder=user.iri)
    return render(request, "annotate_queue.html", rows=rows)


@router.post("/annotate/submit")
async def submit_form(request: Request) -> Response:
    node = node_of(request)
    form = await request.form()
    csrf = form.get(CSRF_FIELD)
    user = await writer(request, node, csrf=csrf if isinstance(csrf, str) else "")
    document = _iri_param(form.get("document"), "document")
    await _existing_document(node, document)
    await asyncio.to_thread(work.submit, node.annotations, document, user.iri)
    return RedirectResponse("/annotate", status_code=303)


@router.get("/annotate/document")
async def document_page(
    request: Request, iri: str, coder: str | None = None, concept: str | None = None
) -> Response:
    """The case text with the codes the reader may see highlighted by family, the suggester's
    suggestions apart; with the text annotator's bundle, the page also codes with JavaScript
    (``static/annotate.js``)."""
    node = node_of(request)
    user = await _page_user(request, node)
    if user is None:
        return _to_login(request)
    document = _iri_param(iri, "iri")
    submitted = await asyncio.to_thread(work.has_submitted, node.annotations, document, user.iri)
    sees_all = _editor(user) or submitted
    # one query over the private store: the reader's share and the suggestions filtered here
    everything: list[Annotation] = await asyncio.to_thread(node.annotations.list, document=document)
    visible = [a for a in everything if sees_all or a.creator == user.iri]
    shown = [a for a in visible if not decisions.is_suggestion(a)]
    if coder and sees_all:
        shown = [a for a in shown if a.creator == coder]
    if concept:
        shown = [a for a in shown if a.concept == concept]
    suggested = [a for a in everything if a.status == SUGGESTED and decisions.is_suggestion(a)]
    decided = await asyncio.to_thread(decisions.decisions_of, node.annotations, user.iri)
    wanted = tuple(sorted({a.concept for a in shown + suggested + visible}))
    # what the public store says changes only with a write: remembered until the next one
    view = await node.memo(
        ("annotate-view", document, wanted),
        lambda: node.call(document_view, document, list(wanted)),
    )
    if view is None:
        raise Problem(404, f"{document} is not a case document of this node")
    concepts = view["concepts"]
    lang = request.query_params.get("lang") or None

    def label(concept: str, language: str) -> str:
        labels = concepts.get(concept, {}).get("label", {})
        return str(labels.get(language) or labels.get("en") or labels.get("fr") or concept)

    codes = [
        {
            "annotation": a,
            "family": family(concepts.get(a.concept, {}).get("scheme")),
            "coder": pseudonym(a.creator),
            "own": a.creator == user.iri,
        }
        for a in shown
    ]
    suggestions = [
        {
            "annotation": a,
            "family": family(concepts.get(a.concept, {}).get("scheme")),
            "decision": decided.get(a.iri),
        }
        for a in suggested
    ]
    interactive = request.app.state.recogito is not None and current_session(request) is not None
    config = None
    if interactive:
        session = current_session(request)
        assert session is not None
        config = json_ld(
            {
                "document": document,
                "user": user.iri,
                "csrf": session.csrf,
                "codebook": await node.memo("annotate-codebook", lambda: node.call(codebook_list)),
                "modes": await node.memo("annotate-modes", lambda: node.call(statement_modes)),
                # the highlights to draw, as the container would list them: no request needed
                "annotations": [
                    annotation_json(request, a)
                    for a in visible
                    if a.status != SUGGESTED and a.anchored
                ],
                "pseudonyms": {a.creator: pseudonym(a.creator) for a in visible},
                "length": len(view["text"]),
            },
            compact=True,
        )
    counts = None
    if _editor(user):
        counts = await asyncio.to_thread(decisions.counts, node.annotations)
    return render(
        request,
        "annotate_document.html",
        lang=lang,
        view=view,
        codes=codes,
        suggestions=suggestions,
        segments=segments(view["text"], shown),
        label=label,
        sees_all=sees_all,
        submitted=submitted,
        coders=sorted(
            {
                pseudonym(a.creator): a.creator for a in visible if not decisions.is_suggestion(a)
            }.items()
        ),
        concept_choices=sorted({a.concept for a in visible if not decisions.is_suggestion(a)}),
        chosen_coder=coder or "",
        chosen_concept=concept or "",
        config=config,
        counts=counts,
    )


async def _form(request: Request, node: Node) -> tuple[User, Any]:
    form = await request.form()
    csrf = form.get(CSRF_FIELD)
    user = await writer(request, node, csrf=csrf if isinstance(csrf, str) else "")
    return user, form


def _back(document: str, anchor: str = "suggestions") -> Response:
    return RedirectResponse(
        "/annotate/document?iri=" + quote(document, safe="") + "#" + anchor, status_code=303
    )


@router.post("/annotate/suggest")
async def suggest_form(request: Request) -> Response:
    """Run the suggester (and the classifier, once trained) over the document's sections (any
    signed-in coder)."""
    node = node_of(request)
    _, form = await _form(request, node)
    document = _iri_param(form.get("iri"), "iri")
    await make_suggestions(node, document)
    await classifier_suggestions(node, document)
    return _back(document)


@router.post("/annotate/decide")
async def decide_form(request: Request) -> Response:
    """Accept (it becomes the coder's code) or reject a suggestion."""
    node = node_of(request)
    user, form = await _form(request, node)
    document = _iri_param(form.get("iri"), "iri")
    decision = form.get("decision")
    if decision not in ("accept", "reject"):
        raise Problem(422, "decision must be accept or reject", extra={"field": "decision"})
    mode = form.get("statementMode") or None
    await decide(node, user, form.get("suggestion"), str(decision), mode=mode)
    return _back(document)


@router.get("/assignments")
async def assignments_page(request: Request) -> Response:
    node = node_of(request)
    user = await _page_user(request, node)
    if user is None:
        return _to_login(request)
    _require_editor(user)
    rows = await asyncio.to_thread(work.progress, node.annotations)
    names = await _names(node)
    coders, documents = progress_tables(rows, names)
    return render(
        request,
        "assignments.html",
        rows=rows,
        names=names,
        by_coder=coders,
        by_document=documents,
        documents=await node.call(case_documents),
        users=await asyncio.to_thread(node.users.list),
        pseudonym=pseudonym,
    )


@router.post("/assignments")
async def assign_form(request: Request) -> Response:
    node = node_of(request)
    form = await request.form()
    csrf = form.get(CSRF_FIELD)
    user = await writer(request, node, csrf=csrf if isinstance(csrf, str) else "")
    _require_editor(user)
    document = _iri_param(form.get("document"), "document")
    await _existing_document(node, document)
    for value in form.getlist("coder"):
        iri = await _coder_iri(node, value)
        await asyncio.to_thread(work.assign, node.annotations, document, iri, user.iri)
    return RedirectResponse("/assignments", status_code=303)
