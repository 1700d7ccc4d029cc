"""Agreement between coders: figures equal the krippendorff package's and hand-computed ones."""

from __future__ import annotations

import random

import krippendorff
import numpy as np
import pytest

from annotation_data import (
    ALICE,
    BOB,
    DOCUMENT,
    LACK_OF_TIME,
    LOW_RECOGNITION,
    annotation_store,
    case,
    public_store,
)
from essaim.annotation.agreement import (
    NONE,
    AgreementError,
    Coding,
    Unit,
    _masi_alpha,
    agreement,
    cohen_kappa,
    masi_distance,
    masi_distances,
    measure,
    section_units,
    sentence_units,
)
from essaim.store import EmbeddedStore


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return public_store(tmp_path_factory.mktemp("agreement"))


def test_cohen_kappa_by_hand() -> None:
    # po = 4/6; each coder says 1 on half the units: pe = 1/4 + 1/4 = 1/2; (2/3 - 1/2) / (1/2)
    assert cohen_kappa([1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, 0]) == pytest.approx(1 / 3)
    # po = 3/4; p1(1) = 3/4, p2(1) = 1/2: pe = 3/8 + 1/8 = 1/2; (3/4 - 1/2) / (1/2)
    assert cohen_kappa([1, 1, 1, 0], [1, 1, 0, 0]) == pytest.approx(1 / 2)
    assert cohen_kappa([1, 1], [1, 1]) is None  # nothing to disagree on: undefined


def test_masi_distance() -> None:
    a, b = frozenset({"x"}), frozenset({"x", "y"})
    assert masi_distance(a, a) == 0
    assert masi_distance(frozenset(), frozenset()) == 0
    assert masi_distance(a, b) == pytest.approx(1 - 0.5 * 2 / 3)
    assert masi_distance(frozenset({"x", "z"}), b) == pytest.approx(1 - 1 / 3 * 1 / 3)
    assert masi_distance(a, frozenset({"y"})) == 1


def test_units_cover_the_text() -> None:
    c = case()
    units = section_units(DOCUMENT, c.text, [(s, "h") for s, _ in c.sections])
    assert [u.start for u in units] == [0] + [s for s, _ in c.sections[1:]]
    assert units[-1].end == len(c.text)
    sentences = sentence_units(DOCUMENT, "Un. Deux ! Trois\nQuatre…  Cinq")
    assert [u.label for u in sentences] == ["Un.", "Deux !", "Trois", "Quatre…", "Cinq"]


def test_agreement_per_concept_and_overall(public: EmbeddedStore) -> None:
    report = measure(public, annotation_store(), [DOCUMENT])
    assert report.units == 6 and report.coders == [ALICE, BOB]
    by_concept = {c.concept: c for c in report.concepts}
    time, recognition = by_concept[LACK_OF_TIME], by_concept[LOW_RECOGNITION]
    alice_time, bob_time = [1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, 0]
    alice_rec, bob_rec = [0] * 6, [0, 1, 0, 0, 0, 0]
    # the package's figure, and the coincidence matrix by hand: o11 = o00 = 4, o01 = o10 = 2,
    # Do = 4/12, De = 2·6·6/(12·11): alpha = 1 - (1/3)/(72/132) = 7/18
    expected = krippendorff.alpha(
        reliability_data=[alice_time, bob_time], level_of_measurement="nominal"
    )
    assert time.alpha == pytest.approx(expected) == pytest.approx(7 / 18)
    assert time.kappa[(ALICE, BOB)] == pytest.approx(1 / 3)
    assert time.units_coded == {ALICE: 3, BOB: 3}
    assert recognition.alpha == pytest.approx(
        krippendorff.alpha(reliability_data=[alice_rec, bob_rec], level_of_measurement="nominal")
    )
    pooled = krippendorff.alpha(
        reliability_data=[alice_time + alice_rec, bob_time + bob_rec],
        level_of_measurement="nominal",
    )
    # the concepts laid side by side: units are (concept, section) pairs
    assert report.alpha_pooled == pytest.approx(pooled)
    assert report.kappa_pooled[(ALICE, BOB)] == pytest.approx(
        cohen_kappa(alice_time + alice_rec, bob_time + bob_rec)
    )
    # MASI: sets per section; Alice {t},{t},{t},{},{},{}; Bob {t},{t,r},{},{t},{},{}
    assert report.alpha_masi is not None and 0 < report.alpha_masi < 1
    assert report.alpha_masi != pytest.approx(report.alpha_pooled)


