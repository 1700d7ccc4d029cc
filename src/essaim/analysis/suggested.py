"""The exploratory layer of barriers and success factors: what essaim's suggester
(``essaim.annotation.suggest``: words shared with the codebook's labels and definitions)
proposes for the UNDP experiments' "obstacles" and "advice" sections, with its measured
agreement with human coders. Never coded facts, never mixed with them: a notebook shows this
layer apart, labelled as exploratory, with the agreement beside it.

The passages come from SPARQL (each section's text cut from its document by ``SUBSTR`` on the
section's code-point offsets); the agreement is measured on the human-coded passages of the
same schemes (status coded, agreed, adjudicated or curated; their ``oa:exact`` quotes): the
share whose human concept is the suggester's first proposal in those schemes, and among its
first three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from essaim.analysis.frames import query_frame
from essaim.annotation.suggest import ConceptTerms, codebook_terms, suggest
from essaim.namespaces import ESSAIM, OA, SKOS
from essaim.store import Dataset

CODEBOOK: Final = "https://w3id.org/essaim/codebook/"
#: The schemes of the layer.
SCHEMES: Final = (CODEBOOK + "barrier", CODEBOOK + "success-factor")
#: The experiments' sections it reads: their "obstacles" and their advice for replication.
SECTIONS: Final = {
    "obstacles": CODEBOOK + "section-type/barriers",
    "advice": CODEBOOK + "section-type/replication-advice",
}
#: The initiatives whose sections the layer reads: the UNDP Accelerator Lab experiments (the
#: human-coded cases stay out of it).
EXPERIMENT: Final = CODEBOOK + "initiative-kind/accelerator-lab-experiment"
#: Statuses of a human's code (not extracted from a record, not suggested by software).
HUMAN_STATUSES: Final = tuple(
    CODEBOOK + "coding-status/" + s for s in ("coded", "agreed", "adjudicated", "curated")
)

_PASSAGES = f"""PREFIX essaim: <{ESSAIM}> PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?initiative ?section ?sectionType ?heading
    (SUBSTR(?text, ?start + 1, ?end - ?start) AS ?passage)
WHERE {{
  VALUES ?sectionType {{ {" ".join(f"<{s}>" for s in SECTIONS.values())} }}
  ?section a essaim:Section ; essaim:sectionType ?sectionType ; dcterms:isPartOf ?document ;
      essaim:startOffset ?start ; essaim:endOffset ?end .
  ?document essaim:fullText ?text .
  ?initiative essaim:caseDocument ?document ; essaim:initiativeKind <{EXPERIMENT}> .
  OPTIONAL {{ ?section essaim:heading ?heading }}
}} ORDER BY ?initiative ?start"""

_HUMAN = f"""PREFIX essaim: <{ESSAIM}> PREFIX oa: <{OA}> PREFIX skos: <{SKOS}>
SELECT DISTINCT ?concept ?exact WHERE {{
  ?fact a essaim:CodedFact ; essaim:concept ?concept ; essaim:codingStatus ?status ;
      essaim:hasAnnotation/oa:hasTarget/oa:hasSelector ?selector .
  ?selector a oa:TextQuoteSelector ; oa:exact ?exact .
  ?concept skos:inScheme ?scheme .
  FILTER (?scheme IN ({", ".join(f"<{s}>" for s in SCHEMES)}))
  FILTER (?status IN ({", ".join(f"<{s}>" for s in HUMAN_STATUSES)}))
}}"""


@dataclass(frozen=True)
class Agreement:
    """How often the suggester's proposal is the human coder's concept."""

    passages: int
    first: int
    first_three: int

    @property
    def first_share(self) -> float:
        return self.first / self.passages if self.passages else 0.0

    @property
    def first_three_share(self) -> float:
        return self.first_three / self.passages if self.passages else 0.0

    def text(self, lang: str = "en") -> str:
        if lang.lower().startswith("fr"):
            return (
                f"Accord du suggesteur avec les codeurs humains, sur {self.passages} passages "
                f"codés (freins et facteurs de succès) : premier concept proposé = concept humain "
                f"pour {self.first}/{self.passages} ({self.first_share:.0%}), parmi les trois "
                f"premiers pour {self.first_three}/{self.passages} "
                f"({self.first_three_share:.0%})."
            )
        return (
            f"Suggester's agreement with human coders, on {self.passages} coded passages "
            f"(barriers and success factors): its first proposal is the human's concept for "
            f"{self.first}/{self.passages} ({self.first_share:.0%}), among its first three for "
            f"{self.first_three}/{self.passages} ({self.first_three_share:.0%})."
        )


def scheme_terms(store: Dataset) -> list[ConceptTerms]:
    """The suggester's knowledge of the barrier and success-factor concepts."""
    return [t for t in codebook_terms(store) if t.scheme in SCHEMES]


def agreement(store: Dataset, terms: list[ConceptTerms] | None = None) -> Agreement:
    """The suggester against the human-coded passages of :data:`SCHEMES` (exact concept)."""
    terms = terms if terms is not None else scheme_terms(store)
    coded = query_frame(store, _HUMAN)
    first = first_three = 0
    for concept, exact in zip(coded["concept"], coded["exact"], strict=True):
        proposed = [s.concept for s in suggest(terms, str(exact), limit=3)]
        first += proposed[:1] == [concept]
        first_three += concept in proposed
    return Agreement(len(coded), first, first_three)


def suggested_codes(store: Dataset, terms: list[ConceptTerms] | None = None) -> pd.DataFrame:
    """The suggester's first proposal (barrier or success factor) for each "obstacles" and
    "advice" section of the experiments: initiative, section, which of the two, the concept,
    its scheme, score and the words that matched; sections it proposes nothing for are left
    out."""
    terms = terms if terms is not None else scheme_terms(store)
    sections = query_frame(store, _PASSAGES)
    kind_of = {iri: name for name, iri in SECTIONS.items()}
    rows = []
    for row in sections.itertuples(index=False):
        found = suggest(terms, str(row.passage), limit=1)
        if found:
            best = found[0]
            rows.append(
                (
                    row.initiative,
                    row.section,
                    kind_of[str(row.sectionType)],
                    best.concept,
                    best.scheme,
                    best.score,
                    ", ".join(best.matched),
                )
            )
    columns = ["initiative", "section", "part", "concept", "scheme", "score", "matched"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["sections"] = len(sections)
    frame.attrs["sections_by_part"] = {
        name: int((sections["sectionType"] == iri).sum()) for name, iri in SECTIONS.items()
    }
    return frame
