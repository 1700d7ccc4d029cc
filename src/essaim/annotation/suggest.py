"""A transparent code suggester: it proposes codebook concepts for a passage from the words the
passage shares with each concept's labels, altLabels and definitions, in French and English,
and says which words matched (the reason) and how much each weighed (the score).

Matching is on tokens, accent- and case-insensitive (``Bénévoles`` matches ``benevole``): each
token is folded (NFKD, combining marks dropped, casefolded) and cut to its first
:data:`STEM` letters, a crude stem that lets plurals and close forms meet; stop words and
tokens shorter than three letters are ignored. A concept scores, for each distinct stem of the
passage, :data:`LABEL_WEIGHT` when the stem is in one of its labels (prefLabel or altLabel,
either language), else :data:`DEFINITION_WEIGHT` when it is in its definition; a whole label
found in the passage adds :data:`PHRASE_WEIGHT`. Stems that many concepts share weigh less
(divided by the number of concepts whose labels hold them). Concepts of schemes that code
passages only (``essaim:codableOnPassage true``), never deprecated ones.

Suggestions are stored as annotations whose creator is the suggester (:data:`SUGGESTER`, a
``prov:SoftwareAgent`` of this essaim version) and whose status is *suggested*; their memo
says the score and the matched words. They are never coded facts: a coder accepts one (a new
annotation of theirs, status *coded*, ``prov:wasDerivedFrom`` the suggestion) or rejects it
(``essaim.annotation.decisions``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, cast

import pyoxigraph as ox

from essaim import __version__
from essaim.namespaces import ESSAIM, OWL, SKOS, SOFTWARE
from essaim.store.base import Dataset

#: The suggester's IRI: a software agent of this essaim version (its annotations' creator).
SUGGESTER: Final = f"{SOFTWARE}/{__version__}/suggester"
SUGGESTER_LABEL: Final = f"essaim {__version__} label suggester"
#: Letters kept of each folded token.
STEM: Final = 6
LABEL_WEIGHT: Final = 1.0
DEFINITION_WEIGHT: Final = 0.3
PHRASE_WEIGHT: Final = 2.0
#: The lowest score a suggestion needs, and how many a passage gets at most.
MIN_SCORE: Final = 1.0
LIMIT: Final = 5

_STOP_TEXT = """
les des une est sont pour par dans sur avec sans que qui quoi dont leur leurs ses son aux ces
cet cette mais plus moins tres entre comme ont ete etre fait faire elle elles ils nous vous tout
tous toute toutes meme autre autres peu bien aussi ainsi lors vers chez the and for are was were
with without that this these those their from into onto than then they them its has have had
not but all any can may more most such other which when what where who whom how also very well
between over under about
"""
#: Folded words that say nothing of a code (French and English).
STOP_WORDS: Final = frozenset(_STOP_TEXT.split())

_TOKEN = re.compile(r"\w+")

_CONCEPTS = f"""
PREFIX skos: <{SKOS}>
PREFIX essaim: <{ESSAIM}>
PREFIX owl: <{OWL}>
SELECT ?concept ?scheme ?kind ?text WHERE {{
  ?scheme essaim:codableOnPassage true .
  ?concept a skos:Concept ; skos:inScheme ?scheme .
  FILTER NOT EXISTS {{ ?concept owl:deprecated true }}
  {{ ?concept skos:prefLabel ?text BIND("label" AS ?kind) }}
  UNION {{ ?concept skos:altLabel ?text BIND("label" AS ?kind) }}
  UNION {{ ?concept skos:definition ?text BIND("definition" AS ?kind) }}
}}
"""


def fold(word: str) -> str:
    """``word`` without accents, casefolded.

    >>> fold("Bénévoles")
    'benevoles'
    """
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def stems(text: str) -> list[tuple[str, str]]:
    """The (stem, word as written) of each meaningful token of ``text``.

    >>> stems("Le manque de Bénévoles")
    [('manque', 'manque'), ('benevo', 'Bénévoles')]
    """
    out = []
    for match in _TOKEN.finditer(text.replace("’", " ").replace("'", " ")):
        word = match.group()
        folded = fold(word)
        if len(folded) < 3 or folded in STOP_WORDS or folded.isdigit():
            continue
        out.append((folded[:STEM], word))
    return out


@dataclass
class ConceptTerms:
    """What the suggester knows of one concept: its scheme, labels' stems and phrases,
    definitions' stems."""

    concept: str
    scheme: str
    labels: set[str] = field(default_factory=set)
    phrases: set[tuple[str, ...]] = field(default_factory=set)
    definition: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Suggestion:
    concept: str
    scheme: str
    score: float
    matched: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The memo stored with the suggestion: why it was made."""
        return f"suggested (score {self.score:.2f}): matched {', '.join(self.matched)}"


def codebook_terms(store: Dataset) -> list[ConceptTerms]:
    """The codable concepts with their labels and definitions as stems."""
    terms: dict[str, ConceptTerms] = {}
    for row in cast(ox.QuerySolutions, store.query(_CONCEPTS)):
        concept, scheme, kind, text = (row[n] for n in ("concept", "scheme", "kind", "text"))
        if not isinstance(concept, ox.NamedNode) or not isinstance(text, ox.Literal):
            continue
        entry = terms.setdefault(
            concept.value, ConceptTerms(concept.value, cast(ox.NamedNode, scheme).value)
        )
        found = [s for s, _ in stems(text.value)]
        if cast(ox.Literal, kind).value == "label":
            entry.labels.update(found)
            if found:
                entry.phrases.add(tuple(found))
        else:
            entry.definition.update(found)
    return sorted(terms.values(), key=lambda t: t.concept)


def suggest(
    terms: Iterable[ConceptTerms], text: str, *, limit: int = LIMIT, min_score: float = MIN_SCORE
) -> list[Suggestion]:
    """The concepts suggested for ``text``, best first (ties by IRI), with their scores and the
    passage's words that matched."""
    terms = list(terms)
    spread: dict[str, int] = defaultdict(int)
    for t in terms:
        for s in t.labels:
            spread[s] += 1
    tokens = stems(text)
    words: dict[str, list[str]] = defaultdict(list)
    for stem, word in tokens:
        if word not in words[stem]:
            words[stem].append(word)
    sequence = tuple(s for s, _ in tokens)
    found = []
    for t in terms:
        score = 0.0
        matched: list[str] = []
        for stem, written in words.items():
            if stem in t.labels:
                score += LABEL_WEIGHT / spread[stem]
            elif stem in t.definition:
                score += DEFINITION_WEIGHT / max(1, spread.get(stem, 0))
            else:
                continue
            matched.extend(written)
        for phrase in t.phrases:
            if len(phrase) > 1 and _contains(sequence, phrase):
                score += PHRASE_WEIGHT
        if score >= min_score and matched:
            found.append(Suggestion(t.concept, t.scheme, round(score, 2), tuple(matched)))
    found.sort(key=lambda s: (-s.score, s.concept))
    return found[:limit]


