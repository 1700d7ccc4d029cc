"""Agreement between coders: Krippendorff's alpha, Cohen's kappa, the confusion between concepts
and the passages where coders differ.

**Units.** Agreement is measured on units of text, never on raw offsets: coders rarely select the
same characters, but they do (or do not) code the same section or sentence. Two kinds:

- ``sections`` (the default): the sections of the case document (``essaim:Section``); a section
  unit runs from its start to the next section's start (so that its heading and the blank lines
  after it belong to it), the first from the start of the text, the last to its end. A document
  without sections is one unit.
- ``sentences``: the text cut after ``.``, ``!``, ``?`` or ``…`` followed by white space, and at
  every line break; units of white space only are left out.

A coding *falls in* every unit its passage overlaps by at least one character.

**Who counts.** A coder counts on a document when they have at least one coding on it; elsewhere
their values are missing (``nan``), never "coded nothing". Suggestions (a software agent's,
status *suggested*) are not codings: only what people coded counts.

**Per concept.** For each concept used by any coder on the documents, each unit gets, from each
coder, 1 (the coder coded the concept in the unit) or 0: a unit may carry several codes, so each
concept is its own binary variable. Krippendorff's alpha (nominal) is computed by the
``krippendorff`` package over the coders × units matrix, Cohen's kappa for each pair of coders
over the units both coded.

**Overall**, two figures:

- ``pooled``: every (unit, concept) pair is a unit of a binary variable (the per-concept data laid
  side by side), alpha nominal over the lot; likewise kappa per pair. Concepts nobody used in a
  unit count as agreement on absence there, which is what the coders did agree on.
- ``masi``: the value of a unit is the *set* of concepts a coder coded in it, and alpha uses the
  MASI distance (Passonneau 2006: 1 − Jaccard × monotonicity, with monotonicity 1 for equal sets,
  2/3 when one contains the other, 1/3 when they overlap, 0 when disjoint; two empty sets are at
  distance 0), so that partial agreement on a unit counts partly.

An alpha or kappa that is undefined (a single value across all the data: nothing to disagree on)
is ``None``.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal, cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.annotation.model import SUGGESTED, Annotation, list_annotations
from essaim.store.base import Dataset

if TYPE_CHECKING:  # numpy and krippendorff are imported when a measure runs: not at CLI start
    import numpy as np
    import numpy.typing as npt

UnitKind = Literal["sections", "sentences"]
UNIT_KINDS: tuple[UnitKind, ...] = ("sections", "sentences")
NONE = ""  # the "no code" row and column of a confusion table


class AgreementError(ValueError):
    """The request cannot be answered (unknown document, unit kind...); one sentence."""


@dataclass(frozen=True)
class Coding:
    """One coded passage, as agreement needs it (an annotation reduced to its essentials)."""

    annotation: str  # the annotation's IRI
    document: str
    concept: str
    start: int
    end: int
    coder: str  # the coder's pseudonymous IRI
    exact: str = ""
    mode: str | None = None


@dataclass(frozen=True)
class Unit:
    document: str
    index: int  # position in the document, from 0
    start: int
    end: int
    label: str  # the section's heading, or the sentence's first words

    @property
    def key(self) -> str:
        return f"{self.document}#{self.index}"


@dataclass
class Disagreement:
    """A unit where the coders' sets of concepts differ."""

    unit: Unit
    text: str
    codes: dict[str, list[Coding]]  # coder → their codings in the unit (may be empty)

    def concepts_of(self, coder: str) -> list[str]:
        return sorted({c.concept for c in self.codes.get(coder, [])})

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.unit.document,
            "unit": self.unit.index,
            "start": self.unit.start,
            "end": self.unit.end,
            "label": self.unit.label,
            "text": self.text,
            "coders": {
                coder: [
                    {
                        "annotation": c.annotation,
                        "concept": c.concept,
                        "start": c.start,
                        "end": c.end,
                        "exact": c.exact,
                    }
                    for c in codings
                ]
                for coder, codings in self.codes.items()
            },
        }


@dataclass
class ConceptAgreement:
    concept: str
    alpha: float | None
    kappa: dict[tuple[str, str], float | None]
    units_coded: dict[str, int]  # coder → units where they coded the concept