def test_masi_alpha_equals_the_package_with_the_distance_by_hand(public: EmbeddedStore) -> None:
    report = measure(public, annotation_store(), [DOCUMENT])
    t, tr, e = 0, 1, 2  # the values {t}, {t, r}, {}
    sets = {t: {"t"}, tr: {"t", "r"}, e: set()}
    table = np.array(
        [[masi_distance(frozenset(sets[i]), frozenset(sets[j])) for j in sets] for i in sets]
    )

    def metric(v1, v2, i1, i2, n_v, dtype=None):  # type: ignore[no-untyped-def]
        a, b = np.broadcast_arrays(v1.astype(int), v2.astype(int))
        return table[a, b]

    expected = krippendorff.alpha(
        reliability_data=[[t, t, t, e, e, e], [t, tr, e, t, e, e]], level_of_measurement=metric
    )
    assert report.alpha_masi == pytest.approx(expected)


def test_confusion_and_disagreements(public: EmbeddedStore) -> None:
    report = measure(public, annotation_store(), [DOCUMENT])
    confusion = report.confusion[(ALICE, BOB)]
    assert confusion == {
        (LACK_OF_TIME, LACK_OF_TIME): 2,  # sections 0 and 1
        (NONE, LOW_RECOGNITION): 1,  # section 1: Bob's second code
        (LACK_OF_TIME, NONE): 1,  # section 2
        (NONE, LACK_OF_TIME): 1,  # section 3
    }
    assert [d.unit.index for d in report.disagreements] == [1, 2, 3]
    second = report.disagreements[0]
    assert second.concepts_of(ALICE) == [LACK_OF_TIME]
    assert second.concepts_of(BOB) == [LACK_OF_TIME, LOW_RECOGNITION]
    assert "mal reconnue" in second.text


def test_sentences_as_units(public: EmbeddedStore) -> None:
    report = measure(public, annotation_store(), [DOCUMENT], unit_kind="sentences")
    assert report.unit_kind == "sentences" and report.units == 12  # heading + body each
    by_concept = {c.concept: c for c in report.concepts}
    assert by_concept[LACK_OF_TIME].units_coded == {ALICE: 3, BOB: 3}


def test_a_coder_who_did_not_code_a_document_is_missing_not_absent(
    public: EmbeddedStore,
) -> None:
    only_alice = [a for a in __import__("annotation_data").annotations() if a.creator == ALICE]
    report = measure(public, annotation_store(only_alice), [DOCUMENT])
    assert report.coders == [ALICE]
    assert report.alpha_pooled is None and report.disagreements == []


def test_refusals(public: EmbeddedStore) -> None:
    with pytest.raises(AgreementError, match="no case document"):
        measure(public, annotation_store(), ["https://w3id.org/essaim/kb/document/nope"])
    with pytest.raises(AgreementError, match="unknown unit kind 'words'"):
        measure(public, annotation_store(), [DOCUMENT], unit_kind="words")  # type: ignore[arg-type]


def test_default_documents_are_those_two_coders_coded(public: EmbeddedStore) -> None:
    report = measure(public, annotation_store())
    assert report.documents == [DOCUMENT]


