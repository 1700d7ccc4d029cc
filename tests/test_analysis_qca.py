"""Crisp-set QCA (essaim.analysis.qca) against the textbook: Ragin's crisp Lipset data (the R
package QCA's LC; source in tests/data/qca/lipset-crisp.csv), whose truth table and solutions
are published; then contradictory rows, calibration by declared rules, and the edge cases."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essaim.analysis import qca

LIPSET = Path(__file__).parent / "data" / "qca" / "lipset-crisp.csv"
CONDITIONS = ("DEV", "URB", "LIT", "IND", "STB")


def lipset() -> dict[str, dict[str, object]]:
    with LIPSET.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return {
        row["case"]: {k: int(v) for k, v in row.items() if k != "case"}
        for row in csv.DictReader(lines)
    }


#: The observed rows of R QCA 3.25's truthTable(LC, "SURV", incl.cut = 1): minterm → (OUT, n,
#: consistency, cases). The other 23 of the 32 rows are remainders.
PUBLISHED_ROWS = {
    0: ("0", 3, 0.0, ("ES", "GR", "PT")),
    1: ("0", 2, 0.0, ("IT", "RO")),
    4: ("0", 2, 0.0, ("HU", "PL")),
    5: ("0", 1, 0.0, ("EE",)),
    21: ("1", 2, 1.0, ("FI", "IE")),
    22: ("0", 1, 0.0, ("AU",)),
    23: ("1", 2, 1.0, ("FR", "SE")),
    30: ("0", 1, 0.0, ("DE",)),
    31: ("1", 4, 1.0, ("BE", "CZ", "NL", "UK")),
}


def test_the_published_lipset_truth_table_is_reproduced() -> None:
    table = qca.truth_table(lipset(), CONDITIONS, "SURV")
    assert len(table.rows) == 32
    observed = {r.minterm: (r.output, r.n, r.consistency, r.cases) for r in table.observed}
    assert observed == PUBLISHED_ROWS
    assert all(r.output == "?" and r.consistency is None for r in table.remainders)
    assert len(table.remainders) == 23
    assert table.rows[21].configuration == (1, 0, 1, 0, 1)
    assert not table.contradictions
    diversity = table.diversity()
    assert (diversity.possible, diversity.observed, diversity.remainders) == (32, 9, 23)
    assert diversity.statement() == (
        "5 conditions give 32 possible configurations; the 18 cases show 9 of them (28%); "
        "23 are logical remainders (no case)."
    )
    assert "32 configurations possibles" in diversity.statement("fr")


def test_the_published_complex_solution_with_its_consistency_and_coverage() -> None:
    table = qca.truth_table(lipset(), CONDITIONS, "SURV")
    result = qca.minimise(table)
    assert result.kind == "complex"
    assert [s.expression for s in result.solutions] == ["DEV*~URB*LIT*STB + DEV*LIT*IND*STB"]
    solution = result.solutions[0]
    assert (solution.consistency, solution.coverage) == (1.0, 1.0)
    # R QCA's inclS, covS and covU for each term
    fits = {f.expression: (f.consistency, f.raw_coverage, f.unique_coverage, f.cases)
            for f in solution.fits}  # fmt: skip
    assert fits == {
        "DEV*~URB*LIT*STB": (1.0, 0.5, 0.25, ("FI", "FR", "IE", "SE")),
        "DEV*LIT*IND*STB": (1.0, 0.75, 0.5, ("BE", "CZ", "FR", "NL", "SE", "UK")),
    }
    # the chart: two prime implicants, both essential
    assert {t.expression(CONDITIONS) for t in result.prime_implicants} == set(fits)
    assert set(result.essential) == set(result.prime_implicants)
    assert {r["implicant"]: r["21"] for r in result.chart_records()} == {
        "DEV*~URB*LIT*STB": True,
        "DEV*LIT*IND*STB": False,
    }
    assert result.simplifying_assumptions == ()


def test_the_published_parsimonious_solution_and_its_simplifying_assumptions() -> None:
    table = qca.truth_table(lipset(), CONDITIONS, "SURV")
    result = qca.minimise(table, remainders=True)
    assert [s.expression for s in result.solutions] == ["DEV*STB"]
    solution = result.solutions[0]
    assert (solution.consistency, solution.coverage) == (1.0, 1.0)
    assert solution.fits[0].cases == ("BE", "CZ", "FI", "FR", "IE", "NL", "SE", "UK")
    # DEV*STB covers 8 configurations: 3 positive rows and 5 remainders (no case)
    assert len(result.simplifying_assumptions) == 5
    assert all(c[0] == 1 and c[4] == 1 for c in result.simplifying_assumptions)


def test_contradictory_rows_are_flagged_and_the_threshold_decides_their_output() -> None:
    data = lipset()
    data["DE2"] = {**data["DE"], "SURV": 1}  # a second Germany that survived: row 30 splits
    data["NL2"] = {**data["NL"], "SURV": 0}  # and row 31: 4 of 5 survive
    strict = qca.truth_table(data, CONDITIONS, "SURV")
    assert [(r.minterm, r.consistency) for r in strict.contradictions] == [(30, 0.5), (31, 0.8)]
    assert strict.rows[31].output == "0"
    assert strict.rows[31].positive == ("BE", "CZ", "NL", "UK")
    lenient = qca.truth_table(data, CONDITIONS, "SURV", incl_cut=0.8)
    assert lenient.rows[31].output == "1" and lenient.rows[31].contradictory
    solution = qca.minimise(lenient).solutions[0]
    assert solution.expression == "DEV*~URB*LIT*STB + DEV*LIT*IND*STB"
    assert solution.consistency == pytest.approx(8 / 9)  # NL2 is covered without the outcome
    assert solution.coverage == pytest.approx(8 / 9)  # DE2 survived outside the solution
    records = lenient.records()
    assert [r["contradictory"] for r in records if r["cases"] == "DE, DE2"] == [True]


def test_the_frequency_threshold_turns_thin_rows_into_remainders() -> None:
    table = qca.truth_table(lipset(), CONDITIONS, "SURV", n_cut=2)
    assert table.rows[5].output == "?" and table.rows[5].n == 1  # Estonia alone
    assert [r.minterm for r in table.positive_rows] == [21, 23, 31]
    assert table.diversity().below_frequency == 3  # EE, AU, DE
    assert (
        table.diversity()
        .statement()
        .endswith(
            "26 are treated as logical remainders: 23 without any case and 3 with fewer cases than "
            "the frequency threshold."
        )
    )
    assert "3 avec moins de cas que le seuil" in table.diversity().statement("fr")


def test_tied_minimal_covers_are_all_returned() -> None:
    # the cyclic chart of minterms 0, 1, 2, 5, 6, 7 on three conditions has two minimal covers
    positive = {0, 1, 2, 5, 6, 7}
    data = {f"c{m}": {"A": m >> 2 & 1, "B": m >> 1 & 1, "C": m & 1, "Y": int(m in positive)}
            for m in range(8)}  # fmt: skip
    result = qca.minimise(qca.truth_table(data, ("A", "B", "C"), "Y"))
    assert sorted(s.expression for s in result.solutions) == [
        "A*B + ~A*~C + ~B*C",
        "A*C + ~A*~B + B*~C",
    ]
    assert len(result.solutions) == 2
    assert result.essential == ()
    assert all(len(s.terms) == 3 for s in result.solutions)


def test_a_chart_too_large_to_solve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    positive = {0, 1, 2, 5, 6, 7}  # the cyclic chart: no essential implicant, a real search
    data = {f"c{m}": {"A": m >> 2 & 1, "B": m >> 1 & 1, "C": m & 1, "Y": int(m in positive)}
            for m in range(8)}  # fmt: skip
    table = qca.truth_table(data, ("A", "B", "C"), "Y")
    monkeypatch.setattr(qca, "MAX_COVERS", 3)
    with pytest.raises(qca.QCAError, match=r"too large to list every minimal solution \(6 cand"):
        qca.minimise(table)


def test_no_positive_case_is_refused_with_what_was_found() -> None:
    data = {case: {**values, "SURV": 0} for case, values in lipset().items()}
    table = qca.truth_table(data, CONDITIONS, "SURV")
    assert table.positive_rows == []
    with pytest.raises(qca.QCAError, match=r"0 of 18 cases show the outcome.*nothing to minimise"):
        qca.minimise(table)


def test_all_cases_positive_gives_the_always_true_parsimonious_solution() -> None:
    data = {case: {**values, "SURV": 1} for case, values in lipset().items()}
    table = qca.truth_table(data, CONDITIONS, "SURV")
    assert len(table.positive_rows) == 9
    assert [s.expression for s in qca.minimise(table, remainders=True).solutions] == ["1"]
    complex_ = qca.minimise(table)
    for solution in complex_.solutions:
        assert (solution.consistency, solution.coverage) == (1.0, 1.0)
        covered = {
            m for t in solution.terms for m in range(32) if t.covers(table.rows[m].configuration)
        }
        assert {r.minterm for r in table.observed} <= covered


def test_missing_and_non_crisp_values_are_refused_naming_the_cases() -> None:
    data = lipset()
    data["AU"] = {**data["AU"], "DEV": None}
    data["BE"] = {**data["BE"], "URB": math.nan}
    data["CZ"] = {k: v for k, v in data["CZ"].items() if k != "SURV"}
    data["EE"] = {**data["EE"], "LIT": 0.5}
    with pytest.raises(qca.QCAError) as caught:
        qca.truth_table(data, CONDITIONS, "SURV")
    message = str(caught.value)
    assert message.startswith("4 value(s) cannot enter a crisp truth table")
    for part in ("case 'AU': DEV is missing", "case 'BE': URB is missing",
                 "case 'CZ': SURV is missing", "case 'EE': LIT = 0.5 is not a crisp"):  # fmt: skip
        assert part in message
    assert "calibrate" in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"conditions": ()}, "no condition given"),
        ({"conditions": ("DEV", "DEV")}, "named twice"),
        ({"conditions": ("DEV", "SURV")}, "also given as a condition"),
        ({"incl_cut": 0}, "consistency threshold in"),
        ({"incl_cut": 1.5}, "consistency threshold in"),
        ({"n_cut": 0}, "frequency threshold of at least 1"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"conditions": CONDITIONS, **kwargs}
    with pytest.raises(qca.QCAError, match=message):
        qca.truth_table(lipset(), arguments.pop("conditions"), "SURV", **arguments)  # type: ignore[arg-type]


def test_no_case_is_refused() -> None:
    with pytest.raises(qca.QCAError, match="no case"):
        qca.truth_table({}, CONDITIONS, "SURV")


def test_calibration_by_declared_rules_drops_and_counts_incomplete_cases() -> None:
    raw = {
        "a": {
            "gdp": 720,
            "cabinets": 12,
            "partners": ["Public Sector", "Academia"],
            "cost": "High",
        },
        "b": {"gdp": 550, "cabinets": 9, "partners": ["Public Sector"], "cost": "Low"},
        "c": {"gdp": 300, "cabinets": 3, "partners": [], "cost": "Low"},
        "d": {"gdp": 900, "cabinets": 2, "partners": ["Academia"], "cost": "Don't know"},
    }
    rules = [
        qca.at_least("DEV", "gdp", 550),
        qca.below("STB", "cabinets", 10),
        qca.distinct_at_least("CROSS", "partners", 2),
    ]
    outcome = qca.any_of("COST", "cost", ["High"], unknown=["Don't know"], domain=["Low"])
    calibrated = qca.calibrate(raw, rules, outcome)
    assert calibrated.data == {
        "a": {"DEV": 1, "STB": 0, "CROSS": 1, "COST": 1},
        "b": {"DEV": 1, "STB": 1, "CROSS": 0, "COST": 0},
    }
    assert calibrated.dropped == {"c": ("CROSS",), "d": ("COST",)}
    assert calibrated.missing_counts() == {"DEV": 0, "STB": 0, "CROSS": 1, "COST": 1}
    assert rules[0].describe() == "DEV = 1 when gdp ≥ 550, else 0; missing when not given"
    assert outcome.describe().endswith("missing when not given or one of: Don't know")
    table = qca.truth_table(calibrated.data, calibrated.conditions, calibrated.outcome)
    assert [r.minterm for r in table.observed] == [0b101, 0b110]


def test_calibration_refuses_an_unknown_label_and_a_non_number() -> None:
    rule = qca.any_of("COST", "cost", ["High"], domain=["Low"])
    with pytest.raises(
        qca.QCAError, match=r"case 'x': cost holds 'Medium', which the rule for COST"
    ):
        qca.calibrate({"x": {"cost": "Medium"}}, [], rule)
    with pytest.raises(qca.QCAError, match=r"case 'y': gdp = '720' is not a number"):
        qca.calibrate({"y": {"gdp": "720", "cost": "Low"}}, [qca.at_least("DEV", "gdp", 1)], rule)


def test_wilson_interval() -> None:
    assert qca.wilson_interval(0, 0) == (0.0, 1.0)
    low, high = qca.wilson_interval(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)
    low, high = qca.wilson_interval(20, 20)
    assert high == 1.0 and low == pytest.approx(0.8389, abs=1e-4)
    with pytest.raises(qca.QCAError, match="not a share"):
        qca.wilson_interval(3, 2)


def _brute_force(
    table: qca.TruthTable, remainders: bool
) -> tuple[set[qca.Term], list[set[qca.Term]]]:
    """The prime implicants and the minimal covers found by listing every term (3^k) and every
    combination: no Quine–McCluskey, no branch and bound."""
    width = len(table.conditions)
    on = {r.minterm for r in table.positive_rows}
    allowed = on | ({r.minterm for r in table.remainders} if remainders else set())
    configurations = {m: table.rows[m].configuration for m in range(2**width)}
    terms = [qca.Term(t) for t in itertools.product((0, 1, None), repeat=width)]
    implicants = {
        t for t in terms
        if {m for m, c in configurations.items() if t.covers(c)} <= allowed
    }  # fmt: skip

    def wider(u: qca.Term, t: qca.Term) -> bool:
        return u != t and all(
            a is None or a == b for a, b in zip(u.literals, t.literals, strict=True)
        )

    primes = {t for t in implicants if not any(wider(u, t) for u in implicants)}
    useful = [t for t in primes if any(t.covers(configurations[m]) for m in on)]
    for size in range(1, len(useful) + 1):
        covers = [
            set(combo) for combo in itertools.combinations(useful, size)
            if all(any(t.covers(configurations[m]) for t in combo) for m in on)
        ]  # fmt: skip
        if covers:
            return set(useful), covers
    raise AssertionError("no cover")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(min_value=1, max_value=4),
    cases=st.lists(st.tuples(st.integers(0, 15), st.booleans()), min_size=1, max_size=14),
    remainders=st.booleans(),
    incl_cut=st.sampled_from([1.0, 0.75, 0.5]),
)
def test_minimisation_agrees_with_brute_force(
    width: int, cases: list[tuple[int, bool]], remainders: bool, incl_cut: float
) -> None:
    conditions = [f"C{i}" for i in range(width)]
    data = {
        f"case{n}": {
            **dict(zip(conditions, qca._configuration(m % 2**width, width), strict=True)),
            "Y": int(y),
        }
        for n, (m, y) in enumerate(cases)
    }
    table = qca.truth_table(data, conditions, "Y", incl_cut=incl_cut)
    if not table.positive_rows:
        with pytest.raises(qca.QCAError, match="nothing to minimise"):
            qca.minimise(table, remainders=remainders)
        return
    result = qca.minimise(table, remainders=remainders)
    primes, covers = _brute_force(table, remainders)
    assert set(result.prime_implicants) == primes
    assert {frozenset(s.terms) for s in result.solutions} == {frozenset(c) for c in covers}
    assert len(result.solutions) == len(covers)
    for solution in result.solutions:
        assert solution.coverage is not None and solution.consistency is not None
        positive = set(table.positive_cases)
        covered = {c for f in solution.fits for c in f.cases}
        assert solution.coverage == pytest.approx(len(covered & positive) / len(positive))
        assert solution.consistency == pytest.approx(len(covered & positive) / len(covered))