@dataclass
class AgreementReport:
    unit_kind: UnitKind
    documents: list[str]
    coders: list[str]
    units: int
    concepts: list[ConceptAgreement]
    alpha_pooled: float | None
    alpha_masi: float | None
    kappa_pooled: dict[tuple[str, str], float | None]
    confusion: dict[tuple[str, str], dict[tuple[str, str], int]]  # pair → (a's, b's) → count
    disagreements: list[Disagreement] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def pair(p: tuple[str, str]) -> str:
            return f"{p[0]} {p[1]}"

        return {
            "units": {"kind": self.unit_kind, "count": self.units},
            "documents": self.documents,
            "coders": self.coders,
            "overall": {
                "alpha_pooled": self.alpha_pooled,
                "alpha_masi": self.alpha_masi,
                "kappa_pooled": [
                    {"coders": list(p), "kappa": k} for p, k in self.kappa_pooled.items()
                ],
            },
            "concepts": [
                {
                    "concept": c.concept,
                    "alpha": c.alpha,
                    "kappa": [{"coders": list(p), "kappa": k} for p, k in c.kappa.items()],
                    "units_coded": c.units_coded,
                }
                for c in self.concepts
            ],
            "confusion": {
                pair(p): [
                    {"first": a or None, "second": b or None, "units": n}
                    for (a, b), n in sorted(table.items())
                ]
                for p, table in self.confusion.items()
            },
            "disagreements": [d.to_json() for d in self.disagreements],
        }


def named_node(value: str, what: str) -> ox.NamedNode:
    """``value`` as an IRI, or :class:`AgreementError` naming ``what`` it should have been."""
    try:
        node = ox.NamedNode(value)
    except (ValueError, TypeError):
        raise AgreementError(f"{value!r} is not an IRI ({what})") from None
    if ":" not in value:
        raise AgreementError(f"{value!r} is not an absolute IRI ({what})")
    return node


# ---------------------------------------------------------------------------- units


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def sentence_units(document: str, text: str) -> list[Unit]:
    """The sentences of ``text``, with code-point offsets (Python string indices)."""
    units: list[Unit] = []
    start = 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.start() if match else len(text)
        if text[start:end].strip():
            words = " ".join(text[start:end].split()[:8])
            units.append(Unit(document, len(units), start, end, words))
        if match:
            start = match.end()
    return units


def section_units(document: str, text: str, sections: Sequence[tuple[int, str]]) -> list[Unit]:
    """Units from the sections' start offsets and headings (see the module's docstring)."""
    if not sections:
        return [Unit(document, 0, 0, len(text), "")]
    ordered = sorted(sections)
    starts = [0, *[s for s, _ in ordered[1:]]]
    ends = [*starts[1:], len(text)]
    return [
        Unit(document, i, start, end, heading)
        for i, (start, end, (_, heading)) in enumerate(zip(starts, ends, ordered, strict=True))
    ]


_DOCUMENT = f"""
SELECT ?document ?text ?section ?start ?heading WHERE {{
  ?document <{ns.ESSAIM}fullText> ?text .
  OPTIONAL {{
    ?section <{ns.DCTERMS}isPartOf> ?document ; a <{ns.ESSAIM}Section> ;
        <{ns.ESSAIM}startOffset> ?start .
    OPTIONAL {{ ?section <{ns.ESSAIM}heading> ?heading }}
  }}
}}"""


def document_units(store: Dataset, document: str, kind: UnitKind) -> tuple[str, list[Unit]]:
    """The document's text and its units of the given kind, read from the store."""
    if kind not in UNIT_KINDS:
        raise AgreementError(f"unknown unit kind {kind!r}: use sections or sentences")
    rows = list(
        cast(
            ox.QuerySolutions,
            store.query(_DOCUMENT, substitutions={"document": named_node(document, "document")}),
        )
    )
    if not rows:
        raise AgreementError(f"{document} is no case document with a text (essaim:fullText)")
    text = cast(ox.Literal, rows[0]["text"]).value
    if kind == "sentences":
        return text, sentence_units(document, text)
    sections: dict[str, tuple[int, str]] = {}
    for row in rows:
        section, start, heading = row["section"], row["start"], row["heading"]
        if isinstance(section, ox.NamedNode) and isinstance(start, ox.Literal):
            label = heading.value if isinstance(heading, ox.Literal) else ""
            sections[section.value] = (int(start.value), label)
    return text, section_units(document, text, list(sections.values()))