def _contains(sequence: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(sequence[i : i + n] == phrase for i in range(len(sequence) - n + 1))


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``–``end`` without the white space at either end (code points)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_SECTIONS = f"""
PREFIX essaim: <{ESSAIM}>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?document ?start ?end WHERE {{
  ?section dcterms:isPartOf ?document ; a essaim:Section ;
      essaim:startOffset ?start ; essaim:endOffset ?end .
}} ORDER BY ?start ?end
"""


def passages(
    store: Dataset, document: str, start: int | None = None, end: int | None = None
) -> tuple[str, list[tuple[int, int]]] | None:
    """The document's text and the passages to suggest codes for: ``start``–``end``, or each of
    its sections, white space trimmed off (empty ones left out); None for an unknown document."""
    from essaim.annotation.checks import case_text

    case = case_text(store, document)
    if case is None:
        return None
    text = case.text
    if start is not None and end is not None:
        spans = [(start, end)]
    else:
        rows = cast(
            ox.QuerySolutions,
            store.query(_SECTIONS, substitutions={"document": ox.NamedNode(document)}),
        )
        spans = [
            (int(cast(ox.Literal, r["start"]).value), int(cast(ox.Literal, r["end"]).value))
            for r in rows
        ]
    out = []
    for left, right in spans:
        left, right = trimmed(text, max(0, left), min(len(text), right))
        if left < right:
            out.append((left, right))
    return text, out


def propose(
    store: Dataset, document: str, start: int | None = None, end: int | None = None
) -> list[dict[str, object]]:
    """Suggestions for the passage ``start``–``end`` of a case document (code points), or,
    without them, for each of its sections: JSON-able dicts (concept, scheme, score, matched,
    start, end), white space trimmed off each passage. Empty for an unknown document."""
    found = passages(store, document, start, end)
    if found is None:
        return []
    text, spans = found
    terms = codebook_terms(store)
    out: list[dict[str, object]] = []
    for left, right in spans:
        for s in suggest(terms, text[left:right]):
            out.append(
                {
                    "concept": s.concept,
                    "scheme": s.scheme,
                    "score": s.score,
                    "matched": list(s.matched),
                    "reason": s.reason,
                    "start": left,
                    "end": right,
                }
            )
    return out


_CODEBOOK = f"""
PREFIX skos: <{SKOS}>
PREFIX essaim: <{ESSAIM}>
PREFIX owl: <{OWL}>
SELECT ?concept ?scheme ?kind ?text WHERE {{
  ?scheme essaim:codableOnPassage true .
  ?concept a skos:Concept ; skos:inScheme ?scheme .
  FILTER NOT EXISTS {{ ?concept owl:deprecated true }}
  {{ ?concept skos:prefLabel ?text BIND("label" AS ?kind) }}
  UNION {{ ?concept skos:altLabel ?text BIND("alt" AS ?kind) }}
  UNION {{ ?concept skos:definition ?text BIND("definition" AS ?kind) }}
  UNION {{ ?scheme <http://purl.org/dc/terms/title> ?text BIND("scheme" AS ?kind) }}
}}
"""


def codebook_list(store: Dataset) -> list[dict[str, object]]:
    """The concepts a passage can be coded with, for the annotation page's picker: IRI,
    scheme, scheme title, prefLabels, altLabels and definitions by language (fr, en), sorted by
    scheme then English (else French) label."""
    entries: dict[str, dict[str, object]] = {}
    for row in cast(ox.QuerySolutions, store.query(_CODEBOOK)):
        concept, scheme, kind, text = (row[n] for n in ("concept", "scheme", "kind", "text"))
        if not isinstance(concept, ox.NamedNode) or not isinstance(text, ox.Literal):
            continue
        entry = entries.setdefault(
            concept.value,
            {
                "iri": concept.value,
                "scheme": cast(ox.NamedNode, scheme).value,
                "schemeTitle": {},
                "label": {},
                "alt": {},
                "definition": {},
            },
        )
        language = text.language or ""
        slot = cast(
            dict[str, object],
            entry[
                {
                    "label": "label",
                    "alt": "alt",
                    "definition": "definition",
                    "scheme": "schemeTitle",
                }[cast(ox.Literal, kind).value]
            ],
        )
        if kind is not None and cast(ox.Literal, kind).value == "alt":
            cast(list[str], slot.setdefault(language, [])).append(text.value)
        else:
            slot.setdefault(language, text.value)
    for entry in entries.values():
        for values in cast(dict[str, list[str]], entry["alt"]).values():
            values.sort()

    def key(entry: dict[str, object]) -> tuple[str, str]:
        labels = cast(dict[str, str], entry["label"])
        return str(entry["scheme"]), fold(labels.get("en") or labels.get("fr") or "")

    return sorted(entries.values(), key=key)
