"""``/api/annotations``: coders' annotations in the shape of the W3C Web Annotation Protocol
(https://www.w3.org/TR/annotation-protocol/), so that a client written for the standard posts
to it unchanged.

- ``POST /api/annotations/`` (the container): a Web Annotation in JSON-LD; 201 with
  ``Location`` and ``ETag``, the annotation as stored in the body.
- ``GET /api/annotations/{id}``; ``PUT`` (with ``If-Match``: 428 without, 412 when stale);
  ``DELETE``.
- ``GET /api/annotations/`` with ``document``, ``coder``, ``concept``, ``status`` filters: an
  ``AnnotationCollection`` whose first ``AnnotationPage`` is embedded (``?page=N`` for a page);
  ``Prefer`` as the protocol says: ``ldp#PreferMinimalContainer`` links the first page instead,
  ``oa#PreferContainedIRIs`` lists the annotations' IRIs instead of their descriptions.

Everyone signed in (a bearer token, or a browser session whose writes carry the CSRF token)
may code: annotator, editor, admin. A coder reads and changes their own annotations only (403
otherwise); editors and admins read everyone's (they change nobody's). Anonymous requests get
401, whatever the node's public reads: annotations are never public. The annotations live in
the node's private store (``essaim.annotation.storage``); adjudicated facts are what goes public.

Refusals are 422 problem details naming the field (``field``): a quote that is not the text at
its position, an unknown or deprecated concept, a concept of a scheme that does not code
passages, an unknown document, a malformed selector.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pyoxigraph import NamedNode
from starlette.responses import JSONResponse, Response

from essaim.annotation.assignments import has_submitted
from essaim.annotation.checks import checked
from essaim.annotation.decisions import is_suggestion
from essaim.annotation.jsonld import (
    MEDIA_TYPE,
    AnnotationRefused,
    local_context,
    parse,
    to_json,
)
from essaim.annotation.model import ANNOTATION_BASE, CODING_STATUS, SUGGESTED, Annotation
from essaim.users import USER_IRI_BASE, Role, User
from essaim.web.access import user_of, writer
from essaim.web.node import Node, node_of
from essaim.web.problems import Problem

router = APIRouter(tags=["annotations"])

CONTAINER: Final = "/api/annotations/"
#: Annotations per page of the container.
PAGE_SIZE: Final = 200
_KEY = re.compile(r"[0-9a-f]{32}")
_ANNOTATION_LINKS = (
    '<http://www.w3.org/ns/ldp#Resource>; rel="type", '
    '<http://www.w3.org/ns/oa#Annotation>; rel="type"'
)
_CONTAINER_LINKS = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="essaim"'}
_CONTAINER_ALLOW = "GET, HEAD, POST, OPTIONS"
_ANNOTATION_ALLOW = "GET, HEAD, PUT, DELETE, OPTIONS"
#: The container preferences of the protocol (``Prefer: return=representation;include="…"``).
_PREFER_MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
_PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
_PREFER_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"


def _reads_all(user: User) -> bool:
    return user.role in (Role.EDITOR, Role.ADMIN)


async def _reader(request: Request, node: Node) -> User:
    user = await user_of(request, node)
    if user is None:
        raise Problem(
            401,
            "annotations are private: send a token ('Authorization: Bearer <token>') or sign in "
            "at /login",
            headers=_CHALLENGE,
        )
    return user


def _is_agent(iri: str) -> bool:
    """A software agent's IRI (a suggester), not a coder's."""
    return not iri.startswith(USER_IRI_BASE)


def _is_iri(value: str) -> bool:
    if not value.startswith(("http://", "https://")) or len(value) > 2048:
        return False
    try:
        NamedNode(value)
    except ValueError:
        return False
    return not any(c in value for c in '<>"{}|\\^` ')


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _url(request: Request, annotation: Annotation) -> str:
    return _base(request) + CONTAINER + annotation.iri[len(ANNOTATION_BASE) :]


def annotation_json(request: Request, annotation: Annotation) -> dict[str, Any]:
    """The annotation as the container lists it (Web Annotation JSON-LD, its URL as ``id``):
    for a page that embeds what it would otherwise fetch from the container."""
    return to_json(annotation, _url(request, annotation), context=False)


def etag(annotation: Annotation) -> str:
    """A strong validator: changes with any field of the annotation."""
    return '"' + hashlib.sha256(repr(annotation).encode()).hexdigest()[:32] + '"'


def _respond(request: Request, annotation: Annotation, status: int = 200) -> Response:
    url = _url(request, annotation)
    headers = {
        "ETag": etag(annotation),
        "Link": _ANNOTATION_LINKS,
        "Allow": _ANNOTATION_ALLOW,
        "Vary": "Accept, Authorization, Cookie",
        "Cache-Control": "private, no-store",
    }
    if status == 201:
        headers["Location"] = url
    return JSONResponse(
        to_json(annotation, url), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


async def _posted(request: Request) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/ld+json", "application/json"):
        raise Problem(
            415,
            f"send the annotation as {MEDIA_TYPE} (or application/json), not {media or 'nothing'}",
        )
    body = await request.body()
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Problem(400, f"the body is not JSON: {exc}") from None


def _refused(exc: AnnotationRefused) -> Problem:
    return Problem(422, exc.message, extra={"field": exc.field})


async def _found(node: Node, key: str) -> Annotation:
    if _KEY.fullmatch(key) is None:
        raise Problem(404, f"there is no annotation {key[:40]!r}")
    annotation = await asyncio.to_thread(node.annotations.get, ANNOTATION_BASE + key)
    if annotation is None:
        raise Problem(404, f"there is no annotation {key}")
    return annotation


def _may_read(node: Node, user: User, annotation: Annotation) -> bool:
    """Own annotations; everyone's for editors; the suggester's (not a coder's); others' on a
    document the coder has submitted their coding of (blind coding until then)."""
    if annotation.creator == user.iri or _reads_all(user) or is_suggestion(annotation):
        return True
    return has_submitted(node.annotations, annotation.document, user.iri)


def _own(user: User, annotation: Annotation, verb: str) -> None:
    if annotation.creator != user.iri:
        raise Problem(
            403, f"a coder {verb} only their own annotations; this one is another coder's"
        )


@router.get("/api/annotations/context.jsonld", include_in_schema=False)
async def context() -> Response:
    """The Web Annotation JSON-LD context as essaim ships it."""
    return JSONResponse(
        local_context(),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.post("/api/annotations", include_in_schema=False)
@router.post(
    CONTAINER,
    summary="Create an annotation",
    description="A W3C Web Annotation (JSON-LD, motivation classifying, body a codebook "
    "concept, target a case document with a TextPositionSelector and a TextQuoteSelector). "
    "201 with Location and ETag; 422 names the refused field.",
    status_code=201,
)
async def create(request: Request) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    document = await _posted(request)
    try:
        posted = parse(document)
    except AnnotationRefused as exc:
        raise _refused(exc) from None
    iri = ANNOTATION_BASE + uuid.uuid4().hex
    try:
        annotation = await asyncio.to_thread(checked, node.store, posted, iri=iri, creator=user.iri)
    except AnnotationRefused as exc:
        raise _refused(exc) from None
    await asyncio.to_thread(node.annotations.put, annotation)
    return _respond(request, annotation, 201)


@router.get("/api/annotations", include_in_schema=False)
@router.head("/api/annotations", include_in_schema=False)
@router.head(CONTAINER, include_in_schema=False)
@router.get(CONTAINER, summary="List annotations")
async def container(
    request: Request,
    document: str | None = None,
    coder: str | None = None,
    concept: str | None = None,
    status: str | None = None,
    page: int | None = None,
) -> Response:
    """An AnnotationCollection (or one AnnotationPage with ``page``) of the annotations the
    caller may read, filtered by document, coder (a pseudonymous user IRI), concept and status
    (an IRI, or coded / suggested)."""
    node = node_of(request)
    user = await _reader(request, node)
    own_and_suggested = False
    if not _reads_all(user):
        submitted = document is not None and await asyncio.to_thread(
            has_submitted, node.annotations, document, user.iri
        )
        if not submitted and not (coder is not None and _is_agent(coder)):
            if coder is not None and coder != user.iri:
                raise Problem(
                    403, "blind coding: a coder reads others' annotations on a document only "
                    "after submitting their own coding of it (POST /api/assignments/submit)",
                )  # fmt: skip
            coder = user.iri
            own_and_suggested = True
    if status is not None and ":" not in status:
        status = CODING_STATUS + status
    for name, value in (("document", document), ("coder", coder), ("concept", concept),
                        ("status", status)):  # fmt: skip
        if value is not None and not _is_iri(value):
            raise Problem(400, f"the filter {name} must be an absolute http(s) IRI")
    if page is not None and page < 0:
        raise Problem(400, "page counts from 0")
    found = await asyncio.to_thread(
        node.annotations.list, document=document, creator=coder, concept=concept, status=status
    )
    if own_and_suggested and status in (None, SUGGESTED):  # the suggester's are not a coder's
        suggested = await asyncio.to_thread(
            node.annotations.list, document=document, concept=concept, status=SUGGESTED
        )
        found = sorted(
            found + [a for a in suggested if is_suggestion(a)],
            key=lambda a: (a.document, a.start, a.end, a.iri),
        )
    filters = {
        k: v
        for k, v in (
            ("document", document),
            ("coder", coder),
            ("concept", concept),
            ("status", status),
        )
        if v is not None
    }
    base = _base(request) + CONTAINER
    collection = base + ("?" + urlencode(filters) if filters else "")
    pages = max(1, -(-len(found) // PAGE_SIZE))

    def page_url(n: int) -> str:
        return base + "?" + urlencode({**filters, "page": n})

    prefer = request.headers.get("prefer", "")
    iris_only = _PREFER_IRIS in prefer and _PREFER_DESCRIPTIONS not in prefer
    minimal = _PREFER_MINIMAL in prefer

    def page_of(n: int, *, context: bool) -> dict[str, Any]:
        items = found[n * PAGE_SIZE : (n + 1) * PAGE_SIZE]
        out: dict[str, Any] = {}
        if context:
            out["@context"] = "http://www.w3.org/ns/anno.jsonld"
        out |= {
            "id": page_url(n),
            "type": "AnnotationPage",
            "partOf": {"id": collection, "total": len(found)},
            "startIndex": n * PAGE_SIZE,
            "items": [
                _url(request, a) if iris_only else to_json(a, _url(request, a), context=False)
                for a in items
            ],
        }
        if n + 1 < pages:
            out["next"] = page_url(n + 1)
        if n > 0:
            out["prev"] = page_url(n - 1)
        return out

    headers = {
        "Link": _CONTAINER_LINKS,
        "Allow": _CONTAINER_ALLOW,
        "Accept-Post": MEDIA_TYPE,
        "Vary": "Accept, Prefer, Authorization, Cookie",
        "Cache-Control": "private, no-store",
    }
    if page is not None:
        if page >= pages:
            raise Problem(404, f"there are {pages} pages (from 0)")
        body = page_of(page, context=True)
    else:
        body = {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "id": collection,
            "type": ["BasicContainer", "AnnotationCollection"],
            "total": len(found),
            "first": page_url(0) if minimal else page_of(0, context=False),
            "last": page_url(pages - 1),
        }
    return JSONResponse(body, media_type=MEDIA_TYPE, headers=headers)


@router.head(CONTAINER + "{key}", include_in_schema=False)
@router.get(CONTAINER + "{key}", summary="Read an annotation")
async def read(request: Request, key: str) -> Response:
    node = node_of(request)
    user = await _reader(request, node)
    annotation = await _found(node, key)
    if not await asyncio.to_thread(_may_read, node, user, annotation):
        raise Problem(
            403, "blind coding: this annotation is another coder's, readable once you have "
            "submitted your own coding of the document",
        )  # fmt: skip
    return _respond(request, annotation)


@router.put(CONTAINER + "{key}", summary="Replace an annotation (If-Match)")
async def update(request: Request, key: str) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    async with node.annotation_lock:
        previous = await _found(node, key)
        _own(user, previous, "changes")
        _precondition(request, previous, required=True)
        document = await _posted(request)
        try:
            posted = parse(document)
            annotation = await asyncio.to_thread(
                checked, node.store, posted, iri=previous.iri, creator=user.iri, previous=previous
            )
        except AnnotationRefused as exc:
            raise _refused(exc) from None
        await asyncio.to_thread(node.annotations.put, annotation)
    return _respond(request, annotation)


@router.delete(CONTAINER + "{key}", summary="Delete an annotation")
async def delete(request: Request, key: str) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    async with node.annotation_lock:
        annotation = await _found(node, key)
        _own(user, annotation, "deletes")
        _precondition(request, annotation, required=False)
        await asyncio.to_thread(node.annotations.delete, annotation.iri)
    return Response(status_code=204)


def _precondition(request: Request, annotation: Annotation, *, required: bool) -> None:
    given = request.headers.get("if-match")
    if given is None:
        if required:
            raise Problem(
                428, "send If-Match with the annotation's ETag (read it first), so that no "
                "change made since is overwritten"
            )  # fmt: skip
        return
    tags = [t.strip() for t in given.split(",")]
    if "*" not in tags and etag(annotation) not in tags:
        raise Problem(
            412, "the annotation changed since that ETag was read: read it again, then retry"
        )


@router.options("/api/annotations", include_in_schema=False)
@router.options(CONTAINER, include_in_schema=False)
async def container_options() -> Response:
    """What the container allows and accepts (no authentication: nothing is read)."""
    return Response(
        status_code=204,
        headers={"Allow": _CONTAINER_ALLOW, "Accept-Post": MEDIA_TYPE, "Link": _CONTAINER_LINKS},
    )


@router.options(CONTAINER + "{key}", include_in_schema=False)
async def annotation_options(key: str) -> Response:
    return Response(
        status_code=204, headers={"Allow": _ANNOTATION_ALLOW, "Link": _ANNOTATION_LINKS}
    )