# ---------------------------------------------------------------------------- statistics


def masi_distance(a: frozenset[str], b: frozenset[str]) -> float:
    """MASI distance between two sets of codes (Passonneau 2006)."""
    if a == b:
        return 0.0
    union = a | b
    jaccard = len(a & b) / len(union)
    if a <= b or b <= a:
        monotonicity = 2 / 3
    elif a & b:
        monotonicity = 1 / 3
    else:
        monotonicity = 0.0
    return 1.0 - jaccard * monotonicity


def alpha(data: npt.NDArray[np.float64], level: Any = "nominal") -> float | None:
    """Krippendorff's alpha of a coders × units matrix (``nan`` for missing), or ``None`` when
    undefined (one value only, or no unit coded by two coders)."""
    import krippendorff
    import numpy as np

    pairable = np.sum(~np.isnan(data), axis=0) >= 2
    if data.shape[0] < 2 or not pairable.any():
        return None
    values = np.unique(data[:, pairable][~np.isnan(data[:, pairable])])
    if len(values) < 2:
        return None
    try:
        if level == "nominal":  # the value counts by numpy: the package counts unit by unit
            kept = data[:, pairable]
            counts = np.stack([np.sum(kept == v, axis=0) for v in values], axis=1)
            result = float(
                krippendorff.alpha(
                    value_counts=counts, value_domain=values, level_of_measurement="nominal"
                )
            )
        else:
            result = float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(result) else result


def cohen_kappa(
    first: Sequence[int] | npt.NDArray[np.int_], second: Sequence[int] | npt.NDArray[np.int_]
) -> float | None:
    """Cohen's kappa of two coders' labels on the same units: (pₒ − pₑ) / (1 − pₑ), where pₒ is
    the share of units they label alike and pₑ = Σₖ p₁(k) p₂(k) the share expected by chance from
    each coder's own label frequencies. ``None`` when pₑ = 1 (both always gave one same label)."""
    import numpy as np

    one, two = np.asarray(first), np.asarray(second)
    n = len(one)
    if n == 0 or n != len(two):
        return None
    observed = float(np.mean(one == two))
    expected = sum(float(np.mean(one == k)) * float(np.mean(two == k)) for k in np.unique(one))
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


# ---------------------------------------------------------------------------- agreement


def _overlaps(coding: Coding, unit: Unit) -> bool:
    return coding.start < unit.end and unit.start < coding.end


