"""The cases of the scaling analysis (notebook 04): the UNDP Accelerator Labs experiments that
report a scaling result, one row each with the raw fields the QCA calibrates, and the plain
descriptive comparison beside the QCA (shares of scaled cases by condition, Wilson intervals).

One SPARQL query does the work (grouping each experiment's partner types and methods); the
rows only have their grouped values split and their IRIs shortened here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from essaim.analysis.frames import query_frame
from essaim.analysis.qca import wilson_interval
from essaim.namespaces import ESSAIM
from essaim.store import Dataset

_PREFIXES = f"""PREFIX essaim: <{ESSAIM}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX codebook: <https://w3id.org/essaim/codebook/>
PREFIX kind: <https://w3id.org/essaim/codebook/initiative-kind/>
"""

#: The experiments, and those whose record gives a scaling result (a coded fact of the
#: scaling-outcome scheme).
COUNTS: Final = (
    _PREFIXES
    + """SELECT (COUNT(DISTINCT ?x) AS ?experiments) (COUNT(DISTINCT ?r) AS ?withResult) WHERE {
  { ?x essaim:initiativeKind kind:accelerator-lab-experiment }
  UNION { ?r essaim:initiativeKind kind:accelerator-lab-experiment ;
             essaim:hasCodedFact/essaim:concept/skos:inScheme codebook:scaling-outcome }
}"""
)

#: One row per experiment with a reported scaling result: its outcome concept, its partners'
#: types and its methods (grouped, ``|``-separated), its cost band and control group. Plain
#: SPARQL 1.1: it runs as it is on any endpoint holding essaim data.
CASES: Final = (
    _PREFIXES
    + """SELECT ?initiative ?title ?outcome
    (GROUP_CONCAT(DISTINCT STR(?partnerType); separator="|") AS ?partnerTypes)
    (GROUP_CONCAT(DISTINCT STR(?method); separator="|") AS ?methods)
    (SAMPLE(STR(?cost)) AS ?costBand) (SAMPLE(STR(?control)) AS ?controlGroup)
WHERE {
  ?initiative essaim:initiativeKind kind:accelerator-lab-experiment ;
      dcterms:title ?title ;
      essaim:hasCodedFact/essaim:concept ?outcome .
  ?outcome skos:inScheme codebook:scaling-outcome .
  OPTIONAL { ?initiative essaim:partnerActorType ?partnerType }
  OPTIONAL { ?initiative essaim:method ?method }
  OPTIONAL { ?initiative essaim:costBand ?cost }
  OPTIONAL { ?initiative essaim:controlGroup ?control }
}
GROUP BY ?initiative ?title ?outcome
ORDER BY ?initiative"""
)

#: The columns of :func:`cases`, the fields the calibration rules name.
COLUMNS: Final = (
    "initiative",
    "title",
    "outcome",
    "partner_types",
    "methods",
    "cost_band",
    "control_group",
)


def _short(value: object) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1]


def _labels(grouped: object) -> list[str]:
    """``"https://…/public-body|https://…/private-sector"`` → ``["public-body", …]``; a plain
    label (a method's name) stays as it is.

    >>> _labels("https://w3id.org/x/public-body|Co-creation"), _labels(None), _labels("")
    (['public-body', 'Co-creation'], [], [])
    """
    if not isinstance(grouped, str):
        return []
    return [_short(v) for v in grouped.split("|") if v]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def counts(store: Dataset) -> tuple[int, int]:
    """The number of experiments, and of those with a reported scaling result."""
    row = query_frame(store, COUNTS).iloc[0]
    return int(row["experiments"]), int(row["withResult"])


def cases(store: Dataset) -> pd.DataFrame:
    """The experiments with a reported scaling result (:data:`COLUMNS`): ``outcome`` the
    outcome concept's last segment (``achieved``, ``partial``...), ``partner_types`` and
    ``methods`` lists (empty when the record gives none), ``cost_band`` and ``control_group``
    the record's answers (``None`` when it gives none)."""
    found = query_frame(store, CASES)
    return pd.DataFrame(
        {
            "initiative": found["initiative"].astype(object),
            "title": found["title"].astype(object),
            "outcome": [_short(o) for o in found["outcome"]],
            "partner_types": [_labels(v) for v in found["partnerTypes"]],
            "methods": [_labels(v) for v in found["methods"]],
            # object columns: pandas would turn a missing answer into NaN in a column of text
            "cost_band": pd.Series([_text(v) for v in found["costBand"]], dtype=object),
            "control_group": pd.Series([_text(v) for v in found["controlGroup"]], dtype=object),
        },
        columns=list(COLUMNS),
        index=range(len(found)),
    )


def shares_by_condition(
    crisp: pd.DataFrame, conditions: Sequence[str], outcome: str = "SCALED"
) -> pd.DataFrame:
    """For each condition, present (1) then absent (0): the cases, those showing ``outcome``,
    the share (missing when no case) and its 95% Wilson interval, from a crisp table (a 0/1
    column per set, one row per case)."""
    missing = [c for c in (*conditions, outcome) if c not in crisp.columns]
    if missing:
        raise ValueError(f"no column {', '.join(map(repr, missing))} in the crisp table")
    rows = []
    for name in conditions:
        for present in (1, 0):
            group = crisp[crisp[name] == present]
            shown = int(group[outcome].sum())
            low, high = wilson_interval(shown, len(group))
            share = shown / len(group) if len(group) else None
            rows.append((name, present, len(group), shown, share, low, high))
    return pd.DataFrame(
        rows,
        columns=["condition", "present", "cases", "scaled", "share", "95% low", "95% high"],
    )
