"""essaim.analysis.scaling and essaim.analysis.coding, the data helpers of notebooks 04 and 06,
on a small real store (a few experiments and coded facts in Turtle, loaded into pyoxigraph), and
the shares-with-intervals figure of essaim.analysis.plots."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import pandas as pd
import pyoxigraph as ox
import pytest

from essaim.analysis import coding, plots, qca, scaling
from essaim.annotation.agreement import Coding, Unit, agreement
from essaim.store import EmbeddedStore

matplotlib.use("Agg")

import matplotlib.pyplot as plt

DATA = """
@prefix essaim: <https://w3id.org/essaim/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix cb: <https://w3id.org/essaim/codebook/> .
@prefix outcome: <https://w3id.org/essaim/codebook/scaling-outcome/> .
@prefix barrier: <https://w3id.org/essaim/codebook/barrier/> .
@prefix kind: <https://w3id.org/essaim/codebook/initiative-kind/> .
@prefix status: <https://w3id.org/essaim/codebook/coding-status/> .
@prefix actor: <https://w3id.org/essaim/codebook/actor-type/> .
@prefix x: <https://example.org/> .

outcome:achieved skos:inScheme cb:scaling-outcome .
outcome:not-achieved skos:inScheme cb:scaling-outcome .
barrier:funding skos:inScheme cb:barrier ; skos:prefLabel "Funding"@en, "Financement"@fr .
status:agreed skos:prefLabel "Agreed"@en .
status:extracted skos:prefLabel "Extracted"@en .

x:e1 essaim:initiativeKind kind:accelerator-lab-experiment ; dcterms:title "One" ;
    essaim:partnerActorType actor:public-body, actor:private-sector ;
    essaim:method "Co-creation", "Survey" ; essaim:costBand "More than 20,000 USD" ;
    essaim:controlGroup "No" ;
    essaim:hasCodedFact x:f1 .
x:f1 essaim:concept outcome:achieved ; essaim:codingStatus status:extracted .
x:e2 essaim:initiativeKind kind:accelerator-lab-experiment ; dcterms:title "Two" ;
    essaim:hasCodedFact x:f2 .
x:f2 essaim:concept outcome:not-achieved ; essaim:codingStatus status:extracted .
x:e3 essaim:initiativeKind kind:accelerator-lab-experiment ; dcterms:title "Three, no result" .

x:i1 a essaim:Initiative ; essaim:hasCodedFact x:f3, x:f4 .
x:f3 essaim:concept barrier:funding ; essaim:codingStatus status:agreed .
x:f4 essaim:concept barrier:funding ; essaim:codingStatus status:coded .