def agreement(
    codings: Iterable[Coding],
    units: Mapping[str, Sequence[Unit]],
    texts: Mapping[str, str],
    *,
    unit_kind: UnitKind = "sections",
) -> AgreementReport:
    """Agreement over the documents of ``units`` (document → its units), between every coder
    with a coding on them; see the module's docstring for the definitions."""
    import numpy as np

    documents = sorted(units)
    by_document: dict[str, list[Coding]] = {d: [] for d in documents}
    for coding in codings:
        if coding.document in by_document:
            by_document[coding.document].append(coding)
    coders = sorted({c.coder for cs in by_document.values() for c in cs})
    all_units = [u for d in documents for u in units[d]]
    # who coded each document; each coder's codings per unit
    coded_by: dict[str, set[str]] = {d: {c.coder for c in by_document[d]} for d in documents}
    cells: dict[tuple[str, str], list[Coding]] = {}  # (coder, unit key) → codings
    for document in documents:
        ordered = sorted(units[document], key=lambda u: u.start)
        starts = [u.start for u in ordered]
        for coding in by_document[document]:
            at = max(0, bisect.bisect_right(starts, coding.start) - 1)
            while at < len(ordered) and ordered[at].start < coding.end:
                if _overlaps(coding, ordered[at]):
                    cells.setdefault((coding.coder, ordered[at].key), []).append(coding)
                at += 1
    concepts = sorted({c.concept for cs in cells.values() for c in cs})
    present = {(coder, key, c.concept) for (coder, key), codings in cells.items() for c in codings}
    m, n, k = len(coders), len(all_units), len(concepts)
    # who coded the document of each unit (coders × units), by document rather than by unit
    document_index = {d: i for i, d in enumerate(documents)}
    unit_document = np.array([document_index[u.document] for u in all_units], dtype=np.intp)
    coded_documents = np.array(
        [[coder in coded_by[d] for d in documents] for coder in coders], dtype=bool
    ).reshape(m, len(documents))
    coded = coded_documents[:, unit_document]
    ones = np.zeros((k, m, n), dtype=bool)  # concept × coder × unit: coded the concept there
    row = {coder: i for i, coder in enumerate(coders)}
    column = {unit.key: j for j, unit in enumerate(all_units)}
    layer = {concept: c for c, concept in enumerate(concepts)}
    if present:
        where = np.array([(layer[c], row[r], column[u]) for r, u, c in present], dtype=np.intp)
        ones[where[:, 0], where[:, 1], where[:, 2]] = True
    pairs = list(combinations(coders, 2))
    counts = _binary_counts(ones, coded)
    alphas = _binary_alphas(*counts)
    kappas = {p: _binary_kappas(ones, coded, row[p[0]], row[p[1]]) for p in pairs}
    coded_units = ones.sum(axis=2)  # concept × coder
    per_concept = [
        ConceptAgreement(
            concept=concept,
            alpha=alphas[c],
            kappa={p: kappas[p][0][c] for p in pairs},
            units_coded={coder: int(coded_units[c, i]) for i, coder in enumerate(coders)},
        )
        for c, concept in enumerate(concepts)
    ]
    sets = _unit_sets(coders, all_units, coded_by, cells)
    report = AgreementReport(
        unit_kind=unit_kind,
        documents=documents,
        coders=coders,
        units=n,
        concepts=per_concept,
        alpha_pooled=_binary_alphas(*(np.sum(x, axis=0, keepdims=True) for x in counts))[0],
        alpha_masi=_masi_alpha(sets),
        kappa_pooled={p: kappas[p][1] for p in pairs},
        confusion={p: _confusion(p, all_units, coded_by, cells) for p in pairs},
    )
    report.disagreements = _disagreements(all_units, texts, coded_by, cells)
    return report


