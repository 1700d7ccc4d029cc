"""Coding annotations in and out as W3C Web Annotation JSON-LD (compacted with the standard's
context, http://www.w3.org/ns/anno.jsonld, which ships with essaim: ``data/anno.jsonld``).

Out: ``to_json`` gives the shape of the Web Annotation Data Model (``id`` the annotation's URL
in the container, ``canonical`` its IRI, ``body`` the concept and the memo as a commenting
``TextualBody``, ``target`` a ``SpecificResource`` with a ``TextQuoteSelector`` and a
``TextPositionSelector``). essaim's own terms (statement mode, coding status, anchoring,
initiative) come in a second, inline context, so that nothing needs fetching.

In: ``parse`` reads what a client of the Web Annotation Protocol posts: the standard context by
its URL (or a list that starts with it, followed by inline contexts only); a remote context of
any other URL is refused, never fetched. A field that is missing or malformed raises
:class:`AnnotationRefused` naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, cast

import pyoxigraph as ox

from essaim.annotation.model import (
    ANNOTATION_STATUSES,
    CODING_STATUS,
    STATEMENT_MODE,
    Annotation,
)
from essaim.namespaces import ESSAIM

ANNO_CONTEXT: Final = "http://www.w3.org/ns/anno.jsonld"
_CONTEXT_URLS: Final = frozenset({ANNO_CONTEXT, "https://www.w3.org/ns/anno.jsonld"})
#: The media type of the Web Annotation Protocol.
MEDIA_TYPE: Final = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
#: essaim's terms beside the standard's, inline.
ESSAIM_CONTEXT: Final[dict[str, Any]] = {
    "essaim": ESSAIM,
    "statementMode": {"@id": "essaim:statementMode", "@type": "@id"},
    "codingStatus": {"@id": "essaim:codingStatus", "@type": "@id"},
    "anchored": {"@id": "essaim:anchored", "@type": "http://www.w3.org/2001/XMLSchema#boolean"},
    "initiative": {"@id": "essaim:initiative", "@type": "@id"},
    "wasDerivedFrom": {"@id": "http://www.w3.org/ns/prov#wasDerivedFrom", "@type": "@id"},
}
CONTEXT: Final[list[Any]] = [ANNO_CONTEXT, ESSAIM_CONTEXT]
#: Offsets of selectors that are not plausible (no case document is a gigabyte long).
_MAX_OFFSET = 1 << 30
#: The longest memo or quote accepted, in code points.
MAX_TEXT = 100_000


class AnnotationRefused(ValueError):
    """An annotation cannot be accepted: ``field`` names what is wrong (a JSON path such as
    ``target.selector.exact``), the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@cache