x:a1 a oa:Annotation ; dcterms:creator x:alice ; oa:hasTarget [ oa:hasSource x:doc ] .
x:a2 a oa:Annotation ; dcterms:creator x:bob ; oa:hasTarget [ oa:hasSource x:doc ] .
x:a3 a oa:Annotation ; dcterms:creator x:robot ; oa:hasTarget [ oa:hasSource x:doc2 ] .
x:robot a prov:SoftwareAgent .
"""


@pytest.fixture(scope="module")
def store() -> Iterator[EmbeddedStore]:
    store = EmbeddedStore()
    store.raw.load(
        DATA.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/g")
    )
    yield store
    store.close()


def test_the_cases_are_the_experiments_with_a_result(store: EmbeddedStore) -> None:
    assert scaling.counts(store) == (3, 2)
    cases = scaling.cases(store)
    assert list(cases.columns) == list(scaling.COLUMNS)
    one, two = cases.to_dict("records")
    assert one["initiative"] == "https://example.org/e1" and one["outcome"] == "achieved"
    assert sorted(one["partner_types"]) == ["private-sector", "public-body"]
    assert sorted(one["methods"]) == ["Co-creation", "Survey"]
    assert (one["cost_band"], one["control_group"]) == ("More than 20,000 USD", "No")
    # a record that gives nothing: empty lists and None, which the calibration counts as missing
    assert (two["outcome"], two["partner_types"], two["methods"]) == ("not-achieved", [], [])
    assert two["cost_band"] is None and two["control_group"] is None
    calibrated = qca.calibrate(
        {c["initiative"]: c for c in cases.to_dict("records")},
        [qca.distinct_at_least("CROSS", "partner_types", 2)],
        qca.any_of("SCALED", "outcome", ["achieved"]),
    )
    assert calibrated.data == {"https://example.org/e1": {"CROSS": 1, "SCALED": 1}}
    assert calibrated.dropped == {"https://example.org/e2": ("CROSS",)}


def test_shares_by_condition_with_wilson_intervals() -> None:
    crisp = pd.DataFrame({"A": [1, 1, 1, 0], "B": [1, 1, 1, 1], "SCALED": [1, 1, 0, 0]})
    shares = scaling.shares_by_condition(crisp, ["A", "B"])
    rows = shares.to_dict("records")
    assert [(r["condition"], r["present"], r["cases"], r["scaled"]) for r in rows] == [
        ("A", 1, 3, 2),
        ("A", 0, 1, 0),
        ("B", 1, 4, 2),
        ("B", 0, 0, 0),
    ]
    assert rows[0]["share"] == pytest.approx(2 / 3)
    assert (rows[0]["95% low"], rows[0]["95% high"]) == pytest.approx(qca.wilson_interval(2, 3))
    assert pd.isna(rows[3]["share"]) and (rows[3]["95% low"], rows[3]["95% high"]) == (0.0, 1.0)
    with pytest.raises(ValueError, match="no column 'C'"):
        scaling.shares_by_condition(crisp, ["C"])


def test_coded_facts_by_status_and_the_settled_comparison(store: EmbeddedStore) -> None:
    statuses = coding.facts_by_status(store)
    got = {(r.status, r.scheme): (r.facts, r.initiatives) for r in statuses.itertuples()}
    assert got == {
        ("Agreed", "barrier"): (1, 1),
        ("coded", "barrier"): (1, 1),  # no label: the IRI's last segment
        ("Extracted", "scaling-outcome"): (2, 2),
    }
    comparison = coding.settled_comparison(store).set_index("scheme")
    assert comparison.loc["barrier"].tolist() == [1, 1]
    assert comparison.loc["scaling-outcome"].tolist() == [2, 0]
    assert coding.concept_labels(store, "fr") == {
        "https://w3id.org/essaim/codebook/barrier/funding": "Financement"
    }
    with pytest.raises(ValueError, match="not a language tag"):
        coding.facts_by_status(store, 'en") } #')


def test_people_coding_leaves_software_out(store: EmbeddedStore) -> None:
    public = coding.people_coding(store)
    assert public.to_dict("records") == [
        {"document": "https://example.org/doc", "people coding": 2, "annotations": 2}
    ]


def test_the_agreement_table() -> None:
    doc = "urn:example:d"
    units = {doc: [Unit(doc, i, 8 * i, 8 * i + 8, f"unit {i}") for i in range(4)]}
    codings = [
        Coding(f"urn:example:a{n}", doc, "urn:example:funding", 8 * u, 8 * u + 6, coder)
        for n, (coder, u) in enumerate(
            [("urn:example:A", 0), ("urn:example:B", 0), ("urn:example:A", 1)]
        )
    ]
    report = agreement(codings, units, {doc: "".join(f"Unit {i}. " for i in range(4))})
    table = coding.agreement_table(report, {"urn:example:funding": "Funding"})
    assert table["concept"].tolist() == ["Funding"]
    assert {"alpha", "Krippendorff 2004", "kappa A–B", "units A", "units B"} <= set(table.columns)
    assert table.loc[0, "units A"] == 2 and table.loc[0, "units B"] == 1
    assert table.loc[0, "Krippendorff 2004"] == "too few units"


def test_bars_with_intervals() -> None:
    ax = plots.bars_with_denominators(
        ["a", "b"], [1, 3], [2, 4], intervals=[(0.1, 0.9), (0.3, 0.95)], colour=["red", "blue"]
    )
    assert [t.get_text() for t in ax.texts] == ["1/2", "3/4"]
    assert ax.texts[1].get_position()[0] == pytest.approx(0.96)  # beyond the whisker
    assert len(ax.collections) == 1  # the error bars
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="one \\(low, high\\) per bar"):
        plots.bars_with_denominators(["a"], [1], [2], intervals=[])