def _binary_counts(
    ones: npt.NDArray[np.bool_], coded: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """For each concept of ``ones`` (concept × coder × unit), from the units two coders or more
    coded (``coded``: coder × unit): the off-diagonal sum of the coincidence matrix (the pairs
    0–1 and 1–0, each unit's pairs weighing 1/(mᵤ − 1)) and the pairable values 0 and 1."""
    import numpy as np

    values = coded.sum(axis=0)  # mᵤ: how many coders gave the unit a value
    pairable = values >= 2
    weight = np.where(pairable, 1.0 / np.maximum(values - 1, 1), 0.0)
    given = ones.sum(axis=1, dtype=np.float64)  # concept × unit: coders who gave 1
    absent = values[np.newaxis, :] - given  # coders who gave 0
    off = 2.0 * (given * absent) @ weight
    return off, absent @ pairable.astype(np.float64), given @ pairable.astype(np.float64)


def _binary_alphas(
    off: npt.NDArray[np.float64], zeros: npt.NDArray[np.float64], ones: npt.NDArray[np.float64]
) -> list[float | None]:
    """Krippendorff's alpha (nominal) of binary variables from :func:`_binary_counts`: with the
    coincidences oₖₗ, nₖ = Σₗ oₖₗ and n = n₀ + n₁, alpha = 1 − (n − 1)(o₀₁ + o₁₀) / (2 n₀ n₁),
    what the ``krippendorff`` package computes from the coders × units matrix (a test checks it)
    without building one array per concept. ``None`` where only one value occurs."""

    return [
        1.0 - float(o) * (float(a + b) - 1.0) / (2.0 * float(a) * float(b)) if a > 0 and b > 0
        else None
        for o, a, b in zip(off, zeros, ones, strict=True)
    ]  # fmt: skip


def _binary_kappas(
    ones: npt.NDArray[np.bool_], coded: npt.NDArray[np.bool_], i: int, j: int
) -> tuple[list[float | None], float | None]:
    """Cohen's kappa of coders ``i`` and ``j`` for each concept over the units both coded, and
    pooled over (unit, concept) pairs: :func:`cohen_kappa` on binary labels, from counts."""
    import numpy as np

    both = coded[i] & coded[j]
    first, second = ones[:, i, both], ones[:, j, both]
    units = int(both.sum())
    alike = np.sum(first == second, axis=1)
    a1, b1 = first.sum(axis=1), second.sum(axis=1)

    def kappa(same: int, x: int, y: int, total: int) -> float | None:
        chance = x * y + (total - x) * (total - y)  # pₑ × total², exact in integers
        if total == 0 or chance >= total * total:
            return None
        observed, expected = same / total, chance / (total * total)
        return (observed - expected) / (1.0 - expected)

    per_concept = [
        kappa(int(s), int(x), int(y), units) for s, x, y in zip(alike, a1, b1, strict=True)
    ]
    pooled = kappa(int(alike.sum()), int(a1.sum()), int(b1.sum()), units * len(per_concept))
    return per_concept, pooled


def _unit_sets(
    coders: Sequence[str],
    all_units: Sequence[Unit],
    coded_by: Mapping[str, set[str]],
    cells: Mapping[tuple[str, str], list[Coding]],
) -> list[list[frozenset[str] | None]]:
    return [
        [
            frozenset(c.concept for c in cells.get((coder, unit.key), []))
            if coder in coded_by[unit.document]
            else None
            for unit in all_units
        ]
        for coder in coders
    ]


def masi_distances(first: npt.NDArray[np.bool_], second: npt.NDArray[np.bool_]
                   ) -> npt.NDArray[np.float64]:  # fmt: skip
    """MASI distances between sets given as boolean rows (set × concept), every row of
    ``first`` against every row of ``second``: :func:`masi_distance`, vectorised."""
    import numpy as np

    a, b = first.astype(np.float64), second.astype(np.float64)
    inter = a @ b.T
    size_a, size_b = a.sum(axis=1)[:, None], b.sum(axis=1)[None, :]
    union = size_a + size_b - inter
    jaccard = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
    monotonicity = np.where(
        (inter == size_a) & (inter == size_b), 1.0,
        np.where((inter == size_a) | (inter == size_b), 2 / 3, np.where(inter > 0, 1 / 3, 0.0)),
    )  # fmt: skip
    return cast("npt.NDArray[np.float64]", 1.0 - jaccard * monotonicity)


def _masi_alpha(sets: list[list[frozenset[str] | None]]) -> float | None:
    """Krippendorff's alpha with the MASI distance, 1 − Dₒ/Dₑ, computed here from the values'
    coincidences (the ``krippendorff`` package builds a units × values × values array, which a
    corpus with thousands of distinct code sets cannot hold; a test checks both agree)."""
    import numpy as np

    domain: dict[frozenset[str], int] = {}
    for row in sets:
        for value in row:
            if value is not None:
                domain.setdefault(value, len(domain))
    if len(domain) < 2:
        return None
    concepts = sorted({c for value in domain for c in value})
    index = {c: i for i, c in enumerate(concepts)}
    bits = np.zeros((len(domain), len(concepts)), dtype=bool)
    for value, position in domain.items():
        for concept in value:
            bits[position, index[concept]] = True
    # observed: within each unit of m ≥ 2 values, every ordered pair weighs 1/(m − 1); units
    # holding the same values are counted together
    counts = np.zeros(len(domain))
    alike: Counter[tuple[int, ...]] = Counter()
    for unit in zip(*sets, strict=True):
        values = sorted(domain[v] for v in unit if v is not None)
        if len(values) >= 2:
            alike[tuple(values)] += 1
    observed = 0.0
    for values_, times in alike.items():
        for v in values_:
            counts[v] += times
        rows = bits[list(values_)]
        observed += times * float(masi_distances(rows, rows).sum()) / (len(values_) - 1)
    n = float(counts.sum())
    if n < 2:
        return None
    expected = 0.0
    for start in range(0, len(domain), 512):  # by blocks: bounded memory
        block = masi_distances(bits[start : start + 512], bits)
        expected += float(counts[start : start + 512] @ block @ counts)
    expected /= n * (n - 1)
    if expected == 0:
        return None
    return 1.0 - (observed / n) / expected


def _confusion(
    pair: tuple[str, str],
    all_units: Sequence[Unit],
    coded_by: Mapping[str, set[str]],
    cells: Mapping[tuple[str, str], list[Coding]],
) -> dict[tuple[str, str], int]:
    """In each unit both coded: a concept both gave counts on the diagonal; a concept only the
    first gave pairs with each concept only the second gave (or with no code, ``NONE``), and
    the other way round."""
    first, second = pair
    table: Counter[tuple[str, str]] = Counter()
    for unit in all_units:
        if not {first, second} <= coded_by[unit.document]:
            continue
        a = {c.concept for c in cells.get((first, unit.key), [])}
        b = {c.concept for c in cells.get((second, unit.key), [])}
        for concept in a & b:
            table[(concept, concept)] += 1
        only_a, only_b = sorted(a - b), sorted(b - a)
        for x in only_a:
            for y in only_b or [NONE]:
                table[(x, y)] += 1
        if not only_a:
            for y in only_b:
                table[(NONE, y)] += 1
    return dict(table)


def _disagreements(
    all_units: Sequence[Unit],
    texts: Mapping[str, str],
    coded_by: Mapping[str, set[str]],
    cells: Mapping[tuple[str, str], list[Coding]],
) -> list[Disagreement]:
    found = []
    for unit in all_units:
        coders = sorted(coded_by[unit.document])
        if len(coders) < 2:
            continue
        codes = {coder: cells.get((coder, unit.key), []) for coder in coders}
        sets = {frozenset(c.concept for c in cs) for cs in codes.values()}
        if len(sets) > 1:
            text = texts.get(unit.document, "")[unit.start : unit.end]
            found.append(Disagreement(unit, text, codes))
    return found


# ---------------------------------------------------------------------------- from the stores


def codings_of(annotations: Iterable[Annotation]) -> list[Coding]:
    """The codings among ``annotations``: people's codes, not the suggester's proposals."""
    return [
        Coding(
            annotation=a.iri,
            document=a.document,
            concept=a.concept,
            start=a.start,
            end=a.end,
            coder=a.creator,
            exact=a.exact,
            mode=a.mode,
        )
        for a in annotations
        if a.status != SUGGESTED and a.anchored
    ]


def coded_documents(annotations: ox.Store) -> list[str]:
    """The documents that at least two coders coded."""
    return _coded_twice(codings_of(list_annotations(annotations)))


def _coded_twice(codings: Iterable[Coding]) -> list[str]:
    coders: dict[str, set[str]] = {}
    for coding in codings:
        coders.setdefault(coding.document, set()).add(coding.coder)
    return sorted(d for d, who in coders.items() if len(who) >= 2)


def measure(
    public: Dataset,
    annotations: ox.Store,
    documents: Sequence[str] | None = None,
    *,
    unit_kind: UnitKind = "sections",
    coders: Sequence[str] | None = None,
) -> AgreementReport:
    """Agreement on ``documents`` (by default every document two coders coded), between
    ``coders`` (by default all who coded them): units and texts from the public dataset, codes
    from the private annotation store."""
    if unit_kind not in UNIT_KINDS:
        raise AgreementError(f"unknown unit kind {unit_kind!r}: use sections or sentences")
    every = codings_of(list_annotations(annotations))  # one query: faster than one per document
    chosen = sorted(set(documents)) if documents else _coded_twice(every)
    units: dict[str, list[Unit]] = {}
    texts: dict[str, str] = {}
    for document in chosen:
        texts[document], units[document] = document_units(public, document, unit_kind)
    wanted = set(chosen)
    codings = [c for c in every if c.document in wanted and (coders is None or c.coder in coders)]
    return agreement(codings, units, texts, unit_kind=unit_kind)