def test_masi_alpha_of_three_coders_with_gaps_equals_the_package() -> None:
    """The MASI alpha is computed here (the package's arrays grow with the square of the
    distinct code sets); on random data of three coders with missing values it equals the
    package's with the same distance."""
    rng = random.Random(7)
    pool = [
        frozenset(s) for s in ([], ["a"], ["b"], ["a", "b"], ["c"], ["a", "c"], ["a", "b", "c"])
    ]
    sets: list[list[frozenset[str] | None]] = [
        [None if rng.random() < 0.2 else rng.choice(pool) for _ in range(40)] for _ in range(3)
    ]
    index = {value: i for i, value in enumerate(pool)}
    table = np.array([[masi_distance(a, b) for b in pool] for a in pool])

    def metric(v1, v2, i1, i2, n_v, dtype=None):  # type: ignore[no-untyped-def]
        a, b = np.broadcast_arrays(v1.astype(int), v2.astype(int))
        return table[a, b]

    data = [[np.nan if v is None else index[v] for v in row] for row in sets]
    expected = krippendorff.alpha(
        reliability_data=data, level_of_measurement=metric, value_domain=list(range(len(pool)))
    )
    assert _masi_alpha(sets) == pytest.approx(expected)
    bits = np.array([[c in value for c in "abc"] for value in pool])
    assert masi_distances(bits, bits) == pytest.approx(table)


def test_the_counted_alphas_and_kappas_equal_the_straightforward_ones() -> None:
    """The per-concept and pooled alphas and kappas, computed from counts without a matrix per
    concept, equal the package's alpha and :func:`cohen_kappa` on the plain coders × units
    matrices, on a random coding by three coders, one of whom skipped some documents."""
    rng = random.Random(7)
    coders = [ALICE, BOB, "https://w3id.org/essaim/user/" + "c" * 32]
    concepts = [f"https://example.org/concept/{i}" for i in range(6)]
    texts = {f"https://example.org/doc/{d}": "x" * 400 for d in range(12)}
    units = {d: [Unit(d, i, i * 40, i * 40 + 40, "") for i in range(10)] for d in sorted(texts)}
    codings = []
    for d in sorted(texts):
        for coder in coders:
            if coder == coders[2] and rng.random() < 0.4:
                continue  # a document this coder did not code: missing values, not zeros
            for n in range(rng.randint(1, 8)):
                start = rng.randrange(0, 380)
                codings.append(
                    Coding(f"{d}/{coder[-1]}/{n}", d, rng.choice(concepts[: rng.randint(1, 6)]),
                           start, start + rng.randint(1, 60), coder)
                )  # fmt: skip
    report = agreement(codings, units, texts)
    coded_by = {d: {c.coder for c in codings if c.document == d} for d in texts}
    all_units = [u for d in sorted(texts) for u in units[d]]
    layers = []
    for concept in report.concepts:
        matrix = np.array(
            [
                [
                    float(any(c.coder == coder and c.document == u.document
                              and c.concept == concept.concept
                              and c.start < u.end and u.start < c.end for c in codings))
                    if coder in coded_by[u.document] else np.nan
                    for u in all_units
                ]
                for coder in coders
            ]
        )  # fmt: skip
        layers.append(matrix)
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert concept.alpha == pytest.approx(expected, abs=1e-12)
        for (x, y), kappa in concept.kappa.items():
            both = ~np.isnan(matrix[coders.index(x)]) & ~np.isnan(matrix[coders.index(y)])
            plain = cohen_kappa(
                matrix[coders.index(x)][both].astype(int), matrix[coders.index(y)][both].astype(int)
            )
            assert (kappa is None) == (plain is None)
            assert kappa == pytest.approx(plain, abs=1e-12)
    pooled = np.concatenate(layers, axis=1)
    assert report.alpha_pooled == pytest.approx(
        krippendorff.alpha(reliability_data=pooled, level_of_measurement="nominal"), abs=1e-12
    )
    assert report.alpha_pooled is not None and len(report.concepts) >= 4
    for (x, y), kappa in report.kappa_pooled.items():
        both = ~np.isnan(pooled[coders.index(x)]) & ~np.isnan(pooled[coders.index(y)])
        plain = cohen_kappa(
            pooled[coders.index(x)][both].astype(int), pooled[coders.index(y)][both].astype(int)
        )
        assert kappa == pytest.approx(plain, abs=1e-12)
