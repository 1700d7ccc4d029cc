"""What the coding-quality notebook (06) reads: the coded facts by coding status, the people
who published annotations on each document, how many initiatives keep a coded fact when only
agreed or adjudicated codes count, and an agreement report as a table.

SPARQL does the counting; the agreement itself is ``essaim.annotation.agreement``'s.
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

from essaim.analysis.frames import query_frame
from essaim.annotation.agreement import AgreementReport
from essaim.namespaces import ESSAIM
from essaim.store import Dataset

#: The coding statuses of a settled code (two coders agreed, or an adjudicator decided).
SETTLED: Final = (
    "https://w3id.org/essaim/codebook/coding-status/agreed",
    "https://w3id.org/essaim/codebook/coding-status/adjudicated",
)

_BY_STATUS = f"""PREFIX essaim: <{ESSAIM}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?status ?statusLabel ?scheme (COUNT(DISTINCT ?fact) AS ?facts)
       (COUNT(DISTINCT ?initiative) AS ?initiatives)
WHERE {{
  ?initiative essaim:hasCodedFact ?fact .
  ?fact essaim:codingStatus ?status ; essaim:concept ?concept .
  OPTIONAL {{ ?concept skos:inScheme ?scheme }}
  OPTIONAL {{ ?status skos:prefLabel ?statusLabel FILTER (LANGMATCHES(LANG(?statusLabel), "%s")) }}
}}
GROUP BY ?status ?statusLabel ?scheme
ORDER BY ?status ?scheme"""

_PEOPLE_CODING = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?document (COUNT(DISTINCT ?coder) AS ?coders) (COUNT(DISTINCT ?a) AS ?annotations)
WHERE {
  ?a a oa:Annotation ; dcterms:creator ?coder ; oa:hasTarget/oa:hasSource ?document .
  FILTER NOT EXISTS { ?coder a prov:SoftwareAgent }
}
GROUP BY ?document ORDER BY DESC(?coders) ?document"""

_SETTLED = f"""PREFIX essaim: <{ESSAIM}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?scheme (COUNT(DISTINCT ?initiative) AS ?all) (COUNT(DISTINCT ?settled) AS ?settledOnly)
WHERE {{
  ?initiative essaim:hasCodedFact ?fact .
  ?fact essaim:concept/skos:inScheme ?scheme ; essaim:codingStatus ?status .
  BIND (IF(?status IN ({", ".join(f"<{s}>" for s in SETTLED)}), ?initiative, ?unbound)
        AS ?settled)
}}
GROUP BY ?scheme ORDER BY ?scheme"""

_LABELS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?concept ?label WHERE {
  ?concept skos:prefLabel ?label FILTER (LANGMATCHES(LANG(?label), "%s"))
}"""


def _short(iri: object) -> str:
    """The last segment of an IRI (after ``/``, ``#`` or ``:``).

    >>> _short("https://w3id.org/essaim/codebook/coding-status/agreed"), _short(None)
    ('agreed', '?')
    """
    return re.split(r"[/#:]", str(iri).rstrip("/"))[-1] if isinstance(iri, str) else "?"


def _language(lang: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", lang):
        raise ValueError(f"lang={lang!r}: not a language tag")
    return lang


def facts_by_status(store: Dataset, lang: str = "en") -> pd.DataFrame:
    """Coded facts and initiatives per coding status and codebook scheme: columns ``status``
    (its label in ``lang``, else the IRI's last segment), ``scheme``, ``facts``,
    ``initiatives``."""
    found = query_frame(store, _BY_STATUS % _language(lang))
    return pd.DataFrame(
        {
            "status": [
                label if isinstance(label, str) else _short(status)
                for status, label in zip(found["status"], found["statusLabel"], strict=True)
            ],
            "scheme": [_short(s) for s in found["scheme"]],
            "facts": found["facts"].astype(int),
            "initiatives": found["initiatives"].astype(int),
        },
        columns=["status", "scheme", "facts", "initiatives"],
        index=range(len(found)),
    )


def people_coding(store: Dataset) -> pd.DataFrame:
    """The documents with public annotations by people (software agents left out): columns
    ``document``, ``people coding``, ``annotations``, most coders first."""
    found = query_frame(store, _PEOPLE_CODING)
    return pd.DataFrame(
        {
            "document": found["document"].astype(object),
            "people coding": found["coders"].astype(int),
            "annotations": found["annotations"].astype(int),
        },
        columns=["document", "people coding", "annotations"],
        index=range(len(found)),
    )


def settled_comparison(store: Dataset) -> pd.DataFrame:
    """Per codebook scheme, the initiatives with a coded fact of any status, and with an agreed
    or adjudicated one (:data:`SETTLED`)."""
    found = query_frame(store, _SETTLED)
    return pd.DataFrame(
        {
            "scheme": [_short(s) for s in found["scheme"]],
            "initiatives, any status": found["all"].astype(int),
            "initiatives, agreed or adjudicated only": found["settledOnly"].astype(int),
        },
        index=range(len(found)),
    )


def concept_labels(store: Dataset, lang: str = "en") -> dict[str, str]:
    """Each concept's preferred label in ``lang``."""
    found = query_frame(store, _LABELS % _language(lang))
    return {str(c): str(label) for c, label in zip(found["concept"], found["label"], strict=True)}


def verdict(alpha: float | None, units: dict[str, int]) -> str:
    """How far Krippendorff (2004) lets a reader rely on ``alpha``: ``rely`` (≥ 0.8),
    ``tentative`` (≥ 0.667), ``do not rely``; ``too few units`` when no coder used the concept
    on three units; ``undefined`` without a figure.

    >>> verdict(0.85, {"a": 4}), verdict(0.7, {"a": 4}), verdict(0.9, {"a": 2})
    ('rely', 'tentative', 'too few units')
    """
    if alpha is None:
        return "undefined"
    if max(units.values(), default=0) < 3:
        return "too few units"
    return "rely" if alpha >= 0.8 else "tentative" if alpha >= 0.667 else "do not rely"


def agreement_table(report: AgreementReport, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per concept: its label, Krippendorff's alpha, the verdict, Cohen's kappa for
    each pair of coders and the units each coder coded with it (coders by their IRI's last
    segment)."""
    labels = labels or {}
    rows: list[dict[str, object]] = []
    for concept in report.concepts:
        row: dict[str, object] = {
            "concept": labels.get(concept.concept, concept.concept),
            "alpha": concept.alpha,
            "Krippendorff 2004": verdict(concept.alpha, concept.units_coded),
        }
        for (first, second), kappa in concept.kappa.items():
            row[f"kappa {_short(first)}–{_short(second)}"] = kappa
        for coder, units in concept.units_coded.items():
            row[f"units {_short(coder)}"] = units
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["concept", "alpha", "Krippendorff 2004"])
