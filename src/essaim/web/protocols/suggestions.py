"""``/api/suggestions``: codes proposed by the transparent suggester
(``essaim.annotation.suggest``), stored as annotations of a software agent with status
*suggested*, and coders' decisions on them (``essaim.annotation.decisions``).

- ``POST /api/suggestions`` ``{"document": IRI, "start": n, "end": n}`` (any signed-in coder;
  without ``start``/``end``, for each of the document's sections): 201, the suggestions stored
  (new ones, or the same ones stored before), each as a Web Annotation with its ``score`` and
  ``matched`` words.
- ``POST /api/suggestions/accept`` ``{"suggestion": IRI or URL, "statementMode"?, "memo"?}``:
  201, the caller's own annotation (status coded, ``wasDerivedFrom`` the suggestion).
- ``POST /api/suggestions/reject`` ``{"suggestion": IRI or URL}``: 200.
- ``GET /api/suggestions/counts`` (editors): suggestions, acceptances and rejections per
  concept.
- ``POST /api/classifier/train`` (editors): train the classifier
  (``essaim.annotation.classifier``) on the node's agreed and adjudicated coded facts; 200 with
  the concepts learned and those left out (``untrained``: fewer passages than
  ``ESSAIM_CLASSIFIER_MIN_EXAMPLES``), 422 (field ``classifier``) when no concept has enough.
  ``GET /api/classifier`` (editors): the same summary, 404 when none was trained.

Once a classifier is trained, ``POST /api/suggestions`` also stores its proposals (creator the
classifier, status suggested) and answers ``classifier``: its summary with the concepts it does
not predict.

Refusals are 422 naming the field, as for annotations: ``suggestion`` for something that is not
a suggestion or was decided already by this coder, ``document`` for an unknown document.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from essaim import __version__
from essaim.annotation import decisions
from essaim.annotation.checks import CONTEXT_LENGTH, case_text, check_mode
from essaim.annotation.classifier import (
    CLASSIFIER,
    ClassifierError,
    Prediction,
    Trained,
    classifier_label,
    sklearn_version,
)
from essaim.annotation.jsonld import MAX_TEXT, AnnotationRefused, to_json
from essaim.annotation.model import (
    ANNOTATION_BASE,
    STATEMENT_MODE,
    SUGGESTED,
    Annotation,
    new_annotation_iri,
)
from essaim.annotation.suggest import SUGGESTER, passages, propose
from essaim.users import Role, User
from essaim.web.access import writer
from essaim.web.node import Node, node_of
from essaim.web.problems import Problem
from essaim.web.protocols.annotations import CONTAINER, _reader

router = APIRouter(tags=["annotations"])


def _refused(exc: AnnotationRefused) -> Problem:
    return Problem(422, exc.message, extra={"field": exc.field})


def _url(request: Request, annotation: Annotation) -> str:
    return str(request.base_url).rstrip("/") + CONTAINER + annotation.iri[len(ANNOTATION_BASE) :]


async def make_suggestions(
    node: Node, document: str, start: int | None = None, end: int | None = None
) -> list[tuple[Annotation, dict[str, Any]]]:
    """Run the suggester on a passage (or the document's sections) and store what it finds;
    each stored suggestion with the suggester's finding (score, matched words)."""
    case = await asyncio.to_thread(case_text, node.store, document)
    if case is None:
        raise _refused(AnnotationRefused("document", f"{document} is not a case document"))
    if start is not None and end is not None and not 0 <= start < end <= len(case.text):
        raise _refused(
            AnnotationRefused(
                "end", f"the passage {start}–{end} is not inside the text (0–{len(case.text)})"
            )
        )
    found = await node.call(propose, document, start, end)
    text = case.text
    made = [
        Annotation(
            iri=new_annotation_iri(),
            document=document,
            concept=str(f["concept"]),
            start=int(str(f["start"])),
            end=int(str(f["end"])),
            exact=text[int(str(f["start"])) : int(str(f["end"]))],
            prefix=text[max(0, int(str(f["start"])) - CONTEXT_LENGTH) : int(str(f["start"]))],
            suffix=text[int(str(f["end"])) : int(str(f["end"])) + CONTEXT_LENGTH],
            creator=SUGGESTER,
            status=SUGGESTED,
            memo=str(f["reason"]),
            initiative=case.initiative,
        )
        for f in found
    ]
    async with node.annotation_lock:
        stored = await asyncio.to_thread(
            decisions.store_suggestions, node.annotations, made, SUGGESTER, __version__
        )
    return list(zip(stored, found, strict=True))


async def classifier_suggestions(
    node: Node, document: str, start: int | None = None, end: int | None = None
) -> tuple[Trained | None, list[tuple[Annotation, Prediction]]]:
    """The trained classifier's proposals for the passage (or the document's sections), stored
    as its suggestions; (None, []) when no classifier was trained on this node."""
    trained = await asyncio.to_thread(node.classifier.current)
    if trained is None:
        return None, []
    found = await node.call(passages, document, start, end)
    if found is None:
        return trained, []
    text, spans = found
    predicted = await asyncio.to_thread(trained.predict, [text[a:b] for a, b in spans])
    case = await asyncio.to_thread(case_text, node.store, document)
    made: list[Annotation] = []
    predictions: list[Prediction] = []
    for (left, right), found_here in zip(spans, predicted, strict=True):
        for p in found_here:
            predictions.append(p)
            made.append(
                Annotation(
                    iri=new_annotation_iri(),
                    document=document,
                    concept=p.concept,
                    start=left,
                    end=right,
                    exact=text[left:right],
                    prefix=text[max(0, left - CONTEXT_LENGTH) : left],
                    suffix=text[right : right + CONTEXT_LENGTH],
                    creator=CLASSIFIER,
                    status=SUGGESTED,
                    memo=p.reason,
                    initiative=case.initiative if case is not None else None,
                )
            )
    async with node.annotation_lock:
        stored = await asyncio.to_thread(
            decisions.store_suggestions,
            node.annotations,
            made,
            CLASSIFIER,
            f"{__version__} scikit-learn {sklearn_version()}",
            classifier_label(),
        )
    return trained, list(zip(stored, predictions, strict=True))


def _body(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Problem(400, "the body must be a JSON object")
    return value


def _offset(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Problem(
            422, f"{key} must be a non-negative integer (code points)", extra={"field": key}
        )
    return value


async def _json(request: Request) -> dict[str, Any]:
    try:
        return _body(await request.json())
    except ValueError:
        raise Problem(400, "the body must be a JSON object") from None


@router.post(
    "/api/suggestions",
    summary="Suggest codes for a passage or a document's sections",
    status_code=201,
)
async def create(request: Request) -> Response:
    node = node_of(request)
    await writer(request, node)
    body = await _json(request)
    document = body.get("document")
    if not isinstance(document, str) or not document.startswith(("http://", "https://")):
        raise Problem(422, "document must be a case document's IRI", extra={"field": "document"})
    start, end = _offset(body, "start"), _offset(body, "end")
    if (start is None) != (end is None):
        raise Problem(
            422,
            "give both start and end, or neither (the document's sections)",
            extra={"field": "end" if end is None else "start"},
        )
    pairs = await make_suggestions(node, document, start, end)
    items = [
        {
            **to_json(a, _url(request, a), context=False),
            "score": f["score"],
            "matched": f["matched"],
        }
        for a, f in pairs
    ]
    answer: dict[str, Any] = {"suggester": SUGGESTER, "suggestions": items}
    trained, predicted = await classifier_suggestions(node, document, start, end)
    if trained is not None:
        answer["classifier"] = trained.summary()
        items += [
            {**to_json(a, _url(request, a), context=False), "probability": p.probability}
            for a, p in predicted
        ]
    return JSONResponse(answer, status_code=201)


async def suggestion_of(node: Node, value: object) -> Annotation:
    """The suggestion a client names by IRI or URL (422 naming ``suggestion`` otherwise)."""
    if not isinstance(value, str):
        raise _refused(AnnotationRefused("suggestion", "suggestion must be an annotation's IRI"))
    key = value.rstrip("/").rsplit("/", 1)[-1]
    found = await asyncio.to_thread(node.annotations.get, ANNOTATION_BASE + key)
    if found is None or not decisions.is_suggestion(found):
        raise _refused(AnnotationRefused("suggestion", f"there is no suggestion {value[:80]!r}"))
    return found


async def decide(
    node: Node,
    user: User,
    value: object,
    decision: str,
    *,
    mode: object = None,
    memo: object = None,
) -> Annotation | None:
    """Accept (the coder's new annotation) or reject a suggestion."""
    suggestion = await suggestion_of(node, value)
    if mode is not None:
        if not isinstance(mode, str) or not mode:
            raise _refused(AnnotationRefused("statementMode", "statementMode must be text"))
        if "/" not in mode and ":" not in mode:
            mode = STATEMENT_MODE + mode
    if memo is not None and (not isinstance(memo, str) or len(memo) > MAX_TEXT):
        raise _refused(AnnotationRefused("memo", f"memo must be text (at most {MAX_TEXT})"))
    try:
        await asyncio.to_thread(check_mode, node.store, mode)
        async with node.annotation_lock:
            if decision == "accept":
                return await asyncio.to_thread(
                    decisions.accept,
                    node.annotations,
                    suggestion,
                    user.iri,
                    mode=mode,
                    memo=memo or None,
                )
            await asyncio.to_thread(decisions.reject, node.annotations, suggestion, user.iri)
            return None
    except AnnotationRefused as exc:
        raise _refused(exc) from None


@router.post(
    "/api/suggestions/accept", summary="Accept a suggestion: it becomes your code", status_code=201
)
async def accept(request: Request) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    body = await _json(request)
    made = await decide(
        node,
        user,
        body.get("suggestion"),
        "accept",
        mode=body.get("statementMode"),
        memo=body.get("memo"),
    )
    assert made is not None
    url = _url(request, made)
    return JSONResponse(to_json(made, url), status_code=201, headers={"Location": url})


@router.post("/api/suggestions/reject", summary="Reject a suggestion")
async def reject(request: Request) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    body = await _json(request)
    suggestion = body.get("suggestion")
    await decide(node, user, suggestion, "reject")
    return JSONResponse({"suggestion": suggestion, "decision": "rejected"})


@router.get("/api/suggestions/counts", summary="Acceptances and rejections per concept (editors)")
async def counts(request: Request) -> Response:
    node = node_of(request)
    user = await _reader(request, node)
    if user.role not in (Role.EDITOR, Role.ADMIN):
        raise Problem(403, f"the suggestion counts are for editors; {user.name} is an {user.role}")
    found = await asyncio.to_thread(decisions.counts, node.annotations)
    return JSONResponse(
        {
            "suggester": SUGGESTER,
            "concepts": [{"concept": c, **n} for c, n in found.items()],
        }
    )


async def _editor(request: Request) -> User:
    node = node_of(request)
    user = await _reader(request, node)
    if user.role not in (Role.EDITOR, Role.ADMIN):
        raise Problem(403, f"the classifier is for editors; {user.name} is an {user.role}")
    return user


@router.post("/api/classifier/train", summary="Train the classifier on the coded facts (editors)")
async def train_classifier(request: Request) -> Response:
    node = node_of(request)
    await _editor(request)
    await writer(request, node)
    try:
        trained = await asyncio.to_thread(
            node.classifier.train, node.store, node.settings.server.classifier_min_examples
        )
    except ClassifierError as exc:
        raise _refused(AnnotationRefused("classifier", str(exc))) from None
    return JSONResponse(trained.summary())


@router.get("/api/classifier", summary="The trained classifier's concepts (editors)")
async def classifier_summary(request: Request) -> Response:
    node = node_of(request)
    await _editor(request)
    trained = await asyncio.to_thread(node.classifier.current)
    if trained is None:
        raise Problem(404, "no classifier was trained on this node (POST /api/classifier/train)")
    return JSONResponse(trained.summary())
