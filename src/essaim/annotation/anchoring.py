"""Re-anchoring: when a case document's text changes (its case file reloaded), each annotation
finds its passage again by its quote, helped by the prefix and suffix around it; one whose quote
is gone is flagged (``anchored`` false, its old offsets kept), never dropped. An annotation
flagged earlier anchors again when its quote comes back.

Positions are code points (Python ``str`` indices), as everywhere in essaim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from essaim.annotation.checks import CONTEXT_LENGTH, case_text
from essaim.annotation.model import Annotation
from essaim.annotation.storage import AnnotationStore
from essaim.store.base import Dataset


def reanchor(annotation: Annotation, text: str) -> Annotation:
    """The annotation anchored in ``text``: unchanged when its quote is still at its place,
    moved to the best occurrence of its quote otherwise (the one whose prefix and suffix match
    most, then the nearest), flagged when the quote occurs nowhere."""
    exact = annotation.exact
    if text[annotation.start : annotation.end] == exact:
        if annotation.anchored:
            return annotation
        return _at(annotation, text, annotation.start)
    starts = _occurrences(text, exact)
    if not starts:
        if not annotation.anchored:
            return annotation
        return annotation.with_changes(anchored=False)
    best = max(starts, key=lambda s: (_score(annotation, text, s), -abs(s - annotation.start)))
    return _at(annotation, text, best)


def _at(annotation: Annotation, text: str, start: int) -> Annotation:
    end = start + len(annotation.exact)
    return annotation.with_changes(
        start=start,
        end=end,
        prefix=text[max(0, start - CONTEXT_LENGTH) : start],
        suffix=text[end : end + CONTEXT_LENGTH],
        anchored=True,
    )


def _occurrences(text: str, exact: str) -> list[int]:
    found, at = [], text.find(exact)
    while at >= 0 and exact:
        found.append(at)
        at = text.find(exact, at + 1)
    return found


def _score(annotation: Annotation, text: str, start: int) -> int:
    """How many code points of the prefix (read backwards) and suffix match around ``start``."""
    score = 0
    before = text[max(0, start - len(annotation.prefix)) : start]
    for a, b in zip(reversed(annotation.prefix), reversed(before), strict=False):
        if a != b:
            break
        score += 1
    after = text[start + len(annotation.exact) :][: len(annotation.suffix)]
    for a, b in zip(annotation.suffix, after, strict=False):
        if a != b:
            break
        score += 1
    return score


@dataclass
class ReanchorReport:
    """What re-anchoring did, by annotation IRI."""

    moved: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    unchanged: int = 0


def reanchor_document(store: AnnotationStore, document: str, text: str) -> ReanchorReport:
    """Re-anchor every annotation of ``document`` in its new ``text``, in one write."""
    report = ReanchorReport()
    changed = []
    for annotation in store.list(document=document):
        after = reanchor(annotation, text)
        if after is annotation:
            report.unchanged += 1
            continue
        changed.append(after)
        if not after.anchored:
            report.flagged.append(after.iri)
        elif not annotation.anchored:
            report.restored.append(after.iri)
        else:
            report.moved.append(after.iri)
    store.put_all(changed)
    return report


def reanchor_all(store: AnnotationStore, dataset: Dataset) -> ReanchorReport:
    """Re-anchor the annotations of every annotated document against its text in ``dataset``
    (the public one); a document that is gone flags its annotations."""
    total = ReanchorReport()
    documents = sorted({a.document for a in store.list()})
    for document in documents:
        case = case_text(dataset, document)
        report = reanchor_document(store, document, case.text if case is not None else "")
        total.moved += report.moved
        total.flagged += report.flagged
        total.restored += report.restored
        total.unchanged += report.unchanged
    return total