def local_context() -> dict[str, Any]:
    """The Web Annotation JSON-LD context as essaim ships it (a JSON object with ``@context``);
    hand it to a JSON-LD processor's document loader instead of letting it fetch the URL."""
    text = resources.files("essaim.annotation").joinpath("data/anno.jsonld").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def expanded_context(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with its ``@context`` replaced by the inline content of the shipped context
    (so that rdflib or any JSON-LD processor reads it without fetching anything)."""
    check_context(document.get("@context"))
    contexts = document["@context"]
    if not isinstance(contexts, list):
        contexts = [contexts]
    inline = [local_context()["@context"] if isinstance(c, str) else c for c in contexts]
    return {**document, "@context": inline}


def check_context(context: object) -> None:
    """Refuse a ``@context`` that is not the Web Annotation context (optionally followed by
    inline objects)."""
    items = context if isinstance(context, list) else [context]
    if not items or not isinstance(items[0], str) or items[0] not in _CONTEXT_URLS:
        raise AnnotationRefused(
            "@context", f"the @context must be the Web Annotation context, {ANNO_CONTEXT}"
        )
    for extra in items[1:]:
        if not isinstance(extra, dict):
            raise AnnotationRefused(
                "@context",
                "only inline contexts may follow the Web Annotation context: essaim fetches "
                "no remote context",
            )


def to_json(annotation: Annotation, url: str, *, context: bool = True) -> dict[str, Any]:
    """The annotation as Web Annotation JSON-LD; ``url`` is its address in the container."""
    body: list[Any] = [annotation.concept]
    if annotation.memo:
        body.append({"type": "TextualBody", "value": annotation.memo, "purpose": "commenting"})
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": annotation.exact}
    if annotation.prefix:
        quote["prefix"] = annotation.prefix
    if annotation.suffix:
        quote["suffix"] = annotation.suffix
    out: dict[str, Any] = {}
    if context:
        out["@context"] = CONTEXT
    out |= {
        "id": url,
        "type": "Annotation",
        "canonical": annotation.iri,
        "motivation": "classifying",
        "body": body[0] if len(body) == 1 else body,
        "target": {
            "type": "SpecificResource",
            "source": annotation.document,
            "selector": [
                quote,
                {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
            ],
        },
        "creator": annotation.creator,
        "created": _time(annotation),
        "modified": annotation.modified.isoformat().replace("+00:00", "Z"),
        "codingStatus": annotation.status,
        "anchored": annotation.anchored,
    }
    if annotation.mode is not None:
        out["statementMode"] = annotation.mode
    if annotation.initiative is not None:
        out["initiative"] = annotation.initiative
    if annotation.derived_from is not None:
        out["wasDerivedFrom"] = annotation.derived_from
    return out


def _time(annotation: Annotation) -> str:
    return annotation.created.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Posted:
    """What a client posted, read but not yet checked against the dataset."""

    document: str
    concept: str
    start: int
    end: int
    exact: str | None
    prefix: str | None
    suffix: str | None
    mode: str | None
    status: str
    memo: str | None


def parse(document: object) -> Posted:
    """Read a posted Web Annotation; :class:`AnnotationRefused` names the first bad field."""
    if not isinstance(document, dict):
        raise AnnotationRefused("", "the body must be a JSON object: one Web Annotation")
    check_context(document.get("@context"))
    kind = document.get("type", "Annotation")
    if kind != "Annotation" and not (isinstance(kind, list) and "Annotation" in kind):
        raise AnnotationRefused("type", "the type must be Annotation")
    motivation = document.get("motivation", "classifying")
    if motivation not in ("classifying", "oa:classifying", ["classifying"]):
        raise AnnotationRefused(
            "motivation", "a coding annotation's motivation is classifying (a codebook concept)"
        )
    concept, memo = _bodies(document.get("body"))
    source, selectors = _target(document.get("target"))
    start, end = _position(selectors)
    quote = _find(selectors, "TextQuoteSelector")
    exact = prefix = suffix = None
    if quote is not None:
        exact = _string(quote, "exact", "target.selector.exact", required=True)
        prefix = _string(quote, "prefix", "target.selector.prefix")
        suffix = _string(quote, "suffix", "target.selector.suffix")
    return Posted(
        document=source,
        concept=concept,
        start=start,
        end=end,
        exact=exact,
        prefix=prefix,
        suffix=suffix,
        mode=_mode(document),
        status=_status(document),
        memo=memo,
    )


def _iri(value: object, field: str) -> str:
    if isinstance(value, dict):
        value = value.get("id", value.get("source"))
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise AnnotationRefused(field, f"{field} must be an absolute http(s) IRI")
    if any(c in value for c in '<>"{}|\\^` \n\r\t') or len(value) > 2048:
        raise AnnotationRefused(field, f"{field} is not a valid IRI")
    try:
        ox.NamedNode(value)
    except ValueError:
        raise AnnotationRefused(field, f"{field} is not a valid IRI") from None
    return value


def _bodies(body: object) -> tuple[str, str | None]:
    items = body if isinstance(body, list) else [body]
    concepts: list[str] = []
    memos: list[str] = []
    for item in items:
        if isinstance(item, dict) and (
            item.get("type") == "TextualBody" or ("value" in item and "id" not in item)
        ):
            value = item.get("value")
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                raise AnnotationRefused(
                    "body.value",
                    f"a memo is a TextualBody whose value is text (at most {MAX_TEXT})",
                )
            memos.append(value)
        elif item is not None:
            concepts.append(_iri(item, "body"))
    if len(concepts) != 1:
        raise AnnotationRefused(
            "body", "a coding annotation has exactly one body that is a codebook concept's IRI"
        )
    if len(memos) > 1:
        raise AnnotationRefused("body.value", "a coding annotation has at most one memo")
    return concepts[0], memos[0] if memos else None


def _target(target: object) -> tuple[str, list[Mapping[str, Any]]]:
    if isinstance(target, list):
        if len(target) != 1:
            raise AnnotationRefused("target", "a coding annotation has exactly one target")
        target = target[0]
    if not isinstance(target, dict):
        raise AnnotationRefused(
            "target", "the target must be a SpecificResource: a source and its selectors"
        )
    source = _iri(target.get("source"), "target.source")
    selectors = target.get("selector")
    items = selectors if isinstance(selectors, list) else [selectors]
    if not all(isinstance(s, dict) for s in items):
        raise AnnotationRefused("target.selector", "each selector must be a JSON object")
    return source, cast(list[Mapping[str, Any]], items)


def _find(selectors: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    found = [s for s in selectors if s.get("type") == kind]
    if len(found) > 1:
        raise AnnotationRefused("target.selector", f"give at most one {kind}")
    return found[0] if found else None


def _position(selectors: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    position = _find(selectors, "TextPositionSelector")
    if position is None:
        raise AnnotationRefused(
            "target.selector", "a TextPositionSelector (start, end in code points) is required"
        )
    bounds = []
    for key in ("start", "end"):
        value = position.get(key)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_OFFSET:
            raise AnnotationRefused(
                f"target.selector.{key}", f"{key} must be a non-negative integer"
            )
        bounds.append(value)
    start, end = bounds
    if end <= start:
        raise AnnotationRefused("target.selector.end", "end must be greater than start")
    return start, end


def _string(
    selector: Mapping[str, Any], key: str, field: str, *, required: bool = False
) -> str | None:
    value = selector.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT or (required and not value):
        raise AnnotationRefused(field, f"{key} must be text (at most {MAX_TEXT} characters)")
    return value


def _mode(document: Mapping[str, Any]) -> str | None:
    value = document.get("statementMode", document.get(ESSAIM + "statementMode"))
    if value is None:
        return None
    if isinstance(value, str) and "/" not in value and ":" not in value:
        value = STATEMENT_MODE + value
    return _iri(value, "statementMode")


def _status(document: Mapping[str, Any]) -> str:
    value = document.get("codingStatus", document.get(ESSAIM + "codingStatus", "coded"))
    if isinstance(value, str) and "/" not in value and ":" not in value:
        value = CODING_STATUS + value
    if value not in ANNOTATION_STATUSES:
        raise AnnotationRefused(
            "codingStatus", "an annotation's coding status is coded or suggested"
        )
    return str(value)
