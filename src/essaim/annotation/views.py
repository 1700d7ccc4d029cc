"""What the annotation pages show, gathered from the public dataset (the case's text, sections
and the codebook's labels; run by the query workers like every page's data) and laid out with a
coder's annotations (``segments``: the text cut at every annotation boundary, so that the page
highlights passages without JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, cast

import pyoxigraph as ox

from essaim.annotation.model import Annotation
from essaim.namespaces import CODEBOOK, DCTERMS, ESSAIM, SKOS
from essaim.store.base import Dataset

_DOCUMENTS = f"""
SELECT ?document (SAMPLE(?t) AS ?title) WHERE {{
  ?document a <{ESSAIM}CaseDocument> ; <{ESSAIM}fullText> ?text .
  OPTIONAL {{ ?document <{DCTERMS}title> ?t }}
}} GROUP BY ?document ORDER BY ?document
"""

_DOCUMENT = f"""
SELECT ?document ?text ?title WHERE {{
  ?document a <{ESSAIM}CaseDocument> ; <{ESSAIM}fullText> ?text .
  OPTIONAL {{ ?document <{DCTERMS}title> ?title }}
}} LIMIT 1
"""

_SECTIONS = f"""
SELECT ?document ?heading ?start ?end WHERE {{
  ?section <{DCTERMS}isPartOf> ?document ; a <{ESSAIM}Section> ;
      <{ESSAIM}startOffset> ?start ; <{ESSAIM}endOffset> ?end .
  OPTIONAL {{ ?section <{ESSAIM}heading> ?heading }}
}} ORDER BY ?start
"""

_CONCEPT = f"""
SELECT ?concept ?label ?scheme WHERE {{
  ?concept <{SKOS}prefLabel> ?label .
  OPTIONAL {{ ?concept <{SKOS}inScheme> ?scheme }}
}}
"""


def case_documents(store: Dataset) -> list[dict[str, str]]:
    """Every case document with a text: its IRI and title."""
    rows = cast(ox.QuerySolutions, store.query(_DOCUMENTS))
    return [
        {"iri": _value(row["document"]), "title": _value(row["title"]) or _value(row["document"])}
        for row in rows
    ]


def document_view(store: Dataset, document: str, concepts: Sequence[str]) -> dict[str, Any] | None:
    """The document's text, title and sections, and the labels (fr, en) and scheme of each of
    ``concepts``; None when there is no such case document."""
    node = ox.NamedNode(document)
    rows = list(cast(ox.QuerySolutions, store.query(_DOCUMENT, substitutions={"document": node})))
    if not rows:
        return None
    sections = [
        {
            "heading": _value(r["heading"]),
            "start": int(_value(r["start"])),
            "end": int(_value(r["end"])),
        }
        for r in cast(ox.QuerySolutions, store.query(_SECTIONS, substitutions={"document": node}))
    ]
    labels: dict[str, dict[str, Any]] = {}
    for concept in dict.fromkeys(concepts):
        entry: dict[str, Any] = {"label": {}, "scheme": None}
        found = cast(
            ox.QuerySolutions,
            store.query(_CONCEPT, substitutions={"concept": ox.NamedNode(concept)}),
        )
        for row in found:
            label = row["label"]
            if isinstance(label, ox.Literal):
                entry["label"].setdefault(label.language or "", label.value)
            if entry["scheme"] is None and row["scheme"] is not None:
                entry["scheme"] = _value(row["scheme"])
        labels[concept] = entry
    return {
        "iri": document,
        "text": _value(rows[0]["text"]),
        "title": _value(rows[0]["title"]) or document,
        "sections": sections,
        "concepts": labels,
    }


def family(scheme: str | None) -> str:
    """The code family of a scheme (its last path segment: ``barrier``, ``impact``…), a CSS
    class name made of letters, digits and hyphens only."""
    if scheme is None or not scheme.startswith(CODEBOOK):
        return "other"
    name = scheme[len(CODEBOOK) :]
    return name if name and all(c.isalnum() or c == "-" for c in name) else "other"


@dataclass(frozen=True)
class Segment:
    """A stretch of the text and the annotations (indices) covering it."""

    text: str
    start: int
    codes: tuple[int, ...]


def segments(text: str, annotations: Sequence[Annotation]) -> list[Segment]:
    """``text`` cut at every start and end of an anchored annotation (positions in code
    points), each piece with the annotations that cover it."""
    cuts = {0, len(text)}
    spans = []
    for index, a in enumerate(annotations):
        if a.anchored and 0 <= a.start < a.end <= len(text):
            cuts.update((a.start, a.end))
            spans.append((index, a.start, a.end))
    points = sorted(cuts)
    out = []
    for left, right in pairwise(points):
        codes = tuple(i for i, s, e in spans if s <= left and right <= e)
        out.append(Segment(text[left:right], left, codes))
    return out


def _value(term: object) -> str:
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return ""


_MODES = f"""
SELECT ?mode ?label WHERE {{
  ?mode <{SKOS}inScheme> <{CODEBOOK}statement-mode> ; <{SKOS}prefLabel> ?label .
}} ORDER BY ?mode
"""


def statement_modes(store: Dataset) -> list[dict[str, Any]]:
    """The statement modes a code may carry: IRI and labels by language."""
    modes: dict[str, dict[str, str]] = {}
    for row in cast(ox.QuerySolutions, store.query(_MODES)):
        label = row["label"]
        if isinstance(label, ox.Literal):
            modes.setdefault(_value(row["mode"]), {}).setdefault(label.language or "", label.value)
    return [{"iri": iri, "label": labels} for iri, labels in modes.items()]
