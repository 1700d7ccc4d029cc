"""What a coding annotation must satisfy against the public dataset: its document exists and
has a text, its quote is the text at its position, its concept is a current concept of a scheme
that codes passages (``essaim:codableOnPassage true``), its statement mode is one of the
statement-modes scheme. Each refusal names the field (:class:`AnnotationRefused`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pyoxigraph as ox

from essaim.annotation.jsonld import AnnotationRefused, Posted
from essaim.annotation.model import STATEMENT_MODE, Annotation
from essaim.namespaces import CODEBOOK, ESSAIM, OWL, SKOS
from essaim.store.base import Dataset

#: How many code points of context a quote selector keeps on each side, when the client gives
#: none (enough to find the passage again after an edit).
CONTEXT_LENGTH = 32

_DOCUMENT = f"""
PREFIX essaim: <{ESSAIM}>
SELECT ?document ?text ?initiative WHERE {{
  ?document a essaim:CaseDocument ; essaim:fullText ?text .
  OPTIONAL {{ ?initiative essaim:caseDocument ?document }}
}} LIMIT 1
"""

_CONCEPT = f"""
PREFIX skos: <{SKOS}>
PREFIX owl: <{OWL}>
PREFIX essaim: <{ESSAIM}>
SELECT ?concept ?scheme ?codable ?deprecated WHERE {{
  ?concept a skos:Concept .
  OPTIONAL {{
    ?concept skos:inScheme ?scheme
    OPTIONAL {{ ?scheme essaim:codableOnPassage ?codable }}
  }}
  OPTIONAL {{ ?concept owl:deprecated ?deprecated }}
}}
"""

_MODE = f"""
PREFIX skos: <{SKOS}>
SELECT ?mode WHERE {{ ?mode a skos:Concept ; skos:inScheme <{CODEBOOK}statement-mode> }} LIMIT 1
"""


@dataclass(frozen=True)
class CaseText:
    text: str
    initiative: str | None


def case_text(store: Dataset, document: str) -> CaseText | None:
    """The full text of a case document (and its initiative), None if there is no such
    document."""
    rows = cast(
        ox.QuerySolutions,
        store.query(_DOCUMENT, substitutions={"document": ox.NamedNode(document)}),
    )
    for row in rows:
        text, initiative = row["text"], row["initiative"]
        assert isinstance(text, ox.Literal)
        return CaseText(
            text.value, initiative.value if isinstance(initiative, ox.NamedNode) else None
        )
    return None


def check_concept(store: Dataset, concept: str) -> None:
    """Refuse (field ``body``) an unknown or deprecated concept, or one of a scheme that does
    not code passages."""
    rows = list(
        cast(
            ox.QuerySolutions,
            store.query(_CONCEPT, substitutions={"concept": ox.NamedNode(concept)}),
        )
    )
    if not rows:
        raise AnnotationRefused("body", f"the concept {concept} is not in the codebook")
    if any(_true(row["deprecated"]) for row in rows):
        raise AnnotationRefused(
            "body", f"the concept {concept} is deprecated: code with the concept replacing it"
        )
    if not any(_true(row["codable"]) for row in rows):
        schemes = sorted({row["scheme"].value for row in rows if row["scheme"] is not None})
        raise AnnotationRefused(
            "body",
            f"the concept {concept} belongs to a scheme that does not code passages "
            f"({', '.join(schemes) or 'no scheme'}: essaim:codableOnPassage is not true)",
        )


def check_mode(store: Dataset, mode: str | None) -> None:
    if mode is None:
        return
    # A list, not the solutions: the refusal's traceback must not carry a pyoxigraph object
    # (it cannot be dropped from another thread).
    found = list(
        cast(ox.QuerySolutions, store.query(_MODE, substitutions={"mode": ox.NamedNode(mode)}))
    )
    if not found:
        raise AnnotationRefused(
            "statementMode", f"{mode} is not a statement mode (a concept of {STATEMENT_MODE[:-1]})"
        )


def checked(
    store: Dataset, posted: Posted, *, iri: str, creator: str, previous: Annotation | None = None
) -> Annotation:
    """The annotation ``posted`` describes, checked against ``store`` (the public dataset);
    ``previous``: the annotation it replaces (keeps its creation time)."""
    case = case_text(store, posted.document)
    if case is None:
        raise AnnotationRefused(
            "target.source", f"{posted.document} is not a case document of this node (with a text)"
        )
    text = case.text
    if posted.end > len(text):
        raise AnnotationRefused(
            "target.selector.end",
            f"end {posted.end} is past the end of the document ({len(text)} code points)",
        )
    at = text[posted.start : posted.end]
    if posted.exact is not None and posted.exact != at:
        raise AnnotationRefused(
            "target.selector.exact",
            f"the quote is not the text at {posted.start}–{posted.end} (code points), which "
            f"reads {at[:80]!r}",
        )
    prefix = text[max(0, posted.start - CONTEXT_LENGTH) : posted.start]
    suffix = text[posted.end : posted.end + CONTEXT_LENGTH]
    if posted.prefix and text[: posted.start][-len(posted.prefix) :] != posted.prefix:
        raise AnnotationRefused(
            "target.selector.prefix", "the prefix is not the text just before the quote"
        )
    if posted.suffix and text[posted.end :][: len(posted.suffix)] != posted.suffix:
        raise AnnotationRefused(
            "target.selector.suffix", "the suffix is not the text just after the quote"
        )
    check_concept(store, posted.concept)
    check_mode(store, posted.mode)
    fields = {
        "iri": iri,
        "document": posted.document,
        "concept": posted.concept,
        "start": posted.start,
        "end": posted.end,
        "exact": at,
        "prefix": posted.prefix if posted.prefix is not None else prefix,
        "suffix": posted.suffix if posted.suffix is not None else suffix,
        "mode": posted.mode,
        "status": posted.status,
        "memo": posted.memo,
        "creator": creator,
        "initiative": case.initiative,
        "anchored": True,
    }
    if previous is not None:
        return previous.with_changes(**fields)
    return Annotation(**fields)  # type: ignore[arg-type]


def _true(term: object) -> bool:
    return isinstance(term, ox.Literal) and term.value in ("true", "1")
